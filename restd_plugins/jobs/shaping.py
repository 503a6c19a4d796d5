"""From the gateway's job ads to the v1 answer shapes: job objects,
projections and redaction (grouping: ``restd_core.shaping``). Pure
functions, no I/O."""
from __future__ import annotations

from typing import Any, Iterable

from restd_core.shaping import REDACTED

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
