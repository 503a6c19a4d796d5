"""Requests whose URL cannot be read are answered 400 before anything reads it.

WebOb decodes a request's path and query string as UTF-8 when they are
first read, and fails on bytes that are not (``/v1/jobs/%ff``): in route
matching, in a view, or in the access log, which would turn the answer into
a 500. This tween reads them first, inside the access log and above every
other part of the app, and answers a JSON 400 (with the request id, like
every answer) for a path or query that is not UTF-8, a path with control
characters (no name in this API holds one; ``$`` in a pattern would let a
trailing newline through), and a query with a NUL character (HTCondor's C
strings end there). A GET or HEAD with a body is refused too: this API
reads none, and Cornice would parse a JSON one (memory, time, and its
parser's words in the answer) before the view ignores it.
"""
from __future__ import annotations

import re
from collections.abc import Callable

from pyramid.request import Request
from pyramid.response import Response

from restd_core.pipeline.errors import Errno, echoed, error_response

CONTROL_CHARACTERS = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def unreadable(request: Request) -> str | None:
    """Why the request's URL cannot be answered, or None."""
    try:
        path = request.path_info
        query = request.GET
    except UnicodeDecodeError:
        return "the URL is not valid UTF-8 (after percent-decoding)"
    if CONTROL_CHARACTERS.search(path):
        return "the URL's path holds control characters"
    if any("\x00" in name or "\x00" in value for name, value in query.items()):
        return "the URL's query holds a NUL character"
    if request.method in ("GET", "HEAD") and (request.content_length or "Transfer-Encoding" in request.headers):
        return f"a {request.method} request has no body"
    return None


def request_guard_tween_factory(handler: Callable[[Request], Response], registry) -> Callable[[Request], Response]:
    def tween(request: Request) -> Response:
        reason = unreadable(request)
        if reason is not None:
            return error_response(400, reason, Errno.INVALID_PARAMETERS)
        return handler(request)

    return tween


def loggable_path(request: Request) -> str:
    """The request's path for a log line, whatever its bytes (undecodable
    ones as ``\\xff``), cut to ``ECHOED_CHARS``."""
    raw = request.environ.get("SCRIPT_NAME", "") + request.environ.get("PATH_INFO", "")
    return echoed(raw.encode("latin-1", "replace").decode("utf-8", "backslashreplace"))


def includeme(config) -> None:
    # Under the access log, the metrics and CORS (which read no more than
    # the method, the route and headers), above everything that reads the URL.
    config.add_tween("restd_core.pipeline.request_guard.request_guard_tween_factory", under=(
        "restd_core.pipeline.cors.cors_tween_factory", "restd_core.monitoring.metrics.metrics_tween_factory",
        "restd_core.pipeline.tweens.request_log_tween_factory",
    ))
