"""Large answers handed to the WSGI server's own I/O, so that no request
thread waits for a slow reader.

A WSGI server sends an ordinary body from the thread that ran the app:
waitress stops that thread once 16 MiB of its output is waiting for the
client, so eight clients that read a 45 MB listing through a small receive
window hold eight threads (all of them), and everyone else waits. An answer
the server already has (spooled to memory or a temporary file:
``SpooledListing``, ``SpooledObject``, ``SpooledBody``; or whole in memory: a cached answer,
a worker's) is instead given to the server as a file, through PEP 3333's
``wsgi.file_wrapper``: waitress then sends it from its event loop, a piece
each time the client's socket takes one, and the thread is free at once.

What a slow reader keeps is bounded by ``AnswersInFlight``: a spooled
answer's bytes count from the worker's first piece until the server closes
the body (it does when the answer is sent, when the client goes, and when
the connection is cut off: ``restd_core.assembly.waitress_server``); a body in memory
of at least ``LEND_MIN_BYTES`` is counted the same way while it is lent (a
cached one once per answer being sent, though they share the cache's bytes:
a bound, not a measure). Smaller bodies are copied into the server's own
buffer as usual: the thread never waits for them.

Servers without ``wsgi.file_wrapper`` (WebTest) get the body as it was.
gunicorn and uWSGI read the file in their worker (a slow reader holds one:
put nginx in front, ``deploy/``); it has no ``fileno``, so neither of them
sends the spool's temporary file itself.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import Any

from prometheus_client.core import GaugeMetricFamily, Metric
from pyramid.request import Request
from pyramid.response import Response
from pyramid.tweens import EXCVIEW

from restd_core.assembly.wiring import wiring
from restd_core.gateway.spool import BLOCK_BYTES, SPOOLED, AnswersInFlight

#: A body in memory smaller than this is copied into the server's buffer
#: (the thread does not wait for it); a larger one is lent.
LEND_MIN_BYTES = BLOCK_BYTES


class BodyFile:
    """A body of ``size`` bytes, made of ``chunks`` in order, as the read-only
    file ``wsgi.file_wrapper`` takes; ``close()`` calls ``on_close`` once.

    It reads forward; its position may go back to where the last read began
    (waitress reads what it may send, then goes back to the first byte the
    socket did not take) and anywhere before a read (to the end and back:
    the size). It holds what one read asked for, plus one chunk. It has no
    ``fileno``: what it reads is not a file's bytes as they are.
    """

    def __init__(self, chunks: Iterable[bytes | memoryview], size: int, on_close: Callable[[], None]) -> None:
        self._chunks: Iterator[bytes | memoryview] = iter(chunks)
        self.size = size
        self._on_close: Callable[[], None] | None = on_close
        self._buffer = bytearray()  # the body's bytes from _start on, taken from the chunks
        self._start = 0
        self._position = 0

    @property
    def closed(self) -> bool:
        return self._on_close is None

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._position

    def seek(self, offset: int, whence: int = 0) -> int:
        position = offset + (0, self._position, self.size)[whence]
        if position < self._start:
            raise ValueError(f"a body can go back to where its last read began ({self._start}), not to {position}")
        self._position = position
        return position

    def read(self, size: int | None = -1) -> bytes:
        if self.closed:
            raise ValueError("read of a closed body")
        end = self.size if size is None or size < 0 else min(self.size, self._position + size)
        self._forget_before(self._position)  # no read goes back before this one
        while self._start + len(self._buffer) < end:
            chunk = next(self._chunks, None)
            if chunk is None:
                break
            self._buffer += chunk
            self._forget_before(self._position)
        with memoryview(self._buffer) as held:
            data = bytes(held[self._position - self._start:end - self._start])
        self._position += len(data)
        return data

    def _forget_before(self, position: int) -> None:
        dropped = min(position - self._start, len(self._buffer))
        del self._buffer[:dropped]
        self._start += dropped

    def close(self) -> None:
        on_close, self._on_close = self._on_close, None
        self._buffer = bytearray()
        if on_close is not None:
            on_close()


def _slices(body: bytes) -> Iterator[memoryview]:
    view = memoryview(body)
    return (view[start:start + BLOCK_BYTES] for start in range(0, len(body), BLOCK_BYTES))


def body_file(body: Any, in_flight: AnswersInFlight) -> BodyFile | None:
    """``body`` (a response's ``app_iter``) as a file to lend, or None to
    send it as it is: a spooled answer (its spools count its bytes and its
    ``close`` frees them), or a whole body of at least ``LEND_MIN_BYTES``
    (counted while lent: ``Overloaded`` past the bound)."""
    if isinstance(body, SPOOLED):
        return BodyFile(body, body.size, body.close)
    if isinstance(body, list) and len(body) == 1 and len(body[0]) >= LEND_MIN_BYTES:
        whole = body[0]
        in_flight.take(len(whole))
        return BodyFile(_slices(whole), len(whole), lambda: in_flight.give_back(len(whole)))
    return None


def lend(request: Request, response: Response, in_flight: AnswersInFlight) -> Response:
    """``response`` with its body lent to the server (``wsgi.file_wrapper``),
    when the server takes files and the body is worth it."""
    file_wrapper = request.environ.get("wsgi.file_wrapper")
    if file_wrapper is None:
        return response
    file = body_file(response.app_iter, in_flight)
    if file is None:
        return response
    try:
        length = response.content_length
        response.app_iter = file_wrapper(file, BLOCK_BYTES)
        response.content_length = length  # setting app_iter forgets it
    except BaseException:
        file.close()
        raise
    # WebOb would answer a Range by reading the file in the thread, which a
    # slow reader would hold again: a lent answer is sent whole (200).
    request.environ.pop("HTTP_RANGE", None)
    return response


def lending_tween_factory(handler: Callable[[Request], Response], registry) -> Callable[[Request], Response]:
    in_flight: AnswersInFlight = wiring(registry).answers_in_flight

    def tween(request: Request) -> Response:
        return lend(request, handler(request), in_flight)

    return tween


class _InFlightGauge:
    """Prometheus view of the bytes of answers held until sent (read when scraped)."""

    def __init__(self, in_flight: AnswersInFlight) -> None:
        self._in_flight = in_flight

    def collect(self) -> Iterator[Metric]:
        yield GaugeMetricFamily("restd_answers_in_flight_bytes",
                                "Bytes of answers held (in memory and temporary files) until they are sent",
                                value=self._in_flight.held)


def includeme(config) -> None:
    # Under the exception views: a body that cannot be lent (the bound is
    # reached) is their 503; their own answers are small.
    config.add_tween("restd_core.pipeline.server_io.lending_tween_factory", under=EXCVIEW)
    restd = wiring(config.registry)
    restd.metrics.registry.register(_InFlightGauge(restd.answers_in_flight))
