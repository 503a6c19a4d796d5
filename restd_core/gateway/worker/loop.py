"""A worker process's life: its signals, its session, the operations it
may run (the registry's, sent when it starts; nothing else can be named),
and its loop of calls."""
from __future__ import annotations

import ctypes
import importlib
import os
import resource
import signal
import sys
from collections.abc import Callable
from functools import partial
from multiprocessing.connection import Connection
from typing import Any

import htcondor2
import orjson

from restd_core.gateway.errors import TOO_COSTLY, GatewayError, TooCostly, Unavailable
from restd_core.gateway.wire import READY, send_answer
from restd_core.gateway.worker import condor

#: What a caller is told of an unexpected error in a worker (its text goes to the log).
INTERNAL_ERROR = {"kind": "internal", "message": "the HTCondor gateway failed unexpectedly; the server's log has the details"}
#: prctl(2): the signal this process gets when the thread that started it ends.
_PR_SET_PDEATHSIG = 1

Operations = dict[str, tuple[Callable[..., Any], str]]


def _end_with_the_server() -> None:
    """A worker's signals: SIGTERM ends it cleanly (SystemExit, so that its
    clean-up runs: the private token directory), and Linux sends it SIGTERM
    when its server dies, however (PR_SET_PDEATHSIG; should the server die
    before this line, the worker reads EOF instead). A terminal's Ctrl-C and
    Ctrl-\\ reach the whole process group: the worker ignores them, and its
    server, which they end too, closes it."""
    signal.signal(signal.SIGTERM, _exit)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGQUIT, signal.SIG_IGN)
    if sys.platform == "linux":
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)


def _exit(signum: int, frame: object) -> None:
    # The process is ending from here on: a second SIGTERM (its server's
    # and Linux's may both come) must not raise SystemExit again inside the
    # interpreter's own shutdown (``threading._shutdown``, which then prints
    # "Exception ignored"), nor be lost: a shutdown that hangs still ends
    # at the next SIGTERM, at once and quietly.
    _end_at_next_sigterm()
    sys.exit(128 + signum)


def _end_at_next_sigterm() -> None:
    signal.signal(signal.SIGTERM, _exit_now)


def _exit_now(signum: int, frame: object) -> None:
    os._exit(128 + signum)


def cap_memory(limit: int) -> None:
    """At most ``limit`` bytes of data (heap and anonymous mappings) for
    this process (0: no cap). Past it Python raises ``MemoryError`` (the
    call answers ``TooCostly``, and the pool replaces the worker), and the
    bindings' C++ ``std::bad_alloc`` aborts the process (the pool tells its
    caller the same: ``pool.WorkerPool.call``)."""
    if limit:
        resource.setrlimit(resource.RLIMIT_DATA, (limit, limit))


def resolve(target: str) -> Callable[..., Any]:
    """The function ``"module:function"`` names (``ImportError``,
    ``AttributeError`` or ``TypeError`` if there is none)."""
    module, _, function = target.partition(":")
    found = getattr(importlib.import_module(module), function)
    if not callable(found):
        raise TypeError(f"{target} is not callable")
    return found


def load(table: dict[str, dict[str, str]]) -> Operations:
    """The registered operations, ``{name: {"target": ..., "daemon": ...}}``."""
    return {name: (resolve(entry["target"]), entry["daemon"]) for name, entry in table.items()}


def run(operations: Operations, name: str, arguments: dict[str, Any]) -> dict[str, Any]:
    """One call's answer. An operation asks daemons through
    ``condor.ask`` (its one retry, HTCondor's errors as ``Unavailable``) and
    raises ``GatewayError``s; an HTCondor error it lets out anyway answers
    503 naming the daemon it was registered for."""
    if name not in operations:
        return {"error": {**INTERNAL_ERROR, "log": f"no operation {name!r} is registered"}}
    function, daemon = operations[name]
    try:
        return {"ok": function(**arguments)}
    except Exception as exc:
        return _error(name, daemon, exc)


def _error(name: str, daemon: str, exc: Exception) -> dict[str, Any]:
    """What a call's caller is told of ``exc``, raised by an operation (or by
    the pieces of its streamed answer)."""
    if isinstance(exc, htcondor2.HTCondorException):
        return {"error": Unavailable(f"the {daemon} did not answer: {exc}", {"daemon": daemon}).to_wire()}
    if isinstance(exc, GatewayError):
        return {"error": exc.to_wire()}
    if isinstance(exc, MemoryError):
        return {"error": TooCostly(TOO_COSTLY).to_wire()}
    # A bug or an unexpected bindings error: its text is for the log only.
    return {"error": {**INTERNAL_ERROR, "log": f"{name}: {type(exc).__name__}: {exc}"}}


def serve(conn: Connection) -> None:
    """Main loop of a worker process. Its options come first over the
    socket (they may hold secrets, an IDTOKEN, that a command line would
    show to every user of the machine), with the table of operations; then
    calls, until the server closes its end (or goes away)."""
    _end_with_the_server()
    try:
        options = orjson.loads(conn.recv_bytes())
        cap_memory(options.pop("worker_memory", 0))
        operations = load(options.pop("operations"))
        condor.init(**options)
        conn.send_bytes(READY)
        while True:
            name, arguments = conn.recv()
            answer = run(operations, name, arguments)
            daemon = operations[name][1] if name in operations else ""  # an unknown one's answer is an error already
            send_answer(conn, answer, failed=partial(_error, name, daemon))
            del answer
            condor.malloc_trim()
    except (EOFError, OSError):
        _end_at_next_sigterm()  # its server is gone: the process is ending (as in _exit)


def check(table: dict[str, dict[str, str]]) -> dict[str, str]:
    """What is wrong with each operation that cannot be loaded (none: {})."""
    problems = {}
    for name, entry in table.items():
        try:
            resolve(entry["target"])
        except Exception as exc:
            problems[name] = f"{entry['target']}: {type(exc).__name__}: {exc}"
    return problems
