"""The summary endpoints: numbers made in the gateway's workers."""
from __future__ import annotations

from pyramid.request import Request
from pyramid.response import Response

from restd_core.plugin_api.web import EVERY_SCHEDD, ask_every_schedd, json_response, refuse_hidden_keys

from .counting import summed_job_counts


def _by(request: Request) -> list[str]:
    """The ``by`` attributes; 400 for a hidden one (as grouped_jobs)."""
    by = request.validated["querystring"].get("by") or []
    refuse_hidden_keys(request, by)
    return by


def job_counts(request: Request) -> Response:
    """One schedd's counts; for ``*``, every schedd's summed (``per_schedd``:
    each one's totals) with ``schedds`` and ``failed``."""
    query = request.validated["querystring"]
    arguments = {"by": _by(request), "constraint": query.get("constraint")}
    schedd = request.validated["path"]["schedd"]
    if schedd == EVERY_SCHEDD:
        every = ask_every_schedd(request, "summary_job_counts", arguments)
        return json_response({**every.head(), **summed_job_counts(every.answers)})
    return json_response(request.gateway.call("summary_job_counts", schedd=schedd, **arguments))


def slot_utilization(request: Request) -> Response:
    return json_response(request.gateway.call(
        "summary_slot_utilization", by=_by(request), constraint=request.validated["querystring"].get("constraint"),
    ))


def user_priorities(request: Request) -> Response:
    return json_response(request.gateway.call("summary_user_priorities"))
