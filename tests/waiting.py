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


def wait_until(condition: Callable[[], object], patience: float = PATIENCE, interval: float = 0.1) -> bool:
    """Whether ``condition()`` came true within ``patience`` seconds, asked
    every ``interval`` seconds (what it raises goes to the caller)."""
    deadline = time.monotonic() + patience
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(interval)
    return True


def eventually(probe: Callable[[], T], patience: float = PATIENCE, what: str = "the condition",
               interval: float = 0.1) -> T:
    """``probe()``'s first truthy answer within ``patience`` seconds; else an
    AssertionError naming ``what`` and the last answer."""
    last: list[T] = []  # the last answer only

    def answered() -> T:
        last[:] = [probe()]
        return last[0]

    if not wait_until(answered, patience, interval):
        raise AssertionError(f"{what} did not happen within {patience} s; last answer: {last[0]!r}")
    return last[0]
