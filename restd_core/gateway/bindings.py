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
import shutil
import tempfile
import time
from collections.abc import Callable
from itertools import groupby
from operator import itemgetter
from pathlib import Path
from typing import Any, TypeVar

import classad2
import htcondor2
import orjson
from htcondor2 import AdTypes, DaemonType

from ..classad_json import ads_to_dicts, ads_to_json, filtered, redact
from ..shaping import REDACTED, group_by_attribute, is_hidden_knob
from .errors import BadQuery, NotFound, Unavailable
from .expressions import Constraint, matches_name, parse_constraint
from .kinds import AD_TYPES, DAEMON_TYPES
from .raw import EncodedItems, JsonBody, grouped, shaped

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


#: What ``Collector.locate`` asks of a schedd's ad: enough to reach it.
_LOCATION_ATTRS = ["Name", "MyType", "Machine", "MyAddress", "AddressV1", "ScheddIpAddr", "CondorVersion",
                   "CondorPlatform"]


def _schedd_ad(name: str) -> classad2.ClassAd:
    """The schedd's location ad; the local schedd's for ``DEFAULT``.

    A named schedd is found by comparing the names of the collector's
    schedd ads here, exactly: ``Collector.locate`` may answer None for an
    unknown name (and ``Schedd(None)`` would then silently be the local
    schedd), and a name pasted into a constraint is at the mercy of how
    daemons parse strings (``expressions``).
    """
    collector = _collector()
    try:
        if name == DEFAULT_SCHEDD:
            ad = _twice(lambda: collector.locate(DaemonType.Schedd))
        else:
            ads = _twice(lambda: collector.query(AdTypes.Schedd, projection=_LOCATION_ATTRS))
            ad = next((ad for ad in ads if ad.get("Name") == name), None)
    except htcondor2.HTCondorException as exc:
        raise Unavailable(f"the collector did not answer: {exc}", {"daemon": "collector"}) from None
    if ad is None:
        raise NotFound(f"no schedd named {name!r} in the pool", {"schedd": name})
    return ad


# --------------------------------------------------------------------- jobs --

def _and(*parts: str | None) -> str:
    """Whole expressions ANDed (each in parentheses), ``true`` for none."""
    present = [part for part in parts if part]
    return " && ".join(f"({part})" for part in present) or "true"


def _id_parts(cluster: int | None, proc: int | None) -> list[str]:
    parts = [] if cluster is None else [f"ClusterId == {int(cluster)}"]
    return parts if proc is None else [*parts, f"ProcId == {int(proc)}"]


def _after(job_id: str) -> str:
    """The queue's jobs after ``job_id`` ("C.P") in job-id order."""
    cluster, proc = (int(part) for part in job_id.split("."))
    return f"ClusterId > {cluster} || ClusterId == {cluster} && ProcId > {proc}"


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
        ads = schedd.query(_and(constraint, f"ClusterId < {cluster} || ClusterId == {cluster} && ProcId <= {proc}"),
                           projection)
    return ads


def _holding(ads: list[classad2.ClassAd], constraint: Constraint, hidden: set[str]) -> list[classad2.ClassAd]:
    """The ads ``constraint`` holds for, judged here on their redacted form."""
    redact(ads, hidden)
    return [ad for ad in ads if constraint.holds_for(ad)]


#: Beyond this many id ranges, judged jobs are fetched again by their
#: listing's own constraint and picked out here.
_MAX_ID_RANGES = 64


def _id_ranges(ids: list[tuple[int, int]]) -> str | None:
    """A constraint matching exactly the (sorted) job ``ids``, as runs of
    consecutive ProcIds; None if that takes more than ``_MAX_ID_RANGES``."""
    terms = []
    for cluster, jobs in groupby(ids, itemgetter(0)):
        procs = [proc for _, proc in jobs]
        start = previous = procs[0]
        for proc in [*procs[1:], None]:
            if proc is not None and proc == previous + 1:
                previous = proc
                continue
            span = f"ProcId == {start}" if start == previous else f"ProcId >= {start} && ProcId <= {previous}"
            terms.append(f"ClusterId == {cluster} && {span}")
            if proc is not None:
                start = previous = proc
    return None if len(terms) > _MAX_ID_RANGES else " || ".join(f"({term})" for term in terms)


