"""The archive plugin's view: ``/v1/summary/history``."""
from __future__ import annotations

import math
import time

from pyramid.request import Request
from pyramid.response import Response
from sqlalchemy.exc import SQLAlchemyError

from restd_core.plugin_api.web import BadQuery, NotFound, Unavailable, json_response, refuse_hidden_keys, wiring

from .history import ArchiveHistory
from .schemas import DEFAULT_BUCKET, DEFAULT_WINDOW
from .summary import MAX_BUCKETS, summary


def history_summary(request: Request) -> Response:
    """The archive's numbers over time; 404 without an archive, 503 while
    its database does not answer, 400 for a hidden ``by`` or too many buckets."""
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
    try:
        return json_response(summary(archive.engine, start, end, bucket, by, query.get("schedd")))
    except SQLAlchemyError:
        raise Unavailable("the archive's database did not answer") from None
