"""The OpenAPI 3.1 document, built from the registered Cornice services.

Nothing in it is written by hand: paths come from the services' routes,
parameters from their colander request schemas (children ``path``,
``querystring`` and ``headers``), answers from the ``response_schemas``
their views declare (``{200: <JSON Schema>}``, of the media type
``response_media_type``, JSON by default; a view without one answers
"any JSON"), errors from ``restd_core.pipeline.errors``, and the security scheme from
the active auth plugin. So every enabled plugin, a third party's too, is in
it with no work by its author.
"""
from __future__ import annotations

import re
from http import HTTPStatus
from importlib.metadata import PackageNotFoundError, version
from typing import Any

import colander
from cornice import Service
from pyramid.interfaces import IRoutesMapper
from pyramid.registry import Registry
from pyramid.security import NO_PERMISSION_REQUIRED

from restd_core.assembly.wiring import wiring
from restd_core.openapi.jsonschema import Schema, is_required, to_json_schema
from restd_core.pipeline.errors import Errno

OPENAPI_VERSION = "3.1.0"
JSON = "application/json"
ERROR_REF = {"$ref": "#/components/schemas/Error"}
#: Methods Cornice adds by itself (HEAD beside GET, CORS preflights).
UNDOCUMENTED_METHODS = {"HEAD", "OPTIONS"}
#: Request schema children -> OpenAPI parameter locations.
LOCATIONS = {"path": "path", "querystring": "query", "headers": "header"}
#: Media types whose answer is a sequence of items (OpenAPI 3.2's sequential media types).
SEQUENTIAL_MEDIA_TYPES = {"text/event-stream", "application/jsonl", "application/x-ndjson", "application/json-seq"}
_ROUTE_PLACEHOLDER = re.compile(r"\{(\w+)(?::[^}]*)?\}")

#: Every error answer (``restd_core.pipeline.errors.error_response``).
ERROR_SCHEMA: Schema = {
    "type": "object",
    "required": ["code", "errno", "error", "message"],
    "properties": {
        "code": {"type": "integer", "minimum": 400, "maximum": 599, "description": "The HTTP status"},
        "errno": {
            "type": "integer",
            "enum": [int(errno) for errno in Errno],
            "description": "What went wrong: " + ", ".join(f"{int(e)} {e.name.lower()}" for e in Errno),
        },
        "error": {"type": "string", "description": "The HTTP status's reason phrase"},
        "message": {"type": "string"},
        "details": {"type": "object"},
    },
    "additionalProperties": False,
}


def build_document(registry: Registry) -> dict[str, Any]:
    services = sorted(registry.cornice_services.values(), key=lambda service: _path(registry, service))
    schemes = security_schemes(registry)
    document: dict[str, Any] = {
        "openapi": OPENAPI_VERSION,
        "info": {
            "title": "condor-restd",
            "version": _version(),
            "description": "A read-only REST API for HTCondor pools. Errors are JSON in the `Error` schema.",
        },
        "paths": {},
        "components": {"schemas": {"Error": ERROR_SCHEMA}},
    }
    for service in services:
        operations = {
            method.lower(): operation(service, method, args, secured=bool(schemes))
            for method, _view, args in service.definitions
            if method not in UNDOCUMENTED_METHODS
        }
        if operations:
            document["paths"][_path(registry, service)] = operations
    if schemes:
        document["components"]["securitySchemes"] = schemes
        document["security"] = [{name: []} for name in schemes]
    return document


def security_schemes(registry: Registry) -> dict[str, Schema]:
    """The auth plugin's ``openapi_security_schemes`` (name -> OpenAPI
    Security Scheme; a caller may use any one); none for a plugin without."""
    plugin = getattr(wiring(registry), "auth", None)
    return dict(getattr(plugin, "openapi_security_schemes", None) or {})


def operation(service: Service, method: str, args: dict[str, Any], secured: bool) -> dict[str, Any]:
    path = service.path
    parameters = _parameters(path, _schema(args.get("schema")))
    op: dict[str, Any] = {
        "operationId": f"{method.lower()}_{service.name}",
        "tags": [_tag(path)],
        "parameters": parameters,
        "responses": _responses(args.get("response_schemas") or {}, args.get("response_media_type") or JSON),
    }
    if service.description:
        op["summary"] = service.description
    if secured and args.get("permission") == NO_PERMISSION_REQUIRED:
        op["security"] = []
    return op


