"""The worker's HTCondor session, and the helpers every operation shares.

Runs only in the gateway's worker processes (``restd_core.gateway.worker``),
never in the request process: the bindings hold the GIL for the whole of a
daemon query. ``init`` sets the session up once (the server's IDTOKEN);
an operation reaches a daemon only through ``ask(daemon, call)``: the
fresh config, the client (a schedd's location kept), the one retry after a
daemon restart and HTCondor's errors as ``Unavailable``, in one place.
``hidden_job_attrs()`` and ``hidden_config_params()`` are what
RESTD_HIDE_JOB_ATTRS and RESTD_HIDE_CONFIG_PARAMS hide, as this worker's
config has them (parsed by their one declaration, ``RestdSettings``); ``malloc_trim`` hands freed memory back (the loop calls it
after every answer).
"""
from __future__ import annotations

import atexit
import ctypes
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import classad2
import htcondor2
from htcondor2 import AdTypes, DaemonType

from restd_core.assembly.condor_settings import KNOBS, RestdSettings, knobs_of
from restd_core.gateway.errors import NotFound, Unavailable

T = TypeVar("T")

#: The schedd a URL names by this word: the local one (the v1 contract).
DEFAULT_SCHEDD = "DEFAULT"

_options: dict[str, Any] = {"config_reload_seconds": 5.0}
_config_loaded_at = time.monotonic()


_LIBC = ctypes.CDLL(None) if sys.platform == "linux" else None


def malloc_trim() -> None:
    """Give the memory the process freed back to the system (glibc keeps
    it otherwise: a worker that made one big answer would stay that big)."""
    if _LIBC is not None:
        _LIBC.malloc_trim(0)


def init(**options: Any) -> None:
    """Called once in each worker process, before any operation: the
    server's IDTOKEN (``condor_jwt_token``), how often to re-read the config."""
    token = options.pop("condor_jwt_token", None)
    _options.update(options)
    if token:
        _authenticate_with(token)


_TOKEN_DIR_PREFIX = "condor-restd-token-"


