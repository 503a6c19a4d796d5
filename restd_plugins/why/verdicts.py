"""Verdicts on the daemons' health numbers (``health.daemon_health``),
from the site's thresholds (``WhySettings``): pure functions, run in the
request process."""
from __future__ import annotations

from typing import Any

from .settings import WhySettings

#: The verdicts, from best to worst.
VERDICTS = ("ok", "warning", "critical")
#: The checks of each daemon type, in the answer's order. A collector's ad
#: age is not one: the collector refreshes its own ad only every
#: COLLECTOR_UPDATE_INTERVAL (15 minutes by default, past the default
#: ad_age thresholds), and the one asked has just answered.
CHECKS = {
    "schedds": ("duty_cycle", "running", "transfer_waiting", "curb_matchmaking", "ad_age"),
    "negotiators": ("duty_cycle", "last_cycle", "last_cycle_age", "ad_age"),
    "collectors": ("duty_cycle", "dropped_queries", "pending_queries", "updates_lost"),
}


def _ratio(part: float | None, whole: float | None) -> float | None:
    return part / whole if part is not None and whole else None


def _values(kind: str, daemon: dict[str, Any]) -> dict[str, float | bool | None]:
    """What each check of the daemon looks at."""
    values: dict[str, float | bool | None] = {"duty_cycle": daemon["duty_cycle"], "ad_age": daemon["ad_age_seconds"]}
    if kind == "schedds":
        values.update(running=_ratio(daemon["running_jobs"], daemon["max_jobs_running"]),
                      transfer_waiting=daemon["transfer_waiting"], curb_matchmaking=daemon["curb_matchmaking"])
    elif kind == "negotiators":
        values.update(last_cycle=_ratio(daemon["last_cycle_seconds"], daemon["interval_seconds"]),
                      last_cycle_age=_ratio(daemon["last_cycle_age_seconds"], daemon["interval_seconds"]))
    else:
        values.update(dropped_queries=daemon["dropped_queries"], pending_queries=daemon["pending_queries"],
                      updates_lost=daemon["updates_lost"])
    return values


def _thresholds(settings: WhySettings) -> dict[str, tuple[float, float]]:
    return {
        "duty_cycle": (settings.duty_cycle_warning, settings.duty_cycle_critical),
        "running": (settings.running_warning, settings.running_critical),
        "transfer_waiting": (settings.transfer_waiting_warning, settings.transfer_waiting_critical),
        "last_cycle": (settings.cycle_warning, settings.cycle_critical),
        "last_cycle_age": (settings.cycle_age_warning, settings.cycle_age_critical),
        "dropped_queries": (settings.dropped_queries_warning, settings.dropped_queries_critical),
        "pending_queries": (settings.pending_queries_warning, settings.pending_queries_critical),
        "updates_lost": (settings.updates_lost_warning, settings.updates_lost_critical),
        "ad_age": (settings.ad_age_warning, settings.ad_age_critical),
    }


def verdict(value: float | bool | None, thresholds: tuple[float, float] | None) -> str:
    """``critical`` at or above the second threshold, ``warning`` at or above
    the first; a flag (CurbMatchmaking) set is a warning; no value is ok."""
    if isinstance(value, bool):
        return "warning" if value else "ok"
    if value is None or thresholds is None:
        return "ok"
    warning, critical = thresholds
    return "critical" if value >= critical else "warning" if value >= warning else "ok"


def worst(verdicts: list[str]) -> str:
    return max(verdicts, key=VERDICTS.index, default="ok")


def judged(health: dict[str, list[dict[str, Any]]], settings: WhySettings) -> dict[str, Any]:
    """The answer: each daemon's numbers, its checks (value and verdict),
    its verdict (its worst check's) and the overall verdict (the worst)."""
    thresholds = _thresholds(settings)
    answer: dict[str, Any] = {}
    for kind, daemons in health.items():
        answer[kind] = []
        for daemon in daemons:
            values = _values(kind, daemon)
            checks: dict[str, dict[str, Any]] = {name: {"value": values[name], "verdict": verdict(values[name], thresholds.get(name))}
                      for name in CHECKS[kind]}
            answer[kind].append({"name": daemon["name"], "verdict": worst([c["verdict"] for c in checks.values()]),
                                 "numbers": {k: v for k, v in daemon.items() if k != "name"}, "checks": checks})
    overall = worst([daemon["verdict"] for daemons in answer.values() for daemon in daemons])
    return {"verdict": overall, **answer}
