"""Who may call what: one Pyramid security policy over an auth plugin.

The ini setting ``restd.auth`` names the plugin, an entry point of the group
``restd.auth`` (``none`` when unset), or several (``kbase oidc``: see
``AuthPlugins``). The entry point is a factory called with the app's
settings; what it returns is an ``AuthPlugin``:

- ``identity(request)``: the caller's ``Identity``; None when the request
  carries no credentials (401); it raises ``InvalidCredentials`` for
  credentials it rejects (401) and ``AuthUnavailable`` when it cannot tell
  (503: an auth service that is down is never an open door).
- ``permits(request, identity, permission)``: whether that identity has the
  permission (else 403).
- optionally ``recognises(request)``: whether the credentials are of its
  kind (a JWT...), cheaply, without a call; with several plugins, one that
  says so decides alone.

Every view needs a permission: the default one is ``read`` (so a route added
without one is not open by mistake); public views say
``NO_PERMISSION_REQUIRED``. Identities are computed only for views that need
one, and at most once per request.

An answer for which the plugin was asked depends on the request headers the
plugin reads (``credential_headers``: ``Authorization`` and ``Cookie``
unless it says otherwise), so no shared cache may give it to another
caller: it says ``Cache-Control: private`` and ``Vary`` those headers
(``private_answers_tween_factory``); and, being the pool's state of the
moment, ``no-cache`` (a cache asks again, with the ``ETag``: a 304 is cheap).
"""
from __future__ import annotations

import ipaddress
import logging
from configparser import ConfigParser, SectionProxy
from dataclasses import dataclass, field, replace
from typing import Any, Callable, Protocol

from pyramid.httpexceptions import HTTPForbidden
from pyramid.request import Request, RequestLocalCache
from pyramid.response import Response
from pyramid.security import Allowed, Denied
from pyramid.tweens import EXCVIEW

from restd_core.assembly.plugins import PluginError, available, load
from restd_core.assembly.settings import ServerSettings, split_list
from restd_core.assembly.wiring import wiring
from restd_core.pipeline.errors import RETRY_AFTER_SECONDS, Errno, echoed, error_response
from restd_core.pipeline.log_rate import RateLog
from restd_core.plugin_api.responses import vary_on

log = logging.getLogger(__name__)

AUTH_GROUP = "restd.auth"
DEFAULT_PLUGIN = "none"
DEFAULT_PERMISSION = "read"
#: Sent with every 401; a plugin may set its own as a ``challenge`` attribute.
DEFAULT_CHALLENGE = 'Bearer realm="condor-restd"'
#: The request headers a plugin reads credentials from, unless it says
#: (``credential_headers``): answers vary with them.
DEFAULT_CREDENTIAL_HEADERS = ("Authorization", "Cookie")
#: Refusals (503, 429) come in floods: their log lines are counted per so many seconds.
REFUSALS_LOG_SECONDS = 10.0


@dataclass(frozen=True)
class Identity:
    """Who the caller is, as an auth plugin established it."""

    userid: str
    roles: frozenset[str] = field(default_factory=frozenset)
    #: The plugin that established it, when ``restd.auth`` names several.
    plugin: str = ""


class AuthPlugin(Protocol):
    def identity(self, request: Request) -> Identity | None: ...

    def permits(self, request: Request, identity: Identity, permission: str) -> bool: ...


AuthPluginFactory = Callable[[dict[str, Any]], AuthPlugin]


class AuthError(Exception):
    """Raised by a plugin's ``identity``; answered as ``status``/``errno``."""

    status = 401
    errno = Errno.INVALID_AUTH_TOKEN

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class InvalidCredentials(AuthError):
    """The request carries credentials, and they are not valid."""


class AuthUnavailable(AuthError):
    """The plugin cannot tell who the caller is (its auth service is down,
    too slow, or answers nonsense)."""

    status = 503
    errno = Errno.AUTH_UNAVAILABLE


