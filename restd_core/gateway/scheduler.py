"""Who gets the next free worker: the gateway's workers shared between callers.

A call holds a worker's turn (``Scheduler.turn``) for as long as it runs.
When no worker is free for it, it waits in the queue, and when a worker
frees it goes to the waiting call whose caller has the fewest calls in
flight (among equals, the one that came first). So one caller alone may
use every worker while nobody else waits, and another caller's call is
served by the next worker that frees, however many the first one queued.

Two bounds keep that honest:

- A long call (a listing, one of a split listing's parts, one schedd of a
  pool-wide ``*`` request) never takes the last idle worker (unless there
  is only one): a short one (one job, a configuration value, a ping) that
  comes meanwhile is never stuck behind listings.
- One caller's calls wait at most ``queue_depth`` at a time (each waiting
  call holds a server thread); beyond that its next call is refused
  (``Throttled``, 429). A call waits no longer than its ``timeout`` (the
  request's HTCondor budget: ``Busy``, 503), nor once its client has gone
  (``ClientGone``): either way it leaves the queue at once.
"""
from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable, Hashable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from restd_core.gateway.errors import Busy, ClientGone, Throttled

#: How often a waiting (or long) call asks whether its client is still there.
GONE_POLL_SECONDS = 0.25


@dataclass(frozen=True)
class Claim:
    """Whose call asks for a worker, and what kind: ``caller`` (its key; None:
    the server's own calls and public routes, one caller together), whether
    it is ``short``, and ``gone``: whether its client has left (None: one
    that cannot tell)."""

    caller: Hashable = None
    short: bool = False
    gone: Callable[[], bool] | None = None

    def abandoned(self) -> bool:
        return self.gone is not None and self.gone()


@dataclass(eq=False)
class _Waiter:
    claim: Claim
    granted: threading.Event = field(default_factory=threading.Event)


class Scheduler:
    """Turns at ``workers`` workers; at most ``queue_depth`` waiting calls per caller."""

    def __init__(self, workers: int, queue_depth: int) -> None:
        self.workers = workers
        self.queue_depth = queue_depth
        self._lock = threading.Lock()
        self._free = workers
        self._running: Counter[Hashable] = Counter()
        self._waiting: list[_Waiter] = []  # in order of arrival

    @property
    def free(self) -> int:
        """Workers no call holds now."""
        return self._free

    @property
    def queued(self) -> int:
        """Calls waiting for a worker now."""
        return len(self._waiting)

    @contextmanager
    def turn(self, claim: Claim, timeout: float) -> Iterator[None]:
        """Within it, the call holds one worker's turn; it waits for it at
        most ``timeout`` seconds."""
        waiter = _Waiter(claim)
        with self._lock:
            self._waiting.append(waiter)
            self._dispatch()
            if not waiter.granted.is_set() and self._queued_of(claim.caller) > self.queue_depth:
                self._waiting.remove(waiter)
                raise Throttled(f"too many calls of this caller are waiting for an HTCondor worker (at most "
                                f"{self.queue_depth})", {"limit": self.queue_depth})
        self._wait(waiter, timeout)
        try:
            yield
        finally:
            with self._lock:
                self._release(claim.caller)

    def _wait(self, waiter: _Waiter, timeout: float) -> None:
        ends = time.monotonic() + timeout
        polls = GONE_POLL_SECONDS if waiter.claim.gone is not None else None
        while not waiter.granted.is_set():
            left = ends - time.monotonic()
            if left > 0 and not waiter.claim.abandoned():
                waiter.granted.wait(left if polls is None else min(left, polls))
                continue
            with self._lock:
                if waiter.granted.is_set():  # granted meanwhile: it goes on after all
                    return
                self._waiting.remove(waiter)
                if left > 0:
                    raise ClientGone("the client closed its connection while its request waited for an HTCondor "
                                     "worker")
            raise Busy(f"every HTCondor worker stayed busy for {timeout:g} s", {"timeout": timeout})

    def _queued_of(self, caller: Hashable) -> int:
        return sum(1 for waiter in self._waiting if waiter.claim.caller == caller)

    def _may_take(self, claim: Claim) -> bool:
        """A long call leaves the last idle worker (but the only one) to short calls."""
        return self._free > (0 if claim.short or self.workers == 1 else 1)

    def _dispatch(self) -> None:
        """Give the free workers to the waiting calls whose callers have the
        fewest calls in flight (among equals, the first to come)."""
        while self._free:
            chosen = min((waiter for waiter in self._waiting if self._may_take(waiter.claim)),
                         key=lambda waiter: self._running[waiter.claim.caller], default=None)
            if chosen is None:
                return
            self._waiting.remove(chosen)
            self._free -= 1
            self._running[chosen.claim.caller] += 1
            chosen.granted.set()

    def _release(self, caller: Hashable) -> None:
        self._free += 1
        self._running[caller] -= 1
        if not self._running[caller]:
            del self._running[caller]
        self._dispatch()
