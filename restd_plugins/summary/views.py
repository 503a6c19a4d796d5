"""The summary endpoints: numbers made in the gateway's workers."""
from __future__ import annotations

from pyramid.request import Request
from pyramid.response import Response

from restd_core.responses import json_response
from restd_core.services import refuse_hidden_keys


def _by(request: Request) -> list[str]:
    """The ``by`` attributes; 400 for a hidden one (as grouped_jobs)."""
    by = request.validated["querystring"].get("by") or []
    refuse_hidden_keys(request, by)
    return by


def job_counts(request: Request) -> Response:
    query = request.validated["querystring"]
    return json_response(request.gateway.call(
        "summary_job_counts", schedd=request.validated["path"]["schedd"], by=_by(request),
        constraint=query.get("constraint"), hidden=list(request.condor_settings.hide_job_attrs),
    ))


def slot_utilization(request: Request) -> Response:
    return json_response(request.gateway.call(
        "summary_slot_utilization", by=_by(request), constraint=request.validated["querystring"].get("constraint"),
        hidden=list(request.condor_settings.hide_job_attrs),
    ))


def user_priorities(request: Request) -> Response:
    return json_response(request.gateway.call("summary_user_priorities"))
