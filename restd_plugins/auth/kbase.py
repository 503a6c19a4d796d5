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
requests with one token wait for one call to auth2 (single flight); with
``restd.shared`` the answers are in the shared store (under a hash of the
hash: the token is never stored), so the replicas share them; at most
``restd.kbase.max_concurrent_checks`` calls run at once (beyond: 503). Tokens
are never logged.
"""
from __future__ import annotations

import hashlib
import logging
import os
import threading
from dataclasses import dataclass
from typing import Any

import orjson
import requests
from pyramid.request import Request

from restd_core.security import AuthUnavailable, Identity, InvalidCredentials
from restd_core.settings import parse, setting
from restd_core.shared import Codec, Store, Table
from restd_core.shared.memory import MemoryStore

from .tokens import bearer_token

log = logging.getLogger(__name__)

COOKIE = "kbase_session"
ME_PATH = "/api/V2/me"
#: Most identities, and most rejected tokens, remembered at once in this
#: process (apart: a flood of invented tokens must not push known callers
#: out); the oldest answers go first.
MAX_IDENTITIES = 10_000
MAX_REJECTIONS = 1_000

#: What auth2 said about a token: who it is, or None for "not a valid token".
Answer = Identity | None


def _encode_identity(identity: Identity) -> bytes:
    return orjson.dumps({"user": identity.userid, "roles": sorted(identity.roles)})


def _decode_identity(data: bytes) -> Identity:
    fields = orjson.loads(data)
    return Identity(fields["user"], frozenset(fields["roles"]))


#: In a shared store: an identity, and the mark of a rejected token.
IDENTITIES = Codec(1, _encode_identity, _decode_identity)
REJECTIONS = Codec(1, lambda rejected: b"", lambda data: True)


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
        self.cache_seconds = config.cache_seconds
        self.use_store(MemoryStore())
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

    def use_store(self, store: Store) -> None:
        """Remember answers in ``store`` (the security policy gives the
        shared one: replicas then ask auth2 once per token between them)."""
        self.identities: Table[str, Identity] = store.table("kbase.identities", IDENTITIES, max_items=MAX_IDENTITIES)
        self.rejections: Table[str, bool] = store.table("kbase.rejections", REJECTIONS, max_items=MAX_REJECTIONS)

    def permits(self, request: Request, identity: Identity, permission: str) -> bool:
        return bool(identity.roles & self.roles.get(permission, frozenset()))

    def _cached(self, key: str) -> tuple[bool, Answer]:
        """``(found, answer)``."""
        identity = self.identities.get(key)
        if identity is not None:
            return True, identity
        return self.rejections.get(key) is not None, None

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
                if flight.answer is None:
                    self.rejections.put(key, True, self.cache_seconds)
                else:
                    self.identities.put(key, flight.answer, self.cache_seconds)
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
