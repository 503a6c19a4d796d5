"""Clients that hold a server's connection without doing their part: one
that asks and then reads nothing through a small receive buffer, one that
never finishes its request's headers. For the slow-reader and front-proxy
tests, and the bench."""
from __future__ import annotations

import socket
from urllib.parse import urlsplit

#: A slow reader's receive buffer (the kernel doubles it, and takes no less than its minimum).
SMALL_RECEIVE_BUFFER = 4096


def _address(url: str) -> tuple[str, int]:
    parts = urlsplit(url)
    return parts.hostname or "127.0.0.1", parts.port or 80


def stalled_reader(url: str, path: str) -> socket.socket:
    """A connection that asked ``GET path`` through a small receive buffer
    and reads nothing: the server's answer stops once that buffer is full."""
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, SMALL_RECEIVE_BUFFER)  # before connect: the window it offers
    sock.connect(_address(url))
    sock.sendall(f"GET {path} HTTP/1.1\r\nHost: restd\r\n\r\n".encode())
    return sock


def half_open(url: str) -> socket.socket:
    """A connection whose request's headers never end (slowloris)."""
    sock = socket.create_connection(_address(url))
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
    except ConnectionResetError:
        pass
    return bytes(received)
