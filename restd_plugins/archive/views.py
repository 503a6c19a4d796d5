"""The archive plugin's view: ``/v1/summary/history``."""
from __future__ import annotations

import math
import time

from pyramid.request import Request
from pyramid.response import Response

from restd_core.plugin_api.web import BadQuery, JsonBody, NotFound, json_bytes_response, refuse_hidden_keys, wiring

from .history import ArchiveHistory
from .schemas import DEFAULT_BUCKET, DEFAULT_WINDOW
from .summary import MAX_BUCKETS


def history_summary(request: Request) -> Response:
    """The archive's numbers over time (made in a worker: ``operations.history_summary``); 404 without an
    archive, 503 while its database does not answer, 400 for a hidden ``by`` or too many buckets."""
    try:
        archive = wiring(request.registry).kept(ArchiveHistory)
    except LookupError:
        raise NotFound("there is no archive of finished jobs here (restd.archive is unset)") from None
    query = request.validated["querystring"]
    by = query.get("by")
    refuse_hidden_keys(request, [by] if by else [])
    end = query.get("to", int(time.time()))
    start = query.get("from", end - DEFAULT_WINDOW)
    bucket = query.get("bucket", DEFAULT_BUCKET)
    if start >= end:
        raise BadQuery("from must be before to", {"parameter": "from"})
    if math.ceil((end - start) / bucket) > MAX_BUCKETS:
        raise BadQuery(f"at most {MAX_BUCKETS} buckets: a longer bucket or a shorter window",
                       {"parameter": "bucket", "limit": MAX_BUCKETS})
    answer: JsonBody = request.gateway.call("archive_summary", archive=archive.settings.url, start=start, end=end,
                                            bucket=bucket, by=by, schedd=query.get("schedd"))
    return json_bytes_response(answer.body)
