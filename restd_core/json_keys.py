"""Lower-case the keys of JSON text in place, without parsing it.

A full job ad has about 80 attributes: lowering its keys through Python
dicts (parse, rebuild, encode) costs as much again as ``printJson`` itself.
Here every key of a whole listing is found and lowered at once, with numpy
over the text's bytes (bench/README.md has the numbers).

A key is a string whose closing quote is followed by ``:``: in JSON text no
other quote can be (a quote inside a string is escaped, and printJson puts
no space between a key and its colon). Only ASCII letters are lowered:
HTCondor's attribute names are ASCII.
"""
from __future__ import annotations

import numpy as np

_QUOTE, _COLON, _BACKSLASH, _UPPER_A = (ord(char) for char in '":\\A')
_CASE_BIT = 0x20  # "A" | 0x20 == "a"


def lower_keys(text: bytearray) -> bool:
    """Lower the keys in ``text``; False (and ``text`` as it was) where a
    backslash next to a quote makes keys ambiguous to find this way (a key
    or a string value holding an escaped quote before a colon, a key holding
    a quote or ending in a backslash): the caller then parses the text."""
    data = np.frombuffer(text, dtype=np.uint8)
    quotes = np.flatnonzero(data == _QUOTE)
    quotes = quotes[(quotes > 0) & (quotes < len(data) - 1)]
    closing = np.flatnonzero(data[quotes + 1] == _COLON)
    if np.any(data[quotes[closing] - 1] == _BACKSLASH) or (len(closing) and closing[0] == 0):
        return False
    starts, ends = quotes[closing - 1] + 1, quotes[closing]
    if np.any(data[starts - 2] == _BACKSLASH):  # that "opening" quote was an escaped one
        return False
    # +1 where a key starts, -1 where it ends: their running sum is 1 inside keys.
    edges = np.zeros(len(data) + 1, dtype=np.int8)
    edges[starts] = 1
    edges[ends] -= 1
    in_key = np.cumsum(edges[:-1], dtype=np.int8).view(bool)
    in_key &= (data - _UPPER_A) < 26  # uint8: below "A" wraps around
    data |= in_key.view(np.uint8) * np.uint8(_CASE_BIT)
    return True
