"""The ui plugin's includeme: ``/ui/`` and its files, public (the page holds
no data: everything it shows it asks the API for, with the caller's own
credentials)."""
from __future__ import annotations

from pyramid.httpexceptions import HTTPFound, HTTPNotFound
from pyramid.request import Request
from pyramid.response import Response
from pyramid.security import NO_PERMISSION_REQUIRED

from restd_core.plugin_api.web import wiring

from .assets import Asset, Assets, load

#: The page runs only our own files and talks only to this server.
CONTENT_SECURITY_POLICY = "; ".join((
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self'",
    "connect-src 'self'",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
))
PAGE_CACHE = "no-cache"  # revalidated on every load: it names the current version
FILE_CACHE = "public, max-age=31536000, immutable"


def _answer(request: Request, asset: Asset, cache_control: str) -> Response:
    response = Response(body=asset.body, content_type=asset.content_type, charset=None,
                        conditional_response=True)
    response.etag = asset.etag
    response.headers.update({
        "Cache-Control": cache_control,
        "Content-Security-Policy": CONTENT_SECURITY_POLICY,
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "no-referrer",
    })
    return response


def page(request: Request) -> Response:
    return _answer(request, wiring(request.registry).kept(Assets).page, PAGE_CACHE)


def to_page(request: Request) -> Response:
    return HTTPFound(location="ui/")  # relative: the server may be under a path prefix


def asset(request: Request) -> Response:
    assets = wiring(request.registry).kept(Assets)
    found = assets.files.get(request.matchdict["name"])
    if found is None or request.matchdict["version"] != assets.version:
        raise HTTPNotFound("no such file of the dashboard (an older version's page? reload it)")
    return _answer(request, found, FILE_CACHE)


def includeme(config) -> None:
    # The page's least: what it falls back on when the summary or watch endpoints are missing (app.js).
    config.require_plugins("jobs", "status")
    wiring(config.registry).keep(load())
    for name, pattern, view in (("ui_root", "/ui", to_page), ("ui", "/ui/", page),
                                ("ui_asset", "/ui/{version}/{name}", asset)):
        config.add_route(name, pattern)
        config.add_view(view, route_name=name, request_method=("GET", "HEAD"), permission=NO_PERMISSION_REQUIRED)
