"""What the server's replicas share: response-cache entries and their single
flight, the auth plugins' answers, the per-caller request rates.

One ``Store`` per app (``wiring(registry).shared``), chosen by ``restd.shared``:

- unset: ``memory.MemoryStore``, everything in this process (the default:
  one server, or replicas that do not share);
- ``redis://host:port/db`` (or ``RESTD_SHARED`` in the environment, as a
  container is configured): ``redis_store.RedisStore``, everything in Redis,
  namespaced by ``restd.shared.prefix``; while Redis does not answer, each
  replica goes on with a ``MemoryStore`` of its own and says so (``/readyz``,
  ``/metrics``, one log line per outage).

Its users see only the protocols below: a ``Table`` of values by key, each
for a time-to-live, with a ``Claim`` (one process computes a key's value,
the others wait for it); and a moving-window rate per key.
"""
from __future__ import annotations

from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import Any, Generic, Protocol, TypeVar

from limits import RateLimitItem

from restd_core.assembly.wiring import wiring

#: A table's keys: a table takes them and never gives them back, so one of any keys serves as one of str keys.
K = TypeVar("K", bound=Hashable, contravariant=True)
V = TypeVar("V")


@dataclass(frozen=True)
class Codec(Generic[V]):
    """How a table's values are bytes in a store outside the process.
    ``version`` goes with every value: a value of another version is not
    read (a miss), so replicas of two releases never misread each other."""

    version: int
    encode: Callable[[V], bytes]
    decode: Callable[[bytes], V]


class Claim(Protocol):
    """The right to compute one key's value, until released (``with``)."""

    def __enter__(self) -> Claim: ...

    def __exit__(self, *exc_info: object) -> None: ...


class Table(Protocol[K, V]):
    @property
    def size(self) -> int:
        """Bytes this process holds (the in-process table or fallback)."""

    def get(self, key: K) -> V | None:
        """The value, if there is one that has not expired."""

    def put(self, key: K, value: V, ttl: float) -> None:
        """Keep ``value`` for ``ttl`` seconds (not at all if ``ttl <= 0``)."""

    def claim(self, key: K) -> Claim | None:
        """The claim on ``key``, or None while another process holds it (it
        computes the value; a claim whose holder dies lapses by itself)."""


class Store(Protocol):
    #: ``in-process`` or ``redis``.
    kind: str

    def table(self, name: str, codec: Codec[V], *, max_bytes: int | None = None, max_items: int | None = None,
              size_of: Callable[[Any, V], int] | None = None) -> Table[Any, V]:
        """The table ``name``. In this process it holds at most ``max_bytes``
        (each entry counted as ``size_of(key, value)``) and ``max_items``;
        a shared store is bounded by its own memory policy."""

    def retry_after(self, item: RateLimitItem, key: str) -> int | None:
        """Count a hit of ``key`` against ``item`` (a moving window): None if
        it is within the rate, else the seconds until it would be."""

    def state(self) -> dict[str, Any]:
        """What ``/readyz`` says of the store (it may ask the store)."""

    def close(self) -> None:
        """Its connections closed (an app that ends before its process)."""


def includeme(config) -> None:
    from restd_core.shared.memory import MemoryStore
    from restd_core.shared.redis_store import RedisStore, register_metrics

    restd = wiring(config.registry)
    server = restd.settings
    url = server.shared
    if not url:
        restd.shared = MemoryStore()
        return
    store = RedisStore(url, server.shared_prefix, server.shared_timeout)
    restd.shared = store
    # At commit: the metrics registry is made by a later include.
    config.action(None, lambda: register_metrics(config.registry, store))
