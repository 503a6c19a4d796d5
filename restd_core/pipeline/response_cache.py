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
honours ``If-None-Match`` with 304 (``*`` too: ``revalidated``). An entry
keeps its body compressed in each of the server's codings too, made once
when it is stored and counted in its bytes (``restd_core.pipeline.compression``): a
hit compresses nothing.

Where the entries are is the shared store's business (``restd_core.shared``):
in this process by default; with ``restd.shared``, in Redis, where every
replica finds them, and where a claim makes one replica compute an answer
while the others poll for it (never past their HTCondor budget: 503) or take
over when the claim lapses (its holder died or failed).
"""
from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import Any, Callable, Iterator, cast

import orjson
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from pyramid.request import Request
from pyramid.response import Response
from webob.etag import AnyETag

from restd_core.assembly.settings import ServerSettings
from restd_core.assembly.wiring import wiring
from restd_core.gateway import Timeout, time_left
from restd_core.pipeline.compression import Compression, VariantsResponse
from restd_core.plugin_api.responses import etag_of
from restd_core.reuse.single_flight import SingleFlight
from restd_core.shared import Codec, Store, Table
from restd_core.shared.memory import MemoryStore

_KEPT_HEADERS = ("Content-Type", "Link")

CacheKey = tuple[Any, ...]


@dataclass(frozen=True)
class Snapshot:
    """What is kept of a response: enough to answer again."""

    status: int
    body: bytes
    headers: tuple[tuple[str, str], ...]
    etag: str
    #: The body in each of the server's codings, by name (none for an answer not worth compressing).
    variants: tuple[tuple[str, bytes], ...] = ()

    @classmethod
    def of(cls, response: Response, compression: Compression | None = None) -> Snapshot:
        """What is kept of ``response``, with its body in ``compression``'s codings."""
        body = response.body
        headers = tuple((name, response.headers[name]) for name in _KEPT_HEADERS if name in response.headers)
        variants = compression.variants(response) if compression is not None else {}
        return cls(response.status_int, body, headers, etag_of(response), tuple(variants.items()))

    def response(self) -> Response:
        response = VariantsResponse(body=self.body, status=self.status, headerlist=list(self.headers), charset=None,
                                    variants=dict(self.variants))
        if self.status == 200:
            set_etag(response, self.etag)
        return response


def set_etag(response: Response, etag: str) -> None:
    """Tag the answer and let WebOb answer 304 to a matching If-None-Match.
    The tag is weak (``W/``): it is made without the schedd's ``ServerTime``
    (``server_time``), so two answers that differ only there share it."""
    response.etag = (etag, False)
    response.conditional_response = True


def tagged(response: Response) -> Response:
    """``response`` with its ETag honoured, when it is a 200 answered
    without the cache."""
    if response.status_int == 200:
        set_etag(response, etag_of(response))
    return response


def revalidated(request: Request, response: Response) -> Response:
    """``response``, or a 304 when ``If-None-Match`` matches its ETag or is
    ``*`` (RFC 9110 13.1.2: any current representation matches; WebOb takes
    it for "no condition"), with the 200's headers but its content's (its
    body is never read). Made here rather than by WebOb as it sends the
    answer: a spooled listing's spools go now, and a matching compressed
    answer is not compressed (``compression.Compression.encoded``)."""
    if (response.status_int != 200 or request.method not in ("GET", "HEAD") or not response.etag
            or (request.if_none_match is not AnyETag and response.etag not in request.if_none_match)):
        return response
    close = getattr(response.app_iter, "close", None)
    if close is not None:  # a spooled listing: its spools go now
        close()
    return Response(status=304, charset=None, headerlist=[
        (name, value) for name, value in response.headerlist if name.lower() not in ("content-length", "content-type")])


def encode_snapshot(snapshot: Snapshot) -> bytes:
    """A snapshot as bytes for a shared store: its header as JSON (one
    line: the variants' names and sizes), then its body, then its variants."""
    header = orjson.dumps({"status": snapshot.status, "headers": snapshot.headers, "etag": snapshot.etag,
                           "variants": [(name, len(data)) for name, data in snapshot.variants]})
    return b"".join((header, b"\n", snapshot.body, *(data for _, data in snapshot.variants)))


def decode_snapshot(data: bytes) -> Snapshot:
    header, _, rest = data.partition(b"\n")
    fields = orjson.loads(header)
    at = len(rest) - sum(size for _, size in fields["variants"])
    body, variants = rest[:at], []
    for name, size in fields["variants"]:
        variants.append((name, rest[at:at + size]))
        at += size
    return Snapshot(fields["status"], body, tuple(tuple(pair) for pair in fields["headers"]), fields["etag"],
                    tuple(variants))


SNAPSHOTS = Codec(version=2, encode=encode_snapshot, decode=decode_snapshot)

#: Seconds between two looks at the shared store while another process
#: makes the answer this one waits for.
FLIGHT_POLL_SECONDS = 0.05


