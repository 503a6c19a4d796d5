"""How the server's processes use glibc's malloc, whatever started them.

glibc gives each thread that allocates much an arena of its own (up to 8
per core), and an arena keeps what it once held: a threaded server that
built a few large answers in different threads stays as large as all of
them together (bench/README.md). Two arenas are enough for a server whose
heavy work is in its gateway workers. The request process sets it for
itself here, at start-up, whether or not ``MALLOC_ARENA_MAX`` was in its
environment (pserve, gunicorn, uWSGI, the image); the workers it starts get
it in theirs.
"""
from __future__ import annotations

import ctypes
import sys

ARENAS = "2"
#: mallopt(3)'s M_ARENA_MAX.
_M_ARENA_MAX = -8


def limit_malloc_arenas() -> None:
    if sys.platform == "linux":
        ctypes.CDLL(None).mallopt(_M_ARENA_MAX, int(ARENAS))


def worker_environment(environment: dict[str, str]) -> dict[str, str]:
    """The environment for a gateway worker: ``environment``, with the
    arena limit unless it sets one already."""
    return {"MALLOC_ARENA_MAX": ARENAS, **environment}
