"""The app served over real HTTP, for clients that are not WebTest: a
browser, schemathesis; or in a process of its own, for a test that kills
it (``served_in_process``, which runs this module)."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path

from pyramid.router import Router
from sqlalchemy import Engine, event

from restd_core.assembly.app import main
from restd_core.assembly.waitress_server import create_server

PROJECT = Path(__file__).resolve().parent.parent


@contextmanager
def serve(app: Router, threads: int = 4, **settings: int) -> Iterator[str]:
    """Serve ``app`` with waitress (``threads``, and more of its ``settings``)
    as ``egg:condor-restd#waitress`` does, on a free localhost port, in a
    thread; yields its base URL. The socket listens from the start: no waiting.
    As the ini files, it reads a connection while its request runs (it sees
    a client that went: ``restd_core.pipeline.disconnect``) unless ``settings`` say otherwise."""
    server = create_server(app, host="127.0.0.1", port=0, threads=threads,
                           **{"channel_request_lookahead": 1, **settings})
    stopping = threading.Event()

    def run() -> None:
        try:
            server.run()
        except OSError:  # select() on the sockets closed below
            if not stopping.is_set():
                raise

    thread = threading.Thread(target=run, name="live-server", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.effective_port}"
    finally:
        # As webtest's StopableWSGIServer: close the listener and every
        # connection, which ends the loop, then the worker threads.
        stopping.set()
        while server._map:
            for channel in list(server._map.values()):
                channel.handle_close()
        server.task_dispatcher.shutdown()
        thread.join(timeout=5)


@dataclass(frozen=True)
class Stall:
    """Where a served process stops for good (``served_in_process``): in the
    thread that ran the ``nth`` SQL statement beginning with ``statement``,
    just after it ran (its transaction open), having written ``ready``."""

    statement: str
    nth: int
    ready: Path


@contextmanager
def served_in_process(settings: dict[str, str], log: Path, stall: Stall | None = None) -> Iterator[subprocess.Popen]:
    """The app of ``settings`` served as ``serve`` serves it, in a process
    of its own that leads a process group (its gateway workers are in it),
    its output in ``log``; yields the process. The test may kill it; killed
    at the end whatever remains (``SIGKILL`` to the group)."""
    command = [sys.executable, "-m", "tests.live_server", json.dumps(settings)]
    if stall is not None:
        command += [stall.statement, str(stall.nth), str(stall.ready)]
    with log.open("w") as output:
        process = subprocess.Popen(command, cwd=PROJECT, env={**os.environ, "PYTHONPATH": str(PROJECT)},
                                   stdin=subprocess.DEVNULL, stdout=output, stderr=subprocess.STDOUT,
                                   start_new_session=True)
    try:
        yield process
    finally:
        kill_group(process)


def kill_group(process: subprocess.Popen) -> None:
    """``SIGKILL`` to ``process``'s group (``served_in_process``), and its exit collected."""
    with suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    process.wait()


def _stall_at(stall: Stall) -> None:
    """Every engine of this process stops its thread at ``stall``."""
    seen = 0

    def stalled(_connection, _cursor, statement: str, *_) -> None:
        nonlocal seen
        if statement.lstrip().upper().startswith(stall.statement.upper()):
            seen += 1
            if seen == stall.nth:
                stall.ready.write_text(str(os.getpid()))
                threading.Event().wait()  # for good: the process is killed here

    event.listen(Engine, "after_cursor_execute", stalled)


def _serve_for_good(settings: dict[str, str]) -> None:
    with serve(main({}, **settings)) as url:
        print(f"serving {url}", flush=True)
        threading.Event().wait()


if __name__ == "__main__":  # served_in_process: SETTINGS_JSON [STATEMENT NTH READY]
    if len(sys.argv) > 2:
        _stall_at(Stall(sys.argv[2], int(sys.argv[3]), Path(sys.argv[4])))
    _serve_for_good(json.loads(sys.argv[1]))
