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
hash: the token is never stored), so the replicas share them. Tokens are
never logged.

Invented tokens cost a call to auth2 each, and a server thread while it
lasts; they must not deny known users. So a token auth2 found valid, for a
user with a role of this plugin, is remembered as *known* (its hash, for
``restd.kbase.known_seconds``, at most ``MAX_KNOWN`` of them, in the shared
store too), and the checks of a known token (its cache entry expired) are
never bounded: they wait behind nobody. Other tokens are checked at most
``restd.kbase.max_concurrent_checks`` at once (beyond: 503 at once), and the
requests of one source address (the connection's; an IPv6 address by its
/64) may have at most ``restd.kbase.max_checks_per_address`` of those
checks at once, so that one address cannot take them all, and at most
``restd.kbase.max_waiting_per_address`` requests waiting for them (their
own or one in flight: one invented token sent many times while auth2 is
down must not hold every thread either); beyond: 429 at once.
"""
from __future__ import annotations

import hashlib
import ipaddress
import logging
import threading
from collections import Counter
from dataclasses import dataclass
from typing import Any

import orjson
import requests
from pyramid.request import Request

from restd_core.plugin_api.auth import (
    AuthUnavailable,
    Codec,
    Identity,
    InvalidCredentials,
    MemoryStore,
    SingleFlight,
    Store,
    Table,
    TooManyChecks,
    parse,
    setting,
)

from .tokens import bearer_token

log = logging.getLogger(__name__)

COOKIE = "kbase_session"
ME_PATH = "/api/V2/me"
#: Most identities, and most rejected tokens, remembered at once in this
#: process (apart: a flood of invented tokens must not push known callers
#: out); the oldest answers go first.
MAX_IDENTITIES = 10_000
MAX_REJECTIONS = 1_000
#: Most tokens remembered as known (valid before) in this process; only
#: auth2 can make a token known, so only real users' tokens fill it.
MAX_KNOWN = 10_000

#: What auth2 said about a token: who it is, or None for "not a valid token".
Answer = Identity | None


def _encode_identity(identity: Identity) -> bytes:
    return orjson.dumps({"user": identity.userid, "roles": sorted(identity.roles)})


def _decode_identity(data: bytes) -> Identity:
    fields = orjson.loads(data)
    return Identity(fields["user"], frozenset(fields["roles"]))


#: In a shared store: an identity, and the mark of a rejected (or a known) token.
IDENTITIES = Codec(1, _encode_identity, _decode_identity)
MARKS = Codec(1, lambda marked: b"", lambda data: True)


def _uncount(counts: Counter[str], key: str) -> None:
    counts[key] -= 1
    if not counts[key]:
        del counts[key]  # the counts hold only the addresses waiting now


def source_of(request: Request) -> str:
    """Where a request comes from, for the bound on new tokens: the
    connection's address (``remote_addr``; never ``X-Forwarded-For``, which
    a caller invents), an IPv6 one by its /64 (one host often has them all)."""
    address = request.remote_addr or ""
    try:
        parsed = ipaddress.ip_address(address)
    except ValueError:
        return address
    if isinstance(parsed, ipaddress.IPv6Address):
        if parsed.ipv4_mapped is not None:
            return str(parsed.ipv4_mapped)
        return str(ipaddress.IPv6Network((parsed, 64), strict=False))
    return str(parsed)


@dataclass(frozen=True)
class KBaseSettings:
    """The kbase plugin's settings."""

    auth_url: str | None = setting(
        "restd.kbase.auth_url", None, "KBase auth2's base URL", env="AUTH_URL")
    timeout: float = setting("restd.kbase.timeout", 5.0, "seconds to wait for auth2 (past it: 503)", minimum=0.001)
    read_roles: tuple[str, ...] = setting(
        "restd.kbase.read_roles", ("EE2_ADMIN", "EE2_ADMIN_RO"), "the `customroles` that may read (one suffices)")
    cache_seconds: float = setting(
        "restd.kbase.cache_seconds", 60.0, "seconds an answer about a token (rejections included; failures "
        "not) is remembered, per SHA-256 of the token", minimum=0)
    max_concurrent_checks: int = setting(
        "restd.kbase.max_concurrent_checks", 4, "tokens not known to be valid checked with auth2 at once "
        "(beyond: 503 at once); known tokens are not counted", minimum=1)
    max_checks_per_address: int = setting(
        "restd.kbase.max_checks_per_address", 2, "of those, the checks of tokens from one address (the "
        "connection's; IPv6: its /64) at once (beyond: 429 at once)", minimum=1)
    max_waiting_per_address: int = setting(
        "restd.kbase.max_waiting_per_address", 4, "requests from one address waiting for the check of a token "
        "not known to be valid (theirs or one in flight) at once (beyond: 429 at once)", minimum=1)
    known_seconds: float = setting(
        "restd.kbase.known_seconds", 604800.0, "seconds a token that auth2 found valid for a user with a read role "
        "stays known (its SHA-256) after its last check: a known token's checks never wait behind others",
        minimum=0)


