"""The API describes itself: ``/openapi.json`` (OpenAPI 3.1, built at
start-up from the registered services, see ``document``) and ``/docs``
(Swagger UI from our own static files: deployments may have no internet).

Both are public, and neither may be framed by another site's page
(clickjacking): ``FRAMING_HEADERS``. The static files are plain files: a
directory (``/docs/static/..``) is a 404, never a redirect. Views may declare their answers' JSON Schemas with the
view option ``response_schemas`` (``{200: {...}}``; their media type
``response_media_type``, JSON by default), which this module teaches
Pyramid to accept.
"""
from __future__ import annotations

from importlib.resources import files
from typing import Any, cast

from pyramid.events import ApplicationCreated
from pyramid.httpexceptions import HTTPNotFound
from pyramid.request import Request
from pyramid.response import FileResponse, Response
from pyramid.security import NO_PERMISSION_REQUIRED
from pyramid.static import static_view

from restd_core.assembly.wiring import wiring
from restd_core.openapi.document import build_document
from restd_core.pipeline.response_cache import Snapshot
from restd_core.plugin_api.responses import json_response

STATIC = "restd_core:static"
DOCS_PAGE = files("restd_core") / "static" / "docs.html"
#: The page runs only our own files and talks only to this server (Swagger
#: UI's icons are data: images), and nobody frames it.
DOCS_CONTENT_SECURITY_POLICY = "; ".join((
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "connect-src 'self'",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
))
FRAMING_HEADERS = {"X-Frame-Options": "DENY", "X-Content-Type-Options": "nosniff"}


def response_schemas_option(view, info):
    """A view deriver that only declares the ``response_schemas`` and ``response_media_type`` options:
    the document reads it from the service's definitions, Pyramid ignores it."""
    return view


# The options a view deriver takes, where Pyramid looks for them (an attribute no function type declares).
cast(Any, response_schemas_option).options = ("response_schemas", "response_media_type")


def _build(event: ApplicationCreated) -> None:
    # After every include: the services of all plugins are registered.
    registry = event.app.registry
    restd = wiring(registry)
    restd.openapi_document = build_document(registry)
    # Encoded and compressed once: a caller that asks again and again costs no CPU for it.
    restd.openapi_answer = Snapshot.of(json_response(restd.openapi_document), restd.compression)


def openapi_json(request: Request) -> Response:
    response = wiring(request.registry).openapi_answer.response()
    response.headers.update({**FRAMING_HEADERS, "Content-Security-Policy": "frame-ancestors 'none'"})
    return response


def docs_page(request: Request) -> Response:
    response = FileResponse(str(DOCS_PAGE), request=request, content_type="text/html")
    response.headers.update({**FRAMING_HEADERS, "Content-Security-Policy": DOCS_CONTENT_SECURITY_POLICY})
    return response


class DocsFiles(static_view):
    """Swagger UI's files. Pyramid's static view redirects a directory's URL
    to the same with a slash (``/docs/static/..`` to ``/docs/static/../``):
    here a directory is not found, like any name that is not a file."""

    def add_slash_redirect(self, request: Request) -> HTTPNotFound:
        return HTTPNotFound()

    def __call__(self, context, request: Request) -> Response:
        response = super().__call__(context, request)
        response.headers.update(FRAMING_HEADERS)
        return response


def includeme(config) -> None:
    config.add_view_deriver(response_schemas_option)
    config.add_subscriber(_build, ApplicationCreated)
    config.add_route("openapi", "/openapi.json")
    config.add_view(openapi_json, route_name="openapi", request_method="GET", permission=NO_PERMISSION_REQUIRED)
    config.add_route("docs", "/docs")
    config.add_view(docs_page, route_name="docs", request_method="GET", permission=NO_PERMISSION_REQUIRED)
    config.add_route("docs_static", "docs/static/*subpath")
    config.add_view(DocsFiles(STATIC, cache_max_age=3600, use_subpath=True), route_name="docs_static",
                    request_method="GET", permission=NO_PERMISSION_REQUIRED)
