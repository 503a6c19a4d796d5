"""The status plugin's operation: like condor_status, run in the gateway's
worker processes (``restd_core.gateway.worker``)."""
from __future__ import annotations

from collections.abc import Sequence

import orjson

from restd_core.plugin_api.worker import JsonBody, group_by_attribute, status_objects


def query_status(
    ad_type: str,
    name: str | None = None,
    constraint: str | None = None,
    projection: Sequence[str] = (),
    group_by: str | None = None,
) -> JsonBody:
    """``ads.status_objects`` encoded; with ``group_by``, grouped by that
    attribute's value."""
    objects = status_objects(ad_type, name, constraint, projection)
    answer = objects if group_by is None else group_by_attribute(objects, group_by.lower())
    return JsonBody(orjson.dumps(answer))
