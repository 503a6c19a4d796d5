"""Every error answer is JSON in one schema, after Kinto's::

    {"code": 404, "errno": 111, "error": "Not Found",
     "message": "no schedd named 'x' in the pool", "details": {...}}

``code`` is the HTTP status, ``errno`` a stable number that tells causes
with the same status apart, ``error`` the status's reason phrase.
"""
from __future__ import annotations

import logging
from enum import IntEnum
from typing import Any

from pyramid.httpexceptions import HTTPException, HTTPMethodNotAllowed, HTTPUnauthorized, status_map
from pyramid.request import Request
from pyramid.response import Response

from restd_core.gateway import BadQuery, GatewayError, NotFound, Throttled, Unavailable
from restd_core.plugin_api.responses import json_response

log = logging.getLogger(__name__)

RETRY_AFTER_SECONDS = 5
#: What a client is told of an internal error (a bug, a plugin that calls an
#: operation nobody registered, an exception): its text is for the log only.
INTERNAL_MESSAGE = "internal server error; the server's log has the details"
#: The most characters of what a caller sent (a path, a value) that an answer
#: or a log line repeats: a 250 KB path must not make a 250 KB log line.
ECHOED_CHARS = 256


def echoed(text: str) -> str:
    """``text`` (sent by a caller) cut to ``ECHOED_CHARS``, saying how long it was."""
    if len(text) <= ECHOED_CHARS:
        return text
    return f"{text[:ECHOED_CHARS]}...({len(text)} characters)"


class Errno(IntEnum):
    MISSING_AUTH_TOKEN = 104
    INVALID_AUTH_TOKEN = 105
    INVALID_PARAMETERS = 107
    NOT_FOUND = 111
    FORBIDDEN = 121
    METHOD_NOT_ALLOWED = 115
    NOT_ACCEPTABLE = 118  # Accept-Encoding refuses every coding, identity too (406)
    TOO_MANY_REQUESTS = 117
    HTCONDOR_UNAVAILABLE = 201
    HTCONDOR_TIMEOUT = 202
    AUTH_UNAVAILABLE = 203
    WATCHERS_FULL = 210  # every watch place is taken (503): not HTCondor's fault
    UNDEFINED = 999


_ERRNO_BY_STATUS = {
    400: Errno.INVALID_PARAMETERS,
    401: Errno.MISSING_AUTH_TOKEN,
    403: Errno.FORBIDDEN,
    404: Errno.NOT_FOUND,
    405: Errno.METHOD_NOT_ALLOWED,
    429: Errno.TOO_MANY_REQUESTS,
    503: Errno.HTCONDOR_UNAVAILABLE,
}


def error_response(
    status: int,
    message: str,
    errno: int | None = None,
    details: dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
) -> Response:
    """The JSON error answer; ``errno`` defaults to the status's usual one."""
    return json_response(error_body(status, message, errno, details), status=status, headers=headers)


def error_body(status: int, message: str, errno: int | None = None,
               details: dict[str, Any] | None = None) -> dict[str, Any]:
    """The JSON error schema's object (also what an event stream's ``error`` event carries)."""
    body: dict[str, Any] = {
        "code": status,
        "errno": int(errno if errno is not None else _ERRNO_BY_STATUS.get(status, Errno.UNDEFINED)),
        "error": status_map[status].title,
        "message": message,
    }
    if details:
        body["details"] = details
    return body


def validation_error_handler(request: Request) -> Response:
    """Cornice's error handler: colander's complaints as one 400."""
    errors = [
        {"location": error.get("location"), "name": error.get("name"), "description": error.get("description")}
        for error in request.errors
    ]
    summary = "; ".join(f"{e['name'] or e['location']}: {e['description']}" for e in errors)
    return error_response(400, summary or "invalid request", Errno.INVALID_PARAMETERS, {"errors": errors})


def errno_of(exc: GatewayError) -> Errno:
    """The errno of a gateway error's answer."""
    if isinstance(exc, Unavailable):
        return Errno.HTCONDOR_TIMEOUT if exc.kind in ("timeout", "busy") else Errno.HTCONDOR_UNAVAILABLE
    return _ERRNO_BY_STATUS.get(exc.status, Errno.UNDEFINED)


def is_internal(exc: GatewayError) -> bool:
    """Whether ``exc`` is the server's own failure (500), whose text and
    details no client may see, rather than HTCondor's or the caller's."""
    return not isinstance(exc, (Unavailable, Throttled, NotFound, BadQuery))


def told(exc: GatewayError) -> tuple[str, dict[str, Any]]:
    """The message and details a client is told of ``exc``."""
    return (INTERNAL_MESSAGE, {}) if is_internal(exc) else (exc.message, exc.details)


def gateway_error_view(exc: GatewayError, request: Request) -> Response:
    headers = {}
    if isinstance(exc, Unavailable):
        headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
    elif isinstance(exc, Throttled):
        headers["Retry-After"] = "1"
    elif is_internal(exc):
        log.error("HTCondor gateway failed on %s (request id %s): %s", echoed(request.path),
                  getattr(request, "request_id", "-"), exc.message)
    message, details = told(exc)
    return error_response(exc.status, message, errno_of(exc), details, headers)


def http_exception_view(exc: HTTPException, request: Request) -> Response:
    if isinstance(exc, HTTPMethodNotAllowed) and request.method == "OPTIONS":
        return options_answer(exc)
    headers = {}
    message = exc.detail or exc.explanation or exc.title
    if exc.code == 404:
        message = f"no such URL: {echoed(request.path)}"
    elif isinstance(exc, HTTPMethodNotAllowed):
        message = f"method {echoed(request.method)} is not allowed on {echoed(request.path)}"
        if "Allow" in exc.headers:
            headers["Allow"] = exc.headers["Allow"]
    if isinstance(exc, HTTPUnauthorized) and "WWW-Authenticate" in exc.headers:
        headers["WWW-Authenticate"] = exc.headers["WWW-Authenticate"]
    errno = getattr(exc, "errno", None)
    return error_response(exc.code, str(message), errno, None, headers)


def options_answer(refused: HTTPMethodNotAllowed) -> Response:
    """RFC 9110's answer to ``OPTIONS`` on a route (no route has a view for
    it; a CORS preflight is answered before, by ``restd_core.pipeline.cors``): 204
    with the route's methods in ``Allow``."""
    allowed = [method.strip() for method in refused.headers.get("Allow", "").split(",") if method.strip()]
    response = Response(status=204)
    response.headers["Allow"] = ", ".join(dict.fromkeys([*allowed, "OPTIONS"]))
    return response


def unexpected_error_view(exc: Exception, request: Request) -> Response:
    log.exception("unexpected error on %s %s (request id %s)", echoed(request.method), echoed(request.path),
                  getattr(request, "request_id", "-"))
    return error_response(500, INTERNAL_MESSAGE)


def includeme(config) -> None:
    config.add_exception_view(gateway_error_view, context=GatewayError)
    config.add_exception_view(http_exception_view, context=HTTPException)
    config.add_exception_view(unexpected_error_view, context=Exception)
