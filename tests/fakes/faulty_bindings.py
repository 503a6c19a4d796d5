"""A stand-in for restd_core.gateway.bindings that injects the faults a real
pool cannot produce on demand: a call that never ends, a worker that dies.

Used only by tests of the worker pool (``restd.gateway.bindings`` setting);
every endpoint is also tested against the real pool.
"""
from __future__ import annotations

import os
import time
from typing import Any

import orjson

from restd_core.gateway.raw import EncodedItems, shaped


def init(**options: Any) -> None:
    pass


def query_jobs(schedd: str, shape: str, **kwargs: Any) -> EncodedItems:
    """``schedd`` picks the fault: ``slow-N`` sleeps N s, ``crash`` kills the
    worker, ``pid`` answers the worker's process id, anything else no jobs."""
    jobs = []
    if schedd.startswith("slow-"):
        time.sleep(float(schedd.removeprefix("slow-")))
    elif schedd == "crash":
        os._exit(3)
    elif schedd == "pid":
        jobs = [{"clusterid": os.getpid(), "procid": 0}]
    keys = [(job["clusterid"], job["procid"]) for job in jobs]
    return shaped(keys, [orjson.dumps(job).decode() for job in jobs], shape)


def read_params(names: list[str]) -> dict[str, Any]:
    return {name: None for name in names}
