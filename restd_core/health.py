"""Public routes of the core: the root listing, liveness and readiness."""
from __future__ import annotations

from cornice import Service
from pyramid.request import Request
from pyramid.security import NO_PERMISSION_REQUIRED

from . import settings as ini
from .errors import RETRY_AFTER_SECONDS, Errno, error_response
from .gateway import GatewayError, Timeout
from .responses import json_response

#: Daemons that must answer for the server to be ready, in the order asked.
READY_DAEMONS = ("collector", "schedd")
#: Seconds each of them has to answer (``restd.readyz.timeout``).
READY_TIMEOUT = 3.0

root = Service(name="root", path="/", description="What this server is and which plugins it runs")
healthz = Service(name="healthz", path="/healthz", description="Liveness: the process answers (no HTCondor call)")
readyz = Service(name="readyz", path="/readyz", description="Readiness: the collector and the default schedd answer")


@root.get(permission=NO_PERMISSION_REQUIRED)
def get_root(request: Request):
    return json_response(
        {
            "project_name": "condor-restd",
            "api_version": "v1",
            "endpoints": request.registry.restd_endpoints,
        }
    )


@healthz.get(permission=NO_PERMISSION_REQUIRED)
def get_healthz(request: Request):
    return json_response({"status": "ok"})


@readyz.get(permission=NO_PERMISSION_REQUIRED)
def get_readyz(request: Request):
    """200 when every daemon of ``READY_DAEMONS`` answers within the short
    readiness timeout, else 503 naming the first one that did not."""
    timeout = ini.as_float(request.registry.settings, "restd.readyz.timeout", READY_TIMEOUT)
    answers = {}
    for daemon in READY_DAEMONS:
        try:
            answers[daemon] = request.gateway.ping(daemon, timeout=timeout)
        except GatewayError as exc:
            errno = Errno.HTCONDOR_TIMEOUT if isinstance(exc, Timeout) else Errno.HTCONDOR_UNAVAILABLE
            return error_response(
                503, f"not ready: {daemon}: {exc.message}", errno,
                {"daemon": daemon}, {"Retry-After": str(RETRY_AFTER_SECONDS)},
            )
    return json_response({"status": "ready", **answers})


def includeme(config) -> None:
    config.add_cornice_service(root)
    config.add_cornice_service(healthz)
    config.add_cornice_service(readyz)
