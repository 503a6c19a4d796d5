"""The why plugin's operations, run in the gateway's worker processes."""
from __future__ import annotations

from typing import Any

import classad2

from restd_core.plugin_api.worker import Judged, ask, conjunction, hidden_job_attrs, job_classads, judged
from restd_plugins.summary.operations import job_counts

from .grouping import held_groups

#: What a held job is: HTCondor's JobStatus for held.
HELD = "JobStatus == 5"
#: The attribute a group's oldest and newest time is read from.
ENTERED = "enteredcurrentstatus"
#: Groups given example jobs at most (the largest first): one small query each.
MAX_EXAMPLE_GROUPS = 10


def held_jobs(schedd: str, by: list[str], examples: int, constraint: str | None = None) -> dict[str, Any]:
    """The schedd's held jobs (those the caller's ``constraint`` holds for)
    counted by the ``by`` attributes, each group with the oldest and newest
    EnteredCurrentStatus and up to ``examples`` of its jobs (id and
    HoldReason): ``{"schedd", "by", "held", "groups"}``.

    The constraint is judged as a listing's is (``expressions.judged``: a
    400 for one that could read a hidden attribute; one that may read hidden
    values or costs what no daemon should bear is judged here, on redacted
    ads). It is parsed alone first, so that its text cannot reach outside
    its parentheses (``true) || (true``) and count jobs that are not held.

    The schedd counts them (``summary``'s ``job_counts``: its
    ``QueryOpt.GroupBy`` path, by ``by`` and EnteredCurrentStatus, so one
    group ad per distinct time, never one ad per job). Examples: each
    group's first job ids the schedd meets (a ``limit``-ed query of ids,
    which stops early), then their HoldReason in one query through the
    toolkit's filter (a hidden HoldReason is ``"<REDACTED>"``)."""
    keys = list(dict.fromkeys(name.lower() for name in by))
    caller = judged(constraint, hidden_job_attrs())
    held = conjunction(HELD, str(caller.constraint.expr)) if caller.constraint is not None else HELD
    counted = job_counts(schedd, by=[*keys, ENTERED], constraint=held)
    name = counted["schedd"]
    groups = held_groups(counted["groups"], keys, ENTERED)
    if examples > 0:
        shown = groups[:MAX_EXAMPLE_GROUPS]
        ids = [_first_ids(name, " && ".join([HELD, *(_equal(key, group["key"][key]) for key in keys)]), caller,
                          examples) for group in shown]
        reasons = _hold_reasons(name, [job for jobs in ids for job in jobs])
        for group, jobs in zip(shown, ids):
            group["examples"] = [{"jobid": f"{cluster}.{proc}", "hold_reason": reasons.get((cluster, proc))}
                                 for cluster, proc in sorted(jobs)]
    return {"schedd": name, "by": keys, "held": counted["totals"]["held"], "groups": groups}


def _first_ids(schedd: str, where: str, caller: Judged, limit: int) -> list[tuple[int, int]]:
    """The ids of up to ``limit`` jobs ``where`` and the caller's constraint
    hold for, whichever the schedd meets first: it stops at ``limit`` unless
    the constraint is judged here (then every job ``where`` holds for comes,
    with what the constraint reads)."""
    def first(client: Any) -> list[tuple[int, int]]:
        ads = client.query(conjunction(where, caller.wire), ["ClusterId", "ProcId", *caller.needs],
                           limit=-1 if caller.here else limit)
        return [(ad["ClusterId"], ad["ProcId"]) for ad in caller.holding(ads)][:limit]

    return ask("schedd", first, schedd=schedd)


def _hold_reasons(schedd: str, jobs: list[tuple[int, int]]) -> dict[tuple[int, int], Any]:
    """These jobs' HoldReason by id, through the toolkit's filter (dicts
    keyed by lower-cased names)."""
    if not jobs:
        return {}
    where = " || ".join(f"ClusterId == {cluster} && ProcId == {proc}" for cluster, proc in jobs)
    ads = job_classads(schedd, "queue", constraint=where, projection=["ClusterId", "ProcId", "HoldReason"])
    return {(ad["clusterid"], ad["procid"]): ad.get("holdreason") for ad in ads}


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
