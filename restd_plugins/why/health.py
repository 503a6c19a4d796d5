"""The daemons' health numbers, read in the gateway's workers: one
projected collector query per daemon type (``ask``)."""
from __future__ import annotations

import time
from typing import Any

import htcondor2
from htcondor2 import AdTypes

from restd_core.plugin_api.worker import ask

_SCHEDD = ["Name", "LastHeardFrom", "RecentDaemonCoreDutyCycle", "TotalRunningJobs", "MaxJobsRunning",
           "ShadowsRunning", "TransferQueueNumWaitingToUpload", "TransferQueueNumWaitingToDownload",
           "TransferQueueMaxUploading", "CurbMatchmaking"]
_NEGOTIATOR = ["Name", "LastHeardFrom", "RecentDaemonCoreDutyCycle", "LastNegotiationCycleDuration0",
               "LastNegotiationCycleEnd0"]
_COLLECTOR = ["Name", "LastHeardFrom", "RecentDaemonCoreDutyCycle", "RecentDroppedQueries", "PendingQueries",
              "RecentUpdatesLost"]


def daemon_health() -> dict[str, list[dict[str, Any]]]:
    """Each schedd's, negotiator's and collector's numbers (``None`` where
    its ad lacks one), by name, each daemon type in name order."""
    now = time.time()
    interval = float(htcondor2.param.get("NEGOTIATOR_INTERVAL", "60"))

    def numbers(ad_type: AdTypes, projection: list[str]) -> list[Any]:
        return ask("collector", lambda collector: collector.query(ad_type, projection=projection))

    schedds = [{**_common(ad, now), "running_jobs": _number(ad, "TotalRunningJobs"),
                "max_jobs_running": _number(ad, "MaxJobsRunning"), "shadows": _number(ad, "ShadowsRunning"),
                "transfer_waiting": (_number(ad, "TransferQueueNumWaitingToUpload") or 0)
                + (_number(ad, "TransferQueueNumWaitingToDownload") or 0),
                "curb_matchmaking": ad.eval("CurbMatchmaking") is True if "CurbMatchmaking" in ad else False}
               for ad in numbers(AdTypes.Schedd, _SCHEDD)]
    negotiators = [{**_common(ad, now), "interval_seconds": interval,
                    "last_cycle_seconds": _number(ad, "LastNegotiationCycleDuration0"),
                    "last_cycle_age_seconds": _age(_number(ad, "LastNegotiationCycleEnd0"), now)}
                   for ad in numbers(AdTypes.Negotiator, _NEGOTIATOR)]
    collectors = [{**_common(ad, now), "dropped_queries": _number(ad, "RecentDroppedQueries"),
                   "pending_queries": _number(ad, "PendingQueries"),
                   "updates_lost": _number(ad, "RecentUpdatesLost")}
                  for ad in numbers(AdTypes.Collector, _COLLECTOR)]
    return {kind: sorted(daemons, key=lambda daemon: daemon["name"]) for kind, daemons in
            (("schedds", schedds), ("negotiators", negotiators), ("collectors", collectors))}


def _common(ad: Any, now: float) -> dict[str, Any]:
    return {"name": str(ad.get("Name", "")), "ad_age_seconds": _age(_number(ad, "LastHeardFrom"), now),
            "duty_cycle": _number(ad, "RecentDaemonCoreDutyCycle")}


def _number(ad: Any, name: str) -> float | None:
    """The ad's number (an int or real literal), None for anything else."""
    value = ad.get(name)
    return value if type(value) in (int, float) else None


def _age(when: float | None, now: float) -> float | None:
    return max(0.0, now - when) if when else None
