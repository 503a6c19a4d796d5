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
import os
import queue
import socket
import subprocess
import sys
import threading
import time
from multiprocessing.connection import Connection
from typing import Any, Callable

import orjson

from .errors import Busy, GatewayError, Timeout, Unavailable
from .raw import EncodedItems, JsonBody

log = logging.getLogger(__name__)

_READY = b"ready"
#: What a caller is told of an unexpected error in a worker (its text goes to the log).
INTERNAL_ERROR = {"kind": "internal", "message": "the HTCondor gateway failed unexpectedly; the server's log has the details"}
#: The longest a new worker may take to import the bindings (not counted
#: against a call's own timeout).
START_TIMEOUT = 60.0
#: How long a worker may take to end once its socket is closed.
STOP_GRACE_SECONDS = 2.0


def serve(conn: Connection, ops_module: str) -> None:
    """Main loop of a worker process: call the named function, answer JSON.
    Returns when the server closes its end (or goes away). The options for
    ``ops.init`` come first over the socket: they may hold secrets (an
    IDTOKEN) that a command line would show to every user of the machine."""
    options = orjson.loads(conn.recv_bytes())
    ops = importlib.import_module(ops_module)
    ops.init(**options)
    after_answer = getattr(ops, "after_answer", None)  # optional: work that can wait for the answer to be sent
    try:
        conn.send_bytes(_READY)
        while True:
            op, kwargs = conn.recv()
            try:
                result = getattr(ops, op)(**kwargs)
                answer: dict[str, Any] = {"ok": result}
            except GatewayError as exc:
                result, answer = None, {"error": exc.to_wire()}
            except Exception as exc:  # a bug or an unexpected bindings error: its text is for the log only
                result, answer = None, {"error": {**INTERNAL_ERROR, "log": f"{op}: {type(exc).__name__}: {exc}"}}
            if isinstance(result, EncodedItems):  # its body follows as it is
                size = sum(map(len, result.pieces))
                conn.send_bytes(orjson.dumps({"items": {"keys": result.keys, "lengths": result.lengths}, "size": size}))
                _send_raw(conn, result.pieces)
            elif isinstance(result, JsonBody):
                conn.send_bytes(orjson.dumps({"body": len(result.body)}))
                _send_raw(conn, [result.body])
            else:
                conn.send_bytes(orjson.dumps(answer))
            del result, answer
            if after_answer is not None:
                after_answer()
    except (EOFError, OSError, KeyboardInterrupt):
        return


def _send_raw(conn: Connection, pieces: list[bytes | bytearray | memoryview]) -> None:
    """``pieces`` as they are, after a message that gave their size: a
    listing's tens of megabytes are not framed (and copied) by ``Connection``."""
    for piece in pieces:
        view = memoryview(piece)
        while view:
            view = view[os.write(conn.fileno(), view):]


def _recv_raw(conn: Connection, size: int) -> bytearray:
    """What ``_send_raw`` sent, read straight into one buffer."""
    body = bytearray(size)
    view, got = memoryview(body), 0
    while got < size:
        read = os.readv(conn.fileno(), [view[got:]])
        if not read:
            raise EOFError("the worker's socket closed mid-answer")
        got += read
    return body


class _Worker:
    """One worker: a fresh interpreter (never a fork of the threaded server,
    and independent of how the server's own ``__main__`` was started),
    talking over a socket pair it inherits."""

    def __init__(self, ops_module: str, options: dict[str, Any], env: dict[str, str]) -> None:
        ours, theirs = socket.socketpair()
        with theirs:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "restd_core.gateway", str(theirs.fileno()), ops_module],
                pass_fds=[theirs.fileno()],
                stdin=subprocess.DEVNULL,
                env=env,
            )
        self.conn = Connection(ours.detach())
        self.conn.send_bytes(orjson.dumps(options))

    def wait_ready(self) -> None:
        if not self.conn.poll(START_TIMEOUT) or self.conn.recv_bytes() != _READY:
            raise Unavailable(f"an HTCondor worker process did not start within {START_TIMEOUT:g} s")

    def alive(self) -> bool:
        return self.process.poll() is None

    def kill(self) -> None:
        self.process.kill()
        self.process.wait(timeout=5)
        self.conn.close()

    def stop(self) -> None:
        """Let an idle worker end by itself (its clean-up runs), else kill it."""
        self.conn.close()
        try:
            self.process.wait(timeout=STOP_GRACE_SECONDS)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=5)


