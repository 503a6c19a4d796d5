"""Cost bounds per caller: who a caller is, and a request rate.

- The gateway's workers are shared between callers (``gateway.scheduler``:
  a freed worker goes to the caller with the fewest calls in flight); a
  caller's calls beyond the free workers wait, at most
  ``restd.limits.queued_calls`` of them at once (beyond: 429 with
  ``Retry-After``). ``caller_key`` is whose calls they are.
- ``restd.limits.rate``: an optional rate per caller over the routes that
  need a permission (``limits``' notation: ``20/second``, ``600 per
  minute``; a moving window); beyond it 429 with ``Retry-After``. With
  ``restd.shared`` the window is in the shared store: one rate across
  the replicas.

A caller is its identity as the auth plugin established it, or what the
plugin's ``limit_key(request, identity)`` says (``none`` keys its one
anonymous identity by the client's address).
"""
from __future__ import annotations

import logging
from collections.abc import Callable

from limits import parse
from pyramid.request import Request
from pyramid.response import Response
from pyramid.security import NO_PERMISSION_REQUIRED

from restd_core.assembly.settings import SettingError
from restd_core.assembly.wiring import wiring
from restd_core.pipeline.errors import Errno, error_response
from restd_core.shared import Store

log = logging.getLogger(__name__)

RATE = "restd.limits.rate"


def caller_key(request: Request) -> str | None:
    """Who the caller is for its limits and its turns at the gateway's
    workers, if the security policy settled it during this request (public
    routes: None, one caller with the server's own calls)."""
    policy = wiring(request.registry).security_policy
    userid = policy.known_userid(request)
    if userid is None:
        return None
    limit_key = getattr(policy.plugin, "limit_key", None)
    return limit_key(request, request.identity) if limit_key is not None else userid


class RateLimit:
    """``rate`` (``limits``' notation) per caller key, counted in ``store``
    (shared by the replicas with ``restd.shared``)."""

    def __init__(self, rate: str, store: Store) -> None:
        try:
            self.item = parse(rate)
        except ValueError:
            raise SettingError(f"setting {RATE} must be a rate such as 20/second, not {rate!r}") from None
        self._store = store

    def retry_after(self, key: str) -> int | None:
        """None if the caller may go on (the request is counted), else the
        seconds until it may."""
        return self._store.retry_after(self.item, key)


def rate_limited_view(view: Callable, info) -> Callable:
    """A view deriver: the routes that need a permission count against the
    caller's rate (inside the security check, so the caller is known)."""
    rate: RateLimit | None = wiring(info.registry).rate_limit
    if rate is None or info.options.get("permission") == NO_PERMISSION_REQUIRED:
        return view

    def wrapper(context, request: Request) -> Response:
        key = caller_key(request)
        wait = rate.retry_after(key) if key is not None else None
        if wait is not None:
            return error_response(429, f"too many requests; the limit is {rate.item}", Errno.TOO_MANY_REQUESTS,
                                  headers={"Retry-After": str(wait)})
        return view(context, request)

    return wrapper


def includeme(config) -> None:
    restd = wiring(config.registry)
    server = restd.settings
    if server.limits_concurrent_calls is not None:
        log.warning("restd.limits.concurrent_calls is deprecated and has no effect: a caller's calls beyond the free "
                    "gateway workers wait their turn (at most restd.limits.queued_calls of them), and a freed worker "
                    "goes to the caller with the fewest calls in flight")
    restd.rate_limit = RateLimit(server.limits_rate, restd.shared) if server.limits_rate else None
    # Outside the response cache's deriver: an answer from the cache counts too.
    config.add_view_deriver(rate_limited_view, under="decorated_view", over="cached_view")
