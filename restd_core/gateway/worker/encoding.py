"""How operations encode their answers in the worker: job listings as
items with their sort keys (``encoded_items``), grouped answers
(``grouped``). The request process passes the bytes on undecoded
(``restd_core.gateway.wire``)."""
from __future__ import annotations

from typing import Any

import orjson

from restd_core.gateway.wire import EncodedItems, JsonBody
from restd_core.gateway.worker.json_keys import lowered, lowered_by_parsing
from restd_core.gateway.worker.shaping import group_key

#: Items whose keys are lowered in one pass (a few MB of whole job ads).
_ITEMS_PER_PASS = 500


def encoded_items(keys: list[Any], items: list[str], lower: bool = True) -> EncodedItems:
    """Items (JSON texts) with their sort ``keys``, encoded, every key
    lower-cased unless ``lower`` is false (they are already): a few hundred
    items per pass, whose buffers stay in the CPU's caches (faster than one
    pass: bench/README.md) and small."""
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
