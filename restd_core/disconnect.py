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
- uWSGI, others: nothing; the client's going is seen at the next write
  that fails.
"""
from __future__ import annotations

import socket

from pyramid.request import Request

WAITRESS = "waitress.client_disconnected"
GUNICORN_SOCKET = "gunicorn.socket"


def client_gone(request: Request) -> bool:
    """True when the server can tell that the client closed its connection."""
    environ = request.environ
    disconnected = environ.get(WAITRESS)
    if disconnected is not None:
        return bool(disconnected())
    connection = environ.get(GUNICORN_SOCKET)
    if isinstance(connection, socket.socket):
        return _closed(connection)
    return False


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
