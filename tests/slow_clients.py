"""Clients that hold a server's connection without doing their part: one
that asks and then reads nothing through a small receive buffer, one that
never finishes its request's headers. Over plain HTTP or TLS (an ``https``
URL; the certificate is not checked). For the slow-reader and front-proxy
tests, and the bench."""
from __future__ import annotations

import socket
import ssl
from urllib.parse import urlsplit

#: A slow reader's receive buffer (the kernel doubles it, and takes no less than its minimum).
SMALL_RECEIVE_BUFFER = 4096


def connect(url: str, receive_buffer: int | None = None, source: str = "127.0.0.1") -> socket.socket:
    """A connection to ``url``'s server from the address ``source``, TLS
    for ``https`` (handshake done), with a receive buffer of that size."""
    parts = urlsplit(url)
    sock = socket.socket()
    if receive_buffer is not None:  # before connect: it sets the window the connection offers
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, receive_buffer)
    sock.bind((source, 0))
    sock.connect((parts.hostname or "127.0.0.1", parts.port or (443 if parts.scheme == "https" else 80)))
    if parts.scheme == "https":
        context = ssl.create_default_context()
        context.check_hostname, context.verify_mode = False, ssl.CERT_NONE
        sock = context.wrap_socket(sock)
    return sock


def stalled_reader(url: str, path: str) -> socket.socket:
    """A connection that asked ``GET path`` through a small receive buffer
    and reads nothing: the server's answer stops once that buffer is full
    (the server closes the connection after it)."""
    sock = connect(url, SMALL_RECEIVE_BUFFER)
    sock.sendall(f"GET {path} HTTP/1.1\r\nHost: restd\r\nConnection: close\r\n\r\n".encode())
    return sock


def half_open(url: str) -> socket.socket:
    """A connection whose request's headers never end (slowloris)."""
    sock = connect(url)
    sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: restd\r\nX-Slow: ")
    return sock


def read_to_end(sock: socket.socket, patience: float) -> bytes:
    """What the connection still brings until the server ends it (or resets
    it), reading for at most ``patience`` seconds without a byte."""
    sock.settimeout(patience)
    received = bytearray()
    try:
        while chunk := sock.recv(65536):
            received += chunk
    except (ConnectionResetError, ssl.SSLEOFError):
        pass
    return bytes(received)