def _remove_dead_workers_tokens() -> None:
    for path in Path(tempfile.gettempdir()).glob(f"{_TOKEN_DIR_PREFIX}*-*"):
        pid = path.name[len(_TOKEN_DIR_PREFIX):].split("-", 1)[0]
        if pid.isdigit() and path.stat().st_uid == os.getuid() and not _alive(int(pid)):
            shutil.rmtree(path, ignore_errors=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass
    return True


def _authenticate_with(token: str) -> None:
    """Authenticate to the pool with this IDTOKEN: it is the only file of a
    private token directory (0700, the file 0600) that HTCondor is pointed
    to, removed when the worker ends (or, for a worker that was killed, by
    the next one)."""
    _remove_dead_workers_tokens()
    directory = tempfile.mkdtemp(prefix=f"{_TOKEN_DIR_PREFIX}{os.getpid()}-")
    atexit.register(shutil.rmtree, directory, ignore_errors=True)
    fd = os.open(os.path.join(directory, "condor_jwt_token"), os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as file:
        file.write(token.strip() + "\n")
    os.environ["_CONDOR_SEC_TOKEN_DIRECTORY"] = directory  # survives reload_config()
    htcondor2.reload_config()


def fresh_config() -> None:
    """Re-read HTCondor's configuration files at most every few seconds."""
    global _config_loaded_at
    if time.monotonic() - _config_loaded_at >= _options["config_reload_seconds"]:
        htcondor2.reload_config()
        _config_loaded_at = time.monotonic()


def hidden_job_attrs() -> frozenset[str]:
    """The job attributes RESTD_HIDE_JOB_ATTRS hides, lower-cased, as this
    worker's HTCondor config has them now: the output filter never depends
    on a caller to say what is hidden."""
    return frozenset(name.lower() for name in _knobs("hide_job_attrs").hide_job_attrs)


def hidden_config_params() -> tuple[str, ...]:
    """The patterns of config knobs never served: the defaults and
    RESTD_HIDE_CONFIG_PARAMS (which adds to them, never replaces them)."""
    return _knobs("hide_config_params").hide_config_params


def _knobs(*fields: str) -> RestdSettings:
    """The RESTD_* knobs of these ``fields`` as the config has them now (the
    others at their defaults: only lists are read here, which always parse)."""
    fresh_config()
    return knobs_of({KNOBS[name]: htcondor2.param.get(KNOBS[name]) for name in fields})


def ask(daemon: str, call: Callable[[Any], T], schedd: str | None = None) -> T:
    """``call(client)`` with the client of ``daemon``: for the
    ``collector``, a ``Collector``; for the ``schedd`` that ``schedd`` names
    (``DEFAULT``: the local one), a ``Schedd`` located once a minute, not
    once a call; else None (``call`` reaches the daemon itself, e.g. with
    ``htcondor2.Negotiator()`` or through the collector's ``locate``).

    HTCondor's config is re-read first if it is due (``fresh_config``). A
    failed call is made once more: after a daemon restarts, this process's
    cached security session with it fails its first use and is dropped
    (and a schedd may have moved: it is located again); the second try
    opens a new one. A daemon that is really down fails both, at once, and
    the call raises ``Unavailable`` naming the daemon (and the schedd):
    the only way HTCondor's errors leave an operation. ``NotFound`` for a
    schedd the pool does not have."""
    fresh_config()
    where = {"daemon": daemon, **({"schedd": schedd} if schedd is not None else {})}
    try:
        return call(_client(daemon, schedd))
    except htcondor2.HTCondorException:
        if schedd is not None:
            _schedds.pop(schedd, None)
    try:
        return call(_client(daemon, schedd))
    except htcondor2.HTCondorException as exc:
        raise Unavailable(f"the {daemon} did not answer: {exc}", where) from None


def _client(daemon: str, schedd: str | None) -> Any:
    if daemon == "collector":
        return htcondor2.Collector()
    return _schedd(schedd) if daemon == "schedd" and schedd is not None else None


#: What ``Collector.locate`` asks of a schedd's ad: enough to reach it.
_LOCATION_ATTRS = ["Name", "MyType", "Machine", "MyAddress", "AddressV1", "ScheddIpAddr", "CondorVersion",
                   "CondorPlatform"]


def schedd_ad(name: str) -> classad2.ClassAd:
    """The schedd's location ad; the local schedd's for ``DEFAULT``.

    A named schedd is found by comparing the names of the collector's
    schedd ads here, exactly: ``Collector.locate`` may answer None for an
    unknown name (and ``Schedd(None)`` would then silently be the local
    schedd), and a name pasted into a constraint is at the mercy of how
    daemons parse strings (``expressions``).
    """
    if name == DEFAULT_SCHEDD:
        ad = ask("collector", lambda collector: collector.locate(DaemonType.Schedd))
    else:
        ads = ask("collector", lambda collector: collector.query(AdTypes.Schedd, projection=_LOCATION_ATTRS))
        ad = next((ad for ad in ads if ad.get("Name") == name), None)
    if ad is None:
        raise NotFound(f"no schedd named {name!r} in the pool", {"schedd": name})
    return ad


#: Seconds a schedd's location is kept in a worker; it is looked up again
#: sooner when a call to it fails (the schedd restarted, or moved).
LOCATION_SECONDS = 60.0
_schedds: dict[str, tuple[float, htcondor2.Schedd]] = {}


def _schedd(name: str) -> htcondor2.Schedd:
    kept = _schedds.get(name)
    if kept is not None and time.monotonic() - kept[0] < LOCATION_SECONDS:
        return kept[1]
    try:
        client = htcondor2.Schedd(schedd_ad(name))
    except KeyError as exc:  # the bindings' own check of the ad (MyAddress, CondorVersion)
        raise Unavailable(f"the collector's ad of this schedd cannot be used: it lacks {exc}",
                          {"daemon": "schedd", "schedd": name}) from None
    _schedds[name] = (time.monotonic(), client)
    return client

