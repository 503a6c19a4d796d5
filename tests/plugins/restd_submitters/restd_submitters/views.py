"""The plugin's view: it calls its operation through the gateway."""
from __future__ import annotations

from pyramid.request import Request
from pyramid.response import Response

from restd_core.plugin_api.web import json_response


def submitters(request: Request) -> Response:
    name = request.validated["querystring"].get("name")
    return json_response(request.gateway.call("submitters", name=name))
