"""JSON responses, encoded with orjson."""
from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator
from typing import Any
from urllib.parse import quote

import orjson
from pyramid.request import Request
from pyramid.response import Response

JSON_CONTENT_TYPE = "application/json"


def public_url(request: Request, path: str) -> str:
    """A link to ``path`` on this server: under ``restd.public_url`` if the
    ini sets it, else a relative reference (RFC 3986: resolved against the
    request's own URL). Never from the request's ``Host``: answers are
    cached and shared, and a caller chooses its Host header."""
    base = request.registry.restd_settings.public_url
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


#: A large answer goes to the server in slices this big: WebOb and waitress
#: would otherwise copy it whole into a buffer (spilled to a temporary file
#: past waitress's ``outbuf_overflow``, 1 MiB by default).
CHUNK_BYTES = 256 * 1024


def json_chunks_response(chunks: list[bytes | memoryview], size: int, headers: dict[str, str] | None = None) -> Response:
    """A 200 response whose JSON body is ``chunks`` (``size`` bytes in all),
    never joined: it is tagged (``ETag``) from the chunks, and sent slice
    by slice as the server takes them."""

    def slices() -> Iterator[bytes]:
        for chunk in chunks:
            if isinstance(chunk, bytes) and len(chunk) <= CHUNK_BYTES:
                yield chunk
                continue
            view = memoryview(chunk)
            for start in range(0, len(view), CHUNK_BYTES):
                yield bytes(view[start:start + CHUNK_BYTES])

    response = Response(app_iter=slices(), content_length=size, content_type=JSON_CONTENT_TYPE, charset=None)
    response.etag = body_etag(chunks)
    if headers:
        response.headers.update(headers)
    return response


def body_etag(chunks: Iterable[bytes | memoryview]) -> str:
    """A body's strong validator: SHA-256 (hardware-accelerated where
    blake2b is not, and it releases the GIL), 128 bits of it."""
    digest = hashlib.sha256()
    for chunk in chunks:
        digest.update(chunk)
    return digest.hexdigest()[:32]


def etag_of(response: Response) -> str:
    """The ETag ``response`` already carries (``json_chunks_response`` tags
    a listing from its chunks), else its body's: a body is hashed once."""
    return response.etag or body_etag([response.body])
