"""The one gateway to HTCondor: the mechanism that runs operations in
worker processes.

``Gateway`` is what views use (``request.gateway``): ``call(name,
**arguments)`` runs the operation registered under ``name``
(``operations``) in a worker process (``pool``), within the request's
HTCondor time budget (``deadline``), when the ``scheduler`` gives its
caller (``caller``) a worker's turn, and answers what it returned, raw
JSON bytes passed on as they are (``wire``); its errors come out as
``GatewayError`` subclasses that carry their HTTP status (``errors``).
What runs in the workers is the package ``worker``, never imported here.
"""
from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable, Hashable, Iterator
from concurrent.futures import wait
from contextlib import contextmanager
from contextvars import ContextVar, copy_context
from typing import Any

from restd_core.assembly.settings import ServerSettings
from restd_core.assembly.wiring import wiring
from restd_core.gateway.errors import (
    BadQuery,
    Busy,
    ClientGone,
    GatewayError,
    NotFound,
    Throttled,
    Timeout,
    Unavailable,
)
from restd_core.gateway.operations import Operation, OperationError, Operations
from restd_core.gateway.pool import WorkerPool
from restd_core.gateway.scheduler import Claim
from restd_core.gateway.wire import EncodedItems, JsonBody, Received, Streamed

__all__ = [
    "Gateway", "GatewayError", "JsonBody", "EncodedItems", "Received", "Streamed", "BadQuery", "Busy", "ClientGone",
    "NotFound", "Throttled", "Timeout", "Unavailable", "caller", "deadline", "time_left", "Operation",
    "OperationError", "Operations",
]

#: Told of every call once it ends: ``(operation, daemon, seconds, error or None)``.
CallObserver = Callable[[str, str, float, "GatewayError | None"], None]

_deadline: ContextVar[float | None] = ContextVar("restd_gateway_deadline", default=None)


@contextmanager
def deadline(seconds: float) -> Iterator[None]:
    """Within it, all gateway calls together may take ``seconds`` at most
    (monotonic): one request's several calls (its settings, its query) share
    one budget rather than each having the whole timeout."""
    token = _deadline.set(time.monotonic() + seconds)
    try:
        yield
    finally:
        _deadline.reset(token)


def time_left() -> float | None:
    """Seconds left of the request's HTCondor budget (None outside a request)."""
    ends = _deadline.get()
    return None if ends is None else ends - time.monotonic()


class _Caller:
    """A request's caller as its calls claim workers: its ``key``, asked at
    its first call (the caller is known by then) and kept, and ``gone``:
    whether its client has left."""

    def __init__(self, key: Callable[[], Hashable], gone: Callable[[], bool] | None) -> None:
        self._key = key
        self._gone = gone
        self._lock = threading.Lock()  # the calls of one request may be made from several threads
        self._known: tuple[Hashable] | None = None

    def claim(self, short: bool) -> Claim:
        with self._lock:
            if self._known is None:
                self._known = (self._key(),)
        return Claim(self._known[0], short, self._gone)


_caller: ContextVar[_Caller | None] = ContextVar("restd_gateway_caller", default=None)


@contextmanager
def caller(key: Callable[[], Hashable], gone: Callable[[], bool] | None = None) -> Iterator[None]:
    """Within it, gateway calls are ``key()``'s (None: the server's own, and
    public routes') in their turns at the workers, and those that wait or
    run long are abandoned once ``gone()`` says the client left."""
    token = _caller.set(_Caller(key, gone))
    try:
        yield
    finally:
        _caller.reset(token)


def _claim(short: bool) -> Claim:
    current = _caller.get()
    return Claim(short=short) if current is None else current.claim(short)


class UnknownOperation(GatewayError):
    """A view named an operation that no plugin registered (a bug: 500)."""


