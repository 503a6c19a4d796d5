"""Machine (and other collector) ads for callers: their constraint and
projection in, only what the one output filter lets through out
(``classads``), hidden job attributes known here (``condor.hidden_job_attrs``).
The jobs' counterpart is ``jobs``."""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from htcondor2 import AdTypes

from restd_core.gateway.errors import BadQuery
from restd_core.gateway.kinds import AD_TYPES
from restd_core.gateway.worker.classads import ads_to_dicts, filtered, redact
from restd_core.gateway.worker.condor import ask, hidden_job_attrs
from restd_core.gateway.worker.expressions import conjunction, judged, matches_name

STATUS_ID_ATTRS = ("Name", "MyType")


def status_objects(ad_type: str, name: str | None = None, constraint: str | None = None,
                   projection: Sequence[str] = ()) -> list[dict[str, Any]]:
    """Ads of one type (``AD_TYPES``) from the collector as status objects
    (``{"name": ..., "type": <MyType>, "classad": {...}}``) through the one
    output filter; ``name`` is matched exactly (quoted, never pasted).
    Hidden job attributes are hidden here too (a machine ad may copy a
    job's), and a constraint is judged as for jobs."""
    if ad_type not in AD_TYPES:
        raise BadQuery(f"unknown ad type {ad_type!r}", {"query": ad_type})
    hidden = hidden_job_attrs()
    caller = judged(constraint, hidden)
    where = conjunction(matches_name(name) if name is not None else None, caller.wire)
    shown = None
    asked: list[str] = []
    if projection:
        shown = {attribute.lower() for attribute in projection}
        asked = list(dict.fromkeys([*projection, *STATUS_ID_ATTRS, *caller.needs]))
    ads = ask("collector", lambda collector: collector.query(getattr(AdTypes, AD_TYPES[ad_type]), constraint=where,
                                                             projection=asked or None))
    whole = ads_to_dicts(caller.holding(ads))
    return [{"name": ad.get("name"), "type": ad.get("mytype"), "classad": classad}
            for ad, classad in zip(whole, filtered(whole, shown, hidden))]


def slot_classads(constraint: str, projection: list[str]) -> list[Any]:
    """The collector's slot ads (``AdTypes.Startd``) that ``constraint``
    (the operation's own, never a caller's) holds for, with the
    ``projection``'s attributes (the collector adds those they refer to), as
    ClassAds for an operation to evaluate (matchmaking analysis), never to
    answer with: hidden job attributes read ``"<REDACTED>"`` (a slot ad may
    copy a job's)."""
    ads = ask("collector", lambda collector: collector.query(AdTypes.Startd, constraint=constraint,
                                                             projection=projection))
    redact(ads, hidden_job_attrs())
    return ads
