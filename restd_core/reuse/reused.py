"""A value made again at most once per ``ttl`` seconds, by one caller at a time.

``Reused(make, ttl).get()`` is the core's one way to keep a value fresh
(the ``RESTD_*`` knobs, ``/readyz``'s answer, the pool gauges): ``make()``
runs at most once at a time, and at most once per ``ttl`` whether it
answered or failed (a flood of callers while a daemon is down costs one
try per ``ttl``). While a fresh value is made, the other callers get the
previous one, or wait for the fresh one (``wait=True``: an answer that must
say how things are now). With ``behind=True`` the fresh value is made in a
thread of its own and the caller that found it old takes the previous one
too: no caller waits for ``make()`` but the first ones, before there is any
value. A ``make()`` that fails keeps the previous value (a failure made
behind is logged); with none yet, its error goes to the caller that made it.
"""
from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Generic, TypeVar

log = logging.getLogger(__name__)

T = TypeVar("T")


class Reused(Generic[T]):
    def __init__(self, make: Callable[[], T], ttl: float, *, wait: bool = False, behind: bool = False,
                 clock: Callable[[], float] = time.monotonic, name: str = "value") -> None:
        self._make, self._ttl, self._wait, self._behind, self._clock = make, ttl, wait, behind, clock
        self._name = name
        self._condition = threading.Condition()
        self._value: tuple[T] | None = None  # a tuple: a value may be None
        self._tried_at = float("-inf")
        self._making = False

    def get(self) -> T:
        with self._condition:
            while True:
                value = self._value
                fresh = self._clock() - self._tried_at < self._ttl
                if value is not None and (fresh or (self._making and not self._wait)):
                    return value[0]
                if not self._making:
                    self._making = True
                    break
                self._condition.wait()
        if value is not None and self._behind:
            threading.Thread(target=self._make_behind, name=f"restd-reused-{self._name}", daemon=True).start()
            return value[0]
        return self._made()

    def _made(self) -> T:
        made: tuple[T] | None = None
        try:
            made = (self._make(),)
            return made[0]
        finally:
            with self._condition:
                self._making = False
                self._tried_at = self._clock()
                if made is not None:
                    self._value = made
                self._condition.notify_all()

    def _make_behind(self) -> None:
        try:
            self._made()
        except Exception:
            log.exception("the %s could not be made again; the previous one is kept", self._name)
