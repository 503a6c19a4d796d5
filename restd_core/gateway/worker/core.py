"""The core's own operations: the server's RESTD_* knobs, readiness, the
pool's schedds."""
from __future__ import annotations

from typing import Any

import htcondor2
from htcondor2 import AdTypes

from ..errors import BadQuery, Unavailable
from .condor import DEFAULT_SCHEDD, collector, fresh_config, schedd_ad, twice


def read_params(names: list[str]) -> dict[str, Any]:
    """Values of HTCondor configuration knobs (typed where HTCondor knows
    the knob's type); None for one that is not set."""
    fresh_config()
    return {name: htcondor2.param.get(name) for name in names}


def ping(target: str) -> dict[str, Any]:
    """Ask the collector, or the default schedd, the cheapest question that
    needs it to answer (readiness). Answers the daemon's name."""
    fresh_config()
    if target == "collector":
        ads = _names_of(AdTypes.Collector)
        return {"name": ads[0].get("Name") if ads else None}
    if target == "schedd":
        location = schedd_ad(DEFAULT_SCHEDD)
        try:
            twice(lambda: htcondor2.Schedd(location).query("false", ["ClusterId"], limit=1))
        except htcondor2.HTCondorException as exc:
            raise Unavailable(f"the schedd did not answer: {exc}", {"daemon": "schedd"}) from None
        return {"name": location.get("Name")}
    raise BadQuery(f"cannot ping {target!r}: only the collector and the schedd", {"daemon": target})


def schedd_names() -> list[str]:
    """The names of the schedds the collector knows (its Scheduler ads), as
    it spells them: what ``*`` means in a URL (``restd_core.every_schedd``)."""
    fresh_config()
    return sorted({name for ad in _names_of(AdTypes.Schedd) if isinstance(name := ad.get("Name"), str) and name})


def _names_of(ad_type: AdTypes) -> list:
    """The collector's ads of ``ad_type``, their ``Name`` only."""
    try:
        return twice(lambda: collector().query(ad_type, projection=["Name"]))
    except htcondor2.HTCondorException as exc:
        raise Unavailable(f"the collector did not answer: {exc}", {"daemon": "collector"}) from None
