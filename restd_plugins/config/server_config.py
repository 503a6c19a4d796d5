"""The server's own configuration, kept in the request process.

The gateway's workers re-read HTCondor's configuration files at most every
``restd.config_reload_seconds``: a knob asked in between answers the same.
So one worker call per interval fetches every knob (redacted there), and
the single-knob and listing answers meanwhile are made here, at the cost of
a dictionary look-up rather than a worker's round trip.
"""
from __future__ import annotations

import threading
import time
from typing import Any

import orjson

from restd_core.plugin_api.web import Gateway


class ServerConfig:
    def __init__(self, gateway: Gateway, refresh_seconds: float) -> None:
        self._gateway = gateway
        self._refresh_seconds = refresh_seconds
        self._lock = threading.Lock()
        self._knobs: dict[str, Any] = {}
        self._body = b""
        self._hidden: tuple[str, ...] | None = None
        self._read_at = float("-inf")

    def _fresh(self, hidden: tuple[str, ...]) -> None:
        """Fetch the knobs again if they are older than the interval, or
        were redacted by other patterns (RESTD_HIDE_CONFIG_PARAMS changed)."""
        if self._hidden != hidden or time.monotonic() - self._read_at >= self._refresh_seconds:
            # The server's own knobs, read in the worker (no daemon asked): short.
            self._knobs = self._gateway.call("read_config", short=True)
            self._body = orjson.dumps(self._knobs)
            self._hidden, self._read_at = hidden, time.monotonic()

    def listing(self, hidden: tuple[str, ...]) -> bytes:
        """Every defined knob by lower-cased name, as JSON."""
        with self._lock:
            self._fresh(hidden)
            return self._body

    def value(self, name: str, hidden: tuple[str, ...]) -> Any:
        """One knob's value (names are case-insensitive); None if undefined."""
        with self._lock:
            self._fresh(hidden)
            return self._knobs.get(name.lower())
