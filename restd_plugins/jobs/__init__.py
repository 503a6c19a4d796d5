"""Endpoint plugin ``jobs``: /v1/jobs, /v1/history, /v1/grouped_jobs and
/v1/grouped_history, as Cornice services with colander query schemas."""
from __future__ import annotations

from cornice import Service
from cornice.validators import colander_validator

from restd_core.errors import validation_error_handler

from . import responses, views
from .schemas import LIST_QUERIES, JobQuery, NoQuery, request_schema

PERMISSION = "read"


def _service(name: str, path: str, description: str, view, schema, answer: dict) -> Service:
    service = Service(name=name, path=path, description=description, error_handler=validation_error_handler)
    service.add_view("GET", view, schema=schema, validators=(colander_validator,), permission=PERMISSION,
                     response_schemas={200: answer}, restd_cache=True)
    return service


def services() -> list[Service]:
    made = []
    for kind in views.SOURCES:
        what = "queue" if kind == "jobs" else "history"
        made += [
            _service(f"{kind}", f"/v1/{kind}/{{schedd}}", f"Jobs in the schedd's {what}",
                     views.list_jobs(kind), request_schema(LIST_QUERIES[kind]), responses.JOBS),
            _service(f"{kind}_cluster", f"/v1/{kind}/{{schedd}}/{{clusterid}}", f"Jobs of one cluster in the schedd's {what}",
                     views.list_jobs(kind), request_schema(LIST_QUERIES[kind], "clusterid"), responses.JOBS),
            _service(f"{kind}_job", f"/v1/{kind}/{{schedd}}/{{clusterid}}/{{procid}}", f"One job in the schedd's {what}",
                     views.one_job(kind), request_schema(JobQuery, "clusterid", "procid"), responses.JOB),
            _service(f"{kind}_attribute", f"/v1/{kind}/{{schedd}}/{{clusterid}}/{{procid}}/{{attribute}}",
                     f"One attribute of one job in the schedd's {what}",
                     views.job_attribute(kind), request_schema(NoQuery, "clusterid", "procid", "attribute"),
                     responses.ATTRIBUTE_VALUE),
            _service(f"grouped_{kind}", f"/v1/grouped_{kind}/{{schedd}}/{{groupby}}",
                     f"Jobs in the schedd's {what}, grouped by an attribute",
                     views.grouped_jobs(kind), request_schema(LIST_QUERIES[kind], "groupby"), responses.GROUPED_JOBS),
            _service(f"grouped_{kind}_cluster", f"/v1/grouped_{kind}/{{schedd}}/{{groupby}}/{{clusterid}}",
                     f"Jobs of one cluster in the schedd's {what}, grouped by an attribute",
                     views.grouped_jobs(kind), request_schema(LIST_QUERIES[kind], "groupby", "clusterid"), responses.GROUPED_JOBS),
        ]
    return made


def includeme(config) -> None:
    for service in services():
        config.add_cornice_service(service)
