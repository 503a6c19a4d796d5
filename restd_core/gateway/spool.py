"""Where the request process keeps a streamed answer until it is sent.

A listing of 50,000 whole job ads is 130 MB of JSON. Its pieces come from
the worker as they are made (``wire.Streamed``) and go to a ``Spool``: a
little memory, then a temporary file. A response then reads the spools a
block at a time as the server sends it (``SpooledListing``; lent to the
server as a file, ``restd_core.pipeline.server_io``, so that no thread waits for a
slow reader): the request process never holds the answer whole, and does
no work per item that would hold its GIL for long (merging the parts of a
split listing goes 64 items at a time). All the spools of a process hold at most so many bytes
(``AnswersInFlight``): beyond, a listing is 503 with ``Retry-After``, before
any byte of it was sent, rather than the machine swapping or its disk
filling.
"""
from __future__ import annotations

import hashlib
import heapq
import itertools
import os
import tempfile
import threading
from collections.abc import Iterator
from typing import Any

import orjson

from restd_core.gateway.errors import Unavailable
from restd_core.gateway.wire import Received

#: Bytes of a spool kept in memory before it moves to a temporary file.
SPOOL_MEMORY = 1024 * 1024
#: What a listing's response hands the server at a time.
BLOCK_BYTES = 256 * 1024
#: Items of a merged listing copied together (a few hundred kB of whole job ads).
ITEMS_PER_CHUNK = 64


class Overloaded(Unavailable):
    """The server holds as many answers' bytes as it may: later, please."""

    kind = "overloaded"


