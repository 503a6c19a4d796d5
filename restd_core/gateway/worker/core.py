"""The core's own operations: the server's RESTD_* knobs, readiness, the
pool's schedds."""
from __future__ import annotations

from typing import Any

import htcondor2
from htcondor2 import AdTypes

from restd_core.gateway.errors import BadQuery
from restd_core.gateway.worker.condor import DEFAULT_SCHEDD, ask, schedd_ad


def read_params(names: list[str]) -> dict[str, Any]:
    """Values of HTCondor configuration knobs (typed where HTCondor knows
    the knob's type); None for one that is not set."""
    return ask("config", lambda _: {name: htcondor2.param.get(name) for name in names})


def ping(target: str) -> dict[str, Any]:
    """Ask the collector, or the default schedd, the cheapest question that
    needs it to answer (readiness). Answers the daemon's name."""
    if target == "collector":
        ads = _names_of(AdTypes.Collector)
        return {"name": ads[0].get("Name") if ads else None}
    if target == "schedd":
        ask("schedd", lambda schedd: schedd.query("false", ["ClusterId"], limit=1), schedd=DEFAULT_SCHEDD)
        return {"name": schedd_ad(DEFAULT_SCHEDD).get("Name")}
    raise BadQuery(f"cannot ping {target!r}: only the collector and the schedd", {"daemon": target})


def schedd_names() -> list[str]:
    """The names of the schedds the collector knows (its Scheduler ads), as
    it spells them: what ``*`` means in a URL (``restd_core.plugin_api.every_schedd``)."""
    return sorted({name for ad in _names_of(AdTypes.Schedd) if isinstance(name := ad.get("Name"), str) and name})


def _names_of(ad_type: AdTypes) -> list:
    """The collector's ads of ``ad_type``, their ``Name`` only."""
    return ask("collector", lambda collector: collector.query(ad_type, projection=["Name"]))
