"""A test plugin (``restd.includes = tests.fakes.stalling_plugin``) that
stops, for good, the thread that runs the ``stall.nth``-th SQL statement
beginning with ``stall.statement`` of any engine of the server's process,
just after it ran (its transaction stays open), having written the file
``stall.ready``: a test then kills the process exactly there."""
from __future__ import annotations

import threading
from pathlib import Path

from sqlalchemy import Engine, event


def includeme(config) -> None:
    settings = config.registry.settings
    statement, nth, ready = settings["stall.statement"].upper(), int(settings["stall.nth"]), Path(settings["stall.ready"])
    seen = 0

    def stalled(_connection, _cursor, executed: str, *_) -> None:
        nonlocal seen
        if executed.lstrip().upper().startswith(statement):
            seen += 1
            if seen == nth:
                ready.touch()
                threading.Event().wait()

    event.listen(Engine, "after_cursor_execute", stalled)
