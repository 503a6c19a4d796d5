"""Why idle jobs stay idle: the why plugin's idle operations, run in the
gateway's worker processes.

A schedd's idle jobs are taken as it groups them for the negotiator
(autoclusters: jobs alike for matchmaking). The schedd counts them by
``AutoClusterId`` and ``LastRejMatchReason`` itself (the summary's
``job_counts``, its ``QueryOpt.GroupBy`` path); the largest groups'
autocluster ads (``QueryOpt.AutoCluster``) and the pool's slot ads are read
once, hidden job attributes redacted in both (the toolkit's
``autocluster_ads``, ``slot_classads``), and each group is matched
against every slot (``matching``) until the time budget is spent.
"""
from __future__ import annotations

import time
from collections import Counter
from typing import Any

import classad2

from restd_core.plugin_api.worker import autocluster_ads, job_ad, slot_classads
from restd_plugins.summary.operations import job_counts

from .causes import cause
from .matching import Analysis, Slots, target_references

#: What an idle job is: HTCondor's JobStatus for idle.
IDLE = "JobStatus == 1"
#: What the schedd counts idle jobs by (lower-cased, as the counts key them).
AUTOCLUSTER, REJECTION = "autoclusterid", "lastrejmatchreason"
#: The slot ads analysed: static and partitionable slots, as condor_q -analyze
#: reads them (a dynamic slot is part of its partitionable slot).
SLOTS = "!(DynamicSlot ?: false)"
#: What every analysis reads of a slot ad, whatever the job (the collector
#: adds what their expressions refer to: START, WithinResourceLimits...).
SLOT_ATTRIBUTES = ("Name", "Requirements", "RemoteUser", "PartitionableSlot", "MachineResources", "Cpus", "Memory",
                   "Disk", "GPUs", "TotalSlotCpus", "TotalSlotMemory", "TotalSlotDisk", "TotalSlotGPUs")
#: The attributes of an autocluster ad that are the schedd's, not its jobs'.
_OWN_ATTRIBUTES = ("AutoClusterId", "JobCount", "JobIds", "ServerTime")
#: What a hidden attribute reads (``restd_core``'s output filter's word).
REDACTED = "<REDACTED>"


def idle_jobs(schedd: str, max_groups: int, max_slots: int, budget: float, slot_cache_seconds: float) -> dict:
    """The schedd's idle jobs by autocluster, largest first, each group
    matched against the pool's slots (at most ``max_groups`` groups and
    ``max_slots`` slot ads, for ``budget`` seconds): ``{"schedd", "idle",
    "slots", "slots_left_out", "groups_left_out", "groups"}``."""
    began = time.monotonic()
    counted = job_counts(schedd, by=[AUTOCLUSTER, REJECTION], constraint=IDLE)
    idle: Counter = Counter()
    rejections: dict[Any, Counter] = {}
    for group in counted["groups"]:
        cluster = group["key"].get(AUTOCLUSTER)
        cluster = cluster if type(cluster) is int else None
        idle[cluster] += group["count"]
        rejections.setdefault(cluster, Counter())[group["key"].get(REJECTION)] += group["count"]
    ranked = sorted((cluster for cluster in idle if cluster is not None), key=lambda cluster: (-idle[cluster], cluster))
    alike = _alike(autocluster_ads(schedd, ranked[:max_groups]))
    groups = sorted(alike.values(), key=lambda ads: (-sum(idle[id_] for id_ in _ids(ads)), min(_ids(ads))))
    slots, slots_left_out = _slots([ads[0] for ads in groups], max_slots, slot_cache_seconds, began + budget)
    analyses = slots.analysed([ads[0] for ads in groups], until=began + budget)
    answered = []
    for ads, analysis in zip(groups, analyses):
        ids = _ids(ads)
        seen = sum((rejections[id_] for id_ in ids), Counter())
        answered.append({"autoclusterid": min(ids), "idle": sum(idle[id_] for id_ in ids),
                         **_answer(ads[0], analysis, seen)})
    if None in idle:  # idle jobs the schedd has not put in an autocluster yet
        answered.append(_not_clustered(idle[None], rejections[None]))
    analysed = sum(len(_ids(ads)) for ads in groups[:len(answered)])
    return {"schedd": counted["schedd"], "idle": sum(idle.values()), "slots": len(slots),
            "slots_left_out": slots_left_out, "groups_left_out": len(ranked) - analysed, "groups": answered}


