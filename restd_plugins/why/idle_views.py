"""The idle endpoints' views."""
from __future__ import annotations

from collections.abc import Callable

from pyramid.request import Request
from pyramid.response import Response

from restd_core.plugin_api.web import EVERY_SCHEDD, ask_every_schedd, json_response, time_left

from .idle_settings import IdleSettings


def _budget(settings: IdleSettings) -> float:
    """Seconds the analysis may spend: the setting's, never more than half
    of what is left of the request's HTCondor budget (the rest is for
    reading the ads, and the answer's way back)."""
    left = time_left()
    return settings.budget_seconds if left is None else max(min(settings.budget_seconds, left / 2), 0.01)


def idle_jobs(settings: IdleSettings) -> Callable[[Request], Response]:
    """The view of a schedd's idle groups; for ``*``, every schedd's merged
    (the largest ``max_groups`` groups of all; the others left out)."""
    def view(request: Request) -> Response:
        groups = min(request.validated["querystring"].get("groups", settings.max_groups), settings.max_groups)
        arguments = {"max_groups": groups, "max_slots": settings.max_slots, "budget": _budget(settings),
                     "slot_cache_seconds": settings.slot_cache_seconds}
        schedd = request.validated["path"]["schedd"]
        if schedd != EVERY_SCHEDD:
            return json_response(request.gateway.call("why_idle_jobs", schedd=schedd, **arguments))
        every = ask_every_schedd(request, "why_idle_jobs", arguments)
        answers = every.answers
        merged = sorted(([{**group, "schedd": name} for name, answer in answers.items() for group in answer["groups"]]),
                        key=lambda group: (-group["idle"], group["schedd"], group["autoclusterid"] is None,
                                           group["autoclusterid"] or 0))
        kept = merged[:groups]
        left_out = sum(group["autoclusterid"] is not None for group in merged[groups:])
        return json_response({**every.head(), "idle": sum(answer["idle"] for answer in answers.values()),
                              "slots": max(answer["slots"] for answer in answers.values()),
                              "slots_left_out": max(answer["slots_left_out"] for answer in answers.values()),
                              "groups_left_out": sum(answer["groups_left_out"] for answer in answers.values())
                              + left_out,
                              "groups": kept})

    return view


def idle_job(settings: IdleSettings) -> Callable[[Request], Response]:
    """The view of one job matched against the pool's slots."""
    def view(request: Request) -> Response:
        path = request.validated["path"]
        return json_response(request.gateway.call(
            "why_idle_job", schedd=path["schedd"], cluster=path["clusterid"], proc=path["procid"],
            max_slots=settings.max_slots, budget=_budget(settings), slot_cache_seconds=settings.slot_cache_seconds))

    return view
