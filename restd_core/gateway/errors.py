"""The gateway's errors: what can go wrong when asking HTCondor, as HTTP sees it.

They cross the worker-process boundary as plain dicts (``to_wire`` /
``from_wire``), so they carry only a kind, a message and optional details.
"""
from __future__ import annotations

from typing import Any


class GatewayError(Exception):
    """Base of every error the gateway raises; ``status`` is the HTTP status."""

    status = 500
    kind = "internal"

    def __init__(self, message: str, details: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.details = details or {}

    def to_wire(self) -> dict[str, Any]:
        return {"kind": self.kind, "message": self.message, "details": self.details}

    @staticmethod
    def from_wire(data: dict[str, Any]) -> GatewayError:
        cls = _BY_KIND.get(data.get("kind", ""), GatewayError)
        return cls(data.get("message", "HTCondor query failed"), data.get("details"))


class NotFound(GatewayError):
    """The daemon, job or attribute asked for does not exist."""

    status = 404
    kind = "not_found"


class BadQuery(GatewayError):
    """The caller's query cannot be run: a constraint that does not parse, a
    reference to a hidden attribute, an unknown daemon type."""

    status = 400
    kind = "bad_query"


#: What a caller is told when a call needed more memory than its worker may use.
TOO_COSTLY = ("the query needed more memory than a gateway worker may use (restd.gateway.worker_memory): "
              "it is too costly to evaluate")


class TooCostly(BadQuery):
    """A call needed more memory than a worker may use
    (``restd.gateway.worker_memory``): its worker was replaced."""

    kind = "too_costly"


class Unavailable(GatewayError):
    """An HTCondor daemon did not answer (down, refused, or failed)."""

    status = 503
    kind = "unavailable"


class Timeout(Unavailable):
    """An HTCondor call took longer than the configured timeout; its worker
    process was replaced."""

    kind = "timeout"


class Busy(Unavailable):
    """Every worker process stayed busy for longer than the timeout."""

    kind = "busy"


class ClientGone(Unavailable):
    """The request's client closed its connection before its call was made
    or answered: the call left the queue, or was abandoned (its worker
    replaced). Nobody reads the answer; the access log and metrics do."""

    kind = "client_gone"


class Throttled(GatewayError):
    """The caller already has as many HTCondor calls waiting for a worker as it may."""

    status = 429
    kind = "throttled"


_BY_KIND = {cls.kind: cls for cls in (
    GatewayError, NotFound, BadQuery, TooCostly, Unavailable, Timeout, Busy, ClientGone, Throttled)}
