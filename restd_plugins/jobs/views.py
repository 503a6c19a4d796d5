"""The jobs and history endpoints: like condor_q and condor_history."""
from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from pyramid.httpexceptions import HTTPBadRequest
from pyramid.request import Request
from pyramid.response import Response

from restd_core.plugin_api.web import (
    EVERY_SCHEDD,
    JsonBody,
    SpooledListing,
    SpooledObject,
    capped_limit,
    json_bytes_response,
    known_query,
    listing_response,
    public_url,
    refuse_hidden_groupby,
    stream_listing,
    wiring,
)
from restd_plugins.archive.history import ArchiveHistory

from .schemas import HistoryListQuery, QueueListQuery
from .windows import window_constraint

#: Where jobs come from, by the URL's first segment.
SOURCES = {"jobs": "queue", "history": "history"}
#: A full page's next one: its query, and the cursor it takes the last job id as.
NEXT_PAGE = {"jobs": (QueueListQuery(), "after"), "history": (HistoryListQuery(), "before")}


def _arguments(request: Request, kind: str, group_by: str | None = None) -> dict[str, Any]:
    """The jobs query's arguments for the request's path and query."""
    path, query = request.validated["path"], request.validated["querystring"]
    projection = query.get("projection")
    window = window_constraint(query.get("completed_after"), query.get("completed_before"))
    constraint = query.get("constraint")
    return {
        "schedd": path["schedd"], "source": SOURCES[kind],
        "constraint": f"({constraint}) && {window}" if constraint and window else constraint or window,
        "projection": [*projection, *([group_by] if group_by else [])] if projection else [],
        "cluster": path.get("clusterid"), "limit": capped_limit(request),
        "since": query.get("after", query.get("since")), "before": query.get("before"),
    }


def _listing(request: Request, kind: str) -> SpooledListing | SpooledObject:
    """Job objects for the request's path and query, as a JSON array made
    in the gateway's workers and spooled here as it comes (every schedd's:
    an object, for ``*``)."""
    arguments = _arguments(request, kind)
    if arguments["schedd"] == EVERY_SCHEDD:
        cursor = next((name for name in CURSORS if name in request.validated["querystring"]), None)
        if cursor is not None:
            raise HTTPBadRequest(f"{cursor} is a job id of one schedd: it cannot be given with the schedd "
                                 f"{EVERY_SCHEDD} (every schedd), whose listing has no pages")
        arguments["tag_schedd"] = True
    # A queue listing of all clusters may be split between idle workers.
    return stream_listing(request, "query_jobs", arguments, limit=arguments["limit"],
                          split=kind == "jobs" and arguments["cluster"] is None)


def _window_listing(request: Request, kind: str) -> tuple[SpooledListing | SpooledObject, dict[str, str]]:
    """A history window's listing from the archive when it covers the
    window (the archive plugin's ``ArchiveHistory``), else the schedd's;
    ``X-History-Source`` says which. Any other listing, as it always was."""
    query = request.validated["querystring"]
    if kind != "history" or ("completed_after" not in query and "completed_before" not in query):
        return _listing(request, kind), {}
    try:
        archive = wiring(request.registry).kept(ArchiveHistory)
    except LookupError:
        archive = None
    archived = archive.listing(request, _arguments(request, kind), query.get("constraint"),
                               query.get("completed_after"), query.get("completed_before")) if archive else None
    if archived is not None:
        return archived, {HISTORY_SOURCE: "archive"}
    return _listing(request, kind), {HISTORY_SOURCE: "schedd"}


#: The header that says where a history window's jobs came from.
HISTORY_SOURCE = "X-History-Source"


def _next_page_link(request: Request, kind: str, jobs: SpooledListing) -> dict[str, str]:
    """``Link: <...?after=C.P>; rel="next"`` (``before=`` for a history,
    whose pages go back in time) when a listing filled its page: the v1
    JSON array stays as it is, the cursor rides in a header."""
    if jobs.last_key is None or jobs.count < capped_limit(request):  # none, or not a full page
        return {}
    cluster, proc = jobs.last_key
    schema, cursor = NEXT_PAGE[kind]
    query = {**known_query(request, schema), cursor: f"{cluster}.{proc}"}
    return {"Link": f'<{public_url(request, request.path)}?{urlencode(query)}>; rel="next"'}


#: Cursors are job ids of one schedd's queue or history.
CURSORS = ("after", "since", "before")


def list_jobs(kind: str):
    def view(request: Request) -> Response:
        jobs, source = _window_listing(request, kind)
        try:
            headers = {**(_next_page_link(request, kind, jobs) if isinstance(jobs, SpooledListing) else {}), **source}
            return listing_response(jobs, headers=headers or None)
        except BaseException:
            jobs.close()
            raise

    return view


def _one(request: Request, kind: str, **arguments: Any) -> Response:
    """One job (or one attribute of it), made and encoded in a worker."""
    path = request.validated["path"]
    return json_bytes_response(request.gateway.call(
        "query_job", schedd=path["schedd"], source=SOURCES[kind],
        cluster=path["clusterid"], proc=path["procid"],
        **arguments,
    ).body)


def one_job(kind: str):
    def view(request: Request) -> Response:
        return _one(request, kind, projection=request.validated["querystring"].get("projection") or [])

    return view


def job_attribute(kind: str):
    def view(request: Request) -> Response:
        return _one(request, kind, attribute=request.validated["path"]["attribute"])

    return view


def grouped_jobs(kind: str):
    def view(request: Request) -> Response:
        group_by = refuse_hidden_groupby(request)
        arguments = _arguments(request, kind, group_by)
        grouped: JsonBody = request.gateway.call("query_jobs", **arguments, group_by=group_by)
        return json_bytes_response(grouped.body)

    return view