class TooManyChecks(AuthError):
    """The plugin will not check more of this source's credentials at once
    (each costs a call to its auth service)."""

    status = 429
    errno = Errno.TOO_MANY_REQUESTS
    retry_after = 1


class AuthPlugins:
    """Several auth plugins as one (``restd.auth = kbase oidc static-token``):
    the first that recognises the credentials decides.

    A plugin with ``recognises`` that says they are its kind decides alone,
    whatever it answers, before any other is asked (a JWT never reaches
    kbase's auth2). Else the plugins without it are asked in order: an
    identity decides; no credentials, a rejection or a failure passes them
    on to the next (a token one rejects may be another's). When none
    accepts them: the failure of a plugin that could not tell (503, 429) if
    any, since it might have accepted them; else the first rejection (401);
    else no credentials (401)."""

    def __init__(self, plugins: dict[str, AuthPlugin]) -> None:
        self.plugins = plugins
        everyone = plugins.values()
        self.challenge = ", ".join(dict.fromkeys(getattr(p, "challenge", DEFAULT_CHALLENGE) for p in everyone))
        self.credential_headers = tuple(dict.fromkeys(
            header for p in everyone for header in getattr(p, "credential_headers", DEFAULT_CREDENTIAL_HEADERS)))
        self.openapi_security_schemes = {
            name: scheme for p in everyone for name, scheme in (getattr(p, "openapi_security_schemes", None) or {}).items()}

    def identity(self, request: Request) -> Identity | None:
        for name, plugin in self.plugins.items():
            recognises = getattr(plugin, "recognises", None)
            if recognises is not None and recognises(request):
                return self._named(name, plugin.identity(request))
        refusals: list[AuthError] = []
        for name, plugin in self.plugins.items():
            if hasattr(plugin, "recognises"):
                continue
            try:
                identity = plugin.identity(request)
            except AuthError as exc:
                refusals.append(exc)
                continue
            if identity is not None:
                return self._named(name, identity)
        if refusals:
            raise next((exc for exc in refusals if exc.status != 401), refusals[0])
        return None

    @staticmethod
    def _named(name: str, identity: Identity | None) -> Identity | None:
        return None if identity is None else replace(identity, plugin=name)

    def permits(self, request: Request, identity: Identity, permission: str) -> bool:
        plugin = self.plugins.get(identity.plugin)
        return plugin is not None and plugin.permits(request, identity, permission)

    def limit_key(self, request: Request, identity: Identity) -> str:
        limit_key = getattr(self.plugins.get(identity.plugin), "limit_key", None)
        return limit_key(request, identity) if limit_key is not None else identity.userid

    def use_store(self, store) -> None:
        for plugin in self.plugins.values():
            use_store = getattr(plugin, "use_store", None)
            if use_store is not None:
                use_store(store)


_NOT_ASKED = object()


class SecurityPolicy:
    """Pyramid's ``ISecurityPolicy`` over one ``AuthPlugin``. Credentials are
    bearer tokens sent with every request: nothing to remember or forget."""

    def __init__(self, plugin: AuthPlugin) -> None:
        self.plugin = plugin
        self._outcomes = RequestLocalCache(self._outcome)

    def _outcome(self, request: Request) -> Identity | AuthError | None:
        # A failure is remembered too: asking again (an access log wants the
        # user id) must not call an auth service that just failed.
        try:
            return self.plugin.identity(request)
        except AuthError as exc:
            return exc

    def identity(self, request: Request) -> Identity | None:
        outcome = self._outcomes.get_or_create(request)
        if isinstance(outcome, AuthError):
            raise outcome
        return outcome

    def asked(self, request: Request) -> bool:
        """Whether the plugin was asked who the caller is during this request."""
        return self._outcomes.get(request, _NOT_ASKED) is not _NOT_ASKED

    def known_userid(self, request: Request) -> str | None:
        """The user id if the plugin was already asked during this request
        (never asks it)."""
        outcome = self._outcomes.get(request, None)
        return outcome.userid if isinstance(outcome, Identity) else None

    def authenticated_userid(self, request: Request) -> str | None:
        identity = self.identity(request)
        return None if identity is None else identity.userid

    def permits(self, request: Request, context: Any, permission: str) -> Allowed | Denied:
        identity = self.identity(request)
        if identity is None:
            return Denied("no credentials")
        if self.plugin.permits(request, identity, permission):
            return Allowed(f"{identity.userid} has {permission!r}")
        return Denied(f"{identity.userid} lacks {permission!r}")

    def remember(self, request: Request, userid: str, **kw: Any) -> list:
        return []

    def forget(self, request: Request, **kw: Any) -> list:
        return []


