"""One call per key at a time, shared by the callers that ask meanwhile.

``SingleFlight().run(key, make)``: the first caller of a key (the leader)
runs ``make()``; the callers of the same key while it runs wait for it and
get its answer, or a copy of its error (one shared exception would chain
every waiter's traceback, and its request, to the others'). The core's one
single flight: the response cache's (identical requests, one HTCondor
query) and the kbase plugin's (one token, one call to auth2).
"""
from __future__ import annotations

import copy
import threading
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class _Flight(Generic[V]):
    def __init__(self) -> None:
        self.done = threading.Event()
        self.answer: tuple[V] | None = None
        self.error: BaseException | None = None


class SingleFlight(Generic[K, V]):
    """The flights in progress, by key. ``lock`` guards them; a caller that
    keeps accounts of its own under the same lock (``joining``) passes it."""

    def __init__(self, lock: threading.Lock | None = None) -> None:
        self.lock = lock or threading.Lock()
        self._flights: dict[K, _Flight[V]] = {}

    def run(self, key: K, make: Callable[[], V], joining: Callable[[bool], None] | None = None) -> V:
        """``make()``'s answer, made once for the callers of ``key`` at the
        same time. ``joining(leader)`` is told, under ``lock``, whether this
        caller makes it or waits (it may refuse the caller by raising)."""
        with self.lock:
            flight = self._flights.get(key)
            leader = flight is None
            if joining is not None:
                joining(leader)
            if flight is None:
                flight = self._flights[key] = _Flight()
        if not leader:
            flight.done.wait()  # as long as the leader's call takes, within its own bounds
            if flight.error is not None:
                raise copy.copy(flight.error).with_traceback(None) from None
            assert flight.answer is not None
            return flight.answer[0]
        try:
            flight.answer = (make(),)
            return flight.answer[0]
        except BaseException as exc:  # e.g. HTCondor timed out: the waiters get the same answer
            flight.error = exc
            raise
        finally:
            with self.lock:
                del self._flights[key]
            flight.done.set()
