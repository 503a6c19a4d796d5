"""The config endpoints: like condor_config_val."""
from __future__ import annotations

from pyramid.request import Request
from pyramid.response import Response

from restd_core.responses import json_response


def _call(request: Request, operation: str, **arguments) -> Response:
    daemon_type = request.validated["querystring"].get("daemon")
    return json_response(request.gateway.call(
        operation, daemon=daemon_type or "config", daemon_type=daemon_type,
        hidden=request.condor_settings.hide_config_params, **arguments,
    ))


def config(request: Request) -> Response:
    return _call(request, "read_config")


def config_value(request: Request) -> Response:
    return _call(request, "read_config_value", name=request.validated["path"]["attribute"])
