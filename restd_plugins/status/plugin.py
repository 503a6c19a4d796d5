"""The status plugin's includeme: its services and its operation."""
from __future__ import annotations

from cornice import Service

from restd_core.plugin_api.web import read_service

from . import responses, views
from .schemas import request_schema


def services() -> list[Service]:
    return [
        read_service("status", "/v1/status", "Ads of the pool's machines and daemons",
                     views.status, request_schema(), responses.STATUS_LIST),
        read_service("status_name", "/v1/status/{name}", "The ads of one machine, slot or daemon",
                     views.status, request_schema("name"), responses.STATUS_LIST),
        read_service("grouped_status", "/v1/grouped_status/{groupby}",
                     "Ads of the pool's machines and daemons, grouped by an attribute",
                     views.grouped_status, request_schema("groupby"), responses.GROUPED_STATUS),
        read_service("grouped_status_name", "/v1/grouped_status/{groupby}/{name}",
                     "The ads of one machine, slot or daemon, grouped by an attribute",
                     views.grouped_status, request_schema("groupby", "name"), responses.GROUPED_STATUS),
    ]


def includeme(config) -> None:
    for service in services():
        config.add_cornice_service(service)
    config.add_gateway_operation("query_status", "restd_plugins.status.operations:query_status", daemon="collector")
