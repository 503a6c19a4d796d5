"""Auth plugin ``oidc``: JWT bearer tokens from OpenID Connect or SciTokens issuers.

A bearer token (the ``Authorization`` header) is a JWT whose ``iss`` must be
one of ``restd.oidc.issuers``; it is verified with that issuer's keys (its
JWKS, found by discovery: ``{issuer}/.well-known/openid-configuration``,
else SciTokens' ``{issuer}/.well-known/oauth-authorization-server``; or the
configured ``restd.oidc.jwks_urls``), its ``aud`` must name one of
``restd.oidc.audiences``, its ``alg`` be one of ``restd.oidc.algorithms``
(asymmetric only: ``none`` and HMAC, whose secret would be the public key,
are never accepted), and ``exp``/``nbf``/``iat`` hold within
``restd.oidc.leeway`` seconds. The token's own ``jku``/``x5u``/``jwk``
headers are never followed: keys come from the issuer only.

``read`` is granted by a scope of ``restd.oidc.read_scopes`` (the ``scope``
claim, space-separated, or ``scp``) or a value of ``restd.oidc.read_groups``
in a claim of ``restd.oidc.group_claims`` (dotted: ``realm_access.roles``).
The identity is ``{iss}#{claim}`` (``restd.oidc.identity_claim``): two
issuers' users never share a cache entry, a limit or a log name.

Keys are cached per issuer; a token naming a ``kid`` not in the cache makes
one fetch of the issuer's JWKS, at most once per ``restd.oidc.refresh_seconds``
per issuer (invented ``kid``s cannot make the server hammer the issuer). A
fetch that fails (down, slow past ``restd.oidc.timeout``, larger than
``MAX_DOCUMENT_BYTES``, not a JWKS) keeps the cached keys; a token that needs
a key the cache lacks is then a 503 until a fetch succeeds, never an open
door. Verifying a token costs one signature check and no call, so tokens are
not cached: one that expires is refused from then on (a watch stream too).
"""
from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from typing import Any, Iterable

import jwt
import orjson
import requests
from pyramid.request import Request

from restd_core.plugin_api.auth import AuthUnavailable, Identity, InvalidCredentials, parse, setting

from .tokens import bearer_token

log = logging.getLogger(__name__)

DISCOVERY_PATHS = ("/.well-known/openid-configuration", "/.well-known/oauth-authorization-server")
#: The largest token looked at (larger: 401 before any parsing).
MAX_TOKEN_BYTES = 16_384
#: The largest discovery document or JWKS read from an issuer (larger: a failed fetch).
MAX_DOCUMENT_BYTES = 262_144
#: The most keys kept per issuer (a JWKS with more is not believed).
MAX_KEYS = 100
#: Algorithms that may ever be allowed: asymmetric ones.
ASYMMETRIC = frozenset({"RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA"})
PERMISSION = "read"


@dataclass(frozen=True)
class OIDCSettings:
    """The oidc plugin's settings."""

    issuers: tuple[str, ...] = setting(
        "restd.oidc.issuers", (), "the trusted issuers, as their tokens' `iss` (URLs; at least one)")
    jwks_urls: tuple[str, ...] = setting(
        "restd.oidc.jwks_urls", (), "the issuers' JWKS URLs, one per issuer in the same order, instead of "
        "discovery (empty: discovery for every issuer)")
    audiences: tuple[str, ...] = setting(
        "restd.oidc.audiences", (), "the `aud` values accepted (one suffices; at least one)")
    algorithms: tuple[str, ...] = setting(
        "restd.oidc.algorithms", ("RS256", "ES256"), "the signature algorithms accepted (asymmetric only)")
    leeway: float = setting(
        "restd.oidc.leeway", 60.0, "seconds of clock skew allowed on `exp`, `nbf` and `iat`", minimum=0)
    read_scopes: tuple[str, ...] = setting(
        "restd.oidc.read_scopes", ("condor:/READ", "compute.read"), "the scopes (`scope` or `scp`) that may read")
    group_claims: tuple[str, ...] = setting(
        "restd.oidc.group_claims", ("groups", "realm_access.roles"), "the claims (dotted paths) holding "
        "groups or roles")
    read_groups: tuple[str, ...] = setting(
        "restd.oidc.read_groups", (), "the values of those claims that may read (one suffices)")
    identity_claim: str = setting(
        "restd.oidc.identity_claim", "sub", "the claim naming the caller (`sub`, `preferred_username`, "
        "`email`); the identity is `{iss}#{value}`")
    timeout: float = setting(
        "restd.oidc.timeout", 5.0, "seconds to wait for an issuer's discovery document or JWKS", minimum=0.001)
    refresh_seconds: float = setting(
        "restd.oidc.refresh_seconds", 60.0, "the least seconds between two fetches of one issuer's keys "
        "(a token naming an unknown `kid` asks for one)", minimum=0)