def _challenge(request: Request) -> dict[str, str]:
    plugin = wiring(request.registry).auth
    return {"WWW-Authenticate": getattr(plugin, "challenge", DEFAULT_CHALLENGE)}


def forbidden_view(exc: HTTPForbidden, request: Request) -> Response:
    """A denied permission: 401 for a caller without credentials, 403 for
    one whose identity lacks the permission."""
    if request.identity is None:
        return error_response(401, "authentication required", Errno.MISSING_AUTH_TOKEN, headers=_challenge(request))
    return error_response(403, f"not allowed to {echoed(request.path)}", Errno.FORBIDDEN)


def auth_error_view(exc: AuthError, request: Request) -> Response:
    if exc.status == 401:
        return error_response(401, exc.message, exc.errno, headers=_challenge(request))
    # The plugin failing is an error; a caller asking too much, a warning.
    wiring(request.registry).auth_refusals.log(
        logging.ERROR if exc.status >= 500 else logging.WARNING, f"{type(exc).__name__}: {exc.message}",
        f"authentication refused ({exc.status}) on {echoed(request.path)}: {exc.message}")
    retry_after = getattr(exc, "retry_after", RETRY_AFTER_SECONDS)
    return error_response(exc.status, exc.message, exc.errno, headers={"Retry-After": str(retry_after)})


def private_answers_tween_factory(handler: Callable[[Request], Response], registry) -> Callable[[Request], Response]:
    """``Cache-Control`` and ``Vary`` for the answers that depend on the caller's credentials."""
    policy: SecurityPolicy = wiring(registry).security_policy
    varies = tuple(getattr(wiring(registry).auth, "credential_headers", DEFAULT_CREDENTIAL_HEADERS))

    def tween(request: Request) -> Response:
        response = handler(request)
        if policy.asked(request):
            cache = response.cache_control
            if varies:
                cache.private = True
                vary_on(response, *varies)
            if not cache.no_store:
                cache.no_cache = True
        return response

    return tween


# ------------------------------------------------------------- start-up --

#: What an auth plugin must have: name -> what it is, for the start-up's error.
REQUIRED = {"identity": "identity(request)", "permits": "permits(request, identity, permission)"}
#: What it may have: name -> (whether a value fits, what it is).
OPTIONAL: dict[str, tuple[Callable[[Any], bool], str]] = {
    "challenge": (lambda value: isinstance(value, str), "challenge, the WWW-Authenticate value (a str)"),
    "openapi_security_schemes": (lambda value: isinstance(value, dict), "openapi_security_schemes (a dict)"),
    "limit_key": (callable, "limit_key(request, identity)"),
    "recognises": (callable, "recognises(request)"),
    "use_store": (callable, "use_store(store), given the store the replicas share (restd_core.shared)"),
    "credential_headers": (lambda value: isinstance(value, (tuple, list)) and all(isinstance(h, str) for h in value),
                           "credential_headers, the request headers it reads credentials from (a tuple of str)"),
}


def lacking(plugin: object) -> list[str]:
    """What of ``REQUIRED`` and ``OPTIONAL`` the plugin lacks or has wrong."""
    missing = [what for attribute, what in REQUIRED.items() if not callable(getattr(plugin, attribute, None))]
    missing += [what for attribute, (fits, what) in OPTIONAL.items()
                if hasattr(plugin, attribute) and not fits(getattr(plugin, attribute))]
    return missing


