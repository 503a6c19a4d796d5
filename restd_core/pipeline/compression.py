"""Answers compressed for the callers that accept it (``Accept-Encoding``).

An answer is compressed when it is a 200 of a compressible type
(``COMPRESSIBLE_TYPES``: JSON, ``/metrics``' text, the dashboard's files;
never an event stream, whose body has no end to wait for) whose body the
server has (in memory, or spooled: ``gateway.spool``), of at least
``restd.compression.min_bytes`` (less is sent as it is, unless the caller
refuses ``identity``), in the coding the caller prefers among
``restd.compression.codings`` (q-values as RFC 9110 says, through WebOb's
parsing; among codings it accepts as much, the server's order; an absent or
unparsable ``Accept-Encoding`` is ``identity``; a caller that refuses
``identity`` and accepts none of them is answered 406). Every such answer
says ``Vary: Accept-Encoding``, compressed or not.

- Each coding has its own ETag: the answer's, with ``-zstd``, ``-br`` or
  ``-gzip`` before its closing quote (as weak as the answer's), so that a
  cache never takes one coding's bytes for another's; ``If-None-Match``
  with that tag is a 304 (``response_cache.revalidated``), found before
  anything is compressed.
- A cached answer (``response_cache``) is compressed once in each coding
  when it is stored, and its variants are kept (and counted) with it: a hit
  compresses nothing (``VariantsResponse``).
- A spooled listing is compressed a block at a time into a spool of its
  own (memory, then a temporary file, counted in the answers in flight),
  its own spools closed after; the compressed spool is then lent to the
  server (``server_io``) as the listing would have been. So the request
  process never holds a large answer whole, and ``Content-Length`` is
  exact (for ``HEAD`` too).
- Levels are low (zstd 3, gzip 5, brotli 4): the CPU an answer costs stays
  a fraction of what querying it did (``bench/compression.py``; its
  numbers in ``bench/README.md``).
"""
from __future__ import annotations

import zlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

import brotli
import zstandard
from prometheus_client import Counter
from pyramid.httpexceptions import HTTPNotAcceptable
from pyramid.request import Request
from pyramid.response import Response
from webob.acceptparse import AcceptEncodingValidHeader

from restd_core.assembly.settings import ServerSettings, SettingError
from restd_core.assembly.wiring import wiring
from restd_core.gateway.spool import SPOOLED, AnswersInFlight, Spool, SpooledBody
from restd_core.pipeline.errors import Errno
from restd_core.plugin_api.responses import vary_on

ZSTD_LEVEL = 3
GZIP_LEVEL = 5
BROTLI_QUALITY = 4
IDENTITY = "identity"
ACCEPT_ENCODING = "Accept-Encoding"
#: Content types worth compressing (without their parameters).
COMPRESSIBLE_TYPES = frozenset({
    "application/json", "text/plain", "text/html", "text/css", "text/javascript", "application/javascript",
    "image/svg+xml",
})


class Compressor(Protocol):
    """One body's compression, fed in pieces."""

    def compress(self, data: bytes) -> bytes: ...

    def flush(self) -> bytes: ...


class _Brotli:
    """brotli's compressor under the names zlib's and zstandard's have."""

    def __init__(self) -> None:
        self._compressor = brotli.Compressor(quality=BROTLI_QUALITY)

    def compress(self, data: bytes) -> bytes:
        return self._compressor.process(data)

    def flush(self) -> bytes:
        return self._compressor.finish()


@dataclass(frozen=True)
class Coding:
    """A content coding: its name (``Content-Encoding``) and how a body of
    so many bytes starts being compressed in it."""

    name: str
    start: Callable[[int], Compressor]


CODINGS = {coding.name: coding for coding in (
    # With the body's size, zstd's frame says it: a client may decode it at once.
    Coding("zstd", lambda size: zstandard.ZstdCompressor(level=ZSTD_LEVEL).compressobj(size=size)),
    Coding("br", lambda size: _Brotli()),
    Coding("gzip", lambda size: zlib.compressobj(GZIP_LEVEL, zlib.DEFLATED, 16 + zlib.MAX_WBITS)),
)}


