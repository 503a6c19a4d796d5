"""Daemon health gauges in /metrics: the numbers and verdicts
``/v1/why/health`` answers, for alerting without a request of its own.

Taken like the pool gauges (``restd_plugins.summary.gauges``): at most once
per ``restd.summary.gauges.ttl`` however many scrapers come, the collector
given ``restd.summary.gauges.timeout`` to answer (else only
``restd_pool_health_up`` 0, and no other health gauge, until the next
time). A verdict is a number: 0 ok, 1 warning, 2 critical.

Label values are daemon types (a closed set), check names (a closed set)
and daemon names, which come from the collector: any host it lets
advertise a schedd makes a new one. So each daemon type labels at most
``restd.summary.gauges.max_label_values`` daemons, the worst first (then
by name); ``restd_pool_daemons`` counts every daemon by verdict, those left
out included. A daemon's number its ad does not have has no sample.
"""
from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable
from typing import Any

from prometheus_client.core import GaugeMetricFamily

from restd_core.plugin_api.web import Gateway, GatewayError
from restd_plugins.summary.gauges import SnapshotGauges
from restd_plugins.summary.settings import SummarySettings

from .settings import WhySettings
from .verdicts import VERDICTS, judged

#: The answer's daemon lists, by the HTCondor daemon type that labels them.
DAEMON_TYPES = {"schedds": "schedd", "negotiators": "negotiator", "collectors": "collector"}
#: Each daemon type's own numbers: the answer's name -> (metric, meaning).
NUMBERS = {
    "schedds": {
        "running_jobs": ("restd_pool_schedd_running_jobs", "The schedd's running jobs (TotalRunningJobs)"),
        "max_jobs_running": ("restd_pool_schedd_max_jobs_running", "The schedd's MaxJobsRunning"),
        "shadows": ("restd_pool_schedd_shadows", "The schedd's shadows (ShadowsRunning)"),
        "transfer_waiting": ("restd_pool_schedd_transfers_waiting",
                             "File transfers waiting in the schedd's transfer queue (uploads and downloads)"),
        "curb_matchmaking": ("restd_pool_schedd_curb_matchmaking",
                             "1 while the schedd's CurbMatchmaking is true (it asks for no new matches), else 0"),
    },
    "negotiators": {
        "last_cycle_seconds": ("restd_pool_negotiator_cycle_duration_seconds",
                               "The negotiator's last cycle's duration (LastNegotiationCycleDuration0)"),
        "last_cycle_age_seconds": ("restd_pool_negotiator_cycle_age_seconds",
                                   "Seconds since the negotiator's last cycle ended (LastNegotiationCycleEnd0)"),
        "interval_seconds": ("restd_pool_negotiator_interval_seconds",
                             "NEGOTIATOR_INTERVAL, as the server's HTCondor configuration has it"),
    },
    "collectors": {
        "dropped_queries": ("restd_pool_collector_dropped_queries", "The collector's RecentDroppedQueries"),
        "pending_queries": ("restd_pool_collector_pending_queries", "The collector's PendingQueries"),
        "updates_lost": ("restd_pool_collector_lost_updates", "The collector's RecentUpdatesLost"),
    },
}
#: Each daemon type's own metrics are labelled by its name under this label.
NAME_LABELS = {"schedds": "schedd", "negotiators": "negotiator", "collectors": "collector"}


def verdict_number(verdict: str) -> int:
    """0 ok, 1 warning, 2 critical."""
    return VERDICTS.index(verdict)


def kept(daemons: list[dict[str, Any]], cap: int) -> list[dict[str, Any]]:
    """The ``cap`` daemons with the worst verdicts (then by name)."""
    return sorted(daemons, key=lambda daemon: (-verdict_number(daemon["verdict"]), daemon["name"]))[:cap]


def _sample(value: Any) -> float | None:
    """A number as a sample (a flag as 0 or 1); None for no value."""
    return None if value is None else float(value)


def health_families(answer: dict[str, Any], cap: int) -> list[GaugeMetricFamily]:
    """The gauges of ``verdicts.judged``'s answer, each daemon type's
    daemons capped to ``cap`` (``kept``)."""
    overall = GaugeMetricFamily("restd_pool_health_verdict",
                                "The pool's overall health verdict, the worst daemon's: 0 ok, 1 warning, 2 critical")
    overall.add_metric([], verdict_number(answer["verdict"]))
    counted = GaugeMetricFamily("restd_pool_daemons", "Schedds, negotiators and collectors the collector knows, by "
                                "their verdict (every one, those the other health gauges leave out too)",
                                labels=["daemon", "verdict"])
    verdict = GaugeMetricFamily("restd_pool_daemon_verdict", "A daemon's health verdict, its worst check's: 0 ok, "
                                "1 warning, 2 critical", labels=["daemon", "name"])
    check = GaugeMetricFamily("restd_pool_daemon_check_verdict", "The verdict of one check of a daemon's health "
                              "(/v1/why/health's checks): 0 ok, 1 warning, 2 critical", labels=["daemon", "name", "check"])
    age = GaugeMetricFamily("restd_pool_daemon_ad_age_seconds", "Seconds since the collector last heard from the "
                            "daemon (LastHeardFrom)", labels=["daemon", "name"])
    duty = GaugeMetricFamily("restd_pool_daemon_duty_cycle_ratio", "The daemon's RecentDaemonCoreDutyCycle (0 to 1: "
                             "above 0.98 it is overloaded)", labels=["daemon", "name"])
    own: list[GaugeMetricFamily] = []
    for kind, daemon_type in DAEMON_TYPES.items():
        daemons = answer[kind]
        by_verdict = Counter(daemon["verdict"] for daemon in daemons)
        for name in VERDICTS:
            counted.add_metric([daemon_type, name], by_verdict[name])
        families = {number: GaugeMetricFamily(metric, meaning, labels=[NAME_LABELS[kind]])
                    for number, (metric, meaning) in NUMBERS[kind].items()}
        for daemon in kept(daemons, cap):
            labels = [daemon_type, daemon["name"]]
            verdict.add_metric(labels, verdict_number(daemon["verdict"]))
            for name, judged_check in daemon["checks"].items():
                check.add_metric([*labels, name], verdict_number(judged_check["verdict"]))
            for family, value in ((age, daemon["numbers"]["ad_age_seconds"]), (duty, daemon["numbers"]["duty_cycle"])):
                if value is not None:
                    family.add_metric(labels, value)
            for number, family in families.items():
                value = _sample(daemon["numbers"][number])
                if value is not None:
                    family.add_metric([daemon["name"]], value)
        own += families.values()
    return [overall, counted, verdict, check, age, duty, *own]


class HealthGauges(SnapshotGauges):
    """The prometheus-client collector of the daemon health gauges."""

    def __init__(self, gateway: Gateway, settings: WhySettings, gauges: SummarySettings,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._gateway, self._settings, self._gauges = gateway, settings, gauges
        super().__init__(self._families, gauges.gauges_ttl, "restd_pool_health_snapshot_age_seconds",
                         "daemon health gauges", clock)

    def _families(self) -> list[GaugeMetricFamily]:
        up = GaugeMetricFamily("restd_pool_health_up", "Whether the collector answered the daemon health gauges' last "
                               "question (1), or not (0: no other health gauge until the next time)")
        try:
            health = self._gateway.call("why_daemon_health", timeout=self._gauges.gauges_timeout)
        except GatewayError:
            up.add_metric([], 0)
            return [up]
        up.add_metric([], 1)
        return [up, *health_families(judged(health, self._settings), self._gauges.gauges_max_label_values)]
