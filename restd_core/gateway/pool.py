"""Worker processes that make the HTCondor calls, with a hard timeout.

HTCondor's bindings hold the GIL for the whole of a daemon query, so a query
made in the request process would freeze every other request of that
process (health checks included). Here each call runs in a worker process:
the request thread only waits on a pipe, which releases the GIL. A call that
outlives its timeout is abandoned: its worker is killed and a fresh one
takes its place, so a stuck daemon cannot pin a worker forever.

The pool is fork-safe, for servers that load the app in one process and fork
the ones that serve (gunicorn ``--preload``, uWSGI without ``lazy-apps``):
its workers and threads start with the first call of each process (so the
process that loaded the app and only forks has neither), and a forked child
forgets what it inherited (``_forget_the_parents``) and starts its own. A
worker ends with its server: it reads EOF when the server closes its socket
or exits, and Linux sends it SIGTERM should the server die first.
"""
from __future__ import annotations

import logging
import os
import queue
import signal
import socket
import subprocess
import sys
import threading
import time
import weakref
from concurrent.futures import Future, ThreadPoolExecutor
from multiprocessing.connection import Connection
from typing import Any, Callable

import orjson

from restd_core.assembly.memory import worker_environment
from restd_core.gateway.errors import TOO_COSTLY, Busy, ClientGone, GatewayError, Timeout, TooCostly, Unavailable
from restd_core.gateway.scheduler import GONE_POLL_SECONDS, Claim, Scheduler
from restd_core.gateway.wire import READY, recv_answer

log = logging.getLogger(__name__)

#: The longest a new worker may take to import the bindings (not counted
#: against a call's own timeout).
START_TIMEOUT = 60.0
#: How long a worker may take to end once its socket is closed.
STOP_GRACE_SECONDS = 2.0


def _within(conn: Connection, ends: float, timeout: float, claim: Claim | None) -> Callable[[], None]:
    """What ``recv_answer`` asks before each message of an answer: that it
    comes by ``ends`` (``Timeout``), and, for a ``claim`` that can tell,
    while its client is still there (``ClientGone``)."""

    def within_time() -> None:
        while True:
            left = ends - time.monotonic()
            if conn.poll(max(min(left, GONE_POLL_SECONDS) if claim is not None else left, 0)):
                return
            if time.monotonic() >= ends:
                raise Timeout(f"HTCondor did not answer within {timeout:g} s", {"timeout": timeout})
            if claim is not None and claim.abandoned():
                raise ClientGone("the client closed its connection during its HTCondor call")

    return within_time


def python() -> str:
    """The interpreter to start workers with: this one, unless the server
    embeds Python (uWSGI's ``sys.executable`` is uwsgi itself); then the
    ``python3`` of this environment (a virtualenv's, if it runs in one)."""
    if os.path.basename(sys.executable).startswith("python"):
        return sys.executable
    return os.path.join(sys.exec_prefix, "bin", "python3")


