"""The status endpoints: like condor_status."""
from __future__ import annotations

from pyramid.request import Request
from pyramid.response import Response

from restd_core.plugin_api.web import json_bytes_response, refuse_hidden_groupby


def _fetch(request: Request, group_by: str | None = None) -> Response:
    """Status objects for the request's path and query, made (and with
    ``group_by`` grouped) in the gateway's workers; the groupby attribute
    is shown besides the projection."""
    path, query = request.validated["path"], request.validated["querystring"]
    projection = query.get("projection")
    answer = request.gateway.call(
        "query_status", ad_type=query["query"], name=path.get("name"), constraint=query.get("constraint"),
        projection=[*projection, *([group_by] if group_by else [])] if projection else [],
        group_by=group_by,
    )
    return json_bytes_response(answer.body)


def status(request: Request) -> Response:
    return _fetch(request)


def grouped_status(request: Request) -> Response:
    return _fetch(request, refuse_hidden_groupby(request))
