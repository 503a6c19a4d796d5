"""From the gateway's job ads to the v1 answer shapes: job objects,
projections and redaction (grouping: ``restd_core.shaping``). Pure
functions, no I/O."""
from __future__ import annotations

from typing import Any, Iterable

from restd_core.shaping import REDACTED, projected

JobObject = dict[str, Any]


def job_object(ad: dict[str, Any], shown: set[str] | None, hidden: Iterable[str]) -> JobObject:
    """``{"jobid": "C.P", "classad": {...}}``.

    ``shown``: the lower-cased attributes the caller asked for (None: all);
    attributes in ``hidden`` (lower-cased) are shown as ``"<REDACTED>"``.
    """
    classad = projected(ad, shown)
    for key in hidden:
        if key in classad:
            classad[key] = REDACTED
    return {"jobid": f"{ad['clusterid']}.{ad['procid']}", "classad": classad}


def job_objects(ads: list[dict[str, Any]], shown: list[str] | None, hidden: list[str]) -> list[JobObject]:
    """``job_object`` of every ad (plain lists, so that the gateway's worker
    can shape a listing too: ``Gateway.query_jobs(shape=...)``)."""
    shown_set = None if shown is None else set(shown)
    return [job_object(ad, shown_set, hidden) for ad in ads]
