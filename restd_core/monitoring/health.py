"""Public routes of the core: the root listing, liveness and readiness."""
from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

from cornice import Service
from pyramid.request import Request
from pyramid.security import NO_PERMISSION_REQUIRED

from restd_core.assembly.wiring import wiring
from restd_core.gateway import Gateway, GatewayError, Timeout
from restd_core.openapi.jsonschema import Schema
from restd_core.pipeline.errors import RETRY_AFTER_SECONDS, Errno, error_response
from restd_core.plugin_api.responses import json_response
from restd_core.reuse.reused import Reused
from restd_core.shared import Store
from restd_core.shared.memory import MemoryStore

log = logging.getLogger(__name__)

#: Daemons that must answer for the server to be ready, in the order asked.
READY_DAEMONS = ("collector", "schedd")

root = Service(name="root", path="/", description="What this server is and which plugins it runs")
healthz = Service(name="healthz", path="/healthz", description="Liveness: the process answers (no HTCondor call)")
readyz = Service(name="readyz", path="/readyz", description="Readiness: the collector and the default schedd answer")

#: The answers' JSON Schemas, for the OpenAPI document.
ROOT_ANSWER: Schema = {
    "type": "object",
    "required": ["project_name", "api_version", "endpoints"],
    "properties": {
        "project_name": {"const": "condor-restd"},
        "api_version": {"type": "string", "examples": ["v1"]},
        "endpoints": {"type": "array", "items": {"type": "string"}, "description": "The endpoint plugins turned on"},
    },
}
HEALTHZ_ANSWER: Schema = {"type": "object", "required": ["status"], "properties": {"status": {"const": "ok"}}}
_DAEMON_ANSWER: Schema = {"description": "The daemon's answer to a ping"}
READYZ_ANSWERS: dict[int, Schema] = {
    200: {
        "type": "object",
        "required": ["status", *READY_DAEMONS],
        "properties": {
            "status": {"const": "ready"},
            **{daemon: _DAEMON_ANSWER for daemon in READY_DAEMONS},
            "shared": {"description": "How the shared store is (with a shared store only)"},
            "archive": {"description": "How the archive of finished jobs is (with an archive only): whether it "
                                   "answers, and the ingester's lag in seconds"},
        },
    },
    503: {"$ref": "#/components/schemas/Error"},
}


@root.get(permission=NO_PERMISSION_REQUIRED, response_schemas={200: ROOT_ANSWER})
def get_root(request: Request):
    return json_response(
        {
            "project_name": "condor-restd",
            "api_version": "v1",
            "endpoints": wiring(request.registry).endpoints,
        }
    )


@healthz.get(permission=NO_PERMISSION_REQUIRED, response_schemas={200: HEALTHZ_ANSWER})
def get_healthz(request: Request):
    return json_response({"status": "ok"})


#: Seconds a readiness answer is reused: a flood of probes (the route is
#: public) costs at most one round of daemon pings per second.
READY_REUSE_SECONDS = 1.0


class Readiness:
    """The last readiness answer, reused for ``READY_REUSE_SECONDS``; while
    one request pings the daemons, the others wait for its answer (it must
    say how the daemons are now)."""

    def __init__(self, gateway: Gateway, timeout: float, store: Store | None = None,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._gateway = gateway
        self._store = store
        self._timeout = timeout
        self._answers = Reused(self._ask, READY_REUSE_SECONDS, wait=True, clock=clock, name="readiness answer")
        self._details: dict[str, Callable[[], Any]] = {}

    def add_detail(self, name: str, read: Callable[[], Any]) -> None:
        """A plugin's part of every readiness answer: ``name`` -> what
        ``read()`` says (how something optional is, such as the archive; it
        never makes the server unready, and must answer quickly)."""
        self._details[name] = read

    def answer(self) -> tuple[int, dict[str, Any]]:
        """``(status, body)``: 200 when every daemon of ``READY_DAEMONS``
        answers within the short readiness timeout, else 503 naming the
        first one that did not (HTCondor's own words go to the log only:
        the answer is public). With a shared store, either says how it is
        (``shared``): a replica whose Redis is down still answers, from its
        in-process fallback, so it stays ready."""
        return self._answers.get()

    def _ask(self) -> tuple[int, dict[str, Any]]:
        shared = {"shared": self._store.state()} if self._store is not None else {}
        shared.update({name: read() for name, read in self._details.items()})
        answers = {}
        for daemon in READY_DAEMONS:
            try:
                answers[daemon] = self._gateway.call("ping", daemon=daemon, timeout=self._timeout, target=daemon)
            except GatewayError as exc:
                log.warning("not ready: %s: %s", daemon, exc.message)
                timed_out = isinstance(exc, Timeout)
                return 503, {
                    "message": f"not ready: the {daemon} {'did not answer in time' if timed_out else 'did not answer'}",
                    "errno": Errno.HTCONDOR_TIMEOUT if timed_out else Errno.HTCONDOR_UNAVAILABLE,
                    "details": {"daemon": daemon, **shared},
                }
        return 200, {"status": "ready", **answers, **shared}


@readyz.get(permission=NO_PERMISSION_REQUIRED, response_schemas=READYZ_ANSWERS)
def get_readyz(request: Request):
    status, body = wiring(request.registry).readiness.answer()
    if status == 200:
        return json_response(body)
    return error_response(status, body["message"], body["errno"], body["details"],
                          {"Retry-After": str(RETRY_AFTER_SECONDS)})


def includeme(config) -> None:
    restd = wiring(config.registry)
    store = restd.shared
    restd.readiness = Readiness(restd.gateway, restd.settings.readyz_timeout,
                                          store if store.kind != MemoryStore.kind else None)
    config.add_cornice_service(root)
    config.add_cornice_service(healthz)
    config.add_cornice_service(readyz)
