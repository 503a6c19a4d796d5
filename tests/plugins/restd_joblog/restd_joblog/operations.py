"""The plugin's operations: they run in a gateway worker process, the only
place that may import HTCondor's bindings. They read job ads only through
the toolkit, which hides what RESTD_HIDE_JOB_ATTRS hides."""
from __future__ import annotations

from collections import Counter
from typing import Any

from restd_core.plugin_api.worker import Streamed, job_classads, query_jobs


def history(schedd: str, constraint: str | None = None, projection: list[str] = (), limit: int | None = None,
            tag_schedd: bool = False) -> Streamed:
    """The schedd's history, newest first: v1 job objects, streamed."""
    return query_jobs(schedd, "history", constraint=constraint, projection=projection, limit=limit,
                      tag_schedd=tag_schedd)


def history_counts(schedd: str, by: str, constraint: str | None = None, limit: int | None = None) -> dict[str, Any]:
    """How many of the schedd's newest ``limit`` history jobs have each
    value of ``by``: ``{"by": ..., "total": n, "counts": [{"value", "count"}]}``."""
    counted = Counter(str(ad.get(by.lower())) for ad in job_classads(schedd, "history", constraint, [by], limit))
    return {"by": by, "total": sum(counted.values()),
            "counts": [{"value": value, "count": count} for value, count in sorted(counted.items())]}
