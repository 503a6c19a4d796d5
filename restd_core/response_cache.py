"""A response cache in front of the gateway, with single flight and ETags.

Many dashboards polling the same query must not multiply the load on the
schedd: identical requests within the time-to-live are answered from memory,
and identical requests that arrive while the first is being answered wait
for it instead of querying again (single flight). The key is everything that
changes the answer: the path, the query string (sorted) and the caller's
identity (an auth plugin may answer differently per caller). Entries are
bounded in bytes, oldest out first. Only 200 answers are stored; waiting
requests share whatever the first one got, so an outage costs one timeout,
not one per waiter.

A view takes part by the view option ``restd_cache`` (the names of its
query parameters, which with the path are the key; ``read_service`` sets
it). Entries are counted with their keys, and expired ones go first. The
deriver sits
inside Pyramid's security check, so a cached answer is only ever served to
a caller the policy let through. Every such answer carries an ``ETag`` and
honours ``If-None-Match`` with 304.
"""
from __future__ import annotations

import copy
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any, Callable, Iterator

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from pyramid.request import Request
from pyramid.response import Response

from .gateway import admit
from .responses import etag_of
from .settings import ServerSettings

_KEPT_HEADERS = ("Content-Type", "Link")

CacheKey = tuple[Any, ...]


@dataclass(frozen=True)
class Snapshot:
    """What is kept of a response: enough to answer again."""

    status: int
    body: bytes
    headers: tuple[tuple[str, str], ...]
    etag: str

    @classmethod
    def of(cls, response: Response) -> Snapshot:
        body = response.body
        headers = tuple((name, response.headers[name]) for name in _KEPT_HEADERS if name in response.headers)
        return cls(response.status_int, body, headers, etag_of(response))

    def response(self) -> Response:
        response = Response(body=self.body, status=self.status, headerlist=list(self.headers), charset=None)
        if self.status == 200:
            set_etag(response, self.etag)
        return response


def set_etag(response: Response, etag: str) -> None:
    """Tag the answer and let WebOb answer 304 to a matching If-None-Match."""
    response.etag = etag
    response.conditional_response = True


def tagged(response: Response) -> Response:
    """``response`` with its ETag honoured, when it is a 200 answered
    without the cache."""
    if response.status_int == 200:
        set_etag(response, etag_of(response))
    return response


@dataclass
class _Entry:
    snapshot: Snapshot
    expires: float
    size: int


@dataclass
class _Flight:
    done: threading.Event = field(default_factory=threading.Event)
    snapshot: Snapshot | None = None
    error: BaseException | None = None