def _parameters(path: str, schema: colander.SchemaNode | None) -> list[dict[str, Any]]:
    parameters: list[dict[str, Any]] = []
    described: set[str] = set()
    for child in schema.children if schema is not None else ():
        location = LOCATIONS.get(child.name)
        if location is None:
            continue
        for node in child.children:
            parameters.append(_parameter(node, location))
            if location == "path":
                described.add(node.name)
    # A placeholder that the schema does not type is still a parameter.
    for name in _ROUTE_PLACEHOLDER.findall(path):
        if name not in described:
            parameters.append({"name": name, "in": "path", "required": True, "schema": {"type": "string"}})
    return parameters


#: What a list parameter's description adds: the other form it takes.
REPEATED_LIST = ("Comma-separated; the key may also be repeated, each value a list too "
                 "(`?by=Owner&by=JobStatus` is `?by=Owner,JobStatus`).")


def _parameter(node: colander.SchemaNode, location: str) -> dict[str, Any]:
    schema = to_json_schema(node)
    parameter: dict[str, Any] = {
        "name": node.name,
        "in": location,
        "required": location == "path" or is_required(node),
        "schema": schema,
    }
    if "description" in schema:
        parameter["description"] = schema.pop("description")
    if location == "query" and schema.get("type") == "array":
        # CommaList: ?projection=a,b,c, and the same repeated (?projection=a&projection=b,c)
        parameter.update(style="form", explode=False)
        parameter["description"] = " ".join(filter(None, (parameter.get("description"), REPEATED_LIST)))
    if location == "query" and not parameter["required"] and _empty_is_absent(node):
        parameter["allowEmptyValue"] = True
    return parameter


def _empty_is_absent(node: colander.SchemaNode) -> bool:
    """Whether ``?name=`` counts as no value at all: colander reads an empty
    string as null for most types (String, Integer), never as invalid."""
    try:
        return node.typ.deserialize(node, "") is colander.null
    except colander.Invalid:
        return False


def _responses(declared: dict[int | str, Schema], media_type: str = JSON) -> dict[str, Any]:
    """The declared answers (of ``media_type``: JSON, or another such as
    ``text/event-stream`` whose schema describes each of its items), and errors.
    An error answer (a ``$ref`` to ``Error``) is always JSON."""
    responses = {
        str(status): {"description": _phrase(status),
                      "content": {JSON: {"schema": schema}} if schema == ERROR_REF else _content(media_type, schema)}
        for status, schema in declared.items()
    }
    if not any(str(status).startswith("2") for status in declared):
        responses["200"] = {"description": "OK (not described by the plugin)", "content": {"*/*": {"schema": {}}}}
    responses["default"] = {"description": "An error", "content": {JSON: {"schema": ERROR_REF}}}
    return responses


def _content(media_type: str, schema: Schema) -> dict[str, Any]:
    """A media type's content. A sequential one (``SEQUENTIAL_MEDIA_TYPES``)
    is declared by the schema of one item: the answer is a string whose
    decoded content (``contentSchema``, JSON Schema's own keyword) is the
    list of items, each checkable by that schema (OpenAPI 3.2's
    ``itemSchema``, which 3.1 tools and generators do not take)."""
    if media_type in SEQUENTIAL_MEDIA_TYPES:
        schema = {"type": "string", "contentMediaType": media_type, "description": schema.get("description", ""),
                  "contentSchema": {"type": "array", "items": schema}}
    return {media_type: {"schema": schema}}


def _schema(schema: Any) -> colander.SchemaNode | None:
    """Cornice takes a schema class or instance."""
    if isinstance(schema, type) and issubclass(schema, colander.SchemaNode):
        return schema()
    return schema if isinstance(schema, colander.SchemaNode) else None


def _path(registry: Registry, service: Service) -> str:
    """The service's URL as OpenAPI writes it (route prefix included,
    Pyramid's ``{name:regex}`` as ``{name}``)."""
    route = registry.getUtility(IRoutesMapper).get_route(service.pyramid_route or service.name)
    pattern = route.pattern if route is not None else service.path
    return _ROUTE_PLACEHOLDER.sub(r"{\1}", "/" + pattern.lstrip("/"))


def _tag(path: str) -> str:
    """Operations are grouped by the URL's first segment after the version
    (``/v1/jobs/...``: jobs); core routes (``/healthz``) by their own."""
    segments = [segment for segment in path.split("/") if segment]
    if segments and re.fullmatch(r"v\d+", segments[0]):
        segments = segments[1:]
    return segments[0] if segments and not segments[0].startswith("{") else "server"


def _phrase(status: int | str) -> str:
    try:
        return HTTPStatus(int(status)).phrase
    except ValueError:
        return str(status)


def _version() -> str:
    try:
        return version("condor-restd")
    except PackageNotFoundError:
        return "unknown"