def load_plugin(name: str, settings: dict[str, Any]) -> AuthPlugin:
    """The auth plugin ``name``, made from the ini's settings (it reads its
    own), checked to have what the security policy calls."""
    found = available(AUTH_GROUP)
    if name not in found:
        raise PluginError(f"{AUTH_GROUP} plugin {name!r} not installed; installed: {', '.join(sorted(found)) or 'none'}")
    factory: AuthPluginFactory = load(found[name], AUTH_GROUP)
    try:
        plugin = factory(settings)
    except Exception as exc:
        raise PluginError(f"{AUTH_GROUP} plugin {name!r} failed to start: {type(exc).__name__}: {exc}") from exc
    missing = lacking(plugin)
    if missing:
        raise PluginError(f"{AUTH_GROUP} plugin {name!r} ({found[name].value}) does not have "
                          f"what the security policy calls: {', '.join(missing)}")
    return plugin


def _is_loopback(host: str) -> bool:
    host = host.strip("[]")
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False  # a host name: it may resolve to anything


def server_section(ini_file: str, server: str = "main") -> SectionProxy | None:
    """The ini's ``[server:<server>]`` (what waitress is told), if it has one."""
    parser = ConfigParser(interpolation=None)
    if not ini_file or not parser.read(ini_file) or not parser.has_section(f"server:{server}"):
        return None
    return parser[f"server:{server}"]


def listen_addresses(ini_file: str, server: str = "main") -> list[str]:
    """The hosts waitress listens on per the ini's ``[server:<server>]``
    (``listen``, else ``host``; waitress's own default is every address)."""
    section = server_section(ini_file, server)
    if section is None:
        return []
    if section.get("listen"):
        return [entry.rsplit(":", 1)[0] if ":" in entry else entry for entry in split_list(section["listen"])]
    return [section.get("host", "0.0.0.0")]


def check_open_server(server: ServerSettings) -> None:
    """Refuse to serve everyone beyond this machine unless the ini says so."""
    ini_file = server.ini_file
    exposed = [host for host in (listen_addresses(ini_file) if ini_file else []) if not _is_loopback(host)]
    if exposed and not server.auth_allow_open:
        raise PluginError(
            f"restd.auth = none lets anyone read the pool, and the server listens on {', '.join(exposed)}; "
            "choose an auth plugin, listen on localhost only, or set restd.auth.allow_open = true"
        )


def load_plugins(names: list[str], settings: dict[str, Any]) -> AuthPlugin:
    """The one auth plugin named, or ``AuthPlugins`` over the several named."""
    if len(names) != len(set(names)):
        raise PluginError(f"{AUTH_GROUP} names a plugin twice: {' '.join(names)}")
    if len(names) == 1:
        return load_plugin(names[0], settings)
    if DEFAULT_PLUGIN in names:
        raise PluginError(f"{AUTH_GROUP} = {DEFAULT_PLUGIN} lets everyone in: it cannot be one of several plugins")
    return AuthPlugins({name: load_plugin(name, settings) for name in names})


def includeme(config) -> None:
    restd = wiring(config.registry)
    server = restd.settings
    names = split_list(server.auth) or [DEFAULT_PLUGIN]
    plugin = load_plugins(names, config.get_settings())
    if names == [DEFAULT_PLUGIN]:
        check_open_server(server)
    log.info("auth plugin%s %s enabled", "s" if len(names) > 1 else "", " ".join(names))
    use_store = getattr(plugin, "use_store", None)
    if use_store is not None:  # where it remembers its answers: shared by the replicas with restd.shared
        use_store(restd.shared)
    restd.auth = plugin
    restd.auth_refusals = RateLog(log, REFUSALS_LOG_SECONDS)
    restd.security_policy = policy = SecurityPolicy(plugin)
    config.set_security_policy(policy)
    config.set_default_permission(DEFAULT_PERMISSION)
    config.add_forbidden_view(forbidden_view)
    config.add_exception_view(auth_error_view, context=AuthError)
    config.add_tween("restd_core.pipeline.security.private_answers_tween_factory", over=EXCVIEW)
