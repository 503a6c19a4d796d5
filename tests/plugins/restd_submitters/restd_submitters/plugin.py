"""The plugin's includeme: its operation and its service."""
from __future__ import annotations

from restd_core.plugin_api.web import read_service

from . import views
from .schemas import SUBMITTER_LIST, SubmittersRequest


def includeme(config) -> None:
    # Runs in the gateway's worker processes; the name is what views call.
    config.add_gateway_operation("submitters", "restd_submitters.operations:submitters", daemon="collector")
    config.add_cornice_service(read_service(
        "submitters", "/v1/submitters", "The pool's submitters and how many jobs each has idle, running, held",
        views.submitters, SubmittersRequest(), SUBMITTER_LIST,
    ))
