"""The plugin's includeme: its operations and services."""
from __future__ import annotations

from restd_core.plugin_api.web import read_service

from . import views
from .schemas import COUNTS, COUNTS_REQUEST, HISTORY, HISTORY_REQUEST


def includeme(config) -> None:
    # Run in the gateway's worker processes; the names are what views call.
    config.add_gateway_operation("joblog_history", "restd_joblog.operations:history", daemon="schedd")
    config.add_gateway_operation("joblog_counts", "restd_joblog.operations:history_counts", daemon="schedd")
    config.add_cornice_service(read_service(
        "joblog", "/v1/joblog/{schedd}", "A schedd's job history, newest first", views.history,
        HISTORY_REQUEST, HISTORY,
    ))
    config.add_cornice_service(read_service(
        "joblog_counts", "/v1/joblog_counts/{schedd}", "A schedd's job history counted by an attribute",
        views.counts, COUNTS_REQUEST, COUNTS,
    ))
