"""Endpoint plugin ``status``: /v1/status and /v1/grouped_status, as
Cornice services with colander query schemas."""
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
        _service("status", "/v1/status", "Ads of the pool's machines and daemons",
                 views.status, request_schema()),
        _service("status_name", "/v1/status/{name}", "The ads of one machine, slot or daemon",
                 views.status, request_schema("name")),
        _service("grouped_status", "/v1/grouped_status/{groupby}",
                 "Ads of the pool's machines and daemons, grouped by an attribute",
                 views.grouped_status, request_schema("groupby")),
        _service("grouped_status_name", "/v1/grouped_status/{groupby}/{name}",
                 "The ads of one machine, slot or daemon, grouped by an attribute",
                 views.grouped_status, request_schema("groupby", "name")),
    ]


def includeme(config) -> None:
    for service in services():
        config.add_cornice_service(service)
