"""The only module that imports HTCondor's bindings.

Its functions run inside the gateway's worker processes (see ``workers``),
never in the request process: the bindings hold the GIL for the whole of a
daemon query. Each function takes and returns plain data (str, int, lists,
dicts) so that it can cross a process boundary, and raises only
``GatewayError`` subclasses.
"""
from __future__ import annotations

import atexit
import os
import re
import shutil
import tempfile
import time
from collections.abc import Callable
from operator import itemgetter
from pathlib import Path
from typing import Any, TypeVar

import classad2
import htcondor2
from htcondor2 import AdTypes, DaemonType

from ..classad_json import ads_to_dicts, ads_to_json
from ..shaping import REDACTED, matches_any
from .errors import BadQuery, NotFound, Unavailable
from .kinds import AD_TYPES, DAEMON_TYPES
from .raw import EncodedItems, shaped

T = TypeVar("T")

DEFAULT_SCHEDD = "DEFAULT"
#: What a job is known and sorted by.
JOB_KEY = ("clusterid", "procid")

_options: dict[str, Any] = {"config_reload_seconds": 5.0}
_config_loaded_at = time.monotonic()


#: What the current call no longer needs once its answer is made, but is
#: slow to free (10,000 ClassAds take 15-100 ms): freed after it is sent.
_done_with: list[Any] = []


def after_answer() -> None:
    """Called by the worker once the answer of a call is sent."""
    _done_with.clear()


def init(**options: Any) -> None:
    """Called once in each worker process, before any other call."""
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


def _fresh_config() -> None:
    """Re-read HTCondor's configuration files at most every few seconds."""
    global _config_loaded_at
    if time.monotonic() - _config_loaded_at >= _options["config_reload_seconds"]:
        htcondor2.reload_config()
        _config_loaded_at = time.monotonic()


# ------------------------------------------------------------- expressions --

# Outside string literals: a call of eval() or a subscript / record literal
# can name an attribute at run time, which no static analysis sees through.
_STRING_LITERAL = re.compile(r'"(?:[^"\\]|\\.)*"')
_DYNAMIC_LOOKUP = re.compile(r"\beval\s*\(|\[", re.IGNORECASE)


def parse_constraint(constraint: str, hidden: list[str] = ()) -> classad2.ExprTree:
    """Parse a caller's constraint, refusing what would evaluate hidden attributes.

    With hidden attributes configured, a constraint must not reference one
    (in any scope: ``Env``, ``MY.Env``, ``TARGET.Env``) nor look attributes up
    dynamically (``eval()``, ``ad["name"]``), or the set of matching jobs
    would reveal the hidden value.
    """
    try:
        expr = classad2.ExprTree(constraint)
    except (classad2.ClassAdException, ValueError, TypeError) as exc:
        raise BadQuery(
            f"constraint is not a valid ClassAd expression: {exc}",
            {"parameter": "constraint", "value": constraint},
        ) from None
    if hidden:
        hidden_lower = {name.lower() for name in hidden}
        probe = classad2.ClassAd()
        refs = probe.internalRefs(expr) + probe.externalRefs(expr)
        named = sorted({ref.rsplit(".", 1)[-1] for ref in refs if ref.rsplit(".", 1)[-1].lower() in hidden_lower})
        if named:
            raise BadQuery(
                f"constraint refers to hidden attribute(s): {', '.join(named)}",
                {"parameter": "constraint", "hidden": named},
            )
        if _DYNAMIC_LOOKUP.search(_STRING_LITERAL.sub('""', str(expr))):
            raise BadQuery(
                "constraint looks attributes up dynamically (eval() or [...]), "
                "which is refused while job attributes are hidden",
                {"parameter": "constraint"},
            )
    return expr


def _job_constraint(constraint: str | None, cluster: int | None, proc: int | None, hidden: list[str]) -> str:
    """AND the caller's constraint with the job id, on whole expressions only."""
    parts = []
    if constraint is not None:
        parts.append(f"({parse_constraint(constraint, hidden)})")
    if cluster is not None:
        parts.append(f"ClusterId == {int(cluster)}")
    if proc is not None:
        parts.append(f"ProcId == {int(proc)}")
    return " && ".join(parts) or "true"


# ------------------------------------------------------------------ daemons --

def _collector() -> htcondor2.Collector:
    return htcondor2.Collector()


def _twice(call: Callable[[], T]) -> T:
    """A daemon call, made once more if it fails: after a daemon restarts,
    this process's cached security session with it fails its first use
    ("Failed communication with collector") and is dropped; the second try
    opens a new one. A daemon that is really down fails both, at once."""
    try:
        return call()
    except htcondor2.HTCondorException:
        return call()


