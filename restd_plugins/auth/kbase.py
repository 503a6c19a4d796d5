"""Auth plugin ``kbase``: KBase users with an admin role may read.

The caller's KBase token comes from the ``kbase_session`` cookie (what the
KBase web UI sends) or the ``Authorization`` header (``Bearer `` optional).
KBase auth2 says who it is: ``GET {auth_url}/api/V2/me`` with the token;
the answer's ``customroles`` must hold a role of ``restd.kbase.read_roles``.
Auth2 that rejects the token (401) makes a 401; auth2 that is down, slower
than ``restd.kbase.timeout`` or answers anything else makes a 503, never an
open door.

Answers (identities and rejections) are cached for
``restd.kbase.cache_seconds`` under the token's SHA-256, and concurrent
requests with one token wait for one call to auth2 (single flight); at most
``restd.kbase.max_concurrent_checks`` calls run at once (beyond: 503). Tokens
are never logged.
"""
from __future__ import annotations

import hashlib
import logging
import os
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any, Callable

import requests
from pyramid.request import Request

from restd_core.security import AuthUnavailable, Identity, InvalidCredentials
from restd_core.settings import parse, setting

from .tokens import bearer_token

log = logging.getLogger(__name__)

COOKIE = "kbase_session"
ME_PATH = "/api/V2/me"
#: Most identities, and most rejected tokens, remembered at once (apart:
#: a flood of invented tokens must not push known callers out); the oldest
#: answers go first.
MAX_IDENTITIES = 10_000
MAX_REJECTIONS = 1_000

#: What auth2 said about a token: who it is, or None for "not a valid token".
Answer = Identity | None


class TTLCache:
    """Answers by token hash, each valid for ``ttl`` seconds of ``clock``,
    at most ``size`` of them."""

    def __init__(self, ttl: float, size: int, clock: Callable[[], float] = time.monotonic) -> None:
        self.ttl = ttl
        self.size = size
        self.clock = clock
        self._entries: OrderedDict[str, tuple[float, Answer]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: str) -> tuple[bool, Answer]:
        """``(found, answer)``."""
        with self._lock:
            entry = self._entries.get(key)
            if entry is None or entry[0] <= self.clock():
                return False, None
            return True, entry[1]

    def put(self, key: str, answer: Answer) -> None:
        if self.ttl <= 0:
            return
        with self._lock:
            self._entries.pop(key, None)
            self._entries[key] = (self.clock() + self.ttl, answer)
            while len(self._entries) > self.size:
                self._entries.popitem(last=False)


class _Flight:
    """One call to auth2 in progress, which other requests wait for."""

    def __init__(self) -> None:
        self.done = threading.Event()
        self.answer: Answer = None
        self.error: AuthUnavailable | None = None


@dataclass(frozen=True)
class KBaseSettings:
    """The kbase plugin's settings."""

    auth_url: str | None = setting(
        "restd.kbase.auth_url", None, "KBase auth2's base URL (`AUTH_URL` in the environment comes first)")
    timeout: float = setting("restd.kbase.timeout", 5.0, "seconds to wait for auth2 (past it: 503)", minimum=0.001)
    read_roles: tuple[str, ...] = setting(
        "restd.kbase.read_roles", ("EE2_ADMIN", "EE2_ADMIN_RO"), "the `customroles` that may read (one suffices)")
    cache_seconds: float = setting(
        "restd.kbase.cache_seconds", 60.0, "seconds an answer about a token (rejections included; failures "
        "not) is remembered, per SHA-256 of the token", minimum=0)
    max_concurrent_checks: int = setting(
        "restd.kbase.max_concurrent_checks", 4, "new tokens checked with auth2 at once (beyond: 503 at once)",
        minimum=1)


