"""How counts are keyed, totalled and summed: pure functions on plain data,
used in the gateway's workers (a schedd's groups) and in the request
process (several schedds' answers summed, the gauges)."""
from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import orjson

#: HTCondor's JobStatus numbers, by the names the answers give them.
JOB_STATUS_NAMES = {1: "idle", 2: "running", 3: "removed", 4: "completed", 5: "held", 6: "transferring_output",
                    7: "suspended"}
#: The key a group's JobStatus name goes under, besides the number.
STATUS_NAME_KEY = "jobstatus_name"


def job_totals(by_status: dict[Any, int]) -> dict[str, int]:
    """condor_q's summary line (``jobs`` and one count per JobStatus name)
    from job counts by JobStatus value (a status outside HTCondor's counts
    in ``jobs`` only)."""
    totals = {"jobs": sum(by_status.values()), **dict.fromkeys(JOB_STATUS_NAMES.values(), 0)}
    for status, count in by_status.items():
        name = JOB_STATUS_NAMES.get(status) if type(status) is int else None
        if name is not None:
            totals[name] += count
    return totals


def group_key(by: list[str], values: Iterable[Any]) -> dict[str, Any]:
    """A group's key: each ``by`` attribute (lower-cased) and its value (None
    when absent); with ``jobstatus``, its name too."""
    key = dict(zip(by, values))
    if "jobstatus" in key:
        status = key["jobstatus"]
        key[STATUS_NAME_KEY] = JOB_STATUS_NAMES.get(status) if type(status) is int else None
    return key


def summed(groups: Iterable[dict[str, Any]], *counted: str) -> list[dict[str, Any]]:
    """Groups with equal keys made one, their ``counted`` numbers added (a
    resource's ``{"total": x, "claimed": x, ...}`` added field by field), in
    the order of their keys' JSON text: the same answer whatever order the
    groups came in."""
    merged: dict[bytes, dict[str, Any]] = {}
    for group in groups:
        text = orjson.dumps(group["key"], option=orjson.OPT_SORT_KEYS)
        known = merged.get(text)
        if known is None:
            merged[text] = {"key": group["key"], **{name: _copy(group[name]) for name in counted}}
            continue
        for name in counted:
            known[name] = added(known[name], group[name])
    return [merged[text] for text in sorted(merged)]


def added(one: Any, other: Any) -> Any:
    """Two counts added: numbers, or dicts of numbers key by key."""
    if isinstance(one, dict):
        return {name: added(one.get(name, 0), other.get(name, 0)) for name in {**one, **other}}
    return one + other


def _copy(value: Any) -> Any:
    return dict(value) if isinstance(value, dict) else value


def summed_job_counts(answers: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """Several schedds' job counts (``operations.job_counts``' answers, by
    schedd name) as one: ``by``, ``totals`` and ``groups`` summed, and each
    schedd's own ``totals`` in ``per_schedd``."""
    counts = list(answers.values())
    totals = counts[0]["totals"]
    for other in counts[1:]:
        totals = added(totals, other["totals"])
    return {
        "by": counts[0]["by"],
        "totals": totals,
        "groups": summed((group for answer in counts for group in answer["groups"]), "count"),
        "per_schedd": {name: {"totals": answer["totals"]} for name, answer in answers.items()},
    }
