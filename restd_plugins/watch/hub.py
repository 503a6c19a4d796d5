"""The pollers of one app, by query, and the caps on watchers.

Every watcher holds one of waitress's threads while it watches (waitress
has no other way to keep a response open), so their number is capped
(``settings.watcher_cap``), all queries together (beyond: 503 with
``Retry-After``) and per caller (beyond: 429). A poller lives while it
is watched and ``restd.watch.linger`` seconds after (a client that
reconnects at once resumes from its buffer), then stops; ``close`` stops
them all and ends every stream (the app's teardown).
"""
from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable

from restd_core.gateway import Throttled, Unavailable

from .poller import Poller
from .query import Items, Query
from .settings import WatchSettings


class TooManyWatchers(Unavailable):
    """Every watcher thread is taken: 503 with ``Retry-After``."""

    kind = "watchers"


class Hub:
    """``fetch(query)``: a query's items now; ``max_watchers`` at once;
    ``poll_slots`` polls at once (of all pollers)."""

    def __init__(self, fetch: Callable[[Query], Items], settings: WatchSettings, max_watchers: int,
                 poll_slots: int) -> None:
        self._fetch = fetch
        self.settings = settings
        self.max_watchers = max_watchers
        self._poll_slots = threading.BoundedSemaphore(poll_slots)
        self._lock = threading.Lock()
        self._pollers: dict[Query, Poller] = {}
        self._callers: Counter[str] = Counter()
        self.watchers = 0
        self._last_epoch = 0
        self.closed = False

    def admit(self, caller: str | None) -> None:
        """Take a watcher's place (``TooManyWatchers``, ``Throttled``); give it back with ``leave``."""
        per_caller = self.settings.max_watchers_per_caller
        with self._lock:
            if self.closed or self.watchers >= self.max_watchers:
                raise TooManyWatchers(f"the server has as many watchers as it allows ({self.max_watchers}); "
                                      "retry shortly", {"limit": self.max_watchers})
            if caller is not None and per_caller and self._callers[caller] >= per_caller:
                raise Throttled(f"too many watchers of this caller at once (at most {per_caller})",
                                {"limit": per_caller})
            self.watchers += 1
            if caller is not None:
                self._callers[caller] += 1

    def leave(self, caller: str | None, poller: Poller | None) -> None:
        with self._lock:
            self.watchers -= 1
            if caller is not None:
                self._callers[caller] -= 1
                if not self._callers[caller]:
                    del self._callers[caller]
            if poller is not None:
                poller.watchers -= 1
                if not poller.watchers:
                    poller.idle_since = time.monotonic()

    def join(self, query: Query) -> Poller:
        """The query's poller, started if there was none; counted as watched
        until ``leave``."""
        with self._lock:
            poller = self._pollers.get(query)
            if poller is None:
                self._make_room()
                self._last_epoch = max(int(time.time() * 1000), self._last_epoch + 1)
                poller = self._pollers[query] = Poller(
                    lambda: self._fetch(query), self.settings, self._last_epoch, self._poll_slots, self._retire)
                poller.start()
            poller.watchers += 1
            return poller

    def _make_room(self) -> None:
        """At most ``max_watchers`` pollers, lingering ones included (a
        caller who opens and closes streams of ever new queries must not
        leave a poller behind each): the one idle longest stops now."""
        if len(self._pollers) < max(self.max_watchers, 1):
            return
        idle = [(poller.idle_since, query) for query, poller in self._pollers.items() if not poller.watchers]
        if idle:
            self._pollers.pop(min(idle, key=lambda entry: entry[0])[1]).stop()

    def _retire(self, poller: Poller) -> bool:
        """Whether a poller stops now (it is then no longer found)."""
        with self._lock:
            lingered = not poller.watchers and time.monotonic() - poller.idle_since >= self.settings.linger
            if not (lingered or poller.ended or self.closed):
                return False
            for query, found in list(self._pollers.items()):
                if found is poller:
                    del self._pollers[query]
            return True

    @property
    def pollers(self) -> list[Poller]:
        with self._lock:
            return list(self._pollers.values())

    def close(self, timeout: float = 5.0) -> None:
        """Stop every poller and end every stream."""
        with self._lock:
            self.closed = True
            pollers = list(self._pollers.values())
            self._pollers.clear()
        for poller in pollers:
            poller.stop()
        for poller in pollers:
            poller.join(timeout)
