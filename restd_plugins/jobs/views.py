"""The jobs and history endpoints: like condor_q and condor_history."""
from __future__ import annotations

from urllib.parse import urlencode

from pyramid.httpexceptions import HTTPBadRequest
from pyramid.request import Request
from pyramid.response import Response

from restd_core.gateway import NotFound, RawJson
from restd_core.responses import json_bytes_response, json_response
from restd_core.shaping import group_by_attribute

from .shaping import job_objects

#: Where jobs come from, by the URL's first segment.
SOURCES = {"jobs": "queue", "history": "history"}


#: The one shaping of job objects, named so that the gateway's worker can run it.
SHAPE = f"{job_objects.__module__}:{job_objects.__name__}"


def _fetch(request: Request, kind: str, projection: list[str] | None, extra: list[str] = (), *, encoded: bool = False):
    """Job objects for the request's path and query; ``extra`` attributes
    are fetched and shown besides the projection (``groupby``). ``encoded``:
    as a ``RawJson`` array, shaped and encoded in the gateway's worker."""
    path, query = request.validated["path"], request.validated["querystring"]
    settings = request.condor_settings
    wanted = None if projection is None else [*projection, *extra]
    shape_options = {
        "shown": None if wanted is None else [name.lower() for name in wanted],
        "hidden": [name.lower() for name in settings.hide_job_attrs],
    }
    ads = request.gateway.query_jobs(
        path["schedd"],
        SOURCES[kind],
        constraint=query.get("constraint"),
        projection=wanted or (),
        cluster=path.get("clusterid"),
        proc=path.get("procid"),
        limit=_limit(request),
        hidden=settings.hide_job_attrs,
        since=query.get("after", query.get("since")),
        shape=SHAPE if encoded else None,
        shape_options=shape_options if encoded else None,
    )
    return ads if encoded else job_objects(ads, **shape_options)


def _limit(request: Request) -> int:
    """The caller's ``limit``, never more than RESTD_MAX_JOBS."""
    max_jobs = request.condor_settings.max_jobs
    return min(request.validated["querystring"].get("limit", max_jobs), max_jobs)


def _next_page_link(request: Request, jobs: RawJson) -> dict[str, str]:
    """``Link: <...?after=C.P>; rel="next"`` when a queue listing filled its
    page: the v1 JSON array stays as it is, the cursor rides in a header."""
    if not jobs.count or jobs.count < _limit(request):
        return {}
    query = {**request.GET, "after": jobs.last["jobid"]}
    return {"Link": f'<{request.path_url}?{urlencode(query)}>; rel="next"'}


def list_jobs(kind: str):
    def view(request: Request) -> Response:
        jobs = _fetch(request, kind, request.validated["querystring"].get("projection"), encoded=True)
        return json_bytes_response(jobs.body, headers=_next_page_link(request, jobs) if kind == "jobs" else None)

    return view


def one_job(kind: str):
    def view(request: Request) -> Response:
        jobs = _fetch(request, kind, request.validated["querystring"].get("projection"))
        if not jobs:
            path = request.validated["path"]
            raise NotFound(f"no job {path['clusterid']}.{path['procid']} in the {kind} of {path['schedd']}")
        return json_response(jobs[0])

    return view


def job_attribute(kind: str):
    def view(request: Request) -> Response:
        path = request.validated["path"]
        jobid = f"{path['clusterid']}.{path['procid']}"
        jobs = _fetch(request, kind, [path["attribute"]])
        if not jobs:
            raise NotFound(f"no job {jobid} in the {kind} of {path['schedd']}")
        value = jobs[0]["classad"].get(path["attribute"].lower())
        if value is None:
            raise NotFound(f"job {jobid} has no attribute {path['attribute']}", {"attribute": path["attribute"]})
        return json_response(value)

    return view


def grouped_jobs(kind: str):
    def view(request: Request) -> Response:
        groupby = request.validated["path"]["groupby"]
        if groupby.lower() in {name.lower() for name in request.condor_settings.hide_job_attrs}:
            raise HTTPBadRequest(f"cannot group by {groupby}: its values are hidden (RESTD_HIDE_JOB_ATTRS)")
        jobs = _fetch(request, kind, request.validated["querystring"].get("projection"), [groupby])
        return json_response(group_by_attribute(jobs, groupby.lower()))

    return view

