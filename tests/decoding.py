"""Bodies as sent, decoded by their ``Content-Encoding`` (what a client
that asks ``Accept-Encoding`` does)."""
from __future__ import annotations

import gzip

import brotli
import zstandard

DECODERS = {
    "gzip": gzip.decompress,
    "zstd": lambda data: zstandard.ZstdDecompressor().decompress(data),
    "br": brotli.decompress,
}
#: What ``curl --compressed`` asks (a curl built with every library).
CURL_COMPRESSED = "deflate, gzip, br, zstd"


def decoded(coding: str | None, body: bytes) -> bytes:
    return DECODERS[coding](body) if coding else body
