"""The config endpoints: like condor_config_val."""
from __future__ import annotations

import orjson
from pyramid.request import Request
from pyramid.response import Response

from restd_core.plugin_api.web import NotFound, json_bytes_response, json_response, wiring

from .server_config import ServerConfig


def _daemon_call(request: Request, operation: str, daemon_type: str, **arguments) -> Response:
    return json_response(request.gateway.call(
        operation, daemon=daemon_type, daemon_type=daemon_type, **arguments,
    ))


def config(request: Request) -> Response:
    daemon_type = request.validated["querystring"].get("daemon")
    if daemon_type:
        return _daemon_call(request, "read_config", daemon_type)
    server_config = wiring(request.registry).kept(ServerConfig)
    return json_bytes_response(server_config.listing(request.condor_settings.hide_config_params))


def config_value(request: Request) -> Response:
    name = request.validated["path"]["attribute"]
    daemon_type = request.validated["querystring"].get("daemon")
    if daemon_type:
        return _daemon_call(request, "read_config_value", daemon_type, name=name)
    value = wiring(request.registry).kept(ServerConfig).value(name, request.condor_settings.hide_config_params)
    if value is None:
        raise NotFound(f"{name} is not defined in the configuration", {"attribute": name})
    return json_bytes_response(orjson.dumps(value))
