"""One watcher's response: its poller's events as they come, heartbeats,
its credentials checked again, and an end.

The server's thread that sends the response iterates it, and waits here
between events. The stream ends when the poller ends (the app closes, or
the query was refused), after ``restd.watch.max_seconds`` (the client
reconnects with ``Last-Event-ID``), when the caller is no longer allowed
(an ``error`` event first), or when the client has gone: asked every
``GONE_CHECK_SECONDS`` where the server can tell
(``restd_core.pipeline.disconnect``), else seen when a write fails (a heartbeat
at the latest). It opens with a ``retry:`` field: how long an
``EventSource`` waits before it reconnects once the stream ends.
"""
from __future__ import annotations

import time
from collections.abc import Iterator

from pyramid.request import Request

from restd_core.plugin_api.web import RETRY_AFTER_SECONDS, AuthError, Errno, error_body, wiring

from .diff import HEARTBEAT, frame
from .hub import Hub, Place
from .poller import Poller

#: The permission a watcher needs, at connect (the service's) and after.
PERMISSION = "read"
#: Seconds between two questions whether the client went: its place is
#: given back within this and the server's own notice.
GONE_CHECK_SECONDS = 0.5


def retry_field(seconds: int) -> bytes:
    """The SSE field that sets an ``EventSource``'s reconnection time."""
    return f"retry: {seconds * 1000}\n".encode()


def still_allowed(request: Request) -> dict | None:
    """None while the caller may still read, else the error body of why
    not. The auth plugin answers from its cache (kbase: per token, for
    ``restd.kbase.cache_seconds``), so a check costs a lookup, and a token
    revoked meanwhile is refused once its answer expires."""
    plugin = wiring(request.registry).auth
    try:
        identity = plugin.identity(request)
    except AuthError as exc:
        return error_body(exc.status, exc.message, exc.errno)
    if identity is None:
        return error_body(401, "authentication required", Errno.MISSING_AUTH_TOKEN)
    if not plugin.permits(request, identity, PERMISSION):
        return error_body(403, f"not allowed to {request.path}", Errno.FORBIDDEN)
    return None


class EventStream:
    """The response's body (a WSGI app_iter): ``close()`` gives the
    watcher's place back, whether or not it was ever iterated."""

    def __init__(self, hub: Hub, poller: Poller, place: Place, request: Request, opening: bytes,
                 cursor: int) -> None:
        self._hub, self._poller, self._place, self._request = hub, poller, place, request
        self._opening, self._cursor = opening, cursor

    def __iter__(self) -> Iterator[bytes]:
        settings = self._hub.settings
        now = time.monotonic()
        ends = now + settings.max_seconds
        next_heartbeat, next_check = now + settings.heartbeat, now + settings.recheck_seconds
        yield retry_field(RETRY_AFTER_SECONDS) + self._opening  # the headers go out at once
        while True:
            now = time.monotonic()
            if now >= ends:
                return
            frames, self._cursor, ended = self._poller.next_frames(
                self._cursor, max(min(next_heartbeat, next_check, ends, now + GONE_CHECK_SECONDS) - now, 0))
            if self._place.released or self._place.gone():
                return
            now = time.monotonic()
            if frames:
                yield frames
                next_heartbeat = now + settings.heartbeat
            if ended:
                return
            if now >= next_check:
                refused = still_allowed(self._request)
                if refused is not None:
                    yield frame("error", self._poller.event_id(self._cursor), refused)
                    return
                next_check = now + settings.recheck_seconds
            if now >= next_heartbeat:
                yield HEARTBEAT
                next_heartbeat = now + settings.heartbeat

    def close(self) -> None:
        self._hub.leave(self._place)
