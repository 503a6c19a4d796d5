"""The why plugin's operations, run in the gateway's worker processes."""
from __future__ import annotations

from typing import Any

import classad2

from restd_core.plugin_api.worker import job_classads
from restd_plugins.summary.operations import job_counts

from .grouping import held_groups

#: What a held job is: HTCondor's JobStatus for held.
HELD = "JobStatus == 5"
#: The attribute a group's oldest and newest time is read from.
ENTERED = "enteredcurrentstatus"
#: Groups given example jobs at most (the largest first): one small query each.
MAX_EXAMPLE_GROUPS = 10


def held_jobs(schedd: str, by: list[str], examples: int) -> dict[str, Any]:
    """The schedd's held jobs counted by the ``by`` attributes, each group
    with the oldest and newest EnteredCurrentStatus and up to ``examples``
    of its jobs (id and HoldReason): ``{"schedd", "by", "held", "groups"}``.

    The schedd counts them (``summary``'s ``job_counts``: its
    ``QueryOpt.GroupBy`` path, by ``by`` and EnteredCurrentStatus, so one
    group ad per distinct time, never one ad per job); the examples are
    one ``limit``-ed query per group, through the toolkit's filter (a
    hidden HoldReason is ``"<REDACTED>"``)."""
    keys = list(dict.fromkeys(name.lower() for name in by))
    counted = job_counts(schedd, by=[*keys, ENTERED], constraint=HELD)
    groups = held_groups(counted["groups"], keys, ENTERED)
    if examples > 0:
        for group in groups[:MAX_EXAMPLE_GROUPS]:
            group["examples"] = _examples(counted["schedd"], group["key"], keys, examples)
    return {"schedd": counted["schedd"], "by": keys, "held": counted["totals"]["held"], "groups": groups}


def _examples(schedd: str, key: dict[str, Any], keys: list[str], limit: int) -> list[dict[str, Any]]:
    """Up to ``limit`` held jobs of the group ``key``: their ids and HoldReason
    (the toolkit's dicts are keyed by lower-cased names)."""
    where = " && ".join([HELD, *(_equal(name, key[name]) for name in keys)])
    ads = job_classads(schedd, "queue", constraint=where, projection=["ClusterId", "ProcId", "HoldReason"],
                       limit=limit)
    return [{"jobid": f"{ad.get('clusterid')}.{ad.get('procid')}", "hold_reason": ad.get("holdreason")}
            for ad in ads]


def _equal(name: str, value: Any) -> str:
    """A clause true for jobs whose ``name`` has this (JSON) ``value``
    exactly (``=?=``: absent for None)."""
    if value is None:
        return f"isUndefined({name})"
    if isinstance(value, bool):
        return f"({name} =?= {'true' if value else 'false'})"
    if isinstance(value, (int, float)):
        return f"({name} =?= {value!r})"
    if isinstance(value, str):
        return f"({name} =?= {classad2.quote(value)})"
    return "false"  # a list or record: no example (its JSON form is not one ClassAd literal)
