"""The in-process store: a process's own tables and rates (``restd.shared``
unset), and a shared store's fallback while it does not answer."""
from __future__ import annotations

import math
import os
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from limits import RateLimitItem
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter

from restd_core.shared import Codec

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


@dataclass
class _Entry(Generic[V]):
    value: V
    expires: float
    size: int


class _MemoryClaim:
    def __init__(self, table: MemoryTable, key: Hashable) -> None:
        self._table, self._key = table, key

    def __enter__(self) -> _MemoryClaim:
        return self

    def __exit__(self, *exc_info: object) -> None:
        with self._table.lock:
            self._table.claimed.discard(self._key)


class MemoryTable(Generic[K, V]):
    """Values by key, each for its ``ttl`` seconds of ``clock``; at most
    ``max_bytes`` (``size_of`` each) and ``max_items``: expired entries go
    first, then the oldest."""

    def __init__(self, max_bytes: int | None = None, max_items: int | None = None,
                 size_of: Callable[[K, V], int] | None = None, clock: Callable[[], float] = time.monotonic) -> None:
        self.max_bytes = max_bytes
        self.max_items = max_items
        self.size_of = size_of
        self.clock = clock
        self.lock = threading.Lock()
        self._entries: OrderedDict[K, _Entry[V]] = OrderedDict()
        self.claimed: set[K] = set()
        self.size = 0

    def get(self, key: K) -> V | None:
        with self.lock:
            entry = self._entries.get(key)
            return entry.value if entry is not None and entry.expires > self.clock() else None

    def put(self, key: K, value: V, ttl: float) -> None:
        if ttl <= 0:
            return
        size = self.size_of(key, value) if self.size_of is not None else 0
        if self.max_bytes is not None and size > self.max_bytes:
            return
        with self.lock:
            now = self.clock()
            old = self._entries.pop(key, None)
            if old is not None:
                self.size -= old.size
            while self._entries and (next(iter(self._entries.values())).expires <= now or self._full(size)):
                _, evicted = self._entries.popitem(last=False)
                self.size -= evicted.size
            self._entries[key] = _Entry(value, now + ttl, size)
            self.size += size

    def _full(self, adding: int) -> bool:
        return ((self.max_bytes is not None and self.size + adding > self.max_bytes)
                or (self.max_items is not None and len(self._entries) >= self.max_items))

    def claim(self, key: K) -> _MemoryClaim | None:
        with self.lock:
            if key in self.claimed:
                return None
            self.claimed.add(key)
        return _MemoryClaim(self, key)


def window_retry_after(limiter: MovingWindowRateLimiter, item: RateLimitItem, key: str) -> int | None:
    """A hit of ``key`` against ``item``: None if within the rate, else the
    seconds until it would be (at least 1)."""
    if limiter.hit(item, key):
        return None
    reset = limiter.get_window_stats(item, key).reset_time
    return max(1, math.ceil(reset - time.time()))


class MemoryStore:
    """Everything in this process."""

    kind = "in-process"

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self._limiter: MovingWindowRateLimiter | None = None
        self._pid = 0

    def table(self, name: str, codec: Codec[V], *, max_bytes: int | None = None, max_items: int | None = None,
              size_of: Callable[[Any, V], int] | None = None) -> MemoryTable[Any, V]:
        return MemoryTable(max_bytes, max_items, size_of, self.clock)

    @property
    def limiter(self) -> MovingWindowRateLimiter:
        """Its storage keeps a timer thread: made in the process that serves, on first use."""
        limiter = self._limiter
        if limiter is None or self._pid != os.getpid():
            limiter = self._limiter = MovingWindowRateLimiter(MemoryStorage())
            self._pid = os.getpid()
        return limiter

    def retry_after(self, item: RateLimitItem, key: str) -> int | None:
        return window_retry_after(self.limiter, item, key)

    def state(self) -> dict[str, Any]:
        return {"backend": self.kind}

    def close(self) -> None:
        pass
