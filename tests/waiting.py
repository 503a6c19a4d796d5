"""Waiting for what a test cannot make happen at once (a process to end, a
daemon to answer, a page to render, a count to reach): always bounded, and
the bound is the test's patience, never an assertion on time."""
from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")

#: Seconds a test waits for a condition by default (a server's processes to
#: start or end on a busy machine included).
PATIENCE = 60.0


def eventually(probe: Callable[[], T], patience: float = PATIENCE, what: str = "the condition",
               interval: float = 0.1) -> T:
    """``probe()``'s first truthy answer, asked every ``interval`` seconds
    until ``patience`` seconds have passed; then an AssertionError naming
    ``what`` and the last answer."""
    deadline = time.monotonic() + patience
    while True:
        answer = probe()
        if answer:
            return answer
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} did not happen within {patience} s; last answer: {answer!r}")
        time.sleep(interval)


def wait_until(condition: Callable[[], object], patience: float = PATIENCE, interval: float = 0.1) -> bool:
    """Whether ``condition()`` came true within ``patience`` seconds."""
    try:
        eventually(condition, patience, interval=interval)
    except AssertionError:
        return False
    return True