class KBaseAuth:
    challenge = 'Bearer realm="KBase"'
    credential_headers = ("Authorization", "Cookie")
    #: For /openapi.json: the token in either place.
    openapi_security_schemes = {
        "kbaseToken": {"type": "apiKey", "in": "header", "name": "Authorization", "description": "A KBase token"},
        "kbaseSession": {"type": "apiKey", "in": "cookie", "name": COOKIE, "description": "A KBase token"},
    }

    def __init__(self, settings: dict[str, Any]) -> None:
        config = parse(KBaseSettings, settings)
        auth_url = config.auth_url
        if not auth_url:
            raise ValueError("the KBase auth URL is not set (AUTH_URL in the environment, or restd.kbase.auth_url)")
        self.me_url = auth_url.rstrip("/") + ME_PATH
        self.timeout = config.timeout
        self.roles = {"read": frozenset(config.read_roles)}
        self.cache_seconds = config.cache_seconds
        self.known_seconds = config.known_seconds
        self.use_store(MemoryStore())
        self._lock = threading.Lock()  # the flights and the counts below
        self._flights: SingleFlight[str, Answer] = SingleFlight(self._lock)
        self._checking = threading.BoundedSemaphore(config.max_concurrent_checks)
        self.max_checks_per_address = config.max_checks_per_address
        self.max_waiting_per_address = config.max_waiting_per_address
        #: Source address -> its new tokens' checks in flight, its requests waiting for such checks.
        self._checks_from: Counter[str] = Counter()
        self._waiting_from: Counter[str] = Counter()

    def identity(self, request: Request) -> Identity | None:
        token = bearer_token(request) or request.cookies.get(COOKIE, "").strip() or None
        if token is None:
            return None
        if not (token.isascii() and token.isprintable()) or " " in token:  # "Basic ...", junk: not worth a call
            raise InvalidCredentials("the KBase token is malformed")
        answer = self._answer(hashlib.sha256(token.encode()).hexdigest(), token, request)
        if answer is None:
            raise InvalidCredentials("KBase auth rejected the token")
        return answer

    def use_store(self, store: Store) -> None:
        """Remember answers in ``store`` (the security policy gives the
        shared one: replicas then ask auth2 once per token between them)."""
        self.identities: Table[str, Identity] = store.table("kbase.identities", IDENTITIES, max_items=MAX_IDENTITIES)
        self.rejections: Table[str, bool] = store.table("kbase.rejections", MARKS, max_items=MAX_REJECTIONS)
        self.known: Table[str, bool] = store.table("kbase.known", MARKS, max_items=MAX_KNOWN)

    def permits(self, request: Request, identity: Identity, permission: str) -> bool:
        return bool(identity.roles & self.roles.get(permission, frozenset()))

    def _cached(self, key: str) -> tuple[bool, Answer]:
        """``(found, answer)``."""
        identity = self.identities.get(key)
        if identity is not None:
            return True, identity
        return self.rejections.get(key) is not None, None

    def _answer(self, key: str, token: str, request: Request) -> Answer:
        """The cached answer, or the one call in flight's, or a new call's."""
        found, answer = self._cached(key)
        if found:
            return answer
        # A known token's check waits behind nobody and is never counted.
        source = None if self.known.get(key) is not None else source_of(request)

        counted: list[str] = []

        def joining(leader: bool) -> None:  # under the lock
            if source is not None:
                self._count_new(source, leader)  # or refused: then nothing was counted
                counted.append(source)

        try:
            return self._flights.run(key, lambda: self._check(key, token, source), joining)
        finally:
            if counted:
                with self._lock:
                    _uncount(self._waiting_from, counted[0])

    def _count_new(self, source: str, check: bool) -> None:
        """Count a request from ``source`` that waits for a new token's check
        (``check``: its own; under the lock), or refuse it: a new token costs
        a call to auth2 and a thread while it lasts, so at most so many at
        once, from one address and from all, lest invented tokens hold every
        thread while auth2 is slow."""
        if self._waiting_from[source] >= self.max_waiting_per_address or (
                check and self._checks_from[source] >= self.max_checks_per_address):
            raise TooManyChecks("too many new KBase tokens from this address are being checked at once; retry shortly")
        if check and not self._checking.acquire(blocking=False):
            raise AuthUnavailable("too many new KBase tokens are being checked at once; retry shortly")
        self._waiting_from[source] += 1
        if check:
            self._checks_from[source] += 1

    def _check(self, key: str, token: str, source: str | None) -> Answer:
        """Ask auth2 for the token's answer (a flight's leader), and remember
        it; ``source``: the address whose new token it is (it holds one of
        ``max_concurrent_checks`` and one of its address's), None for a known one."""
        try:
            found, answer = self._cached(key)  # a flight may have ended since the caller looked
            if found:
                return answer
            answer = self._ask_auth2(token)
            if answer is None:
                self.rejections.put(key, True, self.cache_seconds)
            else:
                self.identities.put(key, answer, self.cache_seconds)
                if any(answer.roles & roles for roles in self.roles.values()):
                    self.known.put(key, True, self.known_seconds)
            return answer
        except AuthUnavailable:
            raise
        except Exception:
            log.exception("checking a KBase token failed")
            raise AuthUnavailable("checking the KBase token failed; the server's log has the details") from None
        finally:
            if source is not None:
                with self._lock:
                    self._checking.release()
                    _uncount(self._checks_from, source)

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
