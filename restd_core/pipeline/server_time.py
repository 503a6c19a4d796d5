"""``ServerTime`` cut out of encoded JSON, for validators that must not
change when only the schedd's clock did.

The schedd puts ``ServerTime`` (its clock when asked) in every whole job ad
it answers: kept in an ETag's digest, it would give a whole-ad listing a new
ETag at every poll, and in a watch it would change every job. Its key is
matched after the comma or brace before it: a quote inside a JSON string is
escaped, so no string (nor a key that holds quotes) can look like that.
Keys are lower-cased by then (``restd_core.gateway.worker.encoding``).
"""
from __future__ import annotations

import re

_SERVER_TIME_AFTER = re.compile(rb',\s*"servertime"\s*:\s*-?[0-9]+(?=\s*[,}])')
_SERVER_TIME_FIRST = re.compile(rb'(\{\s*)"servertime"\s*:\s*-?[0-9]+\s*,')


def without_server_time(text: bytes | bytearray | memoryview) -> bytes:
    """``text`` (JSON objects, whole) without their ``servertime`` members."""
    return _SERVER_TIME_FIRST.sub(rb"\1", _SERVER_TIME_AFTER.sub(b"", text))
