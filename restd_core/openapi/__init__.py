"""The API describes itself: ``/openapi.json`` (OpenAPI 3.1, built at
start-up from the registered services, see ``document``) and ``/docs``
(Swagger UI from our own static files: deployments may have no internet).

Both are public. Views may declare their answers' JSON Schemas with the
view option ``response_schemas`` (``{200: {...}}``; their media type
``response_media_type``, JSON by default), which this module teaches
Pyramid to accept.
"""
from __future__ import annotations

from importlib.resources import files

from pyramid.events import ApplicationCreated
from pyramid.request import Request
from pyramid.response import FileResponse, Response
from pyramid.security import NO_PERMISSION_REQUIRED

from ..responses import json_response
from .document import build_document

STATIC = "restd_core:static"
DOCS_PAGE = files("restd_core") / "static" / "docs.html"


def response_schemas_option(view, info):
    """A view deriver that only declares the ``response_schemas`` and ``response_media_type`` options:
    the document reads it from the service's definitions, Pyramid ignores it."""
    return view


response_schemas_option.options = ("response_schemas", "response_media_type")


def _build(event: ApplicationCreated) -> None:
    # After every include: the services of all plugins are registered.
    registry = event.app.registry
    registry.openapi_document = build_document(registry)


def openapi_json(request: Request) -> Response:
    return json_response(request.registry.openapi_document)


def docs_page(request: Request) -> Response:
    return FileResponse(str(DOCS_PAGE), request=request, content_type="text/html")


def includeme(config) -> None:
    config.add_view_deriver(response_schemas_option)
    config.add_subscriber(_build, ApplicationCreated)
    config.add_route("openapi", "/openapi.json")
    config.add_view(openapi_json, route_name="openapi", request_method="GET", permission=NO_PERMISSION_REQUIRED)
    config.add_route("docs", "/docs")
    config.add_view(docs_page, route_name="docs", request_method="GET", permission=NO_PERMISSION_REQUIRED)
    config.add_static_view("docs/static", STATIC, permission=NO_PERMISSION_REQUIRED, cache_max_age=3600)
