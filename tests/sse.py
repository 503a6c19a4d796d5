"""A Server-Sent Events client for the tests: one stream over real HTTP,
read event by event, with a socket timeout so that a test never hangs."""
from __future__ import annotations

import http.client
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import orjson

#: Seconds any read may wait (a bound of the test, never an assertion).
PATIENCE = 30


@dataclass
class Event:
    name: str
    id: str | None
    data: Any


class Stream:
    """``GET url`` with ``headers``, from the loopback address ``source``
    (another address is another caller where auth is ``none``); ``status``
    and ``headers`` of the answer, ``error`` its JSON body if it is not a
    stream; ``next()`` the next event (comments counted in ``heartbeats``,
    a ``retry:`` field kept in ``retry``); ``None`` at its end."""

    def __init__(self, url: str, headers: dict[str, str] | None = None, timeout: float = PATIENCE,
                 source: str = "127.0.0.1") -> None:
        parts = urlsplit(url)
        self._connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=timeout,
                                                      source_address=(source, 0))
        self._connection.request("GET", parts.path + (f"?{parts.query}" if parts.query else ""),
                                 headers={"Accept": "text/event-stream", **(headers or {})})
        self._response = self._connection.getresponse()
        self.status = self._response.status
        self.headers = self._response.headers
        self.error = orjson.loads(self._response.read()) if self.status != 200 else None
        self.heartbeats = 0
        self.retry: int | None = None
        self.last_id: str | None = None
        self.raw = b""

    def next(self) -> Event | None:
        fields: dict[str, str] = {}
        while True:
            line = self._response.readline()
            if not line:
                return None
            self.raw += line
            line = line.rstrip(b"\n").decode()
            if not line:
                if fields:
                    break
                continue
            if line.startswith(":"):
                self.heartbeats += 1
                continue
            name, _, value = line.partition(":")
            if name == "retry":
                self.retry = int(value)
                continue
            fields[name] = value.removeprefix(" ")
        self.last_id = fields.get("id", self.last_id)
        return Event(fields.get("event", "message"), fields.get("id"), orjson.loads(fields.get("data", "null")))

    def until(self, wanted, limit: int = 100) -> list[Event]:
        """Events up to and including the first for which ``wanted(event)``
        holds (an AssertionError after ``limit`` events or the end)."""
        seen: list[Event] = []
        for _ in range(limit):
            event = self.next()
            assert event is not None, f"the stream ended before the event wanted; got {seen}"
            seen.append(event)
            if wanted(event):
                return seen
        raise AssertionError(f"no wanted event among {seen}")

    def close(self) -> None:
        self._response.close()  # it holds the socket when the server said "Connection: close"
        self._connection.close()

    def __enter__(self) -> Stream:
        return self

    def __exit__(self, *exc) -> None:
        self.close()
