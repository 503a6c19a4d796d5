"""The why plugin's includeme: its services and operations."""
from __future__ import annotations

from cornice import Service

from restd_core.plugin_api.web import parse, read_service

from . import views
from .schemas import EVERY_SCHEDDS_HELD, HealthRequest, HeldRequest, health_schema
from .settings import WhySettings
from .verdicts import CHECKS


def services(settings: WhySettings = WhySettings()) -> list[Service]:
    return [
        read_service("why_held", "/v1/why/held/{schedd}",
                     "Why the schedd's jobs are held: held jobs counted by HoldReasonCode (with its name), "
                     "HoldReasonSubCode and Owner (or the by attributes), each group's oldest and newest "
                     "EnteredCurrentStatus and a few example jobs with their HoldReason (like condor_q -hold; "
                     "the schedd *: every schedd's, merged)", views.held_jobs, HeldRequest(), EVERY_SCHEDDS_HELD),
        read_service("why_health", "/v1/why/health",
                     "Whether the schedds, negotiators and collectors are in trouble: the numbers that say so, each "
                     "judged ok, warning or critical by the site's thresholds, and an overall verdict",
                     views.daemon_health(settings), HealthRequest(), health_schema(CHECKS)),
    ]


def includeme(config) -> None:
    config.require_plugins("summary")  # its job counts (the schedd's GroupBy path) and by parameter
    for service in services(parse(WhySettings, config.registry.settings)):
        config.add_cornice_service(service)
    config.add_gateway_operation("why_held_jobs", "restd_plugins.why.operations:held_jobs", daemon="schedd")
    config.add_gateway_operation("why_daemon_health", "restd_plugins.why.health:daemon_health", daemon="collector")