class AnswersInFlight:
    """Bytes of streamed answers this process holds until they are sent, at
    most ``limit`` (0: no bound)."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.held = 0
        self._lock = threading.Lock()

    def take(self, size: int) -> None:
        with self._lock:
            if self.limit and self.held + size > self.limit:
                raise Overloaded(
                    f"the server holds as many answers as it may ({self.limit} bytes); ask again shortly",
                    {"limit": self.limit},
                )
            self.held += size

    def give_back(self, size: int) -> None:
        with self._lock:
            self.held -= size


class Spool:
    """One streamed answer's bytes, as a ``Gateway.call`` sink: in memory
    up to ``SPOOL_MEMORY``, then in a temporary file; counted against
    ``in_flight`` until closed."""

    def __init__(self, in_flight: AnswersInFlight) -> None:
        self._in_flight = in_flight
        self._memory: bytearray | None = bytearray()
        self._file: Any = None
        self.size = 0
        self._closed = False

    def __call__(self, piece: bytes) -> None:
        self._in_flight.take(len(piece))
        self.size += len(piece)
        if self._memory is not None and len(self._memory) + len(piece) <= SPOOL_MEMORY:
            self._memory += piece
            return
        if self._file is None:
            # It outlives this call: close() closes it.
            self._file = tempfile.TemporaryFile(prefix="restd-answer-")  # noqa: SIM115
            self._file.write(self._memory)
            self._memory = None
        self._file.write(piece)

    @property
    def in_memory(self) -> int:
        """How many of its bytes it holds in memory (none once in a file)."""
        return len(self._memory) if self._memory is not None else 0

    def read(self, offset: int, size: int) -> bytes:
        if self._memory is not None:
            return bytes(self._memory[offset:offset + size])
        self._file.flush()
        return os.pread(self._file.fileno(), size, offset)  # where asked: no shared position

    def blocks(self, end: int) -> Iterator[bytes]:
        """Its bytes up to ``end``, ``BLOCK_BYTES`` at a time."""
        for start in range(0, end, BLOCK_BYTES):
            yield self.read(start, min(BLOCK_BYTES, end - start))

    def close(self) -> None:
        if not self._closed:
            self._closed = True
            if self._file is not None:
                self._file.close()
            self._memory = None
            self._in_flight.give_back(self.size)


class _Items:
    """The items of one spooled part, read in order a block at a time."""

    def __init__(self, spool: Spool, lengths: list[int]) -> None:
        self._spool, self._lengths = spool, lengths
        self._block, self._block_at, self._at = b"", 0, 0

    def item(self, index: int) -> bytes:
        """The next item (``index``: its place in the part; items are asked in order)."""
        length = self._lengths[index]
        start = self._at - self._block_at
        if start + length > len(self._block):
            self._block, self._block_at = self._spool.read(self._at, max(length, BLOCK_BYTES)), self._at
            start = 0
        self._at += length + 1  # and the comma between items
        return self._block[start:start + length]


class SpooledListing:
    """A JSON array of the items of streamed parts (``(Received, Spool)``
    each): in key order, or a single part in its own order (a history's);
    at most ``limit`` items. A WSGI ``app_iter``: iterate it for the body,
    ``close()`` it (the server does) to free the spools."""

    def __init__(self, parts: list[tuple[Received, Spool]], limit: int | None = None) -> None:
        self._parts = parts
        if len(parts) == 1:
            received = parts[0][0]
            self.count = len(received.keys) if limit is None else min(limit, len(received.keys))
            self._cut = sum(received.lengths[:self.count]) + max(self.count - 1, 0)
            self.size = self._cut + 2
            self.last_key = tuple(received.keys[self.count - 1]) if self.count else None
        else:
            merged = heapq.merge(*[[(tuple(key), which, index) for index, key in enumerate(received.keys)]
                                   for which, (received, _) in enumerate(parts)])
            self._order = [(which, index) for _, which, index in itertools.islice(merged, limit)]
            self.count = len(self._order)
            self.size = 2 + max(self.count - 1, 0) + sum(parts[which][0].lengths[index] for which, index in self._order)
            self.last_key = tuple(parts[self._order[-1][0]][0].keys[self._order[-1][1]]) if self._order else None
        digest = hashlib.sha256(repr([(received.sha256, received.size) for received, _ in parts]).encode())
        digest.update(str(self.count).encode())
        #: A strong validator of the body: it changes whenever any part does.
        self.etag = digest.hexdigest()[:32]

    def __iter__(self) -> Iterator[bytes]:
        yield b"["
        yield from self.items()
        yield b"]"

    def items(self) -> Iterator[bytes]:
        """The array's items, joined by commas, without its brackets."""
        if len(self._parts) == 1:
            yield from self._parts[0][1].blocks(self._cut)
        else:
            readers = [_Items(spool, received.lengths) for received, spool in self._parts]
            for first in range(0, self.count, ITEMS_PER_CHUNK):
                chunk = self._order[first:first + ITEMS_PER_CHUNK]
                yield (b"," if first else b"") + b",".join(readers[which].item(index) for which, index in chunk)

    def close(self) -> None:
        for _, spool in self._parts:
            spool.close()


class SpooledObject:
    """A JSON object: the members of ``head``, then ``key``, an array of
    the items of ``listings`` one listing after the other (a pool-wide
    listing: each schedd's jobs). A WSGI ``app_iter`` as ``SpooledListing``,
    with its ``size`` and ``etag``; ``close()`` frees every listing's spools."""

    def __init__(self, head: dict[str, Any], key: str, listings: list[SpooledListing]) -> None:
        head_text = orjson.dumps(head)
        self._opening = head_text[:-1] + (b"," if head else b"") + orjson.dumps(key) + b":["
        self._listings = listings
        filled = [listing for listing in listings if listing.count]
        self.count = sum(listing.count for listing in filled)
        self.size = len(self._opening) + sum(listing.size - 2 for listing in filled) + max(len(filled) - 1, 0) + 2
        digest = hashlib.sha256(head_text)
        for listing in listings:
            digest.update(listing.etag.encode())
        self.etag = digest.hexdigest()[:32]

    def __iter__(self) -> Iterator[bytes]:
        yield self._opening
        first = True
        for listing in self._listings:
            if listing.count:
                if not first:
                    yield b","
                first = False
                yield from listing.items()
        yield b"]}"

    def close(self) -> None:
        for listing in self._listings:
            listing.close()


class SpooledBody:
    """A spool's bytes as they are (a spooled answer compressed into a spool
    of its own: ``restd_core.pipeline.compression``): a WSGI ``app_iter`` with its
    ``size``, read a block at a time; ``close()`` frees the spool."""

    def __init__(self, spool: Spool) -> None:
        self._spool = spool
        self.size = spool.size

    def __iter__(self) -> Iterator[bytes]:
        return self._spool.blocks(self.size)

    def close(self) -> None:
        self._spool.close()


#: The answers whose bytes wait in spools, not in memory.
SPOOLED = (SpooledListing, SpooledObject, SpooledBody)
