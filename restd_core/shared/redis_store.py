"""The shared store in Redis (``restd.shared = redis://host:port/db``), with
an in-process fallback.

Every key is ``<prefix><table>:<SHA-256 of the key>`` (a cache key holds a
user id, an auth answer's key derives from a token: neither is written in
clear), every value starts with its table's format version. Entries expire
by Redis's own TTL (``PX``), so no replica serves one past it; the total is
bounded by Redis's ``maxmemory`` and its eviction policy (``allkeys-lru``:
``scripts/redis.sh``, ``docker-compose.yml``). A claim is a key set with
``NX`` and a short expiry that its holder renews while it computes: a
holder that dies (SIGKILL, a lost machine) lets it lapse within
``CLAIM_SECONDS``, and a waiting replica takes over. Rates are ``limits``'
moving windows in Redis (its ``RedisStorage``, over the same connections).

Redis down, slow (short socket timeouts) or restarted: the operation fails
over to this process's own ``MemoryStore`` (its tables bounded as without
Redis), the outage is logged once and counted, ``/readyz`` says so, and
Redis is tried again at most every ``RETRY_SECONDS``; when it answers, the
replicas share again.
"""
from __future__ import annotations

import hashlib
import logging
import threading
import time
import uuid
from collections.abc import Callable, Hashable, Iterator
from typing import Any, Generic, TypeVar

import redis
from limits import RateLimitItem
from limits.storage import RedisStorage
from limits.strategies import MovingWindowRateLimiter
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from redis.backoff import NoBackoff
from redis.retry import Retry

from restd_core.assembly.settings import SettingError
from restd_core.assembly.wiring import wiring
from restd_core.shared import Codec
from restd_core.shared.memory import MemoryStore, MemoryTable, window_retry_after

log = logging.getLogger(__name__)

T = TypeVar("T")
V = TypeVar("V")

SETTING = "restd.shared"
SCHEMES = ("redis://", "rediss://", "unix://")
#: Seconds a claim lasts past its holder's last renewal (renewed every third of it).
CLAIM_SECONDS = 3.0
#: While Redis does not answer, it is tried again at most this often.
RETRY_SECONDS = 1.0
#: What a failing Redis raises (a socket error may come through as itself).
FAILURES = (redis.RedisError, OSError)

_RENEW = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('pexpire', KEYS[1], ARGV[2]) end return 0"
_RELEASE = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end return 0"


class Health:
    """Whether Redis answers, as the last operation found; the outage logged
    once, and how many operations the fallback answered."""

    def __init__(self, where: str, clock: Callable[[], float] = time.monotonic) -> None:
        self.where = where
        self.clock = clock
        self.up = True
        self.outages = 0
        self.fallbacks = 0
        self._down_since = 0.0
        self._retry_at = 0.0
        self._lock = threading.Lock()

    def attempt(self, action: Callable[[], T], fallback: Callable[[], T]) -> T:
        """``action()`` against Redis, or ``fallback()`` if it fails (or
        failed less than ``RETRY_SECONDS`` ago)."""
        if not self.up and self.clock() < self._retry_at:
            self.fallbacks += 1
            return fallback()
        try:
            result = action()
        except FAILURES as exc:
            self._failed(exc)
            self.fallbacks += 1
            return fallback()
        if not self.up:
            self._recovered()
        return result

    def _failed(self, exc: BaseException) -> None:
        with self._lock:
            self._retry_at = self.clock() + RETRY_SECONDS
            if self.up:
                self.up = False
                self.outages += 1
                self._down_since = self.clock()
                log.warning("shared store %s does not answer (%s: %s): this replica answers from its own "
                            "in-process cache and limits until it does", self.where, type(exc).__name__, exc)

    def _recovered(self) -> None:
        with self._lock:
            if not self.up:
                self.up = True
                log.warning("shared store %s answers again after %.1f s: sharing again",
                            self.where, self.clock() - self._down_since)


def digest(key: Hashable) -> str:
    return hashlib.sha256(repr(key).encode()).hexdigest()


class _RedisClaim:
    """A claim key this process holds, renewed by a thread until released."""

    def __init__(self, store: RedisStore, key: str, token: str) -> None:
        self._store, self._key, self._token = store, key, token
        self._released = threading.Event()
        threading.Thread(target=self._renew, name="restd-claim", daemon=True).start()

    def _renew(self) -> None:
        while not self._released.wait(CLAIM_SECONDS / 3):
            self._store.health.attempt(
                lambda: self._store.renew(keys=[self._key], args=[self._token, int(CLAIM_SECONDS * 1000)]),
                lambda: None)

    def __enter__(self) -> _RedisClaim:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._released.set()
        self._store.health.attempt(lambda: self._store.release(keys=[self._key], args=[self._token]), lambda: None)


