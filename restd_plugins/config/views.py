"""The config endpoints: like condor_config_val."""
from __future__ import annotations

from pyramid.request import Request
from pyramid.response import Response

from restd_core.responses import json_response


def config(request: Request) -> Response:
    return json_response(request.gateway.read_config(
        daemon=request.validated["querystring"].get("daemon"),
        hidden=request.condor_settings.hide_config_params,
    ))


def config_value(request: Request) -> Response:
    return json_response(request.gateway.read_config_value(
        request.validated["path"]["attribute"],
        daemon=request.validated["querystring"].get("daemon"),
        hidden=request.condor_settings.hide_config_params,
    ))