class WorkerPool:
    """A fixed number of worker processes, started on first use.

    ``call(op, **kwargs)`` runs ``ops_module.op(**kwargs)`` in an idle worker
    and returns its result, or raises the ``GatewayError`` it raised; it
    raises ``Busy`` when no worker frees up within ``timeout`` seconds and
    ``Timeout`` when the call itself takes longer. Starting a worker (the
    first calls, a replacement) does not count against ``timeout``;
    ``on_start(seconds)`` hears how long it took.
    """

    def __init__(self, size: int, timeout: float, ops_module: str, options: dict[str, Any] | None = None) -> None:
        if size < 1:
            raise ValueError("the gateway needs at least one worker process")
        self.timeout = timeout
        self._ops_module = ops_module
        self._options = options or {}
        # Replacement workers get the environment the pool was made in
        # (CONDOR_CONFIG, _CONDOR_* knobs), whatever happens to os.environ later.
        self._env = dict(os.environ)
        self._idle: queue.LifoQueue[_Worker | None] = queue.LifoQueue()
        for _ in range(size):
            self._idle.put(None)  # a slot whose worker is started when needed
        self._lock = threading.Lock()
        self._workers: set[_Worker] = set()
        #: Workers killed so far (a call past its timeout, a worker that died).
        self.replacements = 0
        self._warm = threading.Event()  # clear while ``start`` starts workers
        self._warm.set()

    def _start_worker(self) -> _Worker:
        worker = _Worker(self._ops_module, self._options, self._env)
        with self._lock:
            self._workers.add(worker)
        try:
            worker.wait_ready()
        except (Unavailable, EOFError, OSError):
            self._discard(worker)
            raise Unavailable("an HTCondor worker process failed to start; see the server log") from None
        return worker

    def start(self) -> None:
        """Start the workers that are not running yet, in the background.
        Calls made meanwhile wait for them, and that wait (a start-up's, not
        HTCondor's) does not count against their timeout."""

        def warm() -> None:
            slots = [self._idle.get() for _ in range(self._idle.qsize())]
            try:
                for i, worker in enumerate(slots):
                    if worker is None:
                        try:
                            slots[i] = self._start_worker()
                        except Unavailable as exc:
                            log.error("%s", exc.message)
            finally:
                for worker in slots:
                    self._idle.put(worker)
                self._warm.set()

        self._warm.clear()
        threading.Thread(target=warm, name="restd-gateway-warm", daemon=True).start()

    def wait_started(self) -> float:
        """Wait for ``start`` to finish, if it is running; the seconds waited."""
        if self._warm.is_set():
            return 0.0
        began = time.monotonic()
        self._warm.wait(START_TIMEOUT)
        return time.monotonic() - began

    def _discard(self, worker: _Worker) -> None:
        with self._lock:
            self._workers.discard(worker)
            self.replacements += 1
        worker.kill()

    @property
    def idle(self) -> int:
        """How many workers are free right now."""
        return self._idle.qsize()

    def call(self, op: str, timeout: float | None = None, on_start: Callable[[float], None] | None = None, **kwargs: Any) -> Any:
        timeout = self.timeout if timeout is None else timeout
        starting = self.wait_started()
        began = time.monotonic()  # the timeout covers waiting for a worker too
        try:
            worker = self._idle.get(timeout=timeout)
        except queue.Empty:
            raise Busy(f"every HTCondor worker stayed busy for {timeout:g} s", {"timeout": timeout}) from None
        try:
            if worker is None or not worker.alive():
                if worker is not None:
                    self._discard(worker)
                worker = None
                started_at = time.monotonic()
                worker = self._start_worker()
                starting += time.monotonic() - started_at
                began += time.monotonic() - started_at  # a worker's start-up is not the call's
            if on_start is not None and starting:
                on_start(starting)  # the caller's own budget moves by it too
            remaining = began + timeout - time.monotonic()
            if remaining <= 0:
                raise Busy(f"every HTCondor worker stayed busy for {timeout:g} s", {"timeout": timeout})
            worker.conn.send((op, kwargs))
            if not worker.conn.poll(remaining):
                log.warning("HTCondor call %s took longer than %g s; replacing its worker", op, timeout)
                self._discard(worker)
                worker = None
                raise Timeout(f"HTCondor did not answer within {timeout:g} s", {"timeout": timeout})
            answer = orjson.loads(worker.conn.recv_bytes())
            if "items" in answer:
                answer = {"ok": EncodedItems(pieces=[_recv_raw(worker.conn, answer["size"])], **answer["items"])}
            elif "body" in answer:
                answer = {"ok": JsonBody(_recv_raw(worker.conn, answer["body"]))}
        except (EOFError, OSError) as exc:
            log.error("HTCondor worker died during %s: %s", op, exc)
            if worker is not None:
                self._discard(worker)
            worker = None
            raise Unavailable("the HTCondor worker process died during the call") from None
        finally:
            self._idle.put(worker)
        if "error" in answer:
            if "log" in answer["error"]:
                log.error("HTCondor worker error in %s: %s", op, answer["error"]["log"])
            raise GatewayError.from_wire(answer["error"])
        return answer["ok"]

    def close(self) -> None:
        """Stop every worker (the pool cannot be used afterwards)."""
        with self._lock:
            workers, self._workers = list(self._workers), set()
        for worker in workers:
            worker.stop()