class Gateway:
    """Registered operations, each call run in a worker process with a timeout.

    ``options`` go to each worker when it starts (the server's IDTOKEN, how
    often to re-read HTCondor's configuration), with the table of
    ``operations``, which must be frozen by the first call.
    """

    def __init__(self, operations: Operations, workers: int = 3, timeout: float = 20.0,
                 queue_depth: int = ServerSettings.limits_queued_calls, **options: Any) -> None:
        self.operations = operations
        self.timeout = timeout
        self.workers = workers
        self._pool = WorkerPool(workers, timeout, lambda: {**options, "operations": self._table()}, queue_depth)
        self.observers: list[CallObserver] = []

    def _table(self) -> dict[str, dict[str, str]]:
        if not self.operations.frozen:
            raise OperationError("the gateway's workers start only once the app is made")
        return self.operations.table()

    def call(self, name: str, /, *, daemon: str | None = None, timeout: float | None = None,
             sink: Callable[[bytes], None] | None = None, short: bool | None = None, **arguments: Any) -> Any:
        """Run the operation ``name`` with ``arguments`` (plain data) in a
        worker and answer what it returned. ``daemon``: which one this call
        asks, if not the one the operation declares (one of the registry's
        daemons: a metric label); ``timeout``: shorter than the gateway's;
        ``sink``: where a streamed answer's pieces go as they come (it then
        answers ``wire.Received``); ``short``: whether this call is short
        (it may take the last idle worker), if not as the operation declares."""
        operation = self.operations.get(name)
        if operation is None:
            raise UnknownOperation(f"no HTCondor operation named {name!r} is registered")
        if daemon is not None and daemon not in self.operations.daemons:
            raise UnknownOperation(f"operation {name!r}: {daemon!r} is none of the registered operations' daemons")
        label = daemon or operation.daemon
        started = time.perf_counter()
        error: GatewayError | None = None
        try:
            return self._pool.call(
                name, timeout=self._within_deadline(timeout), on_start=self._postpone_deadline, sink=sink,
                claim=_claim(operation.short if short is None else short), **arguments
            )
        except GatewayError as exc:
            error = exc
            raise
        finally:
            for observe in self.observers:
                observe(name, label, time.perf_counter() - started, error)
            del error  # it holds this frame through its traceback: a cycle only the full GC frees

    def call_parts(self, name: str, parts: list[dict[str, Any]], /,
                   sinks: list[Callable[[bytes], None]] | None = None) -> list[Any]:
        """The operation ``name`` once for each of ``parts`` (its arguments),
        at the same time as far as the workers allow (``call_each``),
        with the sink of the same place in ``sinks``, if given; their
        answers in the same order, or the error of the first part that failed."""
        labels = [str(place) for place in range(len(parts))]
        answers = self.call_each(name, dict(zip(labels, parts)), sinks=dict(zip(labels, sinks)) if sinks else None)
        failed = next((answers[label] for label in labels if isinstance(answers[label], GatewayError)), None)
        if failed is not None:
            raise failed
        return [answers[label] for label in labels]

    def call_each(self, name: str, calls: dict[str, dict[str, Any]], /,
                  sinks: dict[str, Callable[[bytes], None]] | None = None) -> dict[str, Any]:
        """The operation ``name`` once for each of ``calls`` (a label, such
        as a schedd's name, -> its arguments; with the sink of the same label
        in ``sinks``, if given): as many at the same time as long calls may
        run (every worker but one), the request's thread taking its share;
        each takes its turn at the workers like any call of its caller
        (``scheduler``). Each label's answer, or the ``GatewayError`` its
        call raised: one call's failure does not end the others. Every call
        is within the request's one budget (``deadline``), so this returns by
        then: a call that starts past it fails at once (``Timeout``)."""
        waiting = deque(calls)
        answers: dict[str, Any] = {}

        def take_turns() -> None:
            while True:
                try:
                    label = waiting.popleft()
                except IndexError:
                    return
                try:
                    answers[label] = self.call(name, sink=(sinks or {}).get(label), **calls[label])
                except GatewayError as exc:
                    answers[label] = exc.with_traceback(None)  # its frames are done with: no cycle kept

        beside = min(len(calls), max(self.workers - 1, 1)) - 1
        helpers = [self._pool.submit(copy_context().run, take_turns) for _ in range(beside)]
        try:
            take_turns()
        finally:
            for helper in helpers:
                helper.cancel()  # one that has not started yet finds nothing left to do anyway
            wait(helpers)
        for helper in helpers:
            if not helper.cancelled():
                helper.result()  # what is not a GatewayError (a bug) is raised here too
        return answers

    def spare_workers(self, wanted: int) -> int:
        """How many of ``wanted`` workers one request may take at once now:
        never the last idle one (a cheap call that comes meanwhile must not
        queue behind it), and at least one."""
        return max(1, min(wanted, self._pool.idle - 1))

    @property
    def idle_workers(self) -> int:
        """Workers no call holds now."""
        return self._pool.idle

    @property
    def queued_calls(self) -> int:
        """Calls waiting for a worker now."""
        return self._pool.queued

    @property
    def worker_replacements(self) -> int:
        """How many worker processes were killed and replaced so far."""
        return self._pool.replacements

    @staticmethod
    def _postpone_deadline(seconds: float) -> None:
        """Time spent waiting for worker processes to start is not HTCondor's:
        the request's budget moves by it."""
        ends = _deadline.get()
        if ends is not None:
            _deadline.set(ends + seconds)

    def _within_deadline(self, timeout: float | None) -> float:
        timeout = self.timeout if timeout is None else timeout
        left = time_left()
        if left is None:
            return timeout
        if left <= 0:
            raise Timeout(f"HTCondor did not answer within {self.timeout:g} s", {"timeout": self.timeout})
        return min(timeout, left)

    def close(self) -> None:
        self._pool.close()


def includeme(config) -> None:
    """The registry and its directive; the core's own operations."""
    wiring(config.registry).operations = Operations()
    config.add_directive("add_gateway_operation", "restd_core.gateway.operations.add_gateway_operation")
    config.add_gateway_operation("read_params", "restd_core.gateway.worker.core:read_params", daemon="config",
                                 short=True)
    config.add_gateway_operation("ping", "restd_core.gateway.worker.core:ping", daemon="collector", short=True)
    config.add_gateway_operation("schedd_names", "restd_core.gateway.worker.core:schedd_names", daemon="collector",
                                 short=True)