def _jobs_judged_here(
    fetch: Callable[[str, list[str], int], list[classad2.ClassAd]],
    constraint: Constraint,
    projection: list[str],
    limit: int | None,
    hidden: set[str],
    in_id_order: bool,
) -> list[classad2.ClassAd]:
    """The jobs a caller's constraint holds for, judged here, not by the
    schedd (``Constraint.judged_here``): a constraint with regular
    expressions, whose cost has no bound a daemon would keep to; and, while
    job attributes are hidden, a constraint that names none of them
    may still read one through an attribute whose value is an expression
    (``Leak = regexp("^x", Environment)``): the schedd would evaluate it
    over the real value, and which jobs match would tell it. Here the
    constraint is evaluated on ads whose hidden attributes read
    ``"<REDACTED>"``, so the answer cannot depend on them. Asking the schedd
    for the constraint's attributes brings what it needs: a projection also
    returns every attribute its expressions refer to.

    ``fetch(constraint, projection, match)``: the listing's jobs (the
    caller's constraint left out). Whole ads (no ``projection``) are fetched
    in two steps: the judgement on the few attributes it needs, then the
    whole ads of the jobs it chose.
    """
    needs = [*constraint.attributes, *JOB_KEY]
    judged = _holding(fetch("true", [*projection, *needs] if projection else needs, -1), constraint, hidden)
    if in_id_order:
        judged.sort(key=itemgetter(*JOB_KEY))
    judged = judged[:limit] if limit else judged
    if projection or not judged:
        return judged
    chosen = [tuple(map(ad.get, JOB_KEY)) for ad in judged]
    wanted = set(chosen)
    ranges = _id_ranges(sorted(wanted))
    whole = fetch(ranges or "true", [], len(wanted) if ranges else -1)
    redact(whole, hidden)
    by_id = {tuple(map(ad.get, JOB_KEY)): ad for ad in whole}
    return [by_id[job] for job in chosen if job in by_id]


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
    group_by: str | None = None,
) -> EncodedItems | JsonBody:
    """Jobs from a schedd's queue (``source="queue"``, in job-id order) or
    its history (newest first), as ``shape`` (``"module:function"``, see
    ``raw.shaped``) makes them from each job's id and the JSON text of its
    ad, through the one output filter (``classad_json``: only the
    ``projection``'s attributes, keys lower-cased, ``hidden`` ones
    redacted); with ``group_by``, grouped by that attribute's value.

    ``since`` (a job id "C.P") is a cursor: the history's jobs recorded
    after it, the queue's jobs that come after it in job-id order.
    ``parts`` > 1 splits a queue listing between as many calls (each in its
    own worker): this one answers the jobs whose ClusterId + ProcId modulo
    ``parts`` is ``part``.
    """
    _fresh_config()
    hidden_lower = {name.lower() for name in hidden}
    caller = parse_constraint(constraint, hidden_lower) if constraint is not None else None
    ours = _id_parts(cluster, proc)
    if source == "queue":
        ours += [_after(since)] if since is not None else []
        ours += [f"(ClusterId + ProcId) % {int(parts)} == {int(part)}"] if parts > 1 else []
    shown = None
    asked: list[str] = []
    if projection:
        # Asked in lower case, the schedd mostly names them so (an attribute
        # that another's expression names first keeps that spelling).
        shown = {name.lower() for name in projection}
        asked = list(dict.fromkeys([*(name.lower() for name in projection), *JOB_KEY]))

    def fetch(where: str, attributes: list[str], match: int) -> list[classad2.ClassAd]:
        if source == "history":
            return client.history(_and(*ours, where), attributes, match=match, since=since)
        return client.query(_and(*ours, where), attributes)

    location = _schedd_ad(schedd)
    try:
        client = htcondor2.Schedd(location)
        if caller is not None and caller.judged_here(hidden_lower):
            ads = _twice(lambda: _jobs_judged_here(fetch, caller, asked, limit, hidden_lower, source == "queue"))
        elif source == "history":
            ads = _twice(lambda: fetch(caller.wire if caller else "true", asked, limit or -1))
        else:
            ads = _twice(lambda: _first_jobs(client, _and(*ours, caller and caller.wire), asked, limit))
    except htcondor2.HTCondorException as exc:
        raise Unavailable(f"the schedd did not answer: {exc}", {"daemon": "schedd", "schedd": schedd}) from None
    keys, texts, lowered = ads_to_json(ads, JOB_KEY, shown, hidden_lower)
    _done_with.append(ads)
    if source == "queue":
        order = sorted(range(len(keys)), key=keys.__getitem__)[:limit]
        keys, texts = [keys[i] for i in order], [texts[i] for i in order]
    items = shaped(keys, texts, shape, lower=not lowered)
    return items if group_by is None else grouped(items, group_by.lower())


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
    hidden: list[str] = (),
    group_by: str | None = None,
) -> JsonBody:
    """Ads of one type (``AD_TYPES``) from the collector as status objects
    (``{"name": ..., "type": <MyType>, "classad": {...}}``) through the one
    output filter, encoded; ``name`` is matched exactly (quoted, never
    pasted); with ``group_by``, grouped by that attribute's value. Hidden
    job attributes are hidden here too (a machine ad may copy a job's), and
    a constraint is judged as for jobs."""
    _fresh_config()
    if ad_type not in AD_TYPES:
        raise BadQuery(f"unknown ad type {ad_type!r}", {"query": ad_type})
    hidden_lower = {attribute.lower() for attribute in hidden}
    caller = parse_constraint(constraint, hidden_lower) if constraint is not None else None
    judge_here = caller is not None and caller.judged_here(hidden_lower)
    where = _and(matches_name(name) if name is not None else None, None if judge_here or caller is None else caller.wire)
    shown = None
    asked: list[str] = []
    if projection:
        shown = {attribute.lower() for attribute in projection}
        asked = list(dict.fromkeys([*projection, *STATUS_ID_ATTRS, *(caller.attributes if judge_here else ())]))
    try:
        collector = _collector()
        ads = _twice(lambda: collector.query(getattr(AdTypes, AD_TYPES[ad_type]), constraint=where, projection=asked or None))
    except htcondor2.HTCondorException as exc:
        raise Unavailable(f"the collector did not answer: {exc}", {"daemon": "collector"}) from None
    if judge_here:
        ads = _holding(ads, caller, hidden_lower)
    whole = ads_to_dicts(ads)
    objects = [
        {"name": ad.get("name"), "type": ad.get("mytype"), "classad": classad}
        for ad, classad in zip(whole, filtered(whole, shown, hidden_lower))
    ]
    answer = objects if group_by is None else group_by_attribute(objects, group_by.lower())
    return JsonBody(orjson.dumps(answer))


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
    return REDACTED if is_hidden_knob(name, hidden) else value


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
