"""Numbers over time from the archive: per time bucket (by completion) and
per group, the jobs completed, removed, exited non-zero and restarted;
wall, CPU and GPU hours; CPU efficiency; memory requested against the
peak used; the median and 95th-percentile wait from submission to first
start. One pass of the summary's covering index (``store.jobs``): sums
and counts are the database's (``GROUP BY``), and each group's waits come
as one string (``aggregate_strings``) whose percentiles this process takes
(exact, and the same for the groups folded into "other").

Definitions (each from the archived, redacted ad; docs/endpoints/archive.md):
completed: JobStatus 4; removed: JobStatus 3; exited non-zero: completed
with ExitBySignal or ExitCode other than 0; restarted: NumJobStarts > 1;
wall hours: RemoteWallClockTime / 3600; CPU hours: (RemoteUserCpu +
RemoteSysCpu) / 3600; CPU efficiency: CPU time over wall time x
RequestCpus (1 if not a number), of the jobs with both; memory: the mean
RequestMemory and mean peak (ResidentSetSize_RAW / 1024) in MiB of the
jobs that have them; GPU hours: RemoteWallClockTime x RequestGPUs / 3600;
wait: JobStartDate - QDate of the jobs that started (median: the middle
value, or the mean of the two middle ones; p95: the nearest rank).
"""
from __future__ import annotations

import math
import statistics
from collections import defaultdict
from typing import Any

from sqlalchemy import Engine, Text, and_, case, cast, func, literal, or_, select

from .store import jobs

#: What a summary may be grouped by (lower-cased) -> its column: indexed
#: columns only, never an ad's other attributes.
GROUP_COLUMNS = {"owner": jobs.c.owner, "acctgroup": jobs.c.acct_group, "schedd": jobs.c.schedd}
#: Buckets one answer has at most.
MAX_BUCKETS = 1000
#: Groups one answer shows at most (those with the most jobs in the window); the rest are summed under one
#: group whose key is null and ``"other": true``.
MAX_GROUPS = 50

_SUMS = ("jobs", "completed", "removed", "exited_nonzero", "restarted", "wall", "cpu", "efficiency_cpu",
         "efficiency_capacity", "memory_requested", "memory_requested_jobs", "memory_peak", "memory_peak_jobs",
         "gpu")


def _sums(bucket_start: int, bucket: int) -> list[Any]:
    c = jobs.c
    measured = and_(c.wall > 0, c.cpu.isnot(None))
    started = and_(c.started > 0, c.qdate > 0)
    return [
        ((c.completed - bucket_start) // bucket).label("bucket"),
        func.count().label("jobs"),
        func.sum(case((c.job_status == 4, 1), else_=0)).label("completed"),
        func.sum(case((c.job_status == 3, 1), else_=0)).label("removed"),
        func.sum(case((and_(c.job_status == 4, or_(c.by_signal.is_(True), c.exit_code != 0)), 1), else_=0))
        .label("exited_nonzero"),
        func.sum(case((c.starts > 1, 1), else_=0)).label("restarted"),
        func.sum(c.wall).label("wall"),  # SUM leaves NULLs out (and is NULL for none: 0 below)
        func.sum(c.cpu).label("cpu"),
        func.sum(case((measured, c.cpu), else_=0.0)).label("efficiency_cpu"),
        func.sum(case((measured, c.wall * func.coalesce(c.request_cpus, 1.0)), else_=0.0)).label("efficiency_capacity"),
        func.sum(c.request_memory).label("memory_requested"),
        func.count(c.request_memory).label("memory_requested_jobs"),
        func.sum(c.memory_peak).label("memory_peak"),
        func.count(c.memory_peak).label("memory_peak_jobs"),
        func.sum(c.wall * func.coalesce(c.request_gpus, 0.0)).label("gpu"),
        # The waits of the jobs that started, as "w1,w2,..." (NULLs left out): group_concat or string_agg.
        func.aggregate_strings(cast(case((started, c.started - c.qdate)), Text), ",").label("waits"),
    ]


def summary(engine: Engine, start: int, end: int, bucket: int, by: str | None, schedd: str | None) -> dict[str, Any]:
    """The window ``[start, end)``'s numbers per ``bucket`` seconds (the
    caller checked their count) and per value of the ``by`` column."""
    key = GROUP_COLUMNS[by] if by else literal(None)
    where = [jobs.c.completed >= start, jobs.c.completed < end, *([jobs.c.schedd == schedd] if schedd else [])]
    sums: dict[tuple[int, Any], dict[str, float]] = {}
    waits: dict[tuple[int, Any], list[int]] = {}
    with engine.connect() as connection:
        for row in connection.execute(select(*_sums(start, bucket), key.label("key")).where(*where)
                                      .group_by("bucket", "key")).mappings():
            cell = (int(row["bucket"]), row["key"])
            sums[cell] = {name: row[name] or 0 for name in _SUMS}
            waits[cell] = [int(wait) for wait in row["waits"].split(",")] if row["waits"] else []
    sizes: dict[Any, float] = defaultdict(float)
    for (_, value), numbers in sums.items():
        sizes[value] += numbers["jobs"]
    shown = set(sorted(sizes, key=lambda value: (-sizes[value], str(value)))[:MAX_GROUPS])
    folded: dict[tuple[int, Any, bool], dict[str, float]] = {}
    folded_waits: dict[tuple[int, Any, bool], list[int]] = defaultdict(list)
    for (place, value), numbers in sums.items():
        place_key = (place, value, False) if value in shown else (place, None, True)
        into = folded.setdefault(place_key, dict.fromkeys(_SUMS, 0))
        for name in _SUMS:
            into[name] += numbers[name]
        folded_waits[place_key] += waits[(place, value)]
    count = math.ceil((end - start) / bucket)
    buckets: list[dict[str, Any]] = [{"start": start + place * bucket, "groups": []} for place in range(count)]
    for (place, value, other), numbers in sorted(folded.items(), key=lambda item: (item[0][0], item[0][2],
                                                                                    str(item[0][1]))):
        group = {"key": {by: value} if by else {}, **({"other": True} if other else {}),
                 **_numbers(numbers, folded_waits[(place, value, other)])}
        buckets[place]["groups"].append(group)
    return {"from": start, "to": end, "bucket": bucket, "by": [by] if by else [], "buckets": buckets}


def _numbers(sums: dict[str, float], waits: list[int]) -> dict[str, Any]:
    waits.sort()
    return {
        "jobs": int(sums["jobs"]), "completed": int(sums["completed"]), "removed": int(sums["removed"]),
        "exited_nonzero": int(sums["exited_nonzero"]), "restarted": int(sums["restarted"]),
        "wall_hours": sums["wall"] / 3600, "cpu_hours": sums["cpu"] / 3600,
        "cpu_efficiency": sums["efficiency_cpu"] / sums["efficiency_capacity"] if sums["efficiency_capacity"] else None,
        "memory_requested_mib": (sums["memory_requested"] / sums["memory_requested_jobs"]
                                 if sums["memory_requested_jobs"] else None),
        "memory_peak_mib": sums["memory_peak"] / sums["memory_peak_jobs"] if sums["memory_peak_jobs"] else None,
        "gpu_hours": sums["gpu"] / 3600,
        "wait_median_seconds": statistics.median(waits) if waits else None,
        "wait_p95_seconds": waits[math.ceil(0.95 * len(waits)) - 1] if waits else None,
    }
