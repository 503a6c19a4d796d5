"""The config plugin's operations: like condor_config_val, run in the
gateway's worker processes (``restd_core.gateway.worker``)."""
from __future__ import annotations

from typing import Any

import htcondor2
from htcondor2 import DaemonType

from restd_core.plugin_api.worker import (
    DAEMON_TYPES,
    REDACTED,
    BadQuery,
    NotFound,
    Unavailable,
    ask,
    hidden_config_params,
    is_hidden_knob,
)

#: What a daemon answers for a knob it has no value for.
_REMOTE_UNDEFINED = "Not defined"


def _daemon_params(daemon: str) -> htcondor2.RemoteParam:
    """The running daemon's configuration; its names are fetched here (one
    round trip), each value on first access (one round trip per knob)."""
    if daemon not in DAEMON_TYPES:
        raise BadQuery(f"unknown daemon type {daemon!r}", {"daemon": daemon})
    location = ask(daemon, lambda _: htcondor2.Collector().locate(getattr(DaemonType, DAEMON_TYPES[daemon])))
    if location is None:
        raise Unavailable(f"no running {daemon} found", {"daemon": daemon})
    return ask(daemon, lambda _: htcondor2.RemoteParam(location))


def _remote_values(daemon: str, params: htcondor2.RemoteParam, names: list[str]) -> dict[str, str]:
    values = ask(daemon, lambda _: {name: params[name] for name in names})
    return {name: value for name, value in values.items() if value != _REMOTE_UNDEFINED}


def _shown(name: str, value: Any, hidden: tuple[str, ...]) -> Any:
    return REDACTED if is_hidden_knob(name, hidden) else value


def read_config(daemon_type: str | None = None) -> dict[str, Any]:
    """Every defined knob, by lower-cased name: the server's own (typed
    values) or, with ``daemon_type``, that running daemon's (strings). Knobs
    matching a hidden pattern (``condor.hidden_config_params``) are
    ``"<REDACTED>"``; their values never leave the worker process."""
    if daemon_type is None:
        values = ask("config", lambda _: dict(htcondor2.param.items()))
    else:
        params = _daemon_params(daemon_type)
        values = _remote_values(daemon_type, params, ask(daemon_type, lambda _: list(params)))
    hidden = hidden_config_params()
    return {name.lower(): _shown(name, value, hidden) for name, value in values.items()}


def read_config_value(name: str, daemon_type: str | None = None) -> Any:
    """One knob's value (the name is case-insensitive), as ``read_config``
    has it; ``NotFound`` if it is not defined."""
    if daemon_type is None:
        value = ask("config", lambda _: htcondor2.param.get(name))
    else:
        params = _daemon_params(daemon_type)
        # RemoteParam's own lookup is case-sensitive; HTCondor's names are not.
        known = [key for key in ask(daemon_type, lambda _: list(params)) if key.lower() == name.lower()]
        value = _remote_values(daemon_type, params, known[:1]).get(known[0]) if known else None
    if value is None:
        where = f"the {daemon_type}'s configuration" if daemon_type else "the configuration"
        raise NotFound(f"{name} is not defined in {where}", {"attribute": name})
    return _shown(name, value, hidden_config_params())
