"""From the gateway's job ads to the v1 answer shapes: job objects,
projections, redaction and grouping. Pure functions, no I/O."""
from __future__ import annotations

from typing import Any, Iterable

import orjson

REDACTED = "<REDACTED>"

JobObject = dict[str, Any]


def job_object(ad: dict[str, Any], shown: set[str] | None, hidden: Iterable[str]) -> JobObject:
    """``{"jobid": "C.P", "classad": {...}}``.

    ``shown``: the lower-cased attributes the caller asked for (None: all);
    attributes in ``hidden`` (lower-cased) are shown as ``"<REDACTED>"``.
    """
    classad = ad if shown is None else {key: value for key, value in ad.items() if key in shown}
    for key in hidden:
        if key in classad:
            classad[key] = REDACTED
    return {"jobid": f"{ad['clusterid']}.{ad['procid']}", "classad": classad}


def group_key(value: Any) -> str:
    """The JSON object key for a group: a string as itself, anything else
    as its JSON text (``5``, ``true``, ``1.5``)."""
    return value if isinstance(value, str) else orjson.dumps(value).decode()


def group_jobs(jobs: Iterable[JobObject], attribute: str) -> dict[str, list[JobObject]]:
    """Jobs grouped by the value of ``attribute`` (lower-cased); jobs
    without it (or with it UNDEFINED) are left out."""
    groups: dict[str, list[JobObject]] = {}
    for job in jobs:
        value = job["classad"].get(attribute)
        if value is not None:
            groups.setdefault(group_key(value), []).append(job)
    return groups
