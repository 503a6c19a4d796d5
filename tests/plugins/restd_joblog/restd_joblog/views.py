"""The plugin's views: they call its operations through the gateway."""
from __future__ import annotations

from pyramid.request import Request
from pyramid.response import Response

from restd_core.plugin_api.web import (
    EVERY_SCHEDD,
    capped_limit,
    json_response,
    listing_response,
    refuse_hidden_keys,
    stream_listing,
)


def history(request: Request) -> Response:
    """The history listing; ``*``: every schedd's, each job naming its schedd."""
    schedd, query = request.validated["path"]["schedd"], request.validated["querystring"]
    arguments = {"schedd": schedd, "constraint": query.get("constraint"),
                 "projection": query.get("projection", []), "limit": capped_limit(request),
                 "tag_schedd": schedd == EVERY_SCHEDD}
    return listing_response(stream_listing(request, "joblog_history", arguments, limit=arguments["limit"]))


def counts(request: Request) -> Response:
    """One schedd's history counted by an attribute (400 for a hidden one)."""
    query = request.validated["querystring"]
    refuse_hidden_keys(request, [query["by"]])
    return json_response(request.gateway.call(
        "joblog_counts", schedd=request.validated["path"]["schedd"],
        by=query["by"], constraint=query.get("constraint"), limit=capped_limit(request),
    ))
