"""The one gateway to HTCondor.

``Gateway`` is what endpoint plugins use (``request.gateway``); every call
runs in a worker process (``workers``) where ``bindings``, the only module
that imports ``htcondor2``, does the work. Errors come out as
``GatewayError`` subclasses that carry their HTTP status.
"""
from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar, copy_context
from typing import Any

from .admission import CallerSlots, admit, caller
from .errors import BadQuery, Busy, GatewayError, NotFound, Throttled, Timeout, Unavailable
from .raw import JsonBody, RawJson, merged
from .workers import WorkerPool

__all__ = [
    "Gateway", "GatewayError", "JsonBody", "RawJson", "BadQuery", "Busy", "NotFound", "Throttled", "Timeout",
    "Unavailable", "CallerSlots", "admit", "caller", "deadline",
]

BINDINGS = "restd_core.gateway.bindings"

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


class Gateway:
    """Typed HTCondor queries, each run in a worker process with a timeout."""

    def __init__(
        self, workers: int = 3, timeout: float = 20.0, ops_module: str = BINDINGS, listing_parts: int = 2, **options: Any
    ) -> None:
        self.timeout = timeout
        self.workers = workers
        #: The most workers one split queue listing may use (1: never split).
        self.listing_parts = max(1, listing_parts)
        self._pool = WorkerPool(workers, timeout, ops_module, options)
        self.observers: list[CallObserver] = []

    def query_jobs(
        self,
        schedd: str,
        source: str,
        *,
        shape: str,
        constraint: str | None = None,
        projection: list[str] = (),
        cluster: int | None = None,
        proc: int | None = None,
        limit: int | None = None,
        hidden: list[str] = (),
        since: str | None = None,
        group_by: str | None = None,
        split: bool = False,
    ) -> RawJson | JsonBody:
        """Jobs of ``schedd`` (a name or ``DEFAULT``) from its queue
        (``source="queue"``, in job-id order) or its history (newest first),
        as a JSON array of what ``shape`` (``"module:function"``, importable
        in the workers; see ``raw.shaped``) makes of each; encoded in the
        workers and never decoded here; with ``group_by``, the grouped
        answer (``raw.grouped``), made in the worker too.

        ``split``: a queue listing may be split between the workers that are
        idle (up to ``listing_parts``), which query and encode their parts
        at the same time: the bindings hold a worker's GIL for the whole
        query, so one worker cannot convert ads while it waits for more.
        A split never takes the last idle worker: a cheap call that comes
        meanwhile must not queue behind the listing.
        """
        kwargs = {
            "schedd": schedd, "source": source, "shape": shape, "constraint": constraint,
            "projection": list(projection), "cluster": cluster, "proc": proc, "limit": limit,
            "hidden": list(hidden), "since": since,
        }
        if group_by is not None:
            return self._call("query_jobs", "schedd", None, **kwargs, group_by=group_by)
        parts = 1
        if split and source == "queue" and cluster is None:
            parts = max(1, min(self.listing_parts, self._pool.idle - 1))
        if parts == 1:
            return merged([self._call("query_jobs", "schedd", None, **kwargs)], limit)
        others = [
            self._pool.submit(copy_context().run, self._call, "query_jobs", "schedd", None,
                              **kwargs, part=part, parts=parts)
            for part in range(1, parts)
        ]
        first = self._call("query_jobs", "schedd", None, **kwargs, part=0, parts=parts)
        return merged([first, *(other.result() for other in others)], limit)

    def read_params(self, names: list[str]) -> dict[str, Any]:
        """The server's own HTCondor configuration values for ``names``."""
        return self._call("read_params", "config", None, names=list(names))

    def ping(self, daemon: str, timeout: float | None = None) -> dict[str, Any]:
        """Whether ``daemon`` (``collector`` or ``schedd``, the default one)
        answers within ``timeout`` seconds (the gateway's own by default):
        ``{"name": ...}``, or an ``Unavailable``."""
        return self._call("ping", daemon, timeout, daemon=daemon)

    @property
    def worker_replacements(self) -> int:
        """How many worker processes were killed and replaced so far."""
        return self._pool.replacements

    def _call(self, op: str, daemon: str, timeout: float | None, /, **kwargs: Any) -> Any:
        started = time.perf_counter()
        error: GatewayError | None = None
        try:
            admit()
            return self._pool.call(
                op, timeout=self._within_deadline(timeout), on_start=self._postpone_deadline, **kwargs
            )
        except GatewayError as exc:
            error = exc
            raise
        finally:
            for observe in self.observers:
                observe(op, daemon, time.perf_counter() - started, error)
            del error  # it holds this frame through its traceback: a cycle only the full GC frees

    @staticmethod
    def _postpone_deadline(seconds: float) -> None:
        """Time spent waiting for worker processes to start is not HTCondor's:
        the request's budget moves by it."""
        ends = _deadline.get()
        if ends is not None:
            _deadline.set(ends + seconds)

    def _within_deadline(self, timeout: float | None) -> float:
        timeout = self.timeout if timeout is None else timeout
        ends = _deadline.get()
        if ends is None:
            return timeout
        left = ends - time.monotonic()
        if left <= 0:
            raise Timeout(f"HTCondor did not answer within {self.timeout:g} s", {"timeout": self.timeout})
        return min(timeout, left)

    @property
    def idle_workers(self) -> int:
        return self._pool.idle

    def query_status(
        self,
        ad_type: str,
        *,
        name: str | None = None,
        constraint: str | None = None,
        projection: list[str] = (),
        hidden: list[str] = (),
        group_by: str | None = None,
    ) -> JsonBody:
        """The collector's ads of ``ad_type`` (a name in ``kinds.AD_TYPES``)
        as status objects, only the one named ``name`` if given; with
        ``group_by``, grouped by that attribute (made in the worker)."""
        return self._call(
            "query_status", "collector", None, ad_type=ad_type, name=name, constraint=constraint,
            projection=list(projection), hidden=list(hidden), group_by=group_by,
        )

    def read_config(self, *, daemon: str | None = None, hidden: list[str] = ()) -> dict[str, Any]:
        """Every defined configuration knob: the server's own, or with
        ``daemon`` (a name in ``kinds.DAEMON_TYPES``) that running daemon's;
        knobs matching a ``hidden`` pattern redacted."""
        return self._call("read_config", daemon or "config", None, daemon=daemon, hidden=list(hidden))

    def read_config_value(self, name: str, *, daemon: str | None = None, hidden: list[str] = ()) -> Any:
        """One knob's value, as ``read_config`` has it."""
        return self._call("read_config_value", daemon or "config", None, name=name, daemon=daemon, hidden=list(hidden))

    def close(self) -> None:
        self._pool.close()
