"""CORS, off unless the ini lists origins (a tween over every answer).

``restd.cors.origins`` lists the origins (``https://ci.kbase.us``) whose
browser pages may call the API; ``*`` means any, which is refused together
with ``restd.cors.allow_credentials = true`` (a cookie or Authorization
header sent from any page). Preflight requests (``OPTIONS`` with
``Access-Control-Request-Method``) from a listed origin are answered here,
before authentication: a browser sends them without credentials. Error
answers carry the headers too, so pages can read a 401.
"""
from __future__ import annotations

from typing import Callable

from pyramid.request import Request
from pyramid.response import Response

from restd_core.assembly.settings import ServerSettings
from restd_core.assembly.wiring import wiring
from restd_core.plugin_api.responses import vary_on

ALLOWED_METHODS = "GET, HEAD, OPTIONS"
ALLOWED_HEADERS = "Authorization"
MAX_AGE_SECONDS = 600

Handler = Callable[[Request], Response]


class CorsPolicy:
    def __init__(self, server: ServerSettings) -> None:
        self.origins = frozenset(server.cors_origins)
        self.credentials = server.cors_allow_credentials
        if "*" in self.origins and self.credentials:
            raise ValueError("restd.cors.origins = * cannot be combined with restd.cors.allow_credentials = true")

    def headers_for(self, origin: str) -> dict[str, str]:
        """The CORS headers for a request from ``origin``; none if not allowed."""
        if "*" in self.origins:
            return {"Access-Control-Allow-Origin": "*"}
        if origin not in self.origins:
            return {}
        headers = {"Access-Control-Allow-Origin": origin}
        if self.credentials:
            headers["Access-Control-Allow-Credentials"] = "true"
        return headers


def cors_tween_factory(handler: Handler, registry) -> Handler:
    policy = CorsPolicy(wiring(registry).settings)
    if not policy.origins:
        return handler

    def cors_tween(request: Request) -> Response:
        origin = request.headers.get("Origin")
        allowed = policy.headers_for(origin) if origin else {}
        if allowed and request.method == "OPTIONS" and "Access-Control-Request-Method" in request.headers:
            response = Response(status=204)
            response.headers.update(allowed)
            response.headers["Access-Control-Allow-Methods"] = ALLOWED_METHODS
            response.headers["Access-Control-Allow-Headers"] = ALLOWED_HEADERS
            response.headers["Access-Control-Max-Age"] = str(MAX_AGE_SECONDS)
        else:
            response = handler(request)
            response.headers.update(allowed)
        if origin and "*" not in policy.origins:
            vary_on(response, "Origin")
        return response

    return cors_tween


def includeme(config) -> None:
    CorsPolicy(wiring(config.registry).settings)  # a contradictory setting stops the start-up
    # Above the request guard: its 400s carry the CORS headers too.
    config.add_tween("restd_core.pipeline.cors.cors_tween_factory",
                     under=("restd_core.monitoring.metrics.metrics_tween_factory", "restd_core.pipeline.tweens.request_log_tween_factory"))