class _Worker:
    """One worker: a fresh interpreter (never a fork of the threaded server,
    and independent of how the server's own ``__main__`` was started),
    talking over a socket pair it inherits."""

    def __init__(self, options: dict[str, Any], env: dict[str, str]) -> None:
        ours, theirs = socket.socketpair()
        with theirs:
            self.process = subprocess.Popen(
                [python(), "-m", "restd_core.gateway.worker", str(theirs.fileno())],
                pass_fds=[theirs.fileno()],
                stdin=subprocess.DEVNULL,
                env=env,
            )
        self.conn = Connection(ours.detach())
        self.conn.send_bytes(orjson.dumps(options))

    def wait_ready(self) -> None:
        if not self.conn.poll(START_TIMEOUT) or self.conn.recv_bytes() != READY:
            raise Unavailable(f"an HTCondor worker process did not start within {START_TIMEOUT:g} s")

    def alive(self) -> bool:
        return self.process.poll() is None

    def aborted(self) -> bool:
        """Whether it ended by abort(3): the bindings' C++ code aborts when
        an allocation fails (``std::bad_alloc``), past the worker's memory cap."""
        try:
            return self.process.wait(timeout=STOP_GRACE_SECONDS) == -signal.SIGABRT
        except subprocess.TimeoutExpired:
            return False

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

    ``call(op, **kwargs)`` runs the operation ``op`` of the table the workers
    were given (``options["operations"]``, from the registry) in an idle
    worker and returns its result, or raises the ``GatewayError`` it raised.
    Which waiting call a freed worker goes to is the ``scheduler``'s to say
    (``Throttled`` past its caller's queue, ``ClientGone`` when its client
    left); it raises ``Busy`` when no worker is its within ``timeout``
    seconds and ``Timeout`` when the call itself takes longer. Starting a worker (the
    first calls, a replacement) does not count against ``timeout``;
    ``on_start(seconds)`` hears how long it took.

    Workers, threads and locks are the process's own (``_begin``): the
    first call of each process starts its workers, and a process forked
    from one that had some starts its own, never touching the parent's.
    """

    def __init__(self, size: int, timeout: float, options: Callable[[], dict[str, Any]], queue_depth: int) -> None:
        if size < 1:
            raise ValueError("the gateway needs at least one worker process")
        self.timeout = timeout
        self._size = size
        self._queue_depth = queue_depth
        #: Asked when a worker starts (the table of operations is complete by then).
        self._options = options
        # Replacement workers get the environment the pool was made in
        # (CONDOR_CONFIG, _CONDOR_* knobs), whatever happens to os.environ later.
        self._env = worker_environment(dict(os.environ))
        self._begin()
        _POOLS.add(self)

    def _begin(self) -> None:
        """This process's part of the pool: empty slots, no thread yet."""
        #: Who gets the next free worker (``turn``); the workers themselves are in ``_idle``.
        self._scheduler = Scheduler(self._size, self._queue_depth)
        self._idle: queue.LifoQueue[_Worker | None] = queue.LifoQueue()
        for _ in range(self._size):
            self._idle.put(None)  # a slot whose worker is started when needed
        self._lock = threading.Lock()
        self._workers: set[_Worker] = set()
        self._replacements = 0
        self._started = False
        self._warm = threading.Event()  # clear while ``_warm_up`` starts workers
        self._warm.set()
        # Linux ends a worker when the thread that started it ends
        # (PR_SET_PDEATHSIG): one thread that lives as long as the pool starts them all.
        self._spawner = ThreadPoolExecutor(1, thread_name_prefix="restd-gateway-spawn")
        self._threads = ThreadPoolExecutor(self._size, thread_name_prefix="restd-gateway-part")
        self._pid = os.getpid()  # last: a thread that sees this process's pid sees all of the above

    def _here(self) -> None:
        """After a fork, the child's first use of the pool (or Python's
        after-fork hook, sooner) forgets what the parent had."""
        if self._pid != os.getpid():
            with _FORGETTING:
                if self._pid != os.getpid():
                    self._forget_the_parents()

    def _forget_the_parents(self) -> None:
        """In a forked child, every worker, thread and lock of the pool is
        the parent's. The child closes its copies of the workers' sockets
        (so that they read EOF when the parent lets them go), and neither
        signals nor waits for them: they are not its children."""
        for worker in self._workers:
            worker.conn.close()
        self._begin()

    def _spawn(self) -> _Worker:
        try:
            spawned = self._spawner.submit(_Worker, self._options(), self._env)
        except RuntimeError:  # the executor's shutdown: the pool was closed meanwhile (a warm-up still running)
            raise Unavailable("the gateway is closed") from None
        worker = spawned.result()
        with self._lock:
            self._workers.add(worker)
        return worker

    def _start_worker(self) -> _Worker:
        worker = self._spawn()
        try:
            worker.wait_ready()
        except (Unavailable, EOFError, OSError):
            self._discard(worker)
            raise Unavailable("an HTCondor worker process failed to start; see the server log") from None
        return worker

    def _warm_up(self) -> None:
        """On this process's first call: start every worker, in the
        background. Calls made meanwhile wait for them, and that wait (a
        start-up's, not HTCondor's) does not count against their timeout."""
        with self._lock:
            if self._started:
                return
            self._started = True
            self._warm.clear()

        def warm() -> None:
            slots = [self._idle.get() for _ in range(self._idle.qsize())]
            try:
                for i in range(len(slots)):
                    try:
                        slots[i] = self._start_worker()
                    except Unavailable as exc:
                        log.error("%s", exc.message)
            finally:
                for worker in slots:
                    self._idle.put(worker)
                self._warm.set()

        threading.Thread(target=warm, name="restd-gateway-warm", daemon=True).start()

    def wait_started(self) -> float:
        """Wait for ``_warm_up`` to finish, if it is running; the seconds waited."""
        if self._warm.is_set():
            return 0.0
        began = time.monotonic()
        self._warm.wait(START_TIMEOUT)
        return time.monotonic() - began

    def _discard(self, worker: _Worker) -> None:
        with self._lock:
            self._workers.discard(worker)
            self._replacements += 1
        worker.kill()

    def _replace_out_of_memory(self, op: str, worker: _Worker) -> None:
        """A worker that ran out of memory (``restd.gateway.worker_memory``)
        is replaced, whatever state that left it in."""
        log.warning("HTCondor call %s needed more memory than a worker may use; replacing its worker", op)
        self._discard(worker)

    @property
    def replacements(self) -> int:
        """Workers killed so far in this process (a call past its timeout or its memory cap, a worker that died)."""
        self._here()
        return self._replacements

    @property
    def idle(self) -> int:
        """How many workers no call holds right now."""
        self._here()
        return self._scheduler.free

    @property
    def queued(self) -> int:
        """How many calls wait for a worker right now."""
        self._here()
        return self._scheduler.queued

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future:
        """``fn(*args, **kwargs)`` in one of this process's threads for
        calls made at the same time (the parts of a split listing)."""
        self._here()
        return self._threads.submit(fn, *args, **kwargs)

    def call(self, op: str, timeout: float | None = None, on_start: Callable[[float], None] | None = None,
             sink: Callable[[bytes], None] | None = None, claim: Claim = Claim(), **kwargs: Any) -> Any:
        """``sink``: where the pieces of a streamed answer go (``wire``); an
        error it raises ends the call, and the worker, mid-answer, is
        replaced. ``claim``: whose call it is, for its turn at the workers
        (``scheduler``); a long call whose client has gone is abandoned
        (``ClientGone``): its worker is replaced, which ends the daemon's query."""
        self._here()
        self._warm_up()
        timeout = self.timeout if timeout is None else timeout
        starting = self.wait_started()
        began = time.monotonic()  # the timeout covers waiting for a worker too
        with self._scheduler.turn(claim, timeout):
            try:  # a turn finds a worker at once, unless a slow warm-up (START_TIMEOUT) still holds them
                worker = self._idle.get(timeout=max(began + timeout - time.monotonic(), 0))
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
                answer = recv_answer(worker.conn, sink, _within(
                    worker.conn, time.monotonic() + remaining, timeout,
                    claim if claim.gone is not None and not claim.short else None))
                if answer.get("error", {}).get("kind") == TooCostly.kind:  # a MemoryError in the worker
                    self._replace_out_of_memory(op, worker)
                    worker = None
            except GatewayError as exc:  # past the time, refused by the sink, abandoned: the worker is mid-answer
                if isinstance(exc, Timeout):
                    log.warning("HTCondor call %s took longer than %g s; replacing its worker", op, timeout)
                if worker is not None:  # None: starting it failed
                    self._discard(worker)
                worker = None
                raise
            except (EOFError, OSError) as exc:
                if worker is not None and worker.aborted():  # std::bad_alloc in the bindings
                    self._replace_out_of_memory(op, worker)
                    worker = None
                    raise TooCostly(TOO_COSTLY) from None
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
        """Stop this process's workers and threads (the pool cannot be used afterwards)."""
        self._here()
        _POOLS.discard(self)
        self._threads.shutdown(cancel_futures=True)
        with self._lock:
            workers, self._workers = list(self._workers), set()
        for worker in workers:
            worker.stop()
        self._spawner.shutdown()


#: The pools of this process, and the lock of their forgetting after a fork.
_POOLS: weakref.WeakSet[WorkerPool] = weakref.WeakSet()
_FORGETTING = threading.Lock()


def _forget_the_parents_pools() -> None:
    for pool in list(_POOLS):
        pool._here()


# Servers that fork with os.fork (gunicorn) run this in the child at once;
# others (uWSGI without py-call-osafterfork) reach _here at the first use.
os.register_at_fork(after_in_child=_forget_the_parents_pools)
