"""The status endpoints: like condor_status."""
from __future__ import annotations

from typing import Any

from pyramid.request import Request
from pyramid.response import Response

from restd_core.responses import json_response
from restd_core.shaping import group_by_attribute, projected

StatusObject = dict[str, Any]


def status_object(ad: dict[str, Any], shown: set[str] | None) -> StatusObject:
    """``{"name": ..., "type": <MyType>, "classad": {...}}``; ``shown``: the
    lower-cased attributes the caller asked for (None: all)."""
    return {"name": ad.get("name"), "type": ad.get("mytype"), "classad": projected(ad, shown)}


def _fetch(request: Request, extra: list[str] = ()) -> list[StatusObject]:
    """Status objects for the request's path and query; ``extra`` attributes
    are fetched and shown besides the projection (``groupby``)."""
    path, query = request.validated["path"], request.validated["querystring"]
    projection = query.get("projection")
    wanted = None if projection is None else [*projection, *extra]
    ads = request.gateway.query_status(
        query["query"], name=path.get("name"), constraint=query.get("constraint"), projection=wanted or ()
    )
    shown = None if wanted is None else {name.lower() for name in wanted}
    return [status_object(ad, shown) for ad in ads]


def status(request: Request) -> Response:
    return json_response(_fetch(request))


def grouped_status(request: Request) -> Response:
    groupby = request.validated["path"]["groupby"]
    return json_response(group_by_attribute(_fetch(request, [groupby]), groupby.lower()))
