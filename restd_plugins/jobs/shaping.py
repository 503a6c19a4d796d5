"""From the gateway's job ads to the v1 job objects. Runs in the gateway's
worker processes (``Gateway.query_jobs(shape=...)``); pure, no I/O."""
from __future__ import annotations


def job_objects(keys: list[tuple[int, int]], classads: list[str]) -> list[str]:
    """``{"jobid": "C.P", "classad": {...}}`` of each job, from its
    ``(ClusterId, ProcId)`` and the JSON text of its classad."""
    return [f'{{"jobid":"{cluster}.{proc}","classad":{classad}}}' for (cluster, proc), classad in zip(keys, classads)]
