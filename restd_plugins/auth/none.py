"""Auth plugin ``none``: no authentication, every caller may read.

For development on one's own machine; the server refuses to start with it
on a non-loopback address unless ``restd.auth.allow_open = true``.
"""
from __future__ import annotations

import logging
from typing import Any

from pyramid.request import Request

from restd_core.plugin_api.auth import Identity

log = logging.getLogger(__name__)

ANONYMOUS = Identity("anonymous")


class NoAuth:
    #: Every caller gets the same answers: a shared cache may keep them.
    credential_headers = ()

    def __init__(self, settings: dict[str, Any]) -> None:
        log.warning("restd.auth = none: every caller may read the pool, unauthenticated")

    def identity(self, request: Request) -> Identity:
        return ANONYMOUS

    def permits(self, request: Request, identity: Identity, permission: str) -> bool:
        return permission == "read"

    def limit_key(self, request: Request, identity: Identity) -> str:
        """Every caller is the one anonymous identity: limits go by address,
        the connection's (``remote_addr``): ``client_addr`` believes any
        caller's ``X-Forwarded-For``, which waitress drops but gunicorn and
        uWSGI pass on, so each invented one would be a caller of its own."""
        return f"{identity.userid}@{request.remote_addr}"
