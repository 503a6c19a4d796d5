"""Whether a request's client has gone, for work that waits on its behalf
(a call waiting for a gateway worker, a long call in progress): asked, it
lets that work end at once instead of for nobody.

waitress tells it (``environ["waitress.client_disconnected"]``, true once
its event loop read the client's end of the connection) only with
``channel_request_lookahead`` of at least 1, which the ini files set:
without it, it reads nothing of a connection while its request runs.
Other servers: never true (the client's going is seen at the next write
that fails).
"""
from __future__ import annotations

from pyramid.request import Request

WAITRESS = "waitress.client_disconnected"


def client_gone(request: Request) -> bool:
    """True when the server can tell that the client closed its connection."""
    disconnected = request.environ.get(WAITRESS)
    return disconnected is not None and bool(disconnected())
