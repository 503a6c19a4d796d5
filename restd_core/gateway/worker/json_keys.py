"""Lower-case the keys of JSON text.

A full job ad has about 80 attributes: lowering its keys through Python
dicts (parse, rebuild, encode) costs as much again as ``printJson`` itself.
``lowered`` finds and lowers every key of a whole listing at once, with
numpy over the text's bytes (bench/README.md has the numbers);
``lowered_by_parsing`` is the slow, general way, for what ``lowered``
declines.

A key is a string whose closing quote is followed by ``:``: in JSON text no
other quote can be (a quote inside a string is escaped, and neither orjson
nor printJson puts a space between a key and its colon). Only ASCII letters
are lowered: HTCondor's attribute names are ASCII.
"""
from __future__ import annotations

from typing import Any

import numpy as np
import orjson

_QUOTE, _COLON, _BACKSLASH = (ord(char) for char in '":\\')
#: Each byte's lower-case form: "A"-"Z" to "a"-"z", every other byte as it is.
_LOWER = np.arange(256, dtype=np.uint8)
_LOWER[ord("A"):ord("Z") + 1] += ord("a") - ord("A")


def lowered(text: bytes) -> memoryview | None:
    """``text`` with its keys lower-cased (a new buffer), or None where a
    backslash next to a quote makes keys ambiguous to find this way (a key
    or a string value holding an escaped quote before a colon, a key holding
    a quote or ending in a backslash)."""
    data = np.frombuffer(text, dtype=np.uint8)
    quotes = np.flatnonzero(data == _QUOTE)
    quotes = quotes[(quotes > 0) & (quotes < len(data) - 1)]
    closing = np.flatnonzero(data[quotes + 1] == _COLON)
    if np.any(data[quotes[closing] - 1] == _BACKSLASH) or (len(closing) and closing[0] == 0):
        return None
    starts, ends = quotes[closing - 1] + 1, quotes[closing]
    if np.any(data[starts - 2] == _BACKSLASH):  # that "opening" quote was an escaped one
        return None
    # The position of every byte of every key: key k's bytes follow each
    # other from starts[k], so position = its rank among all key bytes +
    # how far key k starts past the key bytes before it.
    lengths = ends - starts
    before = np.cumsum(lengths) - lengths
    in_keys = np.arange(int(lengths.sum())) + np.repeat(starts - before, lengths)
    out = data.copy()
    out[in_keys] = _LOWER[data[in_keys]]
    return out.data


def lowered_by_parsing(text: str) -> str:
    """``text`` with its keys lower-cased, through a parse."""
    return orjson.dumps(with_keys_lowered(orjson.loads(text))).decode()


def with_keys_lowered(value: Any) -> Any:
    if isinstance(value, dict):
        return {key.lower(): with_keys_lowered(item) for key, item in value.items()}
    if isinstance(value, list):
        return [with_keys_lowered(item) for item in value]
    return value
