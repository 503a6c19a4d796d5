"""The jobs plugin's operations: like condor_q and condor_history, run in
the gateway's worker processes (``restd_core.gateway.worker``)."""
from __future__ import annotations

from collections.abc import Callable
from itertools import groupby
from operator import itemgetter

import classad2
import htcondor2

from restd_core.gateway.errors import Unavailable
from restd_core.gateway.wire import EncodedItems, JsonBody
from restd_core.gateway.worker.classads import ads_to_json, redact
from restd_core.gateway.worker.condor import fresh_config, free_after_answer, schedd_ad, twice
from restd_core.gateway.worker.encoding import encoded_items, grouped
from restd_core.gateway.worker.expressions import Constraint, conjunction, parse_constraint

#: What a job is known and sorted by.
JOB_KEY = ("clusterid", "procid")


def job_objects(keys: list[tuple[int, int]], classads: list[str]) -> list[str]:
    """``{"jobid": "C.P", "classad": {...}}`` of each job, from its
    ``(ClusterId, ProcId)`` and the JSON text of its classad."""
    return [f'{{"jobid":"{cluster}.{proc}","classad":{classad}}}' for (cluster, proc), classad in zip(keys, classads)]


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
        ads = schedd.query(conjunction(constraint, f"ClusterId < {cluster} || ClusterId == {cluster} && ProcId <= {proc}"),
                           projection)
    return ads


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
    judged = constraint.holding(fetch("true", [*projection, *needs] if projection else needs, -1), hidden)
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
    its history (newest first), as v1 job objects (``{"jobid": "C.P",
    "classad": {...}}``) encoded here, their ads through the one output filter (``classad_json``: only the
    ``projection``'s attributes, keys lower-cased, ``hidden`` ones
    redacted); with ``group_by``, grouped by that attribute's value.

    ``since`` (a job id "C.P") is a cursor: the history's jobs recorded
    after it, the queue's jobs that come after it in job-id order.
    ``parts`` > 1 splits a queue listing between as many calls (each in its
    own worker): this one answers the jobs whose ClusterId + ProcId modulo
    ``parts`` is ``part``.
    """
    fresh_config()
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
            return client.history(conjunction(*ours, where), attributes, match=match, since=since)
        return client.query(conjunction(*ours, where), attributes)

    location = schedd_ad(schedd)
    try:
        client = htcondor2.Schedd(location)
        if caller is not None and caller.judged_here(hidden_lower):
            ads = twice(lambda: _jobs_judged_here(fetch, caller, asked, limit, hidden_lower, source == "queue"))
        elif source == "history":
            ads = twice(lambda: fetch(caller.wire if caller else "true", asked, limit or -1))
        else:
            ads = twice(lambda: _first_jobs(client, conjunction(*ours, caller and caller.wire), asked, limit))
    except htcondor2.HTCondorException as exc:
        raise Unavailable(f"the schedd did not answer: {exc}", {"daemon": "schedd", "schedd": schedd}) from None
    keys, texts, lowered = ads_to_json(ads, JOB_KEY, shown, hidden_lower)
    free_after_answer(ads)
    if source == "queue":
        order = sorted(range(len(keys)), key=keys.__getitem__)[:limit]
        keys, texts = [keys[i] for i in order], [texts[i] for i in order]
    items = encoded_items(keys, job_objects(keys, texts), lower=not lowered)
    return items if group_by is None else grouped(items, group_by.lower())
