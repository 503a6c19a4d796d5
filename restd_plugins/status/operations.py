"""The status plugin's operation: like condor_status, run in the gateway's
worker processes (``restd_core.gateway.worker``)."""
from __future__ import annotations

import htcondor2
import orjson
from htcondor2 import AdTypes

from restd_core.gateway.errors import BadQuery, Unavailable
from restd_core.gateway.kinds import AD_TYPES
from restd_core.gateway.wire import JsonBody
from restd_core.gateway.worker.classads import ads_to_dicts, filtered
from restd_core.gateway.worker.condor import collector, fresh_config, twice
from restd_core.gateway.worker.expressions import conjunction, matches_name, parse_constraint
from restd_core.gateway.worker.shaping import group_by_attribute

STATUS_ID_ATTRS = ("Name", "MyType")


def query_status(
    ad_type: str,
    name: str | None = None,
    constraint: str | None = None,
    projection: list[str] = (),
    hidden: list[str] = (),
    group_by: str | None = None,
) -> JsonBody:
    """Ads of one type (``AD_TYPES``) from the collector as status objects
    (``{"name": ..., "type": <MyType>, "classad": {...}}``) through the one
    output filter, encoded; ``name`` is matched exactly (quoted, never
    pasted); with ``group_by``, grouped by that attribute's value. Hidden
    job attributes are hidden here too (a machine ad may copy a job's), and
    a constraint is judged as for jobs."""
    fresh_config()
    if ad_type not in AD_TYPES:
        raise BadQuery(f"unknown ad type {ad_type!r}", {"query": ad_type})
    hidden_lower = {attribute.lower() for attribute in hidden}
    caller = parse_constraint(constraint, hidden_lower) if constraint is not None else None
    judge_here = caller is not None and caller.judged_here(hidden_lower)
    where = conjunction(matches_name(name) if name is not None else None, None if judge_here or caller is None else caller.wire)
    shown = None
    asked: list[str] = []
    if projection:
        shown = {attribute.lower() for attribute in projection}
        asked = list(dict.fromkeys([*projection, *STATUS_ID_ATTRS, *(caller.attributes if judge_here else ())]))
    try:
        ads = twice(lambda: collector().query(getattr(AdTypes, AD_TYPES[ad_type]), constraint=where, projection=asked or None))
    except htcondor2.HTCondorException as exc:
        raise Unavailable(f"the collector did not answer: {exc}", {"daemon": "collector"}) from None
    if judge_here:
        ads = caller.holding(ads, hidden_lower)
    whole = ads_to_dicts(ads)
    objects = [
        {"name": ad.get("name"), "type": ad.get("mytype"), "classad": classad}
        for ad, classad in zip(whole, filtered(whole, shown, hidden_lower))
    ]
    answer = objects if group_by is None else group_by_attribute(objects, group_by.lower())
    return JsonBody(orjson.dumps(answer))
