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

waitress 3 also closes every HTTP/1.1 answer that has no body by its status
(``304 Not Modified``, ``204``): it drops their ``Content-Length`` (RFC 9110
forbids none) and then, finding none, closes the connection as if the body's
end could not be told. A 304 has no body to delimit, so here it keeps the
connection (``KeepAliveTask``): a client that revalidates polls on one
connection instead of opening one each time.
"""
from __future__ import annotations

import socket
from typing import Any

from waitress.adjustments import Adjustments
from waitress.channel import HTTPChannel
from waitress.server import BaseWSGIServer, MultiSocketServer
from waitress.server import create_server as waitress_server
from waitress.task import WSGITask


class KeepAliveTask(WSGITask):
    """waitress's task, but an HTTP/1.1 answer without a body (1xx, 204,
    304) keeps its connection: only a body needs a length to be delimited."""

    _bodiless = False

    def build_response_header(self) -> bytes:
        # types-waitress says Task.request is an Error; a WSGITask's is the parsed request, with its headers.
        headers = self.request.headers  # type: ignore[attr-defined]
        self._bodiless = (not self.has_body and self.version == "1.1"
                          and headers.get("CONNECTION", "").lower() != "close")
        try:
            return super().build_response_header()
        finally:
            self._bodiless = False

    def set_close_on_finish(self) -> None:
        if not self._bodiless:  # while building the header, the only reason left is "no Content-Length"
            super().set_close_on_finish()


class KeepAliveChannel(HTTPChannel):
    task_class = KeepAliveTask


def create_server(app: Any, **settings: Any) -> BaseWSGIServer | MultiSocketServer:
    """waitress's server of ``app`` with these settings (waitress's own), its
    connections' send timeout set to their ``channel_timeout``, a bodiless
    answer keeping its connection."""
    server = waitress_server(app, **settings)
    # A MultiSocketServer's map holds its servers (types-waitress says sockets).
    listeners: list[Any] = list((server.map or {}).values()) if isinstance(server, MultiSocketServer) else [server]
    for listener in listeners:
        listener.channel_class = KeepAliveChannel
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
