"""Worker processes that make the HTCondor calls, with a hard timeout.

HTCondor's bindings hold the GIL for the whole of a daemon query, so a query
made in the request process would freeze every other request of that
process (health checks included). Here each call runs in a worker process:
the request thread only waits on a pipe, which releases the GIL. A call that
outlives its timeout is abandoned: its worker is killed and a fresh one
takes its place, so a stuck daemon cannot pin a worker forever.
"""
from __future__ import annotations

import importlib
import logging
import queue
import socket
import subprocess
import sys
import threading
import time
from multiprocessing.connection import Connection
from typing import Any

import orjson

from .errors import Busy, GatewayError, Timeout, Unavailable

log = logging.getLogger(__name__)

def serve(conn: Connection, ops_module: str, options: dict[str, Any]) -> None:
    """Main loop of a worker process: call the named function, answer JSON."""
    ops = importlib.import_module(ops_module)
    ops.init(**options)
    while True:
        try:
            op, kwargs = conn.recv()
        except (EOFError, KeyboardInterrupt):
            return
        try:
            answer: dict[str, Any] = {"ok": getattr(ops, op)(**kwargs)}
        except GatewayError as exc:
            answer = {"error": exc.to_wire()}
        except Exception as exc:  # a bug or an unexpected bindings error
            answer = {"error": {"kind": "internal", "message": f"{type(exc).__name__}: {exc}"}}
        conn.send_bytes(orjson.dumps(answer))


class _Worker:
    """One worker: a fresh interpreter (never a fork of the threaded server,
    and independent of how the server's own ``__main__`` was started),
    talking over a socket pair it inherits."""

    def __init__(self, ops_module: str, options: dict[str, Any]) -> None:
        ours, theirs = socket.socketpair()
        with theirs:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "restd_core.gateway", str(theirs.fileno()), ops_module, orjson.dumps(options).decode()],
                pass_fds=[theirs.fileno()],
                stdin=subprocess.DEVNULL,
            )
        self.conn = Connection(ours.detach())

    def alive(self) -> bool:
        return self.process.poll() is None

    def kill(self) -> None:
        self.process.kill()
        self.process.wait(timeout=5)
        self.conn.close()


class WorkerPool:
    """A fixed number of worker processes, started on first use.

    ``call(op, **kwargs)`` runs ``ops_module.op(**kwargs)`` in an idle worker
    and returns its result, or raises the ``GatewayError`` it raised; it
    raises ``Busy`` when no worker frees up within ``timeout`` seconds and
    ``Timeout`` when the call itself takes longer.
    """

    def __init__(self, size: int, timeout: float, ops_module: str, options: dict[str, Any] | None = None) -> None:
        if size < 1:
            raise ValueError("the gateway needs at least one worker process")
        self.timeout = timeout
        self._ops_module = ops_module
        self._options = options or {}
        self._idle: queue.LifoQueue[_Worker | None] = queue.LifoQueue()
        for _ in range(size):
            self._idle.put(None)  # a slot whose worker is started when needed
        self._lock = threading.Lock()
        self._workers: set[_Worker] = set()
        #: Workers killed so far (a call past its timeout, a worker that died).
        self.replacements = 0

    def _start_worker(self) -> _Worker:
        worker = _Worker(self._ops_module, self._options)
        with self._lock:
            self._workers.add(worker)
        return worker

    def _discard(self, worker: _Worker) -> None:
        with self._lock:
            self._workers.discard(worker)
            self.replacements += 1
        worker.kill()

    def call(self, op: str, timeout: float | None = None, **kwargs: Any) -> Any:
        timeout = self.timeout if timeout is None else timeout
        deadline = time.monotonic() + timeout
        try:
            worker = self._idle.get(timeout=timeout)
        except queue.Empty:
            raise Busy(f"every HTCondor worker stayed busy for {timeout:g} s", {"timeout": timeout}) from None
        try:
            if worker is None or not worker.alive():
                if worker is not None:
                    self._discard(worker)
                worker = self._start_worker()
            worker.conn.send((op, kwargs))
            if not worker.conn.poll(max(deadline - time.monotonic(), 0.0)):
                log.warning("HTCondor call %s took longer than %g s; replacing its worker", op, timeout)
                self._discard(worker)
                worker = None
                raise Timeout(f"HTCondor did not answer within {timeout:g} s", {"timeout": timeout})
            answer = orjson.loads(worker.conn.recv_bytes())
        except (EOFError, OSError) as exc:
            log.error("HTCondor worker died during %s: %s", op, exc)
            if worker is not None:
                self._discard(worker)
            worker = None
            raise Unavailable("the HTCondor worker process died during the call") from None
        finally:
            self._idle.put(worker)
        if "error" in answer:
            raise GatewayError.from_wire(answer["error"])
        return answer["ok"]

    def close(self) -> None:
        """Stop every worker (the pool cannot be used afterwards)."""
        with self._lock:
            workers, self._workers = list(self._workers), set()
        for worker in workers:
            worker.kill()
