"""Listings that the workers encode to JSON themselves.

Large job listings are shaped and encoded in the worker processes, and the
request process only stitches the bytes together: decoding them there just
to encode them again cost about as much as the query itself
(bench/README.md). A listing may come in several parts, each from its own
worker, so every item travels with its sort key.
"""
from __future__ import annotations

import importlib
from itertools import accumulate
from typing import Any, NamedTuple

import orjson

from ..json_keys import lowered, lowered_by_parsing
from ..shaping import group_key


#: Items whose keys are lowered in one pass (a few MB of whole job ads).
_ITEMS_PER_PASS = 500
#: Merged items are copied in groups of this many (a few hundred kB of whole job ads).
_ITEMS_PER_CHUNK = 64


class EncodedItems(NamedTuple):
    """A part of a listing: its items' JSON texts joined by commas, in
    ``pieces`` (one, once it crossed from a worker); ``lengths`` the length
    of each item, ``keys`` the key each sorts by (ascending, or in the
    listing's own order for a listing of one part)."""

    keys: list[Any]
    lengths: list[int]
    pieces: list[bytes | bytearray | memoryview]

    @property
    def body(self) -> bytes | bytearray | memoryview:
        return self.pieces[0] if len(self.pieces) == 1 else b"".join(self.pieces)


class JsonBody(NamedTuple):
    """A whole answer's JSON text, made in a worker, passed on as it is."""

    body: bytes | bytearray


class RawJson(NamedTuple):
    """A JSON array's text in ``chunks`` (``size`` bytes in all; not joined,
    so that a large answer is not copied once more); ``count``: how many
    items it holds; ``last_key``: the sort key of its last item (a paging
    cursor), or None."""

    chunks: list[bytes | memoryview]
    size: int
    count: int
    last_key: Any

    @property
    def body(self) -> bytes:
        return b"".join(self.chunks)


def shaped(keys: list[Any], texts: list[str], shape: str, lower: bool = True) -> EncodedItems:
    """``function(keys, texts)`` (``shape`` names it: ``"module:function"``;
    it answers a JSON text for each of ``texts``, in their order), encoded,
    every key lower-cased unless ``lower`` is false (they are already): a
    few hundred items per pass, whose buffers stay in the CPU's caches (20%
    faster than one pass) and small."""
    module, function = shape.split(":")
    items = getattr(importlib.import_module(module), function)(keys, texts)
    pieces: list[bytes | memoryview] = []
    for first in range(0, len(items), _ITEMS_PER_PASS):
        group = items[first:first + _ITEMS_PER_PASS]
        text = ",".join(group).encode()
        piece = lowered(text) if lower else text
        if piece is None:
            group = items[first:first + _ITEMS_PER_PASS] = list(map(lowered_by_parsing, group))
            piece = ",".join(group).encode()
        pieces += [b",", piece] if first else [piece]
    size = sum(map(len, pieces))
    chars = sum(map(len, items))
    lengths = list(map(len, items)) if size == chars + max(len(items) - 1, 0) else [len(item.encode()) for item in items]
    return EncodedItems(keys, lengths, pieces)


def grouped(items: EncodedItems, attribute: str) -> JsonBody:
    """``{"<value>": [items...], ...}`` of items that are objects with a
    ``classad`` (jobs), by the value of ``attribute`` (lower-cased) in it;
    items without it (or with it UNDEFINED) left out. Each item's text is
    reused as it is, never encoded again."""
    body = memoryview(items.body)
    groups: dict[str, list[memoryview]] = {}
    start = 0
    for length in items.lengths:
        text = body[start:start + length]
        start += length + 1
        value = orjson.loads(text)["classad"].get(attribute)
        if value is not None:
            groups.setdefault(group_key(value), []).append(text)
    pieces = [b"{"]
    for number, (key, texts) in enumerate(groups.items()):
        pieces += [b"," if number else b"", orjson.dumps(key), b":[", b",".join(texts), b"]"]
    pieces.append(b"}")
    return JsonBody(b"".join(pieces))


def merged(parts: list[EncodedItems], limit: int | None = None) -> RawJson:
    """One JSON array of the parts' items, at most ``limit`` of them: in key
    order, or for a single part in its own order (a history's)."""
    if len(parts) == 1:
        part = parts[0]
        count = len(part.keys) if limit is None else min(limit, len(part.keys))
        body = memoryview(part.body)[:sum(part.lengths[:count]) + max(count - 1, 0)]
        return RawJson([b"[", body, b"]"], len(body) + 2, count, part.keys[count - 1] if count else None)
    order = sorted(
        (key, which, index) for which, part in enumerate(parts) for index, key in enumerate(part.keys)
    )[:limit]
    views = [memoryview(part.body) for part in parts]
    starts = [list(accumulate(part.lengths[:-1], lambda start, length: start + length + 1, initial=0)) for part in parts]
    pieces = [
        views[which][starts[which][index]:starts[which][index] + parts[which].lengths[index]]
        for _, which, index in order
    ]
    # Items interleave (parts are split by job id modulo their number): they
    # are copied once, into chunks of a few items each, not joined whole.
    chunks: list[bytes | memoryview] = [b"["]
    for first in range(0, len(pieces), _ITEMS_PER_CHUNK):
        chunks += [b","] if first else []
        chunks.append(b",".join(pieces[first:first + _ITEMS_PER_CHUNK]))
    chunks.append(b"]")
    size = sum(map(len, chunks))
    return RawJson(chunks, size, len(order), order[-1][0] if order else None)