class KBaseAuth:
    challenge = 'Bearer realm="KBase"'
    #: For /openapi.json: the token in either place.
    openapi_security_schemes = {
        "kbaseToken": {"type": "apiKey", "in": "header", "name": "Authorization", "description": "A KBase token"},
        "kbaseSession": {"type": "apiKey", "in": "cookie", "name": COOKIE, "description": "A KBase token"},
    }

    def __init__(self, settings: dict[str, Any]) -> None:
        config = parse(KBaseSettings, settings)
        auth_url = os.environ.get("AUTH_URL") or config.auth_url
        if not auth_url:
            raise ValueError("the KBase auth URL is not set (AUTH_URL in the environment, or restd.kbase.auth_url)")
        self.me_url = auth_url.rstrip("/") + ME_PATH
        self.timeout = config.timeout
        self.roles = {"read": frozenset(config.read_roles)}
        self.identities = TTLCache(config.cache_seconds, MAX_IDENTITIES)
        self.rejections = TTLCache(config.cache_seconds, MAX_REJECTIONS)
        self._flights: dict[str, _Flight] = {}
        self._lock = threading.Lock()
        self._checking = threading.BoundedSemaphore(config.max_concurrent_checks)

    def identity(self, request: Request) -> Identity | None:
        token = bearer_token(request) or request.cookies.get(COOKIE, "").strip() or None
        if token is None:
            return None
        if not (token.isascii() and token.isprintable()) or " " in token:  # "Basic ...", junk: not worth a call
            raise InvalidCredentials("the KBase token is malformed")
        answer = self._answer(hashlib.sha256(token.encode()).hexdigest(), token)
        if answer is None:
            raise InvalidCredentials("KBase auth rejected the token")
        return answer

    def permits(self, request: Request, identity: Identity, permission: str) -> bool:
        return bool(identity.roles & self.roles.get(permission, frozenset()))

    def _cached(self, key: str) -> tuple[bool, Answer]:
        found, answer = self.identities.get(key)
        return (True, answer) if found else self.rejections.get(key)

    def _answer(self, key: str, token: str) -> Answer:
        """The cached answer, or the one call in flight's, or a new call's."""
        found, answer = self._cached(key)
        if found:
            return answer
        with self._lock:
            found, answer = self._cached(key)  # a flight may have ended meanwhile
            if found:
                return answer
            flight = self._flights.get(key)
            leader = flight is None
            if leader:
                # A token nobody asked about yet costs a call to auth2 and a
                # thread while it lasts: at most so many at once, so that
                # invented tokens cannot hold every thread while auth2 is slow.
                if not self._checking.acquire(blocking=False):
                    raise AuthUnavailable("too many KBase tokens are being checked at once; retry shortly")
                flight = self._flights[key] = _Flight()
        if not leader:
            flight.done.wait()
        else:
            try:
                flight.answer = self._ask_auth2(token)
                (self.rejections if flight.answer is None else self.identities).put(key, flight.answer)
            except AuthUnavailable as exc:
                flight.error = exc
            except Exception:
                log.exception("checking a KBase token failed")
                flight.error = AuthUnavailable("checking the KBase token failed; the server's log has the details")
            finally:
                with self._lock:
                    del self._flights[key]
                self._checking.release()
                flight.done.set()
        if flight.error is not None:
            raise AuthUnavailable(flight.error.message)
        return flight.answer

    def _ask_auth2(self, token: str) -> Answer:
        try:
            reply = requests.get(self.me_url, headers={"Authorization": token}, timeout=self.timeout)
        except requests.Timeout:
            raise AuthUnavailable(f"KBase auth did not answer within {self.timeout:g} s") from None
        except requests.RequestException as exc:
            raise AuthUnavailable(f"KBase auth cannot be reached ({type(exc).__name__})") from None
        if reply.status_code == 401:
            return None
        if reply.status_code != 200:
            raise AuthUnavailable(f"KBase auth answered HTTP {reply.status_code}")
        try:
            body = reply.json()
        except ValueError:
            raise AuthUnavailable("KBase auth answered something that is not JSON") from None
        user = body.get("user") if isinstance(body, dict) else None
        roles = body.get("customroles", []) if isinstance(body, dict) else None
        if not isinstance(user, str) or not isinstance(roles, list) or not all(isinstance(r, str) for r in roles):
            raise AuthUnavailable("KBase auth's answer has no user name or no list of custom roles")
        return Identity(user, frozenset(roles))
