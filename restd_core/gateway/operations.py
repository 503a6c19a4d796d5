"""The registry of operations: the functions gateway workers may run.

A plugin declares its operations while the app is configured::

    config.add_gateway_operation("submitters", "my_plugin.operations:submitters", daemon="collector")

(``short=True`` for an operation that answers at once, such as one item
by its name: it may take the last idle worker; a long one never does)
and its views call them by name (``request.gateway.call("submitters",
...)``). The registry is complete when the app is made (``freeze``): it is
checked then, in a process of its own so that the request process never
imports HTCondor's bindings (every target must be a function its module
has), and the workers are given it when they start. A name that is not in
it never reaches a worker, and a worker can run nothing else.
"""
from __future__ import annotations

import re
import subprocess
from dataclasses import dataclass
from typing import Any

import orjson

from restd_core.assembly.wiring import wiring
from restd_core.gateway.kinds import DAEMON_TYPES
from restd_core.gateway.pool import python

#: An operation's name: what views call it by and metrics count it as.
NAME = re.compile(r"[a-z][a-z0-9_.]{0,63}")
TARGET = re.compile(r"[A-Za-z_][\w.]*:[A-Za-z_]\w*")


class OperationError(Exception):
    """An operation cannot be registered, or its target cannot be loaded."""


@dataclass(frozen=True)
class Operation:
    """``target`` (``"module:function"``) runs in a worker; ``daemon`` is
    the daemon it asks (its calls' metrics label, and the daemon a failure
    is put down to); ``plugin``: who registered it; ``short``: whether its
    calls answer at once (one job, a configuration value, a ping), so that
    they may take the last idle worker (``scheduler``)."""

    name: str
    target: str
    daemon: str
    plugin: str
    short: bool = False


class Operations:
    """The operations of one app, by name."""

    def __init__(self) -> None:
        self._by_name: dict[str, Operation] = {}
        self.frozen = False

    def add(self, operation: Operation) -> None:
        if self.frozen:
            raise OperationError(f"operation {operation.name!r}: the app is made, its operations are fixed")
        for text, pattern, what in ((operation.name, NAME, "name"), (operation.target, TARGET, "target"),
                                    (operation.daemon, NAME, "daemon")):
            if not pattern.fullmatch(text):
                raise OperationError(f"{operation.plugin}: {text!r} is not a valid operation {what}")
        known = self._by_name.get(operation.name)
        if known is not None:
            raise OperationError(f"{operation.plugin}: operation {operation.name!r} is already registered "
                                 f"by {known.plugin} ({known.target})")
        self._by_name[operation.name] = operation

    def get(self, name: str) -> Operation | None:
        return self._by_name.get(name)

    def __iter__(self):
        return iter(self._by_name.values())

    @property
    def daemons(self) -> frozenset[str]:
        """HTCondor's daemon types and the daemons the operations declare:
        a closed set of metric labels."""
        return frozenset({*DAEMON_TYPES, "config", *(operation.daemon for operation in self)})

    def table(self) -> dict[str, dict[str, str]]:
        """What a worker is given: each operation's target and daemon."""
        return {op.name: {"target": op.target, "daemon": op.daemon} for op in self}

    def freeze(self) -> None:
        """Check every target (``OperationError`` naming the plugin and what
        is missing), then fix the registry."""
        problems = _problems(orjson.dumps(self.table(), option=orjson.OPT_SORT_KEYS))
        if problems:
            raise OperationError("; ".join(
                f"{self._by_name[name].plugin}: operation {name!r} cannot be loaded: {problem}"
                for name, problem in sorted(problems.items())
            ))
        self.frozen = True


_checked: dict[bytes, dict[str, str]] = {}


def _problems(table: bytes) -> dict[str, str]:
    """What a worker's interpreter finds wrong with ``table`` (the same
    table is checked once per process: a test suite makes many apps)."""
    if table not in _checked:
        done = subprocess.run([python(), "-m", "restd_core.gateway.worker", "--check"], input=table,
                              capture_output=True, timeout=120)
        if done.returncode != 0:
            raise OperationError(f"checking the operations failed: {done.stderr.decode(errors='replace')[-2000:]}")
        _checked[table] = orjson.loads(done.stdout)
    return _checked[table]


def add_gateway_operation(config: Any, name: str, target: str, *, daemon: str, short: bool = False) -> None:
    """The Pyramid directive ``config.add_gateway_operation``."""
    plugin = getattr(config.package, "__name__", str(config.package))
    wiring(config.registry).operations.add(Operation(name, target, daemon, plugin, short))
