"""The pollers of one app, by query, and the places of watchers.

Every watcher holds one of waitress's threads while it watches (waitress
has no other way to keep a response open), so their places are capped
(``settings.watcher_cap``), all queries together (beyond: 503, errno
``WATCHERS_FULL``) and per caller (a share of them, never all: beyond,
429). A place is given back when its stream ends, and at once when the
server can tell its client went (``restd_core.pipeline.disconnect``): streams ask
twice a second, and a server at a cap asks every place before refusing,
so a client that reconnects at once (a page reload, ``Last-Event-ID``)
finds its old place free. A poller lives while it is watched and
``restd.watch.linger`` seconds after (a client that reconnects at once
resumes from its buffer), then stops; ``close`` stops them all and ends
every stream (the app's teardown).
"""
from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass

from restd_core.plugin_api.web import Errno

from .poller import Poller
from .query import Items, Query
from .settings import WatchSettings, caller_cap


class NoPlace(Exception):
    """No place for another watcher: the server's (503) or the caller's (429)."""

    def __init__(self, status: int, errno: Errno, message: str, limit: int) -> None:
        super().__init__(message)
        self.status, self.errno, self.message, self.limit = status, errno, message, limit


@dataclass(eq=False)
class Place:
    """One watcher's place: whose it is, ``gone()`` whether its client went,
    its poller once it joined one."""

    caller: str | None
    gone: Callable[[], bool]
    poller: Poller | None = None
    released: bool = False


class Hub:
    """``fetch(query)``: a query's items now; ``max_watchers`` at once;
    ``poll_slots`` polls at once (of all pollers)."""

    def __init__(self, fetch: Callable[[Query], Items], settings: WatchSettings, max_watchers: int,
                 poll_slots: int) -> None:
        self._fetch = fetch
        self.settings = settings
        self.max_watchers = max_watchers
        self.max_per_caller = caller_cap(settings, max_watchers)
        self._poll_slots = threading.BoundedSemaphore(poll_slots)
        self._lock = threading.Lock()
        self._pollers: dict[Query, Poller] = {}
        self._callers: Counter[str] = Counter()
        self._places: set[Place] = set()
        self.watchers = 0
        #: Watchers refused, by reason ("full": every place; "caller": the caller's share).
        self.refused: Counter[str] = Counter()
        self._last_epoch = 0
        self.closed = False

    def admit(self, caller: str | None, gone: Callable[[], bool]) -> Place:
        """A watcher's place (``NoPlace`` if none); give it back with ``leave``."""
        with self._lock:
            if self._at_a_cap(caller):
                self._release_gone()
            if self.closed or self.watchers >= self.max_watchers:
                self.refused["full"] += 1
                raise NoPlace(503, Errno.WATCHERS_FULL, "every watch place of this server is taken "
                              f"({self.max_watchers}); retry shortly, or poll the listing", self.max_watchers)
            if self._callers_places(caller) >= self.max_per_caller:
                self.refused["caller"] += 1
                raise NoPlace(429, Errno.TOO_MANY_REQUESTS, "too many watchers of this caller at once (at most "
                              f"{self.max_per_caller} of the server's {self.max_watchers})", self.max_per_caller)
            place = Place(caller, gone)
            self._places.add(place)
            self.watchers += 1
            if caller is not None:
                self._callers[caller] += 1
            return place

    def _callers_places(self, caller: str | None) -> int:
        return self._callers[caller] if caller is not None else 0

    def _at_a_cap(self, caller: str | None) -> bool:
        return self.watchers >= self.max_watchers or self._callers_places(caller) >= self.max_per_caller

    def _release_gone(self) -> None:
        """Give back the places whose clients went, before a refusal (their
        streams notice within half a second, but a reconnecting client may
        be quicker)."""
        for place in [place for place in self._places if place.gone()]:
            self._release(place)

    def leave(self, place: Place) -> None:
        """Give a place back (again: nothing)."""
        with self._lock:
            self._release(place)

    def _release(self, place: Place) -> None:
        if place.released:
            return
        place.released = True
        self._places.discard(place)
        self.watchers -= 1
        if place.caller is not None:
            self._callers[place.caller] -= 1
            if not self._callers[place.caller]:
                del self._callers[place.caller]
        poller = place.poller
        if poller is not None:
            poller.watchers -= 1
            if not poller.watchers:
                poller.idle_since = time.monotonic()

    def join(self, query: Query, place: Place) -> Poller:
        """The query's poller, started if there was none; watched from
        ``place`` until it is given back."""
        with self._lock:
            poller = self._pollers.get(query)
            if poller is None:
                self._make_room()
                self._last_epoch = max(int(time.time() * 1000), self._last_epoch + 1)
                poller = self._pollers[query] = Poller(
                    lambda: self._fetch(query), self.settings, self._last_epoch, self._poll_slots, self._retire)
                poller.start()
            if not place.released:
                place.poller = poller
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
