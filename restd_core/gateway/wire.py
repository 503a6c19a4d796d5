"""What crosses between the request process and a worker, and how.

A call goes to a worker as a pickled ``(operation, arguments)``; its answer
comes back as JSON, or, for what an operation encoded itself, as a short
JSON header followed by the bytes as they are (``send_raw`` / ``recv_raw``):
large job listings are shaped and encoded in the workers, and the request
process only stitches the bytes together (decoding them there just to
encode them again cost about as much as the query itself: bench/README.md).
A listing may come in several parts, each from its own worker, so every
item travels with its sort key (``EncodedItems``, ``merged``).
"""
from __future__ import annotations

import os
from itertools import accumulate
from multiprocessing.connection import Connection
from typing import Any, NamedTuple

import orjson

#: What a worker says once it can take calls.
READY = b"ready"
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


def send_answer(conn: Connection, answer: Any) -> None:
    """A worker's answer: ``{"ok": ...}`` or ``{"error": ...}`` as JSON, and
    an operation's own encoding (``EncodedItems``, ``JsonBody``) as a header
    followed by its bytes."""
    result = answer.get("ok")
    if isinstance(result, EncodedItems):
        size = sum(map(len, result.pieces))
        conn.send_bytes(orjson.dumps({"items": {"keys": result.keys, "lengths": result.lengths}, "size": size}))
        send_raw(conn, result.pieces)
    elif isinstance(result, JsonBody):
        conn.send_bytes(orjson.dumps({"body": len(result.body)}))
        send_raw(conn, [result.body])
    else:
        conn.send_bytes(orjson.dumps(answer))


def recv_answer(conn: Connection) -> dict[str, Any]:
    """What ``send_answer`` sent."""
    answer = orjson.loads(conn.recv_bytes())
    if "items" in answer:
        return {"ok": EncodedItems(pieces=[recv_raw(conn, answer["size"])], **answer["items"])}
    if "body" in answer:
        return {"ok": JsonBody(recv_raw(conn, answer["body"]))}
    return answer


def send_raw(conn: Connection, pieces: list[bytes | bytearray | memoryview]) -> None:
    """``pieces`` as they are, after a message that gave their size: a
    listing's tens of megabytes are not framed (and copied) by ``Connection``."""
    for piece in pieces:
        view = memoryview(piece)
        while view:
            view = view[os.write(conn.fileno(), view):]


def recv_raw(conn: Connection, size: int) -> bytearray:
    """What ``send_raw`` sent, read straight into one buffer."""
    body = bytearray(size)
    view, got = memoryview(body), 0
    while got < size:
        read = os.readv(conn.fileno(), [view[got:]])
        if not read:
            raise EOFError("the worker's socket closed mid-answer")
        got += read
    return body
