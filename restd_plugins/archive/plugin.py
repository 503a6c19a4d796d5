"""The archive plugin's includeme: its service and operations; with
``restd.archive`` set, the archive (its engine, its ingester started once
the app is made, its ``/readyz`` detail and ``/metrics``)."""
from __future__ import annotations

import atexit
import logging

from cornice import Service
from pyramid.events import ApplicationCreated
from sqlalchemy.exc import SQLAlchemyError

from restd_core.plugin_api.web import parse, read_service, wiring

from . import store, views
from .gauges import ArchiveGauges
from .history import ArchiveHistory
from .ingester import Ingester
from .responses import HISTORY_SUMMARY
from .schemas import history_summary_request
from .settings import ArchiveSettings

log = logging.getLogger(__name__)


def services() -> list[Service]:
    return [
        read_service("summary_history", "/v1/summary/history",
                     "Numbers over time from the archive of finished jobs: per time bucket and group, jobs completed, "
                     "removed, exited non-zero and restarted; wall, CPU and GPU hours; CPU efficiency; memory "
                     "requested and peak; the median and 95th-percentile wait (404 without an archive)",
                     views.history_summary, history_summary_request(), HISTORY_SUMMARY),
    ]


def includeme(config) -> None:
    config.require_plugins("jobs")  # it answers the history windows of the jobs plugin's endpoints
    settings = parse(ArchiveSettings, config.registry.settings)
    for service in services():
        config.add_cornice_service(service)
    config.add_gateway_operation("archive_history_since", "restd_plugins.archive.operations:history_since",
                                 daemon="schedd")
    config.add_gateway_operation("archive_history", "restd_plugins.archive.operations:archived_history",
                                 daemon="archive")
    config.add_gateway_operation("archive_summary", "restd_plugins.archive.operations:history_summary",
                                 daemon="archive")
    config.add_gateway_operation("archive_local_schedd", "restd_plugins.archive.operations:local_schedd",
                                 daemon="collector", short=True)
    if settings.url is None:
        log.info("archive: off (restd.archive is unset)")
        return
    restd = wiring(config.registry)
    engine = store.engine_for(settings.url, restd.settings.gateway_timeout)
    ingester = Ingester(engine, restd.gateway, settings)
    try:
        ingester.migrate()  # at once if the database answers, else by the ingester's first round that it answers
    except SQLAlchemyError as exc:
        log.warning("archive: its schema could not be brought up to date yet: %s", str(exc).splitlines()[0][:300])
    archive = restd.keep(ArchiveHistory(engine, ingester, settings))
    config.add_subscriber(lambda _event: ingester.start(), ApplicationCreated)
    atexit.register(archive.close)
    restd.readiness.add_detail("archive", archive.readiness)
    if restd.settings.metrics:
        restd.metrics.registry.register(ArchiveGauges(archive))
    log.info("archive: %s, read every %g s", engine.url.render_as_string(hide_password=True), settings.interval)
