"""restd_core.pipeline.disconnect against real sockets: whether a request's client
went, from what the server puts into the request's environ (waitress's
own check is exercised over real HTTP in tests/test_watch.py)."""
from __future__ import annotations

import socket
from collections.abc import Iterator

import pytest
from pyramid.request import Request

from restd_core.pipeline.disconnect import GUNICORN_SOCKET, client_gone, gone_probe


@pytest.fixture
def connection() -> Iterator[tuple[socket.socket, socket.socket]]:
    """``(server's end, client's end)`` of a connection."""
    server, client = socket.socketpair()
    with server, client:
        yield server, client


def request_over(server_end: socket.socket) -> Request:
    request = Request.blank("/v1/watch/status")
    request.environ[GUNICORN_SOCKET] = server_end
    return request


def test_a_gunicorn_client_that_closed_is_gone(connection):
    server, client = connection
    client.close()
    assert client_gone(request_over(server))


def test_a_probe_made_while_connected_tells_later_that_the_client_went(connection):
    server, client = connection
    probe = gone_probe(request_over(server))
    assert not probe()
    client.close()
    assert probe()


def test_a_gunicorn_client_still_connected_is_not_gone(connection):
    server, _ = connection
    assert not client_gone(request_over(server))


def test_a_pipelined_request_is_not_read_by_the_peek(connection):
    server, client = connection
    client.sendall(b"GET / HTTP/1.1\r\n")
    assert not client_gone(request_over(server))
    assert server.recv(100) == b"GET / HTTP/1.1\r\n"


def test_waitress_says_so_itself():
    request = Request.blank("/v1/watch/status")
    request.environ["waitress.client_disconnected"] = lambda: True
    assert client_gone(request)


def test_a_server_that_gives_nothing_never_says_gone():
    assert not client_gone(Request.blank("/v1/watch/status"))
