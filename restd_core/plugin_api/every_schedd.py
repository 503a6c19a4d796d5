"""Every schedd at once: the schedd name ``*`` in a URL.

``ask_every_schedd`` lists the schedds the collector knows (the core's
operation ``schedd_names``), calls one operation for each of them at the
same time (``Gateway.call_each``: bounded by the gateway's workers, within
the request's one time budget), and answers what each said: the schedds
that answered with their answers, and a ``failed`` entry for each one that
did not (``{"schedd", "status", "error", "message"}``: its status, the
errno's name and the message it would have answered alone; a schedd too
slow for the budget is a ``HTCONDOR_TIMEOUT`` one). When none answered, or
the collector knows none, it is a 503 (the normal error body), and a
caller's bad query (400, the same for every schedd) is that 400.

A schedd that shuts down takes its ad out of the collector at once, so a
listing of "every schedd the collector knows" would silently lack its jobs:
the schedds listed within ``restd.every_schedd.remember_seconds``
(``KnownSchedds``, per server process) that the collector no longer lists
are failed entries too, until forgotten.
"""
from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from pyramid.httpexceptions import HTTPBadRequest
from pyramid.request import Request

from restd_core.assembly.wiring import wiring
from restd_core.gateway import BadQuery, GatewayError, Unavailable
from restd_core.openapi.jsonschema import Schema
from restd_core.pipeline.errors import Errno, errno_of, is_internal, told
from restd_core.plugin_api.schemas import EVERY_SCHEDD, only_one_schedd

log = logging.getLogger(__name__)



def refuse_every_schedd(schedd: str, what: str) -> str:
    """``schedd``, or a 400 when it is ``*`` where only one schedd can
    answer (``what``: what the URL asks for)."""
    if schedd == EVERY_SCHEDD:
        raise HTTPBadRequest(only_one_schedd(f"for {what}"))
    return schedd


FAILED: Schema = {
    "type": "array",
    "description": "The schedds that did not answer, and why (what each one's own URL would have answered)",
    "items": {
        "type": "object",
        "required": ["schedd", "status", "error", "message"],
        "properties": {
            "schedd": {"type": "string"},
            "status": {"type": "integer", "description": "The HTTP status of its own answer"},
            "error": {"type": "string", "enum": [errno.name for errno in Errno],
                      "description": "The name of its errno (HTCONDOR_UNAVAILABLE, HTCONDOR_TIMEOUT, ...)"},
            "message": {"type": "string"},
        },
        "additionalProperties": False,
    },
}


def every_schedd_answer(members: dict[str, Schema], description: str) -> Schema:
    """The JSON Schema of a pool-wide answer: ``schedds`` and ``failed``,
    then the endpoint's own ``members``."""
    return {
        "type": "object",
        "description": description,
        "required": ["schedds", "failed", *members],
        "properties": {
            "schedds": {"type": "array", "items": {"type": "string"},
                        "description": "The schedds that answered, by name"},
            "failed": FAILED,
            **members,
        },
        "additionalProperties": False,
    }


class KnownSchedds:
    """The schedds the collector listed, each remembered ``remember_seconds``
    after it was last listed."""

    def __init__(self, remember_seconds: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.remember_seconds = remember_seconds
        self._clock = clock
        self._lock = threading.Lock()
        self._listed_at: dict[str, float] = {}

    def listed(self, names: list[str]) -> dict[str, float]:
        """Note the collector's list now; answer the remembered schedds it
        lacks, each with the seconds since it was last listed."""
        now = self._clock()
        with self._lock:
            for name in names:
                self._listed_at[name] = now
            for name in [name for name, at in self._listed_at.items() if now - at > self.remember_seconds]:
                del self._listed_at[name]
            return {name: now - at for name, at in self._listed_at.items() if at != now}


@dataclass
class EverySchedd:
    """What every schedd said: ``answers`` by schedd name (those that
    answered, sorted by name) and the ``failed`` entries (sorted by name)."""

    answers: dict[str, Any]
    failed: list[dict[str, Any]]

    @property
    def schedds(self) -> list[str]:
        return list(self.answers)

    def head(self) -> dict[str, Any]:
        """The members every pool-wide answer begins with."""
        return {"schedds": self.schedds, "failed": self.failed}


def failure(schedd: str, exc: GatewayError) -> dict[str, Any]:
    """A ``failed`` entry: what the schedd's own URL would have answered."""
    if is_internal(exc):
        log.error("HTCondor gateway failed on schedd %s: %s", schedd, exc.message)
    return {"schedd": schedd, "status": exc.status, "error": errno_of(exc).name, "message": told(exc)[0]}


def _unlisted(schedd: str, seconds: float) -> dict[str, Any]:
    return {"schedd": schedd, "status": 503, "error": Errno.HTCONDOR_UNAVAILABLE.name,
            "message": f"the collector no longer lists this schedd (it did {seconds:.0f} s ago): it was shut "
                       "down, or left the pool"}


def ask_every_schedd(request: Request, operation: str, arguments: dict[str, Any],
                     sink: Callable[[str], Callable[[bytes], None]] | None = None) -> EverySchedd:
    """``operation`` with ``arguments`` (and ``schedd=<its name>``) for every
    schedd the collector knows; ``sink(name)``: where that schedd's streamed
    answer goes. 503 when none answered; a ``BadQuery`` is raised as it is."""
    gateway = request.gateway
    names = gateway.call("schedd_names")
    unlisted = wiring(request.registry).known_schedds.listed(names)
    calls = {name: {**arguments, "schedd": name} for name in names}
    sinks = {name: sink(name) for name in names} if sink is not None else None
    said = gateway.call_each(operation, calls, sinks=sinks)
    refused = next((answer for answer in said.values() if isinstance(answer, BadQuery)), None)
    if refused is not None:
        raise refused
    answers = {name: said[name] for name in names if not isinstance(said[name], GatewayError)}
    failed = sorted([*(failure(name, said[name]) for name in names if name not in answers),
                     *(_unlisted(name, seconds) for name, seconds in unlisted.items())],
                    key=lambda entry: entry["schedd"])
    if not answers:
        what = f"none of the pool's {len(failed)} schedds answered" if failed else "the collector knows no schedd"
        raise Unavailable(what, {"failed": failed})
    return EverySchedd(answers, failed)


def includeme(config) -> None:
    """The schedds this server process has seen listed."""
    restd = wiring(config.registry)
    restd.known_schedds = KnownSchedds(restd.settings.every_schedd_remember_seconds)
