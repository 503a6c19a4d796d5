"""The why endpoints' views."""
from __future__ import annotations

from collections.abc import Callable

from pyramid.request import Request
from pyramid.response import Response

from restd_core.plugin_api.web import EVERY_SCHEDD, ask_every_schedd, json_response, refuse_hidden_keys

from .grouping import merged_groups
from .schemas import DEFAULT_HELD_BY
from .settings import WhySettings
from .verdicts import judged


def held_jobs(request: Request) -> Response:
    """One schedd's held jobs by reason; for ``*``, every schedd's merged.
    A hidden ``by`` attribute (the caller's or a default one) is a 400."""
    query = request.validated["querystring"]
    by = query.get("by") or DEFAULT_HELD_BY
    refuse_hidden_keys(request, by)
    arguments = {"by": by, "examples": query["examples"], "constraint": query.get("constraint")}
    schedd = request.validated["path"]["schedd"]
    if schedd == EVERY_SCHEDD:
        every = ask_every_schedd(request, "why_held_jobs", arguments)
        answers = every.answers
        return json_response({**every.head(), "by": next(iter(answers.values()))["by"],
                              "held": sum(answer["held"] for answer in answers.values()),
                              "groups": merged_groups(answers)})
    return json_response(request.gateway.call("why_held_jobs", schedd=schedd, **arguments))


def daemon_health(settings: WhySettings) -> Callable[[Request], Response]:
    """The view of the daemons' health, judged by the site's thresholds."""
    def view(request: Request) -> Response:
        return json_response(judged(request.gateway.call("why_daemon_health"), settings))

    return view
