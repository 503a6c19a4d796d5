"""How an endpoint plugin declares a read-only Cornice service."""
from __future__ import annotations

from typing import Callable

import colander
from cornice import Service
from cornice.validators import colander_validator
from pyramid.httpexceptions import HTTPBadRequest
from pyramid.request import Request

from restd_core.openapi.jsonschema import Schema
from restd_core.pipeline.errors import validation_error_handler
from restd_core.plugin_api.schemas import CommaList

READ = "read"


def read_service(
    name: str,
    path: str,
    description: str,
    view: Callable,
    schema: colander.MappingSchema,
    answer: Schema | None = None,
) -> Service:
    """A GET service: parameters checked by ``schema`` (colander; 400 in our
    error schema), permission ``read``, answers cached and ETagged
    (``restd_core.pipeline.response_cache``), ``answer`` its 200 JSON Schema for the
    OpenAPI document."""
    options = {"response_schemas": {200: answer}} if answer is not None else {}
    return _get_service(name, path, description, view, schema, restd_cache=query_parameters(schema) or True,
                        **options)


def stream_service(
    name: str,
    path: str,
    description: str,
    view: Callable,
    schema: colander.MappingSchema,
    events: Schema,
    media_type: str = "text/event-stream",
) -> Service:
    """A GET service like ``read_service`` whose 200 answer is a stream
    (``media_type``), never cached nor ETagged; ``events`` describes it in
    the OpenAPI document."""
    return _get_service(name, path, description, view, schema, response_schemas={200: events},
                        response_media_type=media_type)


def _get_service(name: str, path: str, description: str, view: Callable, schema: colander.MappingSchema,
                 **options) -> Service:
    service = Service(name=name, path=path, description=description, error_handler=validation_error_handler)
    service.add_view(
        "GET", view, schema=schema, validators=(colander_validator,), deserializer=query_and_path_of(schema),
        permission=READ,
        **options,
    )
    return service


def query_and_path_of(schema: colander.MappingSchema) -> Callable[[Request], dict[str, dict]]:
    """What colander checks of a read: the query string and the path's
    parameters; never a body or the headers, which Cornice's default would
    extract (and parse) first. A list parameter (``CommaList``) may be
    repeated: ``?by=Owner&by=JobStatus`` is ``?by=Owner,JobStatus`` (what
    generated clients send); another one given twice is a 400 that says so."""
    query = schema.get("querystring")
    children = query.children if query is not None else []
    lists = {child.name for child in children if isinstance(child.typ, CommaList)}
    declared = {child.name for child in children}

    def query_and_path(request: Request) -> dict[str, dict]:
        querystring: dict[str, str] = {}
        for name in dict.fromkeys(request.GET):
            values = request.GET.getall(name)
            if name in lists:
                querystring[name] = ",".join(values)
            elif len(values) == 1 or name not in declared:
                querystring[name] = values[-1]
            else:
                request.errors.add("querystring", name, "given more than once; it takes one value")
        return {"querystring": querystring, "path": request.matchdict or {}}

    return query_and_path


def query_parameters(schema: colander.MappingSchema) -> tuple[str, ...]:
    """The names of a request schema's query parameters."""
    query = schema.get("querystring")
    return tuple(child.name for child in query.children) if query is not None else ()


def known_query(request: Request, query: colander.MappingSchema) -> dict[str, str]:
    """The request's query parameters that ``query`` declares (all the
    answer may depend on: a caller may add any others), a repeated one's
    values joined by commas (the one value of a list parameter)."""
    declared = {child.name for child in query.children}
    return {name: ",".join(request.GET.getall(name)) for name in request.GET if name in declared}


def refuse_hidden_groupby(request: Request) -> str:
    """The request's ``groupby`` path parameter; 400 when it names a hidden
    job attribute (RESTD_HIDE_JOB_ATTRS): the group keys would be its values."""
    groupby = request.validated["path"]["groupby"]
    refuse_hidden_keys(request, [groupby])
    return groupby


def refuse_hidden_keys(request: Request, names: list[str]) -> None:
    """400 when one of ``names``, attributes an answer is grouped by, is a
    hidden job attribute (RESTD_HIDE_JOB_ATTRS): the group keys would be
    its values."""
    hidden = {name.lower() for name in request.condor_settings.hide_job_attrs}
    for name in names:
        if name.lower() in hidden:
            raise HTTPBadRequest(f"cannot group by {name}: its values are hidden (RESTD_HIDE_JOB_ATTRS)")


def capped_limit(request: Request) -> int:
    """The caller's ``limit`` query parameter (``schemas.limit_node``),
    never more than RESTD_MAX_JOBS (which it is when not given)."""
    max_jobs = request.condor_settings.max_jobs
    return min(request.validated["querystring"].get("limit", max_jobs), max_jobs)