def _schedd_ad(name: str) -> classad2.ClassAd:
    """The schedd's location ad; the local schedd's for ``DEFAULT``.

    A named schedd is looked up by an exact (quoted) Name match rather than
    with ``Collector.locate``, which may answer None for an unknown name
    (and ``Schedd(None)`` would then silently be the local schedd).
    """
    collector = _collector()
    try:
        if name == DEFAULT_SCHEDD:
            ad = _twice(lambda: collector.locate(DaemonType.Schedd))
        else:
            ads = _twice(lambda: collector.query(AdTypes.Schedd, constraint=f"Name == {classad2.quote(name)}"))
            ad = ads[0] if ads else None
    except htcondor2.HTCondorException as exc:
        raise Unavailable(f"the collector did not answer: {exc}", {"daemon": "collector"}) from None
    if ad is None:
        raise NotFound(f"no schedd named {name!r} in the pool", {"schedd": name})
    return ad


def _jobs_from_schedd(schedd: htcondor2.Schedd, source: str, constraint: str, projection: list[str], limit: int | None, since: str | None):
    """``since`` (a job id "C.P") is a cursor: the history's jobs recorded
    after it, the queue's jobs that come after it in queue order."""
    if source == "history":
        return schedd.history(constraint, projection, match=limit or -1, since=since)
    if since is not None:
        cluster, proc = (int(part) for part in since.split("."))
        constraint = f"({constraint}) && (ClusterId > {cluster} || ClusterId == {cluster} && ProcId > {proc})"
    return _first_jobs(schedd, constraint, projection, limit)


def _first_jobs(schedd: htcondor2.Schedd, constraint: str, projection: list[str], limit: int | None):
    """The matching queue jobs with the ``limit`` lowest job ids (perhaps a
    few more, if jobs came meanwhile), in no particular order.

    The schedd's own limit keeps whichever jobs it meets first (its queue is
    a hash table), so a page that comes back full is cut again from the
    sorted ids of every match: one cheap query more, only then.
    """
    ads = schedd.query(constraint, projection, limit=limit or -1)
    if limit and len(ads) >= limit:
        ids = sorted(map(itemgetter(*JOB_KEY), schedd.query(constraint, list(JOB_KEY))))
        cluster, proc = ids[limit - 1]
        ads = schedd.query(f"({constraint}) && (ClusterId < {cluster} || ClusterId == {cluster} && ProcId <= {proc})", projection)
    return ads


def query_jobs(
    schedd: str,
    source: str,
    shape: str,
    constraint: str | None = None,
    projection: list[str] = (),
    cluster: int | None = None,
    proc: int | None = None,
    limit: int | None = None,
    hidden: list[str] = (),
    since: str | None = None,
    part: int = 0,
    parts: int = 1,
) -> EncodedItems:
    """Jobs from a schedd's queue (``source="queue"``, in job-id order) or
    its history (newest first), as ``shape`` (``"module:function"``, see
    ``raw.shaped``) makes them from each job's id and the JSON text of its
    ad (``classad_json.ads_to_json``: only the projected attributes,
    ``hidden`` ones redacted; ``shaped`` lowers every key).

    ``parts`` > 1 splits a queue listing between as many calls (each in its
    own worker): this one answers the jobs whose ClusterId + ProcId modulo
    ``parts`` is ``part``.
    """
    _fresh_config()
    full_constraint = _job_constraint(constraint, cluster, proc, list(hidden))
    if source == "queue" and parts > 1:
        full_constraint = f"({full_constraint}) && ((ClusterId + ProcId) % {int(parts)} == {int(part)})"
    shown = None
    if projection:
        # Asked in lower case, the schedd names the attributes so: then they
        # need no lowering here.
        shown = {name.lower() for name in projection}
        projection = list(dict.fromkeys([*(name.lower() for name in projection), *JOB_KEY]))
    location = _schedd_ad(schedd)
    try:
        client = htcondor2.Schedd(location)
        ads = _twice(lambda: _jobs_from_schedd(client, source, full_constraint, list(projection), limit, since))
    except htcondor2.HTCondorException as exc:
        raise Unavailable(f"the schedd did not answer: {exc}", {"daemon": "schedd", "schedd": schedd}) from None
    keys, texts, lowered = ads_to_json(ads, JOB_KEY, shown, hidden)
    _done_with.append(ads)
    if source == "queue":
        order = sorted(range(len(keys)), key=keys.__getitem__)[:limit]
        keys, texts = [keys[i] for i in order], [texts[i] for i in order]
    return shaped(keys, texts, shape, lower=not lowered)


def read_params(names: list[str]) -> dict[str, Any]:
    """Values of HTCondor configuration knobs (typed where HTCondor knows
    the knob's type); None for one that is not set."""
    _fresh_config()
    return {name: htcondor2.param.get(name) for name in names}