class FetchFailed(Exception):
    """An issuer's document could not be had."""


def fetch_json(url: str, timeout: float) -> dict[str, Any]:
    """The JSON object at ``url``: no redirects, at most ``MAX_DOCUMENT_BYTES``,
    ``timeout`` seconds to connect and between bytes."""
    try:
        # A session of its own, closed once the body is read: a streamed
        # answer of requests.get's own session keeps its socket open until
        # the garbage collector finds it.
        with requests.Session() as session, session.get(
                url, timeout=timeout, stream=True, allow_redirects=False,
                headers={"Accept": "application/json"}) as answer:
            if answer.status_code != 200:
                raise FetchFailed(f"{url} answered {answer.status_code}")
            body = b""
            for chunk in answer.iter_content(65536):
                body += chunk
                if len(body) > MAX_DOCUMENT_BYTES:
                    raise FetchFailed(f"{url} answered more than {MAX_DOCUMENT_BYTES} bytes")
        document = orjson.loads(body)
    except (requests.RequestException, orjson.JSONDecodeError) as exc:
        raise FetchFailed(f"{url}: {type(exc).__name__}") from exc
    if not isinstance(document, dict):
        raise FetchFailed(f"{url} answered JSON that is not an object")
    return document


def _http_url(value: object) -> bool:
    return isinstance(value, str) and value.startswith(("https://", "http://"))


@dataclass(frozen=True)
class IssuerKey:
    """A key of an issuer's JWKS, and the algorithm it is for if the JWKS says."""

    jwk: jwt.PyJWK
    algorithm: str | None


class IssuerKeys:
    """One issuer's signing keys, by ``kid``, fetched at most once per ``refresh_seconds``."""

    def __init__(self, issuer: str, jwks_url: str | None, timeout: float, refresh_seconds: float) -> None:
        self.issuer, self.jwks_url = issuer, jwks_url
        self.timeout, self.refresh_seconds = timeout, refresh_seconds
        self.keys: dict[str, IssuerKey] = {}
        self.fetches = 0
        self._last_fetch: float | None = None
        self._failed = False
        self._lock = threading.Lock()

    def key(self, kid: str) -> IssuerKey:
        """The key ``kid``; InvalidCredentials if the issuer has no such key,
        AuthUnavailable if it cannot be asked now and last failed."""
        key = self.keys.get(kid)
        if key is not None:
            return key
        # One fetch at a time, and nobody waits for it: tokens with invented
        # kids must not hold the server's threads while the issuer is slow.
        if not self._lock.acquire(blocking=False):
            raise AuthUnavailable("the token's issuer's keys are being fetched; retry shortly")
        try:
            key = self.keys.get(kid)
            if key is not None:
                return key
            now = time.monotonic()
            if self._last_fetch is None or now - self._last_fetch >= self.refresh_seconds:
                self._last_fetch = now
                self._refresh()
            elif self._failed:
                raise AuthUnavailable("the token's issuer cannot be reached for its keys; retry later")
        finally:
            self._lock.release()
        key = self.keys.get(kid)
        if key is None:
            raise InvalidCredentials("the token's key (kid) is not one of its issuer's")
        return key

    def _refresh(self) -> None:
        """Fetch the JWKS (under the lock); on failure keep the cached keys."""
        self.fetches += 1
        try:
            if self.jwks_url is None:
                self.jwks_url = self._discover()
            self.keys = self._parse_jwks(fetch_json(self.jwks_url, self.timeout))
            self._failed = False
        except FetchFailed as exc:
            self._failed = True
            log.error("fetching the keys of issuer %s failed: %s", self.issuer, exc)
            raise AuthUnavailable("the token's issuer cannot be reached for its keys; retry later") from None

    def _discover(self) -> str:
        base = self.issuer.rstrip("/")
        failures = []
        for path in DISCOVERY_PATHS:
            try:
                document = fetch_json(base + path, self.timeout)
            except FetchFailed as exc:
                failures.append(str(exc))
                continue
            if document.get("issuer") != self.issuer or not _http_url(document.get("jwks_uri")):
                raise FetchFailed(f"{base + path} is not {self.issuer}'s discovery document with a jwks_uri")
            return document["jwks_uri"]
        raise FetchFailed("; ".join(failures))

    def _parse_jwks(self, document: dict[str, Any]) -> dict[str, IssuerKey]:
        entries = document.get("keys")
        if not isinstance(entries, list) or len(entries) > MAX_KEYS:
            raise FetchFailed(f"{self.issuer}'s JWKS has no list of at most {MAX_KEYS} keys")
        keys = {}
        for entry in entries:
            if not isinstance(entry, dict) or not isinstance(entry.get("kid"), str) or entry.get("use", "sig") != "sig":
                continue
            try:
                keys[entry["kid"]] = IssuerKey(jwt.PyJWK(entry), entry.get("alg"))
            except jwt.PyJWTError:
                continue  # a key of a type PyJWT does not know, or not a key at all
        return keys


