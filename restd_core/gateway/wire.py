"""What crosses between the request process and a worker, and how.

A call goes to a worker as a pickled ``(operation, arguments)``; its answer
comes back as JSON, or, for what an operation encoded itself, as a short
JSON header followed by the bytes as they are (``send_raw`` / ``recv_raw``):
large job listings are shaped and encoded in the workers, and the request
process only stitches the bytes together (decoding them there just to
encode them again cost about as much as the query itself: bench/README.md).
A listing comes as it is made (``Streamed``), in several parts if split
between workers, so every item travels with its sort key (its ``keys``
and ``lengths``: ``spool.SpooledListing`` merges the parts).
"""
from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Iterator
from multiprocessing.connection import Connection
from typing import Any, NamedTuple

import orjson

from restd_core.pipeline.server_time import without_server_time

#: What a worker says once it can take calls.
READY = b"ready"


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


class Streamed(NamedTuple):
    """An answer an operation makes in ``pieces`` (bytes of items joined by
    commas), sent as each is made so that the worker never holds it whole;
    ``summary()``, called once they are all made, gives its items' ``keys``
    and ``lengths`` (as ``EncodedItems``)."""

    pieces: Iterator[bytes | bytearray | memoryview]
    summary: Callable[[], dict[str, Any]]


class Received(NamedTuple):
    """What of a ``Streamed`` answer the request process keeps while its
    bytes went to a sink: its items' ``keys`` and ``lengths``, its ``size``
    and the SHA-256 of its bytes but the ``servertime`` members (made in the
    worker: a validator that changes when the jobs do, not the clock)."""

    keys: list[Any]
    lengths: list[int]
    size: int
    sha256: str


class JsonBody(NamedTuple):
    """A whole answer's JSON text, made in a worker, passed on as it is."""

    body: bytes | bytearray


def send_answer(conn: Connection, answer: Any, failed: Callable[[Exception], dict[str, Any]] | None = None) -> None:
    """A worker's answer: ``{"ok": ...}`` or ``{"error": ...}`` as JSON, and
    an operation's own encoding (``EncodedItems``, ``JsonBody``) as a header
    followed by its bytes. A ``Streamed`` one goes as frames, one a piece,
    an empty one last, then a trailer: its summary, or what ``failed`` makes
    of an error met while its pieces were being made."""
    result = answer.get("ok")
    if isinstance(result, Streamed):
        conn.send_bytes(b'{"stream":true}')
        digest, size = hashlib.sha256(), 0
        try:
            for piece in result.pieces:  # whole items: ServerTime is cut from the digest (``server_time``)
                digest.update(without_server_time(piece))
                size += len(piece)
                conn.send_bytes(piece)
            trailer = {"ok": {**result.summary(), "size": size, "sha256": digest.hexdigest()}}
        except Exception as exc:
            if failed is None:
                raise
            trailer = failed(exc)
        conn.send_bytes(b"")
        conn.send_bytes(orjson.dumps(trailer))
    elif isinstance(result, EncodedItems):
        size = sum(map(len, result.pieces))
        conn.send_bytes(orjson.dumps({"items": {"keys": result.keys, "lengths": result.lengths}, "size": size}))
        send_raw(conn, result.pieces)
    elif isinstance(result, JsonBody):
        conn.send_bytes(orjson.dumps({"body": len(result.body)}))
        send_raw(conn, [result.body])
    else:
        conn.send_bytes(orjson.dumps(answer))


def recv_answer(conn: Connection, sink: Callable[[bytes], None] | None = None,
                wait: Callable[[], None] = lambda: None) -> dict[str, Any]:
    """What ``send_answer`` sent; a ``Streamed`` answer's pieces each go to
    ``sink`` as they come (it answers ``Received``), or without one are
    kept (``EncodedItems``). ``wait()`` comes before each message (it
    raises when the call has had its time)."""
    wait()
    answer = orjson.loads(conn.recv_bytes())
    if "stream" in answer:
        kept: list[bytes] = []
        while True:
            wait()
            piece = conn.recv_bytes()
            if not piece:
                break
            (sink or kept.append)(piece)
        wait()
        trailer = orjson.loads(conn.recv_bytes())
        if "error" in trailer:
            return trailer
        summary = trailer["ok"]
        if sink is None:
            return {"ok": EncodedItems(summary["keys"], summary["lengths"], [b"".join(kept)])}
        return {"ok": Received(summary["keys"], summary["lengths"], summary["size"], summary["sha256"])}
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
