"""JSON responses, encoded with orjson."""
from __future__ import annotations

import hashlib
from collections.abc import Iterable
from typing import Any
from urllib.parse import quote

import orjson
from pyramid.request import Request
from pyramid.response import Response

from restd_core.assembly.wiring import wiring
from restd_core.gateway.spool import SpooledListing, SpooledObject
from restd_core.pipeline.server_time import without_server_time

JSON_CONTENT_TYPE = "application/json"


def public_url(request: Request, path: str) -> str:
    """A link to ``path`` on this server: under ``restd.public_url`` if the
    ini sets it, else a relative reference (RFC 3986: resolved against the
    request's own URL). Never from the request's ``Host``: answers are
    cached and shared, and a caller chooses its Host header."""
    base = wiring(request.registry).settings.public_url
    quoted = quote(path, safe="/:@!$&'()*+,;=")
    return f"{base.rstrip('/')}{quoted}" if base else quoted


def json_response(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return json_bytes_response(orjson.dumps(data), status, headers)


def json_bytes_response(body: bytes | bytearray, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    """A response whose JSON ``body`` is already encoded."""
    response = Response(body=bytes(body), status=status, content_type=JSON_CONTENT_TYPE, charset=None)
    if headers:
        response.headers.update(headers)
    return response


def listing_response(listing: SpooledListing | SpooledObject, headers: dict[str, str] | None = None) -> Response:
    """A 200 response whose JSON body is a spooled listing (or an object
    around listings), read a block at a time as the server sends it (the
    server closes it: the spools go); tagged with the listing's own
    validator, made from its parts' digests."""
    response = Response(app_iter=listing, content_length=listing.size, content_type=JSON_CONTENT_TYPE, charset=None)
    response.etag = listing.etag
    if headers:
        response.headers.update(headers)
    return response


def vary_on(response: Response, *headers: str) -> None:
    """Add ``headers`` to the answer's ``Vary``, after those it names already."""
    response.vary = tuple(dict.fromkeys((*(response.vary or ()), *headers)))


def body_etag(chunks: Iterable[bytes | memoryview]) -> str:
    """A body's validator: SHA-256 (hardware-accelerated where blake2b is
    not, and it releases the GIL), 128 bits of it, of the body but its
    ``servertime`` members (``server_time``): sent weak (``response_cache.set_etag``)."""
    digest = hashlib.sha256()
    for chunk in chunks:
        digest.update(without_server_time(chunk))
    return digest.hexdigest()[:32]


def etag_of(response: Response) -> str:
    """The ETag ``response`` already carries (``listing_response`` tags a
    listing from its parts), else its body's: a body is hashed once."""
    return response.etag or body_etag([response.body])
