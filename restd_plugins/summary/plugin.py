"""The summary plugin's includeme: its services and its operations."""
from __future__ import annotations

from cornice import Service

from restd_core.services import read_service

from . import responses, views
from .schemas import JobCountsRequest


def services() -> list[Service]:
    return [
        read_service("summary_jobs", "/v1/summary/jobs/{schedd}",
                     "How many of the schedd's jobs are in each state, counted by attributes (like condor_q's "
                     "summary line)", views.job_counts, JobCountsRequest(), responses.JOB_COUNTS),
    ]


def includeme(config) -> None:
    for service in services():
        config.add_cornice_service(service)
    config.add_gateway_operation("summary_job_counts", "restd_plugins.summary.operations:job_counts",
                                 daemon="schedd")
