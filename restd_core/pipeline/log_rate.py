"""Log lines for what may come in floods (refusals): one line per interval
saying how many, never one per event.

The first event of a kind is logged at once; the others within the next
``interval`` seconds are counted, and one line at the interval's end says
how many there were (with the last one's text). Kinds are named by the
code (an exception's class and message); at most ``MAX_KINDS`` are counted
apart at once, the rest together.
"""
from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass

MAX_KINDS = 64
OTHERS = "others"


@dataclass
class _Window:
    ends: float
    level: int
    count: int = 0
    last: str = ""


class RateLog:
    def __init__(self, logger: logging.Logger, interval: float) -> None:
        self.logger = logger
        self.interval = interval
        self._windows: dict[str, _Window] = {}
        self._lock = threading.Lock()

    def log(self, level: int, kind: str, message: str) -> None:
        now = time.monotonic()
        with self._lock:
            if kind not in self._windows and len(self._windows) >= MAX_KINDS:
                self._windows = {name: window for name, window in self._windows.items() if now < window.ends}
                if len(self._windows) >= MAX_KINDS:
                    kind = OTHERS
            window = self._windows.get(kind)
            if window is not None and now < window.ends:
                window.count += 1
                window.last = message
                if window.count == 1:  # the line that will count them
                    timer = threading.Timer(window.ends - now, self._report, (window,))
                    timer.daemon = True
                    timer.start()
                return
            self._windows[kind] = _Window(now + self.interval, level)
        self.logger.log(level, "%s", message)

    def _report(self, window: _Window) -> None:
        with self._lock:
            count, last = window.count, window.last
        self.logger.log(window.level, "%d more like it in %g s (the last: %s)", count, self.interval, last)
