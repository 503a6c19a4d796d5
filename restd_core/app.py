"""The app factory: PasteDeploy's ``main`` (``use = egg:condor-restd``)."""
from __future__ import annotations

import atexit
import os

from pyramid.config import Configurator
from pyramid.request import Request
from pyramid.router import Router

from .condor_settings import CondorSettings, RestdSettings
from .gateway import Gateway
from .gateway.spool import AnswersInFlight
from .memory import limit_malloc_arenas
from .plugins import include_endpoints
from .settings import ServerSettings, parse

#: What ``main`` includes, in order; each step may use what the ones before
#: it set up, so the order matters:
INITIALIZATION_SEQUENCE = (
    "cornice",  # Cornice's services and their validation: the plugins' endpoints are services
    ".errors",  # every error answered in the one JSON schema, before anything can fail
    ".gateway",  # the registry of operations and its directive (plugins add theirs later), the core's own
    ".shared",  # what the replicas share (restd.shared), or this process's own: the auth plugin, limits, cache use it
    ".security",  # the auth plugin and the policy over it: the limits and the access log ask it who a caller is
    ".limits",  # who a caller is (its turns at the gateway's workers) and its rate
    ".cors",
    ".health",
    ".every_schedd",  # the schedds the collector listed (the schedd name "*"), remembered
    ".tweens",  # request ids, the access log, the request's HTCondor budget and caller
    ".request_guard",  # under the access log, metrics and CORS: an unreadable URL still gets their headers
    ".metrics",
    ".response_cache",
    ".server_io",  # large answers lent to the WSGI server's own I/O (wsgi.file_wrapper): no thread waits for a reader
    ".openapi",  # documents the services: it builds its document once every plugin's are registered
)


def _gateway(request: Request) -> Gateway:
    return request.registry.gateway


def _condor_settings(request: Request) -> RestdSettings:
    return request.registry.condor_settings.get()


def main(global_config: dict | None = None, **settings) -> Router:
    """The app of these ini settings (``SettingError`` naming a setting
    whose value does not fit; ``PluginError`` naming a plugin that does not
    load or lacks what it must have)."""
    # Our error views answer every exception as JSON, not Cornice's.
    settings.setdefault("handle_exceptions", "false")
    # Where the server's listen address can be read (restd_core.security).
    settings.setdefault("restd.ini_file", (global_config or {}).get("__file__", ""))
    server = parse(ServerSettings, settings)
    limit_malloc_arenas()
    with Configurator(settings=settings) as config:
        config.registry.restd_settings = server
        gateway = None
        try:
            for step in INITIALIZATION_SEQUENCE[:3]:
                config.include(step)
            gateway = _make_gateway(config, server)
            for step in INITIALIZATION_SEQUENCE[3:]:
                config.include(step)
            config.registry.restd_endpoints = include_endpoints(config, server.endpoints)
            for module in server.includes:
                config.include(module)
            config.registry.restd_operations.freeze()
            return config.make_wsgi_app()
        except BaseException:
            if gateway is not None:
                gateway.close()  # a plugin that fails to load must not leave workers behind
            raise


def _make_gateway(config: Configurator, server: ServerSettings) -> Gateway:
    """The gateway and what reads HTCondor's configuration through it."""
    gateway = Gateway(
        config.registry.restd_operations,
        workers=server.gateway_workers,
        timeout=server.gateway_timeout,
        queue_depth=server.limits_queued_calls,
        config_reload_seconds=server.config_reload_seconds,
        worker_memory=server.gateway_worker_memory,
        # Sent to the workers over their socket, never on a command line.
        condor_jwt_token=os.environ.get("CONDOR_JWT_TOKEN") or server.condor_jwt_token,
    )
    atexit.register(gateway.close)
    config.registry.gateway = gateway
    config.registry.restd_answers_in_flight = AnswersInFlight(server.gateway_answers_in_flight_bytes)
    config.registry.condor_settings = CondorSettings(gateway, server.config_reload_seconds)
    config.add_request_method(_gateway, "gateway", reify=True)
    config.add_request_method(_condor_settings, "condor_settings", reify=True)
    return gateway
