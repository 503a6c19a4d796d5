"""JSON responses, encoded with orjson."""
from __future__ import annotations

from typing import Any

import orjson
from pyramid.response import Response

JSON_CONTENT_TYPE = "application/json"


def json_response(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return json_bytes_response(orjson.dumps(data), status, headers)


def json_bytes_response(body: bytes, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    """A response whose JSON ``body`` is already encoded."""
    response = Response(body=body, status=status, content_type=JSON_CONTENT_TYPE, charset=None)
    if headers:
        response.headers.update(headers)
    return response
