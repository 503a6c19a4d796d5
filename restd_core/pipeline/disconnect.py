"""Whether a request's client has gone, for work that waits on its behalf
(a watch stream between events; shared with anything else that waits):
asked, it lets that work end at once instead of at its next write that
fails.

What each server gives:

- waitress: ``environ["waitress.client_disconnected"]``, true once its
  event loop read the client's end of the connection. It reads a
  connection while its request runs only with ``channel_request_lookahead``
  of at least 1 (the ini files set it); without it, it is never true.
- gunicorn: the connection's socket (``environ["gunicorn.socket"]``): a
  peek that reads its end says the client closed (or half-closed); not
  over gunicorn's own TLS.
- uWSGI: the connection's file descriptor (``uwsgi.connection_fd()``, only
  in the request's own thread: hence ``gone_probe``, made there), peeked
  the same way; it stays the connection's until the request ends.
- others: nothing; the client's going is seen at the next write that fails.
"""
from __future__ import annotations

import socket
import sys
from collections.abc import Callable

from pyramid.request import Request

WAITRESS = "waitress.client_disconnected"
GUNICORN_SOCKET = "gunicorn.socket"
UWSGI = "uwsgi.version"


def gone_probe(request: Request) -> Callable[[], bool]:
    """Made in the request's thread, asked later from any thread: whether
    the server can tell that the client closed its connection."""
    environ = request.environ
    disconnected = environ.get(WAITRESS)
    if disconnected is not None:
        return lambda: bool(disconnected())
    connection = environ.get(GUNICORN_SOCKET)
    if isinstance(connection, socket.socket):
        return lambda: _closed(connection)
    uwsgi = sys.modules.get("uwsgi") if UWSGI in environ else None
    if uwsgi is not None:
        descriptor = uwsgi.connection_fd()
        return lambda: _descriptor_closed(descriptor)
    return lambda: False


def client_gone(request: Request) -> bool:
    """Asked in the request's own thread: whether its client went."""
    return gone_probe(request)()


def _descriptor_closed(descriptor: int) -> bool:
    with socket.socket(fileno=socket.dup(descriptor)) as connection:
        return _closed(connection)


def _closed(connection: socket.socket) -> bool:
    """A peek without waiting: end of stream or a reset means closed; bytes
    (a pipelined request) or nothing yet mean open."""
    try:
        return connection.recv(1, socket.MSG_PEEK | socket.MSG_DONTWAIT) == b""
    except (BlockingIOError, InterruptedError):
        return False
    except ValueError:  # a TLS socket (gunicorn's --certfile) cannot peek
        return False
    except OSError:
        return True
