"""At most so many requests of one caller inside HTCondor calls at once.

The gateway has a few worker processes; a caller that sends many slow
requests at once would hold them all, and every other caller would wait.
A request takes one of its caller's slots at its first HTCondor call (a
request answered from the cache takes none) and gives it back when it
ends; a request that finds none free is refused at once (``Throttled``,
429), never queued behind the others. A request that makes several calls
at the same time (every schedd at once) takes one more of its caller's
slots for each call beyond its first (``more_slots``): slots count workers,
so a caller's few requests cannot hold every worker between them.
"""
from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from .errors import Throttled


class CallerSlots:
    """``per_caller`` slots for each caller key."""

    def __init__(self, per_caller: int) -> None:
        self.per_caller = per_caller
        self._lock = threading.Lock()
        self._taken: Counter[str] = Counter()

    def take(self, key: str) -> bool:
        with self._lock:
            if self._taken[key] >= self.per_caller:
                return False
            self._taken[key] += 1
            return True

    def give_back(self, key: str) -> None:
        with self._lock:
            self._taken[key] -= 1
            if not self._taken[key]:
                del self._taken[key]


class _Ticket:
    """One request's claim on its caller's slots; ``key()`` is asked at the
    first call (the caller is known by then)."""

    def __init__(self, key: Callable[[], str | None], slots: CallerSlots) -> None:
        self._key = key
        self._slots = slots
        self._lock = threading.Lock()
        self._held: str | None = None
        self._admitted = False
        self._more = 0

    def admit(self) -> None:
        with self._lock:
            if self._admitted:
                return
            key = self._key()
            if key is not None:
                if not self._slots.take(key):
                    raise Throttled(
                        f"too many HTCondor calls of this caller at once (at most {self._slots.per_caller})",
                        {"limit": self._slots.per_caller},
                    )
                self._held = key
            self._admitted = True

    @property
    def limited(self) -> bool:
        return self._held is not None

    def take_more(self, wanted: int) -> int:
        """Up to ``wanted`` more of the admitted caller's slots, as many as
        are free (none if it is not limited); how many it got."""
        with self._lock:
            got = 0
            while self._held is not None and got < wanted and self._slots.take(self._held):
                got += 1
            self._more += got
            return got

    def give_more_back(self, count: int) -> None:
        with self._lock:
            count = min(count, self._more)  # none once the request's slots are all given back
            self._more -= count
            for _ in range(count):
                self._slots.give_back(self._held)

    def release(self) -> None:
        with self._lock:
            if self._held is not None:
                for _ in range(self._more + 1):
                    self._slots.give_back(self._held)
                self._held = None
                self._more = 0


_ticket: ContextVar[_Ticket | None] = ContextVar("restd_gateway_caller", default=None)


@contextmanager
def caller(key: Callable[[], str | None], slots: CallerSlots | None) -> Iterator[None]:
    """Within it, gateway calls count against ``key()``'s slots (None: a
    caller without a key, or no ``slots``, is not limited)."""
    if slots is None:
        yield
        return
    ticket = _Ticket(key, slots)
    token = _ticket.set(ticket)
    try:
        yield
    finally:
        _ticket.reset(token)
        ticket.release()


def admit() -> None:
    """Take the current request's slot, if it has not yet (``Throttled`` if none is free)."""
    ticket = _ticket.get()
    if ticket is not None:
        ticket.admit()


@contextmanager
def more_slots(wanted: int) -> Iterator[int]:
    """Within it, up to ``wanted`` more of the current (admitted) request's
    caller's slots, for calls beyond its first made at the same time: how
    many it may make (``wanted`` for a caller that is not limited)."""
    ticket = _ticket.get()
    if ticket is None or not ticket.limited:
        yield max(wanted, 0)
        return
    got = ticket.take_more(wanted)
    try:
        yield got
    finally:
        ticket.give_more_back(got)
