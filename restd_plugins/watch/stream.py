"""One watcher's response: its poller's events as they come, heartbeats,
its credentials checked again, and an end.

The server's thread that sends the response iterates it, and waits here
between events. The stream ends when the poller ends (the app closes, or
the query was refused), after ``restd.watch.max_seconds`` (the client
reconnects with ``Last-Event-ID``), when the caller is no longer allowed
(an ``error`` event first), or when the client has gone (the server's
next write fails: a heartbeat at the latest).
"""
from __future__ import annotations

import time
from collections.abc import Iterator

from pyramid.request import Request

from restd_core.errors import Errno, error_body
from restd_core.security import AuthError

from .diff import HEARTBEAT, frame
from .hub import Hub
from .poller import Poller

#: The permission a watcher needs, at connect (the service's) and after.
PERMISSION = "read"


def still_allowed(request: Request) -> dict | None:
    """None while the caller may still read, else the error body of why
    not. The auth plugin answers from its cache (kbase: per token, for
    ``restd.kbase.cache_seconds``), so a check costs a lookup, and a token
    revoked meanwhile is refused once its answer expires."""
    plugin = request.registry.restd_auth
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

    def __init__(self, hub: Hub, poller: Poller, caller: str | None, request: Request, opening: bytes,
                 cursor: int) -> None:
        self._hub, self._poller, self._caller, self._request = hub, poller, caller, request
        self._opening, self._cursor = opening, cursor
        self._closed = False

    def __iter__(self) -> Iterator[bytes]:
        settings = self._hub.settings
        now = time.monotonic()
        ends = now + settings.max_seconds
        next_heartbeat, next_check = now + settings.heartbeat, now + settings.recheck_seconds
        yield self._opening or HEARTBEAT  # the headers go out at once, whatever the opening
        while True:
            now = time.monotonic()
            if now >= ends:
                return
            frames, self._cursor, ended = self._poller.next_frames(
                self._cursor, max(min(next_heartbeat, next_check, ends) - now, 0))
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
        if not self._closed:
            self._closed = True
            self._hub.leave(self._caller, self._poller)
