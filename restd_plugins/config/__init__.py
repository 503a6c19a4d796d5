"""Endpoint plugin ``config``: /v1/config, as Cornice services with
colander query schemas."""
from __future__ import annotations

from cornice import Service
from cornice.validators import colander_validator

from restd_core.errors import validation_error_handler

from . import views
from .schemas import request_schema

PERMISSION = "read"


def _service(name: str, path: str, description: str, view, schema) -> Service:
    service = Service(name=name, path=path, description=description, error_handler=validation_error_handler)
    service.add_view("GET", view, schema=schema, validators=(colander_validator,), permission=PERMISSION)
    return service


def services() -> list[Service]:
    return [
        _service("config", "/v1/config", "Every defined configuration knob (the server's or a daemon's)",
                 views.config, request_schema()),
        _service("config_attribute", "/v1/config/{attribute}", "One configuration knob's value",
                 views.config_value, request_schema("attribute")),
    ]


def includeme(config) -> None:
    for service in services():
        config.add_cornice_service(service)