def ping(daemon: str) -> dict[str, Any]:
    """Ask the collector, or the default schedd, the cheapest question that
    needs it to answer (readiness). Answers the daemon's name."""
    _fresh_config()
    if daemon == "collector":
        try:
            ads = _twice(lambda: _collector().query(AdTypes.Collector, projection=["Name"]))
        except htcondor2.HTCondorException as exc:
            raise Unavailable(f"the collector did not answer: {exc}", {"daemon": "collector"}) from None
        return {"name": ads[0].get("Name") if ads else None}
    if daemon == "schedd":
        location = _schedd_ad(DEFAULT_SCHEDD)
        try:
            _twice(lambda: htcondor2.Schedd(location).query("false", ["ClusterId"], limit=1))
        except htcondor2.HTCondorException as exc:
            raise Unavailable(f"the schedd did not answer: {exc}", {"daemon": "schedd"}) from None
        return {"name": location.get("Name")}
    raise BadQuery(f"cannot ping {daemon!r}: only the collector and the schedd", {"daemon": daemon})


# ------------------------------------------------------------------- status --

STATUS_ID_ATTRS = ("Name", "MyType")


def query_status(
    ad_type: str,
    name: str | None = None,
    constraint: str | None = None,
    projection: list[str] = (),
) -> list[dict[str, Any]]:
    """Ads of one type (``AD_TYPES``) from the collector, as dicts with
    lower-cased keys; ``name`` is matched exactly (quoted, never pasted).
    A projection always includes Name and MyType."""
    _fresh_config()
    if ad_type not in AD_TYPES:
        raise BadQuery(f"unknown ad type {ad_type!r}", {"query": ad_type})
    parts = []
    if constraint is not None:
        parts.append(f"({parse_constraint(constraint)})")
    if name is not None:
        parts.append(f"Name == {classad2.quote(name)}")
    if projection:
        projection = list(dict.fromkeys([*projection, *STATUS_ID_ATTRS]))
    try:
        collector = _collector()
        ads = _twice(lambda: collector.query(
            getattr(AdTypes, AD_TYPES[ad_type]), constraint=" && ".join(parts) or None, projection=list(projection) or None
        ))
    except htcondor2.HTCondorException as exc:
        raise Unavailable(f"the collector did not answer: {exc}", {"daemon": "collector"}) from None
    return ads_to_dicts(ads)


# ------------------------------------------------------------------- config --

#: What a daemon answers for a knob it has no value for.
_REMOTE_UNDEFINED = "Not defined"


def _daemon_params(daemon: str) -> htcondor2.RemoteParam:
    """The running daemon's configuration; its names are fetched here (one
    round trip), each value on first access (one round trip per knob)."""
    if daemon not in DAEMON_TYPES:
        raise BadQuery(f"unknown daemon type {daemon!r}", {"daemon": daemon})
    try:
        collector = _collector()
        location = _twice(lambda: collector.locate(getattr(DaemonType, DAEMON_TYPES[daemon])))
    except htcondor2.HTCondorException as exc:
        raise Unavailable(f"no running {daemon} found: {exc}", {"daemon": daemon}) from None
    if location is None:
        raise Unavailable(f"no running {daemon} found", {"daemon": daemon})
    try:
        return _twice(lambda: htcondor2.RemoteParam(location))
    except htcondor2.HTCondorException as exc:
        raise Unavailable(f"the {daemon} did not answer: {exc}", {"daemon": daemon}) from None


def _remote_values(daemon: str, params: htcondor2.RemoteParam, names: list[str]) -> dict[str, str]:
    try:
        values = {name: params[name] for name in names}
    except htcondor2.HTCondorException as exc:
        raise Unavailable(f"the {daemon} did not answer: {exc}", {"daemon": daemon}) from None
    return {name: value for name, value in values.items() if value != _REMOTE_UNDEFINED}


def _shown(name: str, value: Any, hidden: list[str]) -> Any:
    return REDACTED if matches_any(name, hidden) else value


def read_config(daemon: str | None = None, hidden: list[str] = ()) -> dict[str, Any]:
    """Every defined knob, by lower-cased name: the server's own (typed
    values) or, with ``daemon``, that running daemon's (strings). Knobs
    matching a ``hidden`` pattern are ``"<REDACTED>"``; their values never
    leave the worker process."""
    _fresh_config()
    if daemon is None:
        values = dict(htcondor2.param.items())
    else:
        params = _daemon_params(daemon)
        values = _remote_values(daemon, params, list(params))
    return {name.lower(): _shown(name, value, hidden) for name, value in values.items()}


def read_config_value(name: str, daemon: str | None = None, hidden: list[str] = ()) -> Any:
    """One knob's value (the name is case-insensitive), as ``read_config``
    has it; ``NotFound`` if it is not defined."""
    _fresh_config()
    if daemon is None:
        value = htcondor2.param.get(name)
    else:
        params = _daemon_params(daemon)
        # RemoteParam's own lookup is case-sensitive; HTCondor's names are not.
        known = [key for key in params if key.lower() == name.lower()]
        value = _remote_values(daemon, params, known[:1]).get(known[0]) if known else None
    if value is None:
        where = f"the {daemon}'s configuration" if daemon else "the configuration"
        raise NotFound(f"{name} is not defined in {where}", {"attribute": name})
    return _shown(name, value, hidden)
