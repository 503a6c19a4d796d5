"""waitress as PasteDeploy's server runner ``egg:condor-restd#waitress``:
waitress itself, with its own settings, and a client that reads nothing cut
off after ``channel_timeout``.

waitress closes a connection that did nothing for ``channel_timeout``
seconds (its maintenance, every ``cleanup_interval``), but only between
requests, and it closes one whose answer is still waiting to be sent only
once the socket takes bytes again: it marks it to close and waits for it to
be writable, which a client that reads nothing never lets happen (its
receive window stays shut). So the kernel does it: every connection's
``TCP_USER_TIMEOUT`` is ``channel_timeout`` (Linux), after which data the
client left unacknowledged, or that could not go because its window was
shut, ends the connection; waitress then closes the channel and its answer
(whose bytes in flight are given back). A client that reads, however
slowly, is not cut off; ``restd.gateway.answers_in_flight_bytes`` bounds
what all of them hold.
"""
from __future__ import annotations

import socket
from typing import Any

import waitress
from waitress.adjustments import Adjustments
from waitress.server import BaseWSGIServer, MultiSocketServer


def create_server(app: Any, **settings: Any) -> BaseWSGIServer | MultiSocketServer:
    """waitress's server of ``app`` with these settings (waitress's own), its
    connections' send timeout set to their ``channel_timeout``."""
    server = waitress.create_server(app, **settings)
    user_timeout = getattr(socket, "TCP_USER_TIMEOUT", None)  # Linux only
    if user_timeout is not None:
        milliseconds = int(server.adj.channel_timeout * 1000)
        server.adj.socket_options = [*Adjustments.socket_options, (socket.IPPROTO_TCP, user_timeout, milliseconds)]
    return server


def serve_paste(app: Any, global_conf: dict[str, str], **settings: str) -> int:
    """The server runner of ``[server:main]``'s ``use = egg:condor-restd#waitress``."""
    server = create_server(app, **settings)
    server.print_listen("Serving on http://{}:{}")
    server.run()
    return 0
