"""Request ids, the access log (one line per request), and one HTCondor
time budget per request.

The ``X-Request-ID`` a caller (or its proxy) sends is kept when it is short
and made of safe characters, else a fresh one (uuid4 hex) is made; either
way it is ``request.request_id``, echoed in the answer (error answers
included: this tween sits above the exception views) and logged.

The access log (logger ``restd_core.access``) has method, path, status,
duration, request id and the caller's identity, never a token or a cookie;
``restd.access_log.format`` is ``kv`` (key=value, the default) or ``json``
(one JSON object a line). The path and the identity are cut at
``errors.ECHOED_CHARS`` characters.

All the HTCondor calls of one request (its settings, then its query) share
one ``restd.gateway.timeout``, so that a request waits at most that long for
HTCondor (a worker's turn included), however many calls it makes; they take
their turns at the gateway's workers as its caller's (``restd_core.pipeline.limits``),
and leave the queue once the client has gone (``restd_core.pipeline.disconnect``).
"""
from __future__ import annotations

import logging
import re
import time
import uuid
from collections.abc import Callable
from typing import Any

import orjson
from pyramid.request import Request
from pyramid.response import Response
from pyramid.tweens import EXCVIEW, INGRESS

from restd_core.assembly.wiring import wiring
from restd_core.gateway import caller, deadline
from restd_core.pipeline.disconnect import gone_probe
from restd_core.pipeline.errors import echoed
from restd_core.pipeline.limits import caller_key
from restd_core.pipeline.request_guard import loggable_path

REQUEST_ID_HEADER = "X-Request-ID"
_SAFE_REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{1,128}")
_NEEDS_QUOTES = re.compile(r'[\s"=\\\x00-\x1f\x7f-\x9f]')
#: The longest HTTP method a log line repeats (a caller may send any).
_METHOD_CHARS = 16

access_log = logging.getLogger("restd_core.access")


def request_id_of(request: Request) -> str:
    given = request.headers.get(REQUEST_ID_HEADER, "")
    return given if _SAFE_REQUEST_ID.fullmatch(given) else uuid.uuid4().hex


def identity_of(request: Request) -> str | None:
    """The authenticated user id, if the security policy settled it while
    answering: a log line never asks the auth plugin (a public route or an
    unknown URL with a random token must not cost a call to auth2)."""
    known = getattr(wiring(request.registry).security_policy, "known_userid", None)
    userid = known(request) if known is not None else None
    return None if userid is None else echoed(userid)


def forget_exception(request: Request) -> None:
    """A finished callback that breaks the cycle request -> exception ->
    traceback -> frames -> request left by the exception views. Only the
    full garbage collection frees such cycles, so while many requests fail
    (a pool outage) memory piles up; Pyramid does the same for ``context``."""
    request.__dict__.pop("exception", None)
    request.__dict__.pop("exc_info", None)


def _kv_value(value: Any) -> str:
    text = "-" if value is None else str(value)
    return orjson.dumps(text).decode() if not text or _NEEDS_QUOTES.search(text) else text


def format_kv(fields: dict[str, Any]) -> str:
    return " ".join(f"{key}={_kv_value(value)}" for key, value in fields.items())


def format_json(fields: dict[str, Any]) -> str:
    return orjson.dumps(fields).decode()


FORMATS: dict[str, Callable[[dict[str, Any]], str]] = {"kv": format_kv, "json": format_json}


def request_log_tween_factory(handler: Callable[[Request], Response], registry) -> Callable[[Request], Response]:
    render = FORMATS[wiring(registry).settings.access_log_format]

    def tween(request: Request) -> Response:
        request.request_id = request_id_of(request)
        started = time.perf_counter()
        status = 500  # unless a response comes back
        try:
            response = handler(request)
            status = response.status_int
            response.headers[REQUEST_ID_HEADER] = request.request_id
            request.add_finished_callback(forget_exception)  # after those the views added
            return response
        finally:
            access_log.info(render({
                "method": request.method[:_METHOD_CHARS],
                "path": loggable_path(request),
                "status": status,
                "duration_ms": round((time.perf_counter() - started) * 1000, 1),
                "request_id": request.request_id,
                "identity": identity_of(request),
            }))

    return tween


def gateway_request_tween_factory(handler: Callable[[Request], Response], registry) -> Callable[[Request], Response]:
    """One HTCondor time budget per request, and its calls its caller's
    (``restd_core.pipeline.limits``), abandoned once its client has gone."""
    seconds = wiring(registry).gateway.timeout

    def tween(request: Request) -> Response:
        with deadline(seconds), caller(lambda: caller_key(request), gone_probe(request)):
            return handler(request)

    return tween


REQUEST_LOG = "restd_core.pipeline.tweens.request_log_tween_factory"


def includeme(config) -> None:
    # Outermost: every answer, even one to a URL nothing else could read,
    # gets a request id and a log line. The HTCondor budget starts last,
    # just above the views.
    config.add_tween(REQUEST_LOG, under=INGRESS)
    config.add_tween("restd_core.pipeline.tweens.gateway_request_tween_factory", over=EXCVIEW)