class ResponseCache:
    """Snapshots by key, each for ``ttl`` seconds, at most ``max_bytes`` in all."""

    def __init__(self, max_bytes: int = ServerSettings.cache_max_bytes,
                 max_entry_bytes: int = ServerSettings.cache_max_entry_bytes,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.max_bytes = max_bytes
        #: An answer larger than this is neither kept nor shared: it is sent
        #: as it comes (a spooled listing), never copied into memory whole.
        self.max_entry_bytes = min(max_entry_bytes, max_bytes)
        self._clock = clock
        self._lock = threading.Lock()
        self._entries: OrderedDict[CacheKey, _Entry] = OrderedDict()
        self._flights: dict[CacheKey, _Flight] = {}
        self.size = 0
        self.hits = 0
        self.misses = 0

    def fetch(self, key: CacheKey, ttl: float, compute: Callable[[], Response]) -> Response:
        """The cached answer for ``key``, or ``compute()``'s, made once for
        all the callers that ask at the same time (but an answer too large
        to keep: then each waiter makes its own)."""
        with self._lock:
            entry = self._entries.get(key)
            if entry is not None and entry.expires > self._clock():
                self.hits += 1
                return entry.snapshot.response()
            flight = self._flights.get(key)
            leader = flight is None
            if leader:
                flight = self._flights[key] = _Flight()
                self.misses += 1
            else:
                self.hits += 1
        if not leader:
            # A waiter holds a server thread as long as the leader's HTCondor
            # calls run: it takes one of its caller's slots as if it made them.
            admit()
            flight.done.wait()
            if flight.error is not None:
                # A copy each: one shared exception would chain every
                # waiter's traceback (and request) to the others'.
                raise copy.copy(flight.error).with_traceback(None) from None
            return flight.snapshot.response() if flight.snapshot is not None else compute()
        try:
            response = compute()
            if (response.content_length or 0) > self.max_entry_bytes:
                return tagged(response)
            flight.snapshot = Snapshot.of(response)
            if flight.snapshot.status == 200:
                self._store(key, flight.snapshot, ttl)
            return flight.snapshot.response()
        except BaseException as exc:  # e.g. HTCondor timed out: the waiters get the same answer
            flight.error = exc
            raise
        finally:
            with self._lock:
                del self._flights[key]
            flight.done.set()

    def _store(self, key: CacheKey, snapshot: Snapshot, ttl: float) -> None:
        size = entry_bytes(key, snapshot)
        if size > self.max_bytes:
            return
        with self._lock:
            now = self._clock()
            old = self._entries.pop(key, None)
            if old is not None:
                self.size -= old.size
            # Expired entries go first, then the oldest while over the bound.
            while self._entries and (next(iter(self._entries.values())).expires <= now
                                     or self.size + size > self.max_bytes):
                _, evicted = self._entries.popitem(last=False)
                self.size -= evicted.size
            self._entries[key] = _Entry(snapshot, now + ttl, size)
            self.size += size


#: What an entry costs besides its body and its key's text (objects, headers).
ENTRY_OVERHEAD_BYTES = 512


def entry_bytes(key: CacheKey, snapshot: Snapshot) -> int:
    """The bytes an entry is counted as: its body, its key, and the rest."""
    return len(snapshot.body) + len(repr(key)) + ENTRY_OVERHEAD_BYTES


def cache_key(request: Request, parameters: frozenset[str]) -> CacheKey:
    """What the answer depends on: the path, the view's own query
    ``parameters`` (others it ignores, and a caller may invent any number of
    them), and the caller."""
    query = sorted((name, value) for name, value in request.GET.items() if name in parameters)
    return (request.method, request.path, tuple(query), request.authenticated_userid)


def cache_ttl(request: Request) -> float:
    """The ini's ``restd.cache.ttl`` if set, else HTCondor's RESTD_CACHE_TTL."""
    configured = request.registry.restd_settings.cache_ttl
    return configured if configured is not None else request.condor_settings.cache_ttl


def cached_view(view, info):
    """``restd_cache``: the names of the view's query parameters (or True
    for a view that takes none)."""
    option = info.options.get("restd_cache")
    if not option:
        return view
    parameters = frozenset(() if option is True else option)

    def wrapper(context, request: Request) -> Response:
        ttl = cache_ttl(request) if request.method in ("GET", "HEAD") else 0.0
        if ttl > 0:
            key = cache_key(request, parameters)
            return request.registry.response_cache.fetch(key, ttl, lambda: view(context, request))
        return tagged(view(context, request))

    return wrapper


cached_view.options = ("restd_cache",)


class _CacheCounters:
    """Prometheus view of a cache's counters (read when scraped)."""

    def __init__(self, cache: ResponseCache) -> None:
        self._cache = cache

    def collect(self) -> Iterator[Metric]:
        yield CounterMetricFamily("restd_cache_hits", "Answers served from the response cache (or a shared flight)", value=self._cache.hits)
        yield CounterMetricFamily("restd_cache_misses", "Answers the response cache had to compute", value=self._cache.misses)
        yield GaugeMetricFamily("restd_cache_bytes", "Bytes of answers held in the response cache", value=self._cache.size)


def includeme(config) -> None:
    server = config.registry.restd_settings
    cache = ResponseCache(server.cache_max_bytes, server.cache_max_entry_bytes)
    config.registry.response_cache = cache
    config.add_view_deriver(cached_view)
    metrics = getattr(config.registry, "metrics", None)
    if metrics is not None:
        metrics.registry.register(_CacheCounters(cache))
