"""The jobs and history endpoints: like condor_q and condor_history."""
from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from pyramid.httpexceptions import HTTPBadRequest
from pyramid.request import Request
from pyramid.response import Response

from restd_core.every_schedd import EVERY_SCHEDD, ask_every_schedd, refuse_every_schedd
from restd_core.gateway import JsonBody
from restd_core.gateway.spool import Spool, SpooledListing, SpooledObject
from restd_core.response_cache import cache_ttl
from restd_core.responses import json_bytes_response, listing_response, public_url
from restd_core.services import known_query, refuse_hidden_groupby
from restd_core.wiring import wiring

from .schemas import HistoryListQuery, QueueListQuery

#: Where jobs come from, by the URL's first segment.
SOURCES = {"jobs": "queue", "history": "history"}
#: A full page's next one: its query, and the cursor it takes the last job id as.
NEXT_PAGE = {"jobs": (QueueListQuery(), "after"), "history": (HistoryListQuery(), "before")}


def _arguments(request: Request, kind: str, group_by: str | None = None) -> dict[str, Any]:
    """The jobs query's arguments for the request's path and query."""
    path, query = request.validated["path"], request.validated["querystring"]
    projection = query.get("projection")
    return {
        "schedd": path["schedd"], "source": SOURCES[kind], "constraint": query.get("constraint"),
        "projection": [*projection, *([group_by] if group_by else [])] if projection else [],
        "cluster": path.get("clusterid"), "limit": _limit(request),
        "hidden": list(request.condor_settings.hide_job_attrs),
        "since": query.get("after", query.get("since")), "before": query.get("before"),
    }


def _listing(request: Request, kind: str, group_by: str | None = None) -> SpooledListing | JsonBody:
    """Job objects for the request's path and query, as a JSON array made
    in the gateway's workers and spooled here as it comes; with
    ``group_by``, grouped there by that attribute (which is then shown
    besides the projection)."""
    arguments = _arguments(request, kind, group_by)
    refuse_every_schedd(arguments["schedd"], ONE_SCHEDDS)
    limit = arguments["limit"]
    gateway = request.gateway
    if group_by is not None:
        return gateway.call("query_jobs", **arguments, group_by=group_by)
    parts = 1
    # Uncached, a queue listing is split between idle workers, which query
    # and encode their parts at the same time (the bindings hold a worker's
    # GIL for the whole query). Cached, a listing is made once per
    # time-to-live for every caller: one query is gentler on the schedd.
    if kind == "jobs" and arguments["cluster"] is None and cache_ttl(request) == 0:
        parts = gateway.spare_workers(wiring(request.registry).settings.gateway_listing_parts)
    spools = [Spool(wiring(request.registry).answers_in_flight) for _ in range(parts)]
    try:
        if parts == 1:
            received = [gateway.call("query_jobs", **arguments, sink=spools[0])]
        else:
            received = gateway.call_parts("query_jobs", [{**arguments, "part": part, "parts": parts}
                                                         for part in range(parts)], sinks=spools)
        return SpooledListing(list(zip(received, spools)), limit)
    except BaseException:
        for spool in spools:
            spool.close()
        raise


def _limit(request: Request) -> int:
    """The caller's ``limit``, never more than RESTD_MAX_JOBS."""
    max_jobs = request.condor_settings.max_jobs
    return min(request.validated["querystring"].get("limit", max_jobs), max_jobs)


def _next_page_link(request: Request, kind: str, jobs: SpooledListing) -> dict[str, str]:
    """``Link: <...?after=C.P>; rel="next"`` (``before=`` for a history,
    whose pages go back in time) when a listing filled its page: the v1
    JSON array stays as it is, the cursor rides in a header."""
    if not jobs.count or jobs.count < _limit(request):
        return {}
    cluster, proc = jobs.last_key
    schema, cursor = NEXT_PAGE[kind]
    query = {**known_query(request, schema), cursor: f"{cluster}.{proc}"}
    return {"Link": f'<{public_url(request, request.path)}?{urlencode(query)}>; rel="next"'}


#: What only one schedd can answer (the schedd ``*`` is a 400 there).
ONE_SCHEDDS = "a cluster, a job, its attribute or a grouped listing"
#: Cursors are job ids of one schedd's queue or history.
CURSORS = ("after", "since", "before")


def _every_schedd_listing(request: Request, kind: str) -> SpooledObject:
    """The jobs of every schedd (``*``): ``{"schedds", "failed", "jobs"}``,
    each job object naming its ``schedd``; ``limit`` is each schedd's (the
    schedds' jobs one after the other, in the order of their names)."""
    cursor = next((name for name in CURSORS if name in request.validated["querystring"]), None)
    if cursor is not None:
        raise HTTPBadRequest(f"{cursor} is a job id of one schedd: it cannot be given with the schedd "
                             f"{EVERY_SCHEDD} (every schedd), whose listing has no pages")
    arguments = {**_arguments(request, kind), "tag_schedd": True}
    in_flight = wiring(request.registry).answers_in_flight
    spools: dict[str, Spool] = {}

    def spool_for(name: str) -> Spool:
        spools[name] = Spool(in_flight)
        return spools[name]

    try:
        every = ask_every_schedd(request, "query_jobs", arguments, spool_for)
        listings = [SpooledListing([(every.answers[name], spools.pop(name))], arguments["limit"])
                    for name in every.schedds]
    finally:
        for spool in spools.values():  # the failed schedds' (every one's, on an error)
            spool.close()
    return SpooledObject(every.head(), "jobs", listings)


def list_jobs(kind: str):
    def view(request: Request) -> Response:
        path = request.validated["path"]
        every = path["schedd"] == EVERY_SCHEDD and "clusterid" not in path
        jobs = _every_schedd_listing(request, kind) if every else _listing(request, kind)
        try:
            return listing_response(jobs, headers=None if every else _next_page_link(request, kind, jobs))
        except BaseException:
            jobs.close()
            raise

    return view


def _one(request: Request, kind: str, **arguments: Any) -> Response:
    """One job (or one attribute of it), made and encoded in a worker."""
    path = request.validated["path"]
    return json_bytes_response(request.gateway.call(
        "query_job", schedd=refuse_every_schedd(path["schedd"], ONE_SCHEDDS), source=SOURCES[kind],
        cluster=path["clusterid"], proc=path["procid"], hidden=list(request.condor_settings.hide_job_attrs),
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
        return json_bytes_response(_listing(request, kind, refuse_hidden_groupby(request)).body)

    return view
