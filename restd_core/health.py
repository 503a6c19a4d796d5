"""Public routes of the core: the root listing and the liveness check."""
from __future__ import annotations

from cornice import Service
from pyramid.request import Request
from pyramid.security import NO_PERMISSION_REQUIRED

from .responses import json_response

root = Service(name="root", path="/", description="What this server is and which plugins it runs")
healthz = Service(name="healthz", path="/healthz", description="Liveness: the process answers (no HTCondor call)")


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


def includeme(config) -> None:
    config.add_cornice_service(root)
    config.add_cornice_service(healthz)
