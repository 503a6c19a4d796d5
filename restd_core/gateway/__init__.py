"""The one gateway to HTCondor.

``Gateway`` is what endpoint plugins use (``request.gateway``); every call
runs in a worker process (``workers``) where ``bindings``, the only module
that imports ``htcondor2``, does the work. Errors come out as
``GatewayError`` subclasses that carry their HTTP status.
"""
from __future__ import annotations

from typing import Any

from .errors import BadQuery, Busy, GatewayError, NotFound, Timeout, Unavailable
from .workers import WorkerPool

__all__ = ["Gateway", "GatewayError", "BadQuery", "Busy", "NotFound", "Timeout", "Unavailable"]

BINDINGS = "restd_core.gateway.bindings"


class Gateway:
    """Typed HTCondor queries, each run in a worker process with a timeout."""

    def __init__(self, workers: int = 2, timeout: float = 20.0, ops_module: str = BINDINGS, **options: Any) -> None:
        self.timeout = timeout
        self._pool = WorkerPool(workers, timeout, ops_module, options)

    def query_jobs(
        self,
        schedd: str,
        source: str,
        *,
        constraint: str | None = None,
        projection: list[str] = (),
        cluster: int | None = None,
        proc: int | None = None,
        limit: int | None = None,
        hidden: list[str] = (),
        since: str | None = None,
    ) -> list[dict[str, Any]]:
        """Jobs of ``schedd`` (a name or ``DEFAULT``) from its queue
        (``source="queue"``) or its history (``source="history"``)."""
        return self._pool.call(
            "query_jobs",
            schedd=schedd,
            source=source,
            constraint=constraint,
            projection=list(projection),
            cluster=cluster,
            proc=proc,
            limit=limit,
            hidden=list(hidden),
            since=since,
        )

    def read_params(self, names: list[str]) -> dict[str, Any]:
        """The server's own HTCondor configuration values for ``names``."""
        return self._pool.call("read_params", names=list(names))

    def close(self) -> None:
        self._pool.close()