class RedisTable(Generic[V]):
    """A table in Redis, falling back to ``local`` while Redis fails."""

    def __init__(self, store: RedisStore, name: str, codec: Codec[V], local: MemoryTable[Any, V]) -> None:
        self._store = store
        self._prefix = f"{store.prefix}{name}:"
        self._codec = codec
        self._header = b"%d\n" % codec.version
        self.local = local

    @property
    def size(self) -> int:
        return self.local.size

    def get(self, key: Hashable) -> V | None:
        return self._store.health.attempt(lambda: self._get(key), lambda: self.local.get(key))

    def _get(self, key: Hashable) -> V | None:
        data = self._store.client.get(self._prefix + digest(key))
        if not isinstance(data, bytes) or not data.startswith(self._header):
            return None  # absent (None), expired, or another release's format
        try:
            return self._codec.decode(data[len(self._header):])
        except Exception:  # a value this release cannot read (whoever wrote it) is a miss, never a 500
            log.warning("shared store %s: a value of table %s cannot be read; ignored", self._store.health.where,
                        self._prefix)
            return None

    def put(self, key: Hashable, value: V, ttl: float) -> None:
        if ttl <= 0:
            return
        data = self._header + self._codec.encode(value)
        self._store.health.attempt(
            lambda: self._store.client.set(self._prefix + digest(key), data, px=max(1, round(ttl * 1000))),
            lambda: self.local.put(key, value, ttl))

    def claim(self, key: Hashable) -> Any:
        return self._store.health.attempt(lambda: self._claim(key), lambda: self.local.claim(key))

    def _claim(self, key: Hashable) -> _RedisClaim | None:
        name, token = f"{self._prefix}claim:{digest(key)}", uuid.uuid4().hex
        if not self._store.client.set(name, token, nx=True, px=int(CLAIM_SECONDS * 1000)):
            return None
        return _RedisClaim(self._store, name, token)


def address_of(url: str) -> str:
    """Where the URL points, without its credentials (for the log)."""
    options = redis.ConnectionPool.from_url(url).connection_kwargs
    if "path" in options:
        return f"unix:{options['path']}"
    return f"{options.get('host', 'localhost')}:{options.get('port', 6379)}/{options.get('db', 0)}"


class RedisStore:
    """Tables and rates in Redis at ``url`` under ``prefix``; each socket
    operation waits at most ``timeout`` seconds."""

    kind = "redis"

    def __init__(self, url: str, prefix: str, timeout: float) -> None:
        if not url.startswith(SCHEMES):
            raise SettingError(f"setting {SETTING} must be a URL starting with {', '.join(SCHEMES)}")
        self.prefix = prefix
        # One attempt more on a fresh connection (after a Redis restart the
        # pooled ones are dead), no back-off: a failure must fail fast. Reads
        # of up to 1 MiB at once: large cached answers come faster than in the
        # default 64 KiB pieces (bench/README.md).
        self.client = redis.Redis.from_url(url, socket_timeout=timeout, socket_connect_timeout=timeout,
                                           retry=Retry(NoBackoff(), 1), socket_read_size=1024 * 1024)
        self.health = Health(address_of(url))
        self.local = MemoryStore()
        self.renew = self.client.register_script(_RENEW)
        self.release = self.client.register_script(_RELEASE)
        storage = RedisStorage(url, connection_pool=self.client.connection_pool, key_prefix=f"{prefix}limits")
        self._limiter = MovingWindowRateLimiter(storage)

    def table(self, name: str, codec: Codec[V], *, max_bytes: int | None = None, max_items: int | None = None,
              size_of: Callable[[Any, V], int] | None = None) -> RedisTable[V]:
        return RedisTable(self, name, codec, self.local.table(name, codec, max_bytes=max_bytes,
                                                              max_items=max_items, size_of=size_of))

    def retry_after(self, item: RateLimitItem, key: str) -> int | None:
        return self.health.attempt(lambda: window_retry_after(self._limiter, item, digest(key)),
                                   lambda: self.local.retry_after(item, key))

    def state(self) -> dict[str, Any]:
        if self.health.attempt(lambda: bool(self.client.ping()), lambda: False):
            return {"backend": self.kind, "state": "connected"}
        return {"backend": self.kind, "state": "unreachable", "fallback": "in-process"}

    def close(self) -> None:
        self.client.close()


class _SharedStoreMetrics:
    """Prometheus view of the store's health (read when scraped)."""

    def __init__(self, store: RedisStore) -> None:
        self._health = store.health

    def collect(self) -> Iterator[Metric]:
        yield GaugeMetricFamily("restd_shared_store_up", "1 while the shared store (Redis) answers, 0 while this "
                                "replica answers from its in-process fallback", value=int(self._health.up))
        yield CounterMetricFamily("restd_shared_store_outages", "Times the shared store stopped answering",
                                  value=self._health.outages)
        yield CounterMetricFamily("restd_shared_store_fallbacks", "Operations answered by the in-process fallback "
                                  "because the shared store did not", value=self._health.fallbacks)


def register_metrics(registry, store: RedisStore) -> None:
    wiring(registry).metrics.registry.register(_SharedStoreMetrics(store))
