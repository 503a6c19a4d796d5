"""condor-restd: a read-only REST API for HTCondor pools (Pyramid app)."""
from __future__ import annotations

import atexit
import os

from pyramid.config import Configurator
from pyramid.request import Request
from pyramid.router import Router

from . import settings as ini
from .condor_settings import CondorSettings
from .gateway import Gateway
from .plugins import include_endpoints


def _gateway(request: Request) -> Gateway:
    return request.registry.gateway


def _condor_settings(request: Request):
    return request.registry.condor_settings.get()


def make_gateway(settings: dict) -> Gateway:
    return Gateway(
        workers=ini.as_int(settings, "restd.gateway.workers", 3),
        timeout=ini.as_float(settings, "restd.gateway.timeout", 20.0),
        listing_parts=ini.as_int(settings, "restd.gateway.listing_parts", 2),
        ops_module=settings.get("restd.gateway.bindings", "restd_core.gateway.bindings"),
        config_reload_seconds=ini.as_float(settings, "restd.config_reload_seconds", 5.0),
        # Sent to the workers over their socket, never on a command line.
        condor_jwt_token=os.environ.get("CONDOR_JWT_TOKEN") or settings.get("restd.condor_jwt_token") or None,
    )


def main(global_config: dict | None = None, **settings) -> Router:
    """PasteDeploy app factory (``use = egg:condor-restd``)."""
    # Our error views answer every exception as JSON, not Cornice's.
    settings.setdefault("handle_exceptions", "false")
    # Where the server's listen address can be read (restd_core.security).
    settings.setdefault("restd.ini_file", (global_config or {}).get("__file__", ""))
    with Configurator(settings=settings) as config:
        config.include("cornice")
        config.include(".errors")
        gateway = make_gateway(config.get_settings())
        atexit.register(gateway.close)
        try:
            return _configure(config, gateway)
        except BaseException:
            gateway.close()  # a plugin that fails to load must not leave workers behind
            raise


def _configure(config: Configurator, gateway: Gateway) -> Router:
    """Everything that is built on the gateway: policies, routes, plugins."""
    config.registry.gateway = gateway
    config.registry.condor_settings = CondorSettings(
        gateway, ini.as_float(config.get_settings(), "restd.config_reload_seconds", 5.0)
    )
    config.add_request_method(_gateway, "gateway", reify=True)
    config.add_request_method(_condor_settings, "condor_settings", reify=True)
    config.include(".security")
    config.include(".limits")
    config.include(".cors")
    config.include(".health")
    config.include(".tweens")
    config.include(".request_guard")
    config.include(".metrics")
    config.include(".response_cache")
    config.include(".openapi")
    config.registry.restd_endpoints = include_endpoints(config)
    return config.make_wsgi_app()
