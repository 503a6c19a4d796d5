"""The watch endpoints: a query's events as ``text/event-stream``."""
from __future__ import annotations

from pyramid.request import Request
from pyramid.response import Response

from restd_core.plugin_api.web import (
    RETRY_AFTER_SECONDS,
    caller_key,
    error_response,
    gone_probe,
    wiring,
)

from .hub import Hub, NoPlace
from .query import Query, jobs_query, status_query
from .stream import EventStream

EVENT_STREAM = "text/event-stream"
#: No cache or proxy may keep or hold back a stream (nginx buffers unless told).
STREAM_HEADERS = {"Cache-Control": "no-store", "X-Accel-Buffering": "no"}
#: Seconds a new poller's first answer may take beyond the gateway's timeout
#: (a free poll slot, the workers' start).
FIRST_ANSWER_GRACE = 5.0


def watch_jobs(request: Request) -> Response:
    path, query = request.validated["path"], request.validated["querystring"]
    return _stream(request, jobs_query(path["schedd"], query.get("constraint"), query.get("projection")))


def watch_status(request: Request) -> Response:
    query = request.validated["querystring"]
    return _stream(request, status_query(query["query"], query.get("constraint"), query.get("projection")))


def _stream(request: Request, query: Query) -> Response:
    """The watcher's stream, once its query has a first answer: a query
    the workers refuse is the listing's 400 or 404, HTCondor down a 503;
    no place left a 503 (every watcher's, errno ``WATCHERS_FULL``) or a
    429 (this caller's share), with ``Retry-After``."""
    if request.method == "HEAD":  # headers only: no thread held for a body never sent
        return _response()
    hub = wiring(request.registry).kept(Hub)
    try:
        place = hub.admit(caller_key(request), gone_probe(request))
    except NoPlace as refused:
        return error_response(refused.status, refused.message, refused.errno, {"limit": refused.limit},
                              {"Retry-After": str(RETRY_AFTER_SECONDS)})
    try:
        poller = hub.join(query, place)
        poller.wait_ready(wiring(request.registry).gateway.timeout + hub.settings.interval + FIRST_ANSWER_GRACE)
        opening, cursor = poller.opening(request.headers.get("Last-Event-ID"))
    except BaseException:
        hub.leave(place)
        raise
    return _response(EventStream(hub, poller, place, request, opening, cursor))


def _response(stream: EventStream | None = None) -> Response:
    response = Response(content_type=EVENT_STREAM, charset="utf-8", **({"app_iter": stream} if stream else {}))
    response.headers.update(STREAM_HEADERS)  # given to Response(), headers would replace its Content-Type
    return response