class ResponseCache:
    """Snapshots by key, each for ``ttl`` seconds, in ``store``'s table
    ``cache`` (in this process: at most ``max_bytes`` in all), with their
    bodies in ``compression``'s codings."""

    def __init__(self, max_bytes: int = ServerSettings.cache_max_bytes,
                 max_entry_bytes: int = ServerSettings.cache_max_entry_bytes,
                 clock: Callable[[], float] = time.monotonic, store: Store | None = None,
                 compression: Compression | None = None) -> None:
        self._compression = compression
        self.max_bytes = max_bytes
        #: An answer larger than this is neither kept nor shared: it is sent
        #: as it comes (a spooled listing), never copied into memory whole.
        self.max_entry_bytes = min(max_entry_bytes, max_bytes)
        self._entries: Table[CacheKey, Snapshot] = (store or MemoryStore(clock)).table(
            "cache", SNAPSHOTS, max_bytes=max_bytes, size_of=entry_bytes)
        self._lock = threading.Lock()
        self._flights: SingleFlight[CacheKey, tuple[Response, Snapshot | None]] = SingleFlight(self._lock)
        self.hits = 0
        self.misses = 0

    @property
    def size(self) -> int:
        """Bytes of entries in this process."""
        return self._entries.size

    def fetch(self, key: CacheKey, ttl: float, compute: Callable[[], Response]) -> Response:
        """The cached answer for ``key``, or ``compute()``'s, made once for
        all the callers that ask at the same time, in this process and (with
        a shared store) in the others (but an answer too large to keep: then
        each waiter makes its own)."""
        snapshot = self._entries.get(key)
        if snapshot is not None:
            self._count(hit=True)
            return snapshot.response()
        leads: list[bool] = []

        def joining(leader: bool) -> None:  # under the lock of the counts
            leads.append(leader)
            if not leader:
                self.hits += 1

        # A waiter takes no worker's turn (the leader's calls are the only
        # ones made); it waits as long as they take, within their budget.
        response, snapshot = self._flights.run(key, lambda: self._lead(key, ttl, compute), joining)
        if leads[0]:
            return response
        return snapshot.response() if snapshot is not None else compute()

    def _lead(self, key: CacheKey, ttl: float, compute: Callable[[], Response]) -> tuple[Response, Snapshot | None]:
        """This process's one request for ``key``: the answer stored
        meanwhile, or the one another process is making (waited for within
        the request's HTCondor budget), or ``compute()``'s, stored."""
        while (claim := self._entries.claim(key)) is None:  # another process is making it
            left = time_left()
            if left is not None and left <= 0:
                raise Timeout("another server's answer to this request did not come within the HTCondor budget")
            time.sleep(FLIGHT_POLL_SECONDS if left is None else min(FLIGHT_POLL_SECONDS, left))
            if (snapshot := self._entries.get(key)) is not None:
                self._count(hit=True)
                return snapshot.response(), snapshot
        with claim:  # released once the answer is stored: waiters find it
            if (snapshot := self._entries.get(key)) is not None:  # stored before this claim
                self._count(hit=True)
                return snapshot.response(), snapshot
            self._count(hit=False)
            response = compute()
            if (response.content_length or 0) > self.max_entry_bytes:
                return tagged(response), None
            snapshot = Snapshot.of(response, self._compression)
            if snapshot.status == 200:
                self._entries.put(key, snapshot, ttl)
            return snapshot.response(), snapshot

    def _count(self, hit: bool) -> None:
        with self._lock:
            if hit:
                self.hits += 1
            else:
                self.misses += 1


#: What an entry costs besides its body and its key's text (objects, headers).
ENTRY_OVERHEAD_BYTES = 512


def entry_bytes(key: CacheKey, snapshot: Snapshot) -> int:
    """The bytes an entry is counted as: its body and its variants, its key, and the rest."""
    return (len(snapshot.body) + sum(len(data) for _, data in snapshot.variants) + len(repr(key))
            + ENTRY_OVERHEAD_BYTES)


def cache_key(request: Request, parameters: frozenset[str]) -> CacheKey:
    """What the answer depends on: the path, the view's own query
    ``parameters`` (others it ignores, and a caller may invent any number of
    them), the caller, and the HTCondor settings that shape answers (hidden
    attributes: ``RestdSettings.shaping``)."""
    query = sorted((name, value) for name, value in request.GET.items() if name in parameters)
    return (request.method, request.path, tuple(query), request.authenticated_userid,
            request.condor_settings.shaping())


def cache_ttl(request: Request) -> float:
    """The ini's ``restd.cache.ttl`` if set, else HTCondor's RESTD_CACHE_TTL."""
    configured = wiring(request.registry).settings.cache_ttl
    return configured if configured is not None else request.condor_settings.cache_ttl


def cached_view(view, info):
    """``restd_cache``: the names of the view's query parameters (or True
    for a view that takes none)."""
    option = info.options.get("restd_cache")
    if not option:
        return view
    parameters = frozenset(() if option is True else option)

    def wrapper(context, request: Request) -> Response:
        restd = wiring(request.registry)
        ttl = cache_ttl(request) if request.method in ("GET", "HEAD") else 0.0
        if ttl > 0:
            response = restd.response_cache.fetch(cache_key(request, parameters), ttl, lambda: view(context, request))
        else:
            response = tagged(view(context, request))
        return revalidated(request, restd.compression.encoded(request, response))

    return wrapper


# The options a view deriver takes, where Pyramid looks for them (an attribute no function type declares).
cast(Any, cached_view).options = ("restd_cache",)


class _CacheCounters:
    """Prometheus view of a cache's counters (read when scraped)."""

    def __init__(self, cache: ResponseCache) -> None:
        self._cache = cache

    def collect(self) -> Iterator[Metric]:
        yield CounterMetricFamily("restd_cache_hits", "Answers served from the response cache (or a shared flight)", value=self._cache.hits)
        yield CounterMetricFamily("restd_cache_misses", "Answers the response cache had to compute", value=self._cache.misses)
        yield GaugeMetricFamily("restd_cache_bytes", "Bytes of answers held in the response cache", value=self._cache.size)


def includeme(config) -> None:
    restd = wiring(config.registry)
    server = restd.settings
    cache = ResponseCache(server.cache_max_bytes, server.cache_max_entry_bytes, store=restd.shared,
                          compression=restd.compression)
    restd.response_cache = cache
    config.add_view_deriver(cached_view)
    restd.metrics.registry.register(_CacheCounters(cache))
