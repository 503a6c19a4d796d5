"""The jobs and history endpoints: like condor_q and condor_history."""
from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

import orjson
from pyramid.request import Request
from pyramid.response import Response

from restd_core.gateway import JsonBody, NotFound, RawJson, merged
from restd_core.response_cache import cache_ttl
from restd_core.responses import json_bytes_response, json_chunks_response, json_response, public_url
from restd_core.services import known_query, refuse_hidden_groupby

from .schemas import QueueListQuery

#: Where jobs come from, by the URL's first segment.
SOURCES = {"jobs": "queue", "history": "history"}


def _fetch(request: Request, kind: str, projection: list[str] | None, group_by: str | None = None) -> RawJson | JsonBody:
    """Job objects for the request's path and query, as a JSON array made
    in the gateway's workers; with ``group_by``, grouped there by that
    attribute (which is then shown besides the projection)."""
    path, query = request.validated["path"], request.validated["querystring"]
    wanted = None if projection is None else [*projection, *([group_by] if group_by else [])]
    limit = _limit(request)
    arguments = {
        "schedd": path["schedd"], "source": SOURCES[kind], "constraint": query.get("constraint"),
        "projection": wanted or [], "cluster": path.get("clusterid"), "proc": path.get("procid"), "limit": limit,
        "hidden": list(request.condor_settings.hide_job_attrs), "since": query.get("after", query.get("since")),
    }
    gateway = request.gateway
    if group_by is not None:
        return gateway.call("query_jobs", **arguments, group_by=group_by)
    parts = 1
    # Uncached, a queue listing is split between idle workers, which query
    # and encode their parts at the same time (the bindings hold a worker's
    # GIL for the whole query). Cached, a listing is made once per
    # time-to-live for every caller: one query is gentler on the schedd.
    if kind == "jobs" and arguments["cluster"] is None and cache_ttl(request) == 0:
        parts = gateway.spare_workers(request.registry.restd_settings.gateway_listing_parts)
    if parts == 1:
        return merged([gateway.call("query_jobs", **arguments)], limit)
    return merged(gateway.call_parts("query_jobs", [{**arguments, "part": part, "parts": parts}
                                                    for part in range(parts)]), limit)


def _decoded(jobs: RawJson) -> list[dict[str, Any]]:
    return orjson.loads(jobs.body)


def _limit(request: Request) -> int:
    """The caller's ``limit``, never more than RESTD_MAX_JOBS."""
    max_jobs = request.condor_settings.max_jobs
    return min(request.validated["querystring"].get("limit", max_jobs), max_jobs)


def _next_page_link(request: Request, jobs: RawJson) -> dict[str, str]:
    """``Link: <...?after=C.P>; rel="next"`` when a queue listing filled its
    page: the v1 JSON array stays as it is, the cursor rides in a header."""
    if not jobs.count or jobs.count < _limit(request):
        return {}
    cluster, proc = jobs.last_key
    query = {**known_query(request, QueueListQuery()), "after": f"{cluster}.{proc}"}
    return {"Link": f'<{public_url(request, request.path)}?{urlencode(query)}>; rel="next"'}


def list_jobs(kind: str):
    def view(request: Request) -> Response:
        jobs = _fetch(request, kind, request.validated["querystring"].get("projection"))
        return json_chunks_response(jobs.chunks, jobs.size, headers=_next_page_link(request, jobs) if kind == "jobs" else None)

    return view


def one_job(kind: str):
    def view(request: Request) -> Response:
        jobs = _decoded(_fetch(request, kind, request.validated["querystring"].get("projection")))
        if not jobs:
            path = request.validated["path"]
            raise NotFound(f"no job {path['clusterid']}.{path['procid']} in the {kind} of {path['schedd']}")
        return json_response(jobs[0])

    return view


def job_attribute(kind: str):
    def view(request: Request) -> Response:
        path = request.validated["path"]
        jobid = f"{path['clusterid']}.{path['procid']}"
        jobs = _decoded(_fetch(request, kind, [path["attribute"]]))
        if not jobs:
            raise NotFound(f"no job {jobid} in the {kind} of {path['schedd']}")
        value = jobs[0]["classad"].get(path["attribute"].lower())
        if value is None:
            raise NotFound(f"job {jobid} has no attribute {path['attribute']}", {"attribute": path["attribute"]})
        return json_response(value)

    return view


def grouped_jobs(kind: str):
    def view(request: Request) -> Response:
        groupby = refuse_hidden_groupby(request)
        return json_bytes_response(_fetch(request, kind, request.validated["querystring"].get("projection"), groupby).body)

    return view

