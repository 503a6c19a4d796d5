"""The plugin's operation: it runs in a gateway worker process, the only
place that may import HTCondor's bindings."""
from __future__ import annotations

from typing import Any

from htcondor2 import AdTypes

from restd_core.plugin_api.worker import ask, matches_name

#: Submitter ad attribute -> the answer's key.
COUNTS = {"IdleJobs": "idle", "RunningJobs": "running", "HeldJobs": "held"}


def submitters(name: str | None = None) -> list[dict[str, Any]]:
    """Each submitter the collector knows (only ``name``, if given), with
    its schedd and its job counts. ``ask`` retries once after a collector
    restart, then answers 503 naming the collector."""
    constraint = matches_name(name) if name is not None else None
    ads = ask("collector", lambda collector: collector.query(AdTypes.Submitter, constraint=constraint,
                                                             projection=["Name", "ScheddName", *COUNTS]))
    return sorted(
        ({"name": ad.get("Name"), "schedd": ad.get("ScheddName"),
          **{key: ad.get(attribute, 0) for attribute, key in COUNTS.items()}} for ad in ads),
        key=lambda submitter: (submitter["name"] or "", submitter["schedd"] or ""),
    )
