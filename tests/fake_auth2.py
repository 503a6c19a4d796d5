"""A stand-in for KBase auth2 on 127.0.0.1, over real HTTP, for the tests.

``GET /api/V2/me`` answers by the token in the ``Authorization`` header
(see ``TOKENS``; a token that starts with ``user-`` is an admin of that
name); anything else is a 401 as auth2 gives for a bad token. It counts the
calls per token, and can hold answers back: ``slow`` (and any token that
starts with ``slow-``) until ``release`` is set, ``gated`` until ``gate``
is, and every answer ``delay`` seconds (a slow auth2). A token put in
``revoked`` is from then on invalid.
"""
from __future__ import annotations

import json
import threading
import time
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

#: The longest a held-back answer waits (so that a failing test cannot hang).
HOLD_SECONDS = 10

ME = {"user": "alice", "display": "Alice", "customroles": []}

#: token -> (status, body); a str body is sent as it is, anything else as JSON.
TOKENS: dict[str, tuple[int, object]] = {
    "admin-token": (200, {**ME, "customroles": ["EE2_ADMIN"]}),
    "readonly-token": (200, {**ME, "customroles": ["SOMETHING", "EE2_ADMIN_RO"]}),
    "other-role-token": (200, {**ME, "customroles": ["KBASE_STAFF"]}),
    "no-customroles-token": (200, {"user": "bob", "display": "Bob"}),
    "not-json-token": (200, "<html>gateway error</html>"),
    "no-user-token": (200, {"customroles": ["EE2_ADMIN"]}),
    "json-list-token": (200, ["EE2_ADMIN"]),
    "server-error-token": (500, {"error": {"httpcode": 500, "message": "boom"}}),
    "slow-token": (200, {**ME, "customroles": ["EE2_ADMIN"]}),
    "gated-token": (200, {**ME, "customroles": ["EE2_ADMIN"]}),
}
INVALID = (401, {"error": {"httpcode": 401, "appcode": 10020, "message": "10020 Invalid token"}})


def _user(token: str) -> tuple[int, object]:
    if token.startswith("user-"):
        return 200, {"user": token, "display": token, "customroles": ["EE2_ADMIN"]}
    return INVALID


class FakeAuth2(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128  # many callers at once (a flood) are not refused connections

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.calls: Counter[str] = Counter()
        self.headers_seen: list[str] = []
        self.release = threading.Event()
        self.gate = threading.Event()
        self.revoked: set[str] = set()
        self.delay = 0.0
        self._lock = threading.Lock()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def record(self, token: str) -> None:
        with self._lock:
            self.calls[token] += 1
            self.headers_seen.append(token)


class _Handler(BaseHTTPRequestHandler):
    server: FakeAuth2

    def do_GET(self) -> None:
        token = self.headers.get("Authorization", "")
        self.server.record(token)
        if self.path != "/api/V2/me":
            return self._send(404, {"error": "no such path"})
        if token.startswith("slow-"):
            self.server.release.wait(HOLD_SECONDS)
        if token == "gated-token":
            self.server.gate.wait(HOLD_SECONDS)
        time.sleep(self.server.delay)
        self._send(*(INVALID if token in self.server.revoked else TOKENS.get(token) or _user(token)))

    def _send(self, status: int, body: object) -> None:
        data = body.encode() if isinstance(body, str) else json.dumps(body).encode()
        try:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (a timeout test)

    def log_message(self, format: str, *args) -> None:
        pass


def start() -> FakeAuth2:
    server = FakeAuth2()
    threading.Thread(target=server.serve_forever, name="fake-auth2", daemon=True).start()
    return server


def stop(server: FakeAuth2) -> None:
    server.release.set()
    server.gate.set()
    server.shutdown()
    server.server_close()
