"""The config plugin's includeme: its services and its operations."""
from __future__ import annotations

from cornice import Service

from restd_core.plugin_api.web import read_service, wiring

from . import responses, views
from .schemas import request_schema
from .server_config import ServerConfig


def services() -> list[Service]:
    return [
        read_service("config", "/v1/config", "Every defined configuration knob (the server's or a daemon's)",
                     views.config, request_schema(), responses.CONFIG),
        read_service("config_attribute", "/v1/config/{attribute}", "One configuration knob's value",
                     views.config_value, request_schema("attribute"), responses.CONFIG_VALUE),
    ]


def includeme(config) -> None:
    for service in services():
        config.add_cornice_service(service)
    config.add_gateway_operation("read_config", "restd_plugins.config.operations:read_config", daemon="config")
    config.add_gateway_operation("read_config_value", "restd_plugins.config.operations:read_config_value",
                                 daemon="config", short=True)
    restd = wiring(config.registry)
    restd.keep(ServerConfig(restd.gateway, restd.settings.config_reload_seconds))
