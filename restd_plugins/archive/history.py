"""The archive as the request process sees it (kept in the app's wiring:
``wiring(registry).kept(ArchiveHistory)``): whether it covers a history
window, the window's listing from it, and how it is (``/readyz``,
``/metrics``).

The archive covers a window of a schedd's history when its history was
read to its end at least ``restd.archive.settle`` seconds after the
window's end (a job is recorded shortly after it completes), and the
window starts when the archive has that schedd's jobs from (its whole
history, or its first read's time without ``restd.archive.backfill``; while
jobs are forgotten after ``restd.archive.keep_days``, no earlier than
that). Otherwise the schedd answers.
"""
from __future__ import annotations

import logging
import time
from typing import Any

from pyramid.request import Request
from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

from restd_core.plugin_api.web import EVERY_SCHEDD, GatewayError, Reused, SpooledListing, SpooledObject, stream_listing

from . import store
from .ingester import Ingester
from .settings import ArchiveSettings

log = logging.getLogger(__name__)

#: Seconds the local schedd's name (the schedd ``DEFAULT``) is reused.
DEFAULT_NAME_SECONDS = 60.0
#: Seconds the archive's status (``/readyz``, ``/metrics``) is reused.
STATUS_SECONDS = 2.0


class ArchiveHistory:
    """This app's archive: its engine, its ingester and its answers."""

    def __init__(self, engine: Engine, ingester: Ingester, settings: ArchiveSettings) -> None:
        self.engine, self.ingester, self.settings = engine, ingester, settings
        self._default_name: Reused[str] | None = None
        self._status = Reused(self._read_status, STATUS_SECONDS, name="archive status")

    def _covered(self, state: tuple[int, int | None] | None, after: int | None, before: int | None,
                 now: float) -> bool:
        """Whether a schedd of this ``(covered_from, synced_at)`` is covered from ``after`` to ``before``."""
        if state is None or before is None or state[1] is None or state[1] < before + self.settings.settle:
            return False
        start = max(state[0], now - self.settings.keep_days * 86400 if self.settings.keep_days else 0)
        return start == 0 or (after is not None and after >= start)

    def _name(self, request: Request, schedd: str) -> str:
        """A schedd's name as the archive keeps it (``DEFAULT``: the local one's)."""
        if schedd != "DEFAULT":
            return schedd
        if self._default_name is None:
            gateway = request.gateway
            self._default_name = Reused(lambda: gateway.call("archive_local_schedd"), DEFAULT_NAME_SECONDS,
                                        name="local schedd's name")
        return self._default_name.get()

    def listing(self, request: Request, arguments: dict[str, Any], constraint: str | None, after: int | None,
                before: int | None) -> SpooledListing | SpooledObject | None:
        """The window's listing (the jobs plugin's ``arguments``, the
        caller's own ``constraint``) from the archive, if it covers the
        window for the schedd (for ``*``: for every schedd the collector
        lists); None if not, or if the archive does not answer."""
        schedd = arguments["schedd"]
        if arguments["since"] is not None:  # a cursor of the schedd's own history file
            return None
        try:
            covered = store.coverage(self.engine)
            names = request.gateway.call("schedd_names") if schedd == EVERY_SCHEDD else [self._name(request, schedd)]
        except (SQLAlchemyError, GatewayError) as exc:
            log.info("archive: a history window is asked of the schedd: %s", str(exc).splitlines()[0][:300])
            return None
        now = time.time()
        if not names or not all(self._covered(covered.get(name), after, before, now) for name in names):
            return None
        return stream_listing(request, "archive_history", {
            "archive": self.settings.url, "schedd": schedd if schedd == EVERY_SCHEDD else names[0],
            "after": after, "before": before, "constraint": constraint, "projection": arguments["projection"],
            "cluster": arguments["cluster"], "limit": arguments["limit"], "cursor": arguments["before"],
            "tag_schedd": arguments.get("tag_schedd", schedd == EVERY_SCHEDD),
            "max_judged": self.settings.max_judged, "max_scanned": self.settings.max_scanned,
        }, limit=arguments["limit"])

    def close(self) -> None:
        """Its ingester stopped, its connections closed."""
        self.ingester.stop()
        self.engine.dispose()

    def status(self) -> dict[str, Any]:
        """How the archive is: ``{"backend", "up", "ingesting", "jobs",
        "schedds", "lag_seconds"}`` (lag: since the schedd read to its end
        longest ago was; None before any)."""
        return self._status.get()

    def readiness(self) -> dict[str, Any]:
        """What ``/readyz`` (public) says of it: whether it answers, and the lag."""
        status = self.status()
        return {"up": status["up"], "lag_seconds": status["lag_seconds"]}

    def _read_status(self) -> dict[str, Any]:
        head = {"backend": self.engine.dialect.name, "ingesting": self.ingester.holding}
        try:
            covered = store.coverage(self.engine)
            jobs = store.count(self.engine)
        except SQLAlchemyError:
            return {**head, "up": False, "jobs": None, "schedds": None, "lag_seconds": None}
        times = [synced for _, synced in covered.values() if synced is not None]
        lag = max(time.time() - min(times), 0.0) if times else None
        return {**head, "up": True, "jobs": jobs, "schedds": len(covered), "lag_seconds": lag}