def idle_job(schedd: str, cluster: int, proc: int, max_slots: int, budget: float, slot_cache_seconds: float) -> dict:
    """One queued job matched against the pool's slots, as ``condor_q
    -better-analyze`` does: ``{"schedd", "jobid", "jobstatus",
    "autoclusterid", ...the analysis}``; ``NotFound`` for no such job. The
    slots not made ready within ``budget`` seconds are left out."""
    began = time.monotonic()
    job = job_ad(schedd, cluster, proc)
    slots, slots_left_out = _slots([job], max_slots, slot_cache_seconds, began + budget)
    status = job.get("JobStatus")
    status = status if type(status) is int else None
    reason = job.get("LastRejMatchReason")
    rejected = _number(job.get("LastRejMatchTime")) > _number(job.get("LastMatchTime"))
    rejections = Counter({reason if rejected and isinstance(reason, str) else None: 1})
    cluster_id = job.get("AutoClusterId")
    global_id = job.get("GlobalJobId")  # "<schedd's name>#<cluster>.<proc>#<time>": DEFAULT's real name
    name = global_id.split("#")[0] if isinstance(global_id, str) and global_id.count("#") == 2 else schedd
    return {"schedd": name, "jobid": f"{int(cluster)}.{int(proc)}", "jobstatus": status,
            "autoclusterid": cluster_id if type(cluster_id) is int else None, "slots_left_out": slots_left_out,
            **_answer(job, slots.analysed([job])[0], rejections, status if status is not None else 0)}


def _answer(job: classad2.ClassAd, analysis: Analysis, rejections: Counter, status: int | None = None) -> dict:
    """What a group's (or a job's) answer says of its matching."""
    hidden = job.get("Requirements") == REDACTED
    counts = _stages(analysis)
    clauses = [{"clause": REDACTED if hidden else text, "rejects": rejects} for text, rejects in analysis.clauses]
    requirements = job.lookup("Requirements") if "Requirements" in job else None
    rejected = sum(count for reason, count in rejections.items() if reason is not None)
    common = max((reason for reason in rejections if reason is not None), key=rejections.__getitem__, default=None)
    return {"requirements": REDACTED if hidden else (str(requirements) if requirements is not None else None),
            "slots": counts, "clauses": clauses, "negotiator": {"rejected": rejected, "reason": common},
            "cause": cause(counts, clauses, rejections, status)}


def _stages(analysis: Analysis) -> dict[str, int]:
    return {"total": analysis.total, "match_job": analysis.match_job, "accept_job": analysis.accept_job,
            "unclaimed": analysis.unclaimed, "if_drained": analysis.if_drained}


def _not_clustered(count: int, rejections: Counter) -> dict:
    """The group of idle jobs without an autocluster: the schedd has not
    grouped them for the negotiator yet (they were never considered)."""
    return {"autoclusterid": None, "idle": count, "requirements": None, "slots": None, "clauses": [],
            "negotiator": {"rejected": sum(n for reason, n in rejections.items() if reason is not None),
                           "reason": None},
            "cause": {"code": "not_considered_yet", "text": "the schedd has not grouped these jobs for the "
                                                            "negotiator yet", "clause": None}}


def _alike(ads: list[classad2.ClassAd]) -> dict[tuple, list[classad2.ClassAd]]:
    """Autocluster ads by what they hold once redacted: ads that differ
    only in hidden attributes are one group (else how many there are would
    tell how many hidden values the jobs have)."""
    groups: dict[tuple, list[classad2.ClassAd]] = {}
    for ad in ads:
        key = tuple(sorted((name.lower(), str(ad.lookup(name))) for name in ad
                           if name not in _OWN_ATTRIBUTES))
        groups.setdefault(key, []).append(ad)
    return groups


def _ids(ads: list[classad2.ClassAd]) -> list[int]:
    return [ad["AutoClusterId"] for ad in ads]


def _number(value: Any) -> float:
    return value if type(value) in (int, float) else 0


#: The slot set a worker read last: (when, its projection, the set, slot ads left out).
_kept: tuple[float, frozenset[str], Slots, int] | None = None


def _slots(jobs: list[classad2.ClassAd], max_slots: int, keep_seconds: float, until: float) -> tuple[Slots, int]:
    """The pool's slot ads with what these jobs' Requirements read of them
    (at most ``max_slots``, those made ready by ``until``; and how many more
    there were), read once, or the set this worker read less than
    ``keep_seconds`` ago if it has all that."""
    global _kept
    wanted = {name.lower() for name in SLOT_ATTRIBUTES}
    for job in jobs:
        if "Requirements" in job:
            wanted |= {name.lower() for name in target_references(job, job.lookup("Requirements"))}
    if _kept is not None and time.monotonic() - _kept[0] < keep_seconds and wanted <= _kept[1]:
        return _kept[2], _kept[3]
    ads = slot_classads(SLOTS, sorted(wanted))
    slots = Slots.of(sorted(ads, key=lambda ad: str(ad.get("Name")))[:max_slots], wanted, until)
    left_out = len(ads) - len(slots)
    _kept = (time.monotonic(), frozenset(wanted), slots, left_out) if keep_seconds > 0 else None
    return slots, left_out