class VariantsResponse(Response):
    """A response whose body was compressed beforehand (a cached answer),
    its ``variants`` by coding name."""

    def __init__(self, *args: Any, variants: Mapping[str, bytes], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.variants = variants


def coded_etag(etag: str, coding: str) -> str:
    """An ETag header's value for the coding ``coding`` of its answer."""
    return f'{etag[:-1]}-{coding}"'


class Compression:
    """The server's content codings (``restd.compression*``) and the work
    they did (``/metrics``)."""

    def __init__(self, settings: ServerSettings, in_flight: AnswersInFlight, registry: Any) -> None:
        unknown = [name for name in settings.compression_codings if name not in CODINGS]
        if unknown:
            raise SettingError(f"setting restd.compression.codings names no coding {', '.join(unknown)}: "
                               f"it takes {', '.join(CODINGS)}")
        self.enabled = settings.compression and bool(settings.compression_codings)
        self.min_bytes = settings.compression_min_bytes
        self.codings = [CODINGS[name] for name in dict.fromkeys(settings.compression_codings)]
        self._in_flight = in_flight
        self._bodies = Counter("restd_compression_bodies", "Bodies compressed, by coding (a cached answer's once "
                               "per coding, when it is stored)", ["coding"], registry=registry)
        self._bytes_in = Counter("restd_compression_input_bytes", "Bytes of bodies compressed, by coding",
                                 ["coding"], registry=registry)
        self._bytes_out = Counter("restd_compression_output_bytes", "Bytes those bodies were compressed to, "
                                  "by coding", ["coding"], registry=registry)
        for coding in self.codings:  # each at zero from the start
            for counter in (self._bodies, self._bytes_in, self._bytes_out):
                counter.labels(coding.name)

    def applies(self, response: Response) -> bool:
        """Whether ``response`` could be compressed: it then varies with ``Accept-Encoding``."""
        return (self.enabled and response.status_int == 200 and response.content_type in COMPRESSIBLE_TYPES
                and "Content-Encoding" not in response.headers and response.content_length is not None
                and isinstance(response.app_iter, (list, *SPOOLED)))

    def chosen(self, request: Request, size: int) -> Coding | None:
        """The coding for an answer of ``size`` bytes to ``request`` (None:
        as it is); ``HTTPNotAcceptable`` if the caller takes no coding at all."""
        header = request.accept_encoding
        if not isinstance(header, AcceptEncodingValidHeader):
            return None  # none (RFC 9110 would take any; no client expects that), or one that does not parse
        offers = header.acceptable_offers([*(coding.name for coding in self.codings), IDENTITY])
        identity = next((q for name, q in offers if name == IDENTITY), 0.0)
        best = next(((name, q) for name, q in offers if name != IDENTITY), None)
        if best is None:
            if identity:
                return None
            not_acceptable = HTTPNotAcceptable(
                f"Accept-Encoding refuses identity and every coding this server has ({', '.join(CODINGS)})")
            not_acceptable.errno = Errno.NOT_ACCEPTABLE
            raise not_acceptable
        # WebOb gives an unnamed identity q=1; it outranks a coding only when named.
        named_identity = any(coding.lower() == IDENTITY for coding, _ in header.parsed)
        if identity and (size < self.min_bytes or (named_identity and identity > best[1])):
            return None
        return CODINGS[best[0]]

    def encoded(self, request: Request, response: Response) -> Response:
        """``response`` in the coding ``request`` prefers, with ``Vary`` and
        its coding's ETag. Not compressed when its coding's ETag matches
        ``If-None-Match``: a 304 follows (``response_cache.revalidated``, or
        WebOb's)."""
        if not self.applies(response) or ACCEPT_ENCODING in (response.vary or ()):
            return response
        vary_on(response, ACCEPT_ENCODING)
        try:
            coding = self.chosen(request, response.content_length)
        except HTTPNotAcceptable:
            _close(response)
            raise
        if coding is None:
            return response
        if "ETag" in response.headers:
            response.headers["ETag"] = coded_etag(response.headers["ETag"], coding.name)
            if response.etag in request.if_none_match:
                response.headers["Content-Encoding"] = coding.name
                return response
        body = response.app_iter
        variants = response.variants if isinstance(response, VariantsResponse) else {}
        if coding.name in variants:
            response.body = variants[coding.name]
        elif isinstance(body, list):
            response.body = self.compressed(coding, response.body)
        else:
            spooled = self._spooled(coding, body)
            response.app_iter = spooled
            response.content_length = spooled.size
        response.headers["Content-Encoding"] = coding.name
        return response

    def variants(self, response: Response) -> dict[str, bytes]:
        """A 200 answer's body in every coding, if it is worth compressing
        (the response cache keeps them with it)."""
        if not self.applies(response) or response.content_length < self.min_bytes:
            return {}
        body = response.body
        return {coding.name: self.compressed(coding, body) for coding in self.codings}

    def compressed(self, coding: Coding, body: bytes) -> bytes:
        compressor = coding.start(len(body))
        data = compressor.compress(body) + compressor.flush()
        self._count(coding, len(body), len(data))
        return data

    def _spooled(self, coding: Coding, body: Any) -> SpooledBody:
        """A spooled answer compressed a block at a time into a spool; its own spools closed."""
        spool = Spool(self._in_flight)
        try:
            compressor = coding.start(body.size)
            for block in body:
                if data := compressor.compress(block):
                    spool(data)
            spool(compressor.flush())
        except BaseException:
            spool.close()
            raise
        finally:
            body.close()
        self._count(coding, body.size, spool.size)
        return SpooledBody(spool)

    def _count(self, coding: Coding, size: int, compressed: int) -> None:
        self._bodies.labels(coding.name).inc()
        self._bytes_in.labels(coding.name).inc(size)
        self._bytes_out.labels(coding.name).inc(compressed)


def _close(response: Response) -> None:
    close = getattr(response.app_iter, "close", None)
    if close is not None:
        close()


def compression_tween_factory(handler: Callable[[Request], Response], registry) -> Callable[[Request], Response]:
    """Compress the answers the views made that the response cache did not
    already (``encoded`` is once per answer)."""
    compression = wiring(registry).compression
    if not compression.enabled:
        return handler

    def tween(request: Request) -> Response:
        return compression.encoded(request, handler(request))

    return tween


def includeme(config) -> None:
    restd = wiring(config.registry)
    restd.compression = Compression(restd.settings, restd.answers_in_flight, restd.metrics.registry)
    # Under the lending: a compressed spool is lent as the listing would have been.
    config.add_tween("restd_core.pipeline.compression.compression_tween_factory",
                     under="restd_core.pipeline.server_io.lending_tween_factory")
