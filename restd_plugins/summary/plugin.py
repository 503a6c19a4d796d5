"""The summary plugin's includeme: its services and its operations."""
from __future__ import annotations

from cornice import Service

from restd_core.plugin_api.web import parse, read_service, wiring

from . import responses, views
from .gauges import PoolGauges
from .schemas import JobCountsRequest, PrioritiesRequest, SlotUtilizationRequest
from .settings import SummarySettings


def services() -> list[Service]:
    return [
        read_service("summary_jobs", "/v1/summary/jobs/{schedd}",
                     "How many of the schedd's jobs are in each state, counted by attributes (like condor_q's "
                     "summary line; the schedd *: every schedd's, summed)", views.job_counts, JobCountsRequest(),
                     responses.EVERY_SCHEDDS_JOB_COUNTS),
        read_service("summary_status", "/v1/summary/status",
                     "How many slots, and how much of their CPUs, GPUs, memory and disk is claimed, counted by "
                     "attributes", views.slot_utilization, SlotUtilizationRequest(), responses.SLOT_UTILIZATION),
        read_service("summary_priorities", "/v1/summary/priorities",
                     "The negotiator's user priorities and usage (like condor_userprio)", views.user_priorities,
                     PrioritiesRequest(), responses.PRIORITIES),
    ]


def includeme(config) -> None:
    settings = parse(SummarySettings, config.registry.settings)
    for service in services():
        config.add_cornice_service(service)
    config.add_gateway_operation("summary_job_counts", "restd_plugins.summary.operations:job_counts",
                                 daemon="schedd")
    config.add_gateway_operation("summary_slot_utilization", "restd_plugins.summary.operations:slot_utilization",
                                 daemon="collector")
    config.add_gateway_operation("summary_user_priorities", "restd_plugins.summary.operations:user_priorities",
                                 daemon="negotiator")
    if wiring(config.registry).settings.metrics and settings.gauges_ttl > 0:
        wiring(config.registry).metrics.registry.register(
            PoolGauges(wiring(config.registry).gateway, wiring(config.registry).condor_settings, settings))
