"""The app factory: PasteDeploy's ``main`` (``use = egg:condor-restd``)."""
from __future__ import annotations

import atexit

from pyramid.config import Configurator
from pyramid.request import Request
from pyramid.router import Router

from restd_core.assembly.condor_settings import CondorSettings, RestdSettings
from restd_core.assembly.memory import limit_malloc_arenas
from restd_core.assembly.plugins import check_requirements, include_endpoints
from restd_core.assembly.settings import ServerSettings, parse
from restd_core.assembly.wiring import Wiring, wiring
from restd_core.gateway import Gateway
from restd_core.gateway.spool import AnswersInFlight


def _gateway(request: Request) -> Gateway:
    return wiring(request.registry).gateway


def _condor_settings(request: Request) -> RestdSettings:
    return wiring(request.registry).condor_settings.get()


def include_gateway(config: Configurator) -> None:
    """The gateway (its operations' registry is complete only once the app
    is made: its workers start at the first call) and what reads HTCondor's
    configuration through it."""
    restd = wiring(config.registry)
    server = restd.settings
    gateway = Gateway(
        restd.operations,
        workers=server.gateway_workers,
        timeout=server.gateway_timeout,
        queue_depth=server.limits_queued_calls,
        config_reload_seconds=server.config_reload_seconds,
        worker_memory=server.gateway_worker_memory,
        condor_jwt_token=server.condor_jwt_token,  # sent to the workers over their socket, never on a command line
    )
    atexit.register(gateway.close)
    restd.gateway = gateway
    restd.answers_in_flight = AnswersInFlight(server.gateway_answers_in_flight_bytes)
    restd.condor_settings = CondorSettings(gateway, server.config_reload_seconds)
    config.add_request_method(_gateway, "gateway", reify=True)
    config.add_request_method(_condor_settings, "condor_settings", reify=True)


#: What ``main`` includes, in order, before the plugins; each step may use
#: what the ones before it set up, so the order matters:
INITIALIZATION_SEQUENCE = (
    "cornice",  # Cornice's services and their validation: the plugins' endpoints are services
    "restd_core.pipeline.errors",  # every error answered in the one JSON schema, before anything can fail
    "restd_core.gateway",  # the registry of operations and its directive (plugins add theirs later), the core's own
    include_gateway,  # the gateway over that registry: every step below may call HTCondor through it
    "restd_core.assembly.plugins",  # the directives by which plugins declare what they need (checked once all are included)
    "restd_core.shared",  # what the replicas share (restd.shared), or this process's own: the auth plugin, limits, cache use it
    "restd_core.pipeline.security",  # the auth plugin and the policy over it: the limits and the access log ask it who a caller is
    "restd_core.pipeline.limits",  # who a caller is (its turns at the gateway's workers) and its rate
    "restd_core.pipeline.cors",
    "restd_core.monitoring.health",  # /readyz pings the daemons through the gateway
    "restd_core.plugin_api.every_schedd",  # the schedds the collector listed (the schedd name "*"), remembered
    "restd_core.pipeline.tweens",  # request ids, the access log, the request's HTCondor budget and caller
    "restd_core.pipeline.request_guard",  # under the access log, metrics and CORS: an unreadable URL still gets their headers
    "restd_core.monitoring.metrics",
    "restd_core.pipeline.compression",  # answers compressed as callers accept (Accept-Encoding); a cached answer once, when stored
    "restd_core.pipeline.response_cache",
    "restd_core.pipeline.server_io",  # large answers lent to the WSGI server's own I/O (wsgi.file_wrapper): no thread waits for a reader
    "restd_core.openapi",  # documents the services: it builds its document once every plugin's are registered
)


def main(global_config: dict | None = None, **settings) -> Router:
    """The app of these ini settings (``SettingError`` naming a setting
    whose value does not fit; ``PluginError`` naming a plugin that does not
    load, lacks what it must have or needs what no other plugin gives)."""
    # Our error views answer every exception as JSON, not Cornice's.
    settings.setdefault("handle_exceptions", "false")
    # Where the server's listen address can be read (restd_core.pipeline.security).
    settings.setdefault("restd.ini_file", (global_config or {}).get("__file__", ""))
    server = parse(ServerSettings, settings)
    limit_malloc_arenas()
    with Configurator(settings=settings) as config:
        config.registry.restd = restd = Wiring(server)  # the one attribute of ours on Pyramid's registry
        try:
            for step in INITIALIZATION_SEQUENCE:
                config.include(step)
            # The plugins, after the core whose directives and services they use:
            restd.endpoints = include_endpoints(config, server.endpoints)
            for module in server.includes:
                config.include(module)
            # Once every plugin is included: what one needs that none gives stops the start-up here.
            check_requirements(config, restd.endpoints)
            restd.operations.freeze()
            return config.make_wsgi_app()
        except BaseException:
            gateway = getattr(restd, "gateway", None)
            if gateway is not None:
                gateway.close()  # a plugin that fails to load must not leave workers behind
            raise