def claim(claims: dict[str, Any], path: str) -> object:
    """The claim at a dotted ``path`` (``realm_access.roles``), or None."""
    value: object = claims
    for part in path.split("."):
        if not isinstance(value, dict):
            return None
        value = value.get(part)
    return value


def _values(value: object) -> set[str]:
    """A claim's values: a list's strings, or a string's space-separated words."""
    if isinstance(value, str):
        return set(value.split())
    if isinstance(value, list):
        return {item for item in value if isinstance(item, str)}
    return set()


def looks_like_jwt(token: str) -> bool:
    """Three base64url segments: what this plugin recognises as its own."""
    parts = token.split(".")
    return len(parts) == 3 and all(part and part.replace("-", "").replace("_", "").isalnum() and part.isascii()
                                   for part in parts[:2])


class OIDCAuth:
    challenge = 'Bearer realm="condor-restd"'
    credential_headers = ("Authorization",)
    #: For /openapi.json.
    openapi_security_schemes = {"oidcToken": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT",
                                              "description": "A JWT from a trusted OpenID Connect or SciTokens issuer"}}

    def __init__(self, settings: dict[str, Any]) -> None:
        config = parse(OIDCSettings, settings)
        if not config.issuers:
            raise ValueError("restd.oidc.issuers must name at least one issuer")
        if not config.audiences:
            raise ValueError("restd.oidc.audiences must name at least one audience")
        if config.jwks_urls and len(config.jwks_urls) != len(config.issuers):
            raise ValueError("restd.oidc.jwks_urls must have one URL per issuer of restd.oidc.issuers")
        unsafe = set(config.algorithms) - ASYMMETRIC
        if unsafe or not config.algorithms:
            raise ValueError(f"restd.oidc.algorithms may name only asymmetric algorithms ({', '.join(sorted(ASYMMETRIC))})")
        urls: Iterable[str | None] = config.jwks_urls or [None] * len(config.issuers)
        self.issuers = {issuer: IssuerKeys(issuer, url, config.timeout, config.refresh_seconds)
                        for issuer, url in zip(config.issuers, urls)}
        self.config = config

    def recognises(self, request: Request) -> bool:
        """Whether the request's credentials are this plugin's to judge (a JWT)."""
        token = bearer_token(request)
        return token is not None and looks_like_jwt(token)

    def identity(self, request: Request) -> Identity | None:
        token = bearer_token(request)
        if token is None:
            return None
        if len(token) > MAX_TOKEN_BYTES or not looks_like_jwt(token):
            raise InvalidCredentials("the token is not a JWT")
        claims = self._verified(token)
        name = claims.get(self.config.identity_claim)
        if not isinstance(name, str) or not name:
            raise InvalidCredentials(f"the token has no {self.config.identity_claim!r} claim")
        return Identity(f"{claims['iss']}#{name}", self._roles(claims))

    def permits(self, request: Request, identity: Identity, permission: str) -> bool:
        return permission in identity.roles

    def _verified(self, token: str) -> dict[str, Any]:
        config = self.config
        try:
            header = jwt.get_unverified_header(token)
            alg, kid = header.get("alg"), header.get("kid")
            if alg not in config.algorithms:
                raise InvalidCredentials("the token's algorithm is not accepted")
            if not isinstance(kid, str):
                raise InvalidCredentials("the token names no key (kid)")
            issuer = jwt.decode(token, options={"verify_signature": False}).get("iss")
            keys = self.issuers.get(issuer) if isinstance(issuer, str) else None
            if keys is None:
                raise InvalidCredentials("the token's issuer is not trusted")
            key = keys.key(kid)
            if key.algorithm not in (None, alg):
                raise InvalidCredentials("the token's algorithm is not its key's")
            return jwt.decode(token, key.jwk.key, algorithms=[alg], audience=list(config.audiences), issuer=issuer,
                              leeway=config.leeway, options={"require": ["exp", "iss", "aud"]})
        except jwt.ExpiredSignatureError:
            raise InvalidCredentials("the token has expired") from None
        except jwt.ImmatureSignatureError:
            raise InvalidCredentials("the token is not valid yet") from None
        except jwt.InvalidAudienceError:
            raise InvalidCredentials("the token is not for this server (aud)") from None
        except (jwt.PyJWTError, ValueError, TypeError):
            raise InvalidCredentials("the token is not valid") from None

    def _roles(self, claims: dict[str, Any]) -> frozenset[str]:
        scopes = _values(claims.get("scope")) | _values(claims.get("scp"))
        groups = set().union(*(_values(claim(claims, path)) for path in self.config.group_claims))
        readable = bool(scopes & set(self.config.read_scopes)) or bool(groups & set(self.config.read_groups))
        return frozenset({PERMISSION}) if readable else frozenset()
