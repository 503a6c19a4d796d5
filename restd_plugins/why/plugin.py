"""The why plugin's includeme: its services and operations."""
from __future__ import annotations

from cornice import Service

from restd_core.plugin_api.web import parse, read_service, request_schema, wiring
from restd_plugins.summary.settings import SummarySettings

from . import idle_views, views
from .gauges import HealthGauges
from .idle_schemas import EVERY_SCHEDDS_IDLE, IDLE_JOB, IdleJobRequest, IdleRequest
from .idle_settings import IdleSettings
from .schemas import EVERY_SCHEDDS_HELD, HealthRequest, HeldQuery, health_schema
from .settings import WhySettings
from .verdicts import CHECKS


def services(settings: WhySettings = WhySettings(), idle: IdleSettings = IdleSettings()) -> list[Service]:
    return [
        read_service("why_held", "/v1/why/held/{schedd}",
                     "Why the schedd's jobs are held: held jobs counted by HoldReasonCode (with its name), "
                     "HoldReasonSubCode and Owner (or the by attributes), each group's oldest and newest "
                     "EnteredCurrentStatus and a few example jobs with their HoldReason (like condor_q -hold; "
                     "the schedd *: every schedd's, merged)", views.held_jobs, request_schema(HeldQuery, every_schedd=True),
                     EVERY_SCHEDDS_HELD),
        read_service("why_health", "/v1/why/health",
                     "Whether the schedds, negotiators and collectors are in trouble: the numbers that say so, each "
                     "judged ok, warning or critical by the site's thresholds, and an overall verdict",
                     views.daemon_health(settings), HealthRequest(), health_schema(CHECKS)),
        *idle_services(idle),
    ]


def idle_services(settings: IdleSettings) -> list[Service]:
    return [
        read_service("why_idle", "/v1/why/idle/{schedd}",
                     "Why the schedd's idle jobs wait: its autoclusters of idle jobs, the largest first, each "
                     "matched against the pool's slots as condor_q -better-analyze does (slots at each stage, the "
                     "slots each top-level clause of Requirements rejects) with the most likely cause (the schedd "
                     "*: every schedd's, merged)", idle_views.idle_jobs(settings), IdleRequest, EVERY_SCHEDDS_IDLE),
        read_service("why_idle_job", "/v1/why/idle/{schedd}/{clusterid}/{procid}",
                     "Why one job waits: its ad matched against the pool's slots as condor_q -better-analyze JOBID "
                     "does, with the most likely cause", idle_views.idle_job(settings), IdleJobRequest, IDLE_JOB),
    ]


def includeme(config) -> None:
    config.require_plugins("summary")  # its job counts (the schedd's GroupBy path), by parameter, gauge settings
    settings = parse(WhySettings, config.registry.settings)
    for service in services(settings, parse(IdleSettings, config.registry.settings)):
        config.add_cornice_service(service)
    config.add_gateway_operation("why_held_jobs", "restd_plugins.why.operations:held_jobs", daemon="schedd")
    config.add_gateway_operation("why_daemon_health", "restd_plugins.why.health:daemon_health", daemon="collector")
    config.add_gateway_operation("why_idle_jobs", "restd_plugins.why.idle:idle_jobs", daemon="schedd")
    config.add_gateway_operation("why_idle_job", "restd_plugins.why.idle:idle_job", daemon="schedd")
    gauges = parse(SummarySettings, config.registry.settings)
    if wiring(config.registry).settings.metrics and gauges.gauges_ttl > 0:
        wiring(config.registry).metrics.registry.register(HealthGauges(wiring(config.registry).gateway, settings, gauges))
