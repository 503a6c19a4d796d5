"""Job ads for callers, like condor_q and condor_history: their constraint
and projection in, only what the one output filter lets through out
(``classads``: hidden job attributes, known here from HTCondor's config,
``condor.hidden_job_attrs``, redacted whatever their case; a constraint that
could read one, or costly, judged here on redacted ads; the projection
enforced). ``query_jobs`` streams a listing (``wire.Streamed``, for the
gateway's spools), ``query_job`` answers one job; both are the jobs
plugin's operations, and the plugin toolkit's (``restd_core.plugin_api``)."""
from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator, Sequence
from itertools import groupby
from operator import itemgetter
from typing import Any

import classad2
import htcondor2
import orjson

from restd_core.gateway.errors import BadQuery, NotFound
from restd_core.gateway.wire import EncodedItems, JsonBody, Streamed
from restd_core.gateway.worker.classads import ads_to_dicts, ads_to_json, filtered, redact
from restd_core.gateway.worker.condor import ask, hidden_job_attrs, malloc_trim
from restd_core.gateway.worker.encoding import encoded_items, grouped
from restd_core.gateway.worker.expressions import Constraint, conjunction, judged

#: What a job is known and sorted by.
JOB_KEY = ("clusterid", "procid")


def job_objects(keys: list[tuple[int, int]], classads: list[str], schedd: str | None = None) -> list[str]:
    """``{"jobid": "C.P", "classad": {...}}`` of each job, from its
    ``(ClusterId, ProcId)`` and the JSON text of its classad; with
    ``schedd``, ``"schedd": <it>`` after the job id (a pool-wide listing's)."""
    tag = f',"schedd":{orjson.dumps(schedd).decode()}' if schedd is not None else ""
    return [f'{{"jobid":"{cluster}.{proc}"{tag},"classad":{classad}}}' for (cluster, proc), classad in zip(keys, classads)]


def _cluster(cluster: int | None) -> list[str]:
    return [] if cluster is None else [f"ClusterId == {int(cluster)}"]


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


#: Whole job ads asked of the schedd at once. The bindings' ClassAds take
#: several times their JSON in a worker's memory, and hand over none before
#: all are in: a 50,000-job listing is made of batches, so that a worker
#: holds one batch, not the whole listing's ads (bench/README.md).
WHOLE_ADS_PER_QUERY = 4_000


def _whole_ad_batches(client: htcondor2.Schedd, where: str, limit: int | None) -> Iterator[list[classad2.ClassAd]]:
    """The matching queue jobs' whole ads, the ``limit`` lowest job ids of
    them, in batches of at most ``WHOLE_ADS_PER_QUERY`` in job-id order
    (each in no particular order): whole clusters together, a larger one in
    spans of ProcIds. Which clusters match, and how many jobs each, the
    schedd counts itself (``QueryOpt.GroupBy``: a tenth of the time a query
    of every job id takes); its group ads must pass the constraint too, so
    it is made true for them (they alone have ``JobCount``)."""
    groups = client.query(f"ifThenElse(isUndefined(JobCount), {where}, true)", ["ClusterId"],
                          opts=htcondor2.QueryOpt.GroupBy)
    clusters = sorted((ad["ClusterId"], ad["JobCount"], ad.get("JobIds", "")) for ad in groups if "ClusterId" in ad)
    wanted = limit or sum(count for _, count, _ in clusters)
    batch: list[int] = []
    in_batch = 0
    for cluster, count, job_ids in clusters:
        if wanted <= 0:
            break
        if batch and (in_batch + count > WHOLE_ADS_PER_QUERY or count > WHOLE_ADS_PER_QUERY):
            yield client.query(conjunction(where, f"ClusterId >= {batch[0]} && ClusterId <= {batch[-1]}"), [])
            batch, in_batch = [], 0
        if count > WHOLE_ADS_PER_QUERY:
            yield from _cluster_in_spans(client, where, cluster, count, job_ids)
        else:
            batch.append(cluster)
            in_batch += count
        wanted -= count
    if batch:
        yield client.query(conjunction(where, f"ClusterId >= {batch[0]} && ClusterId <= {batch[-1]}"), [])


def _cluster_in_spans(client: htcondor2.Schedd, where: str, cluster: int, count: int,
                      job_ids: str) -> Iterator[list[classad2.ClassAd]]:
    """A large cluster's matching jobs, ProcIds ``WHOLE_ADS_PER_QUERY`` apart
    at a time (no span can hold more), until its ``count`` are in: up to the
    last job id the schedd named (``JobIds``: "C.P ... C.P"), then the rest."""
    last = int(job_ids.rsplit(".", 1)[-1]) if job_ids.rsplit(".", 1)[-1].isdigit() else 0
    seen, low = 0, 0
    while seen < count:
        span = f"ProcId >= {low}" if low > last else f"ProcId >= {low} && ProcId < {low + WHOLE_ADS_PER_QUERY}"
        ads = client.query(conjunction(where, f"ClusterId == {cluster} && {span}"), [])
        seen += len(ads)
        yield ads
        if low > last:
            return
        low += WHOLE_ADS_PER_QUERY


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
    hidden: frozenset[str],
    in_id_order: bool,
    before: str | None = None,
) -> Iterator[list[classad2.ClassAd]]:
    """The jobs a caller's constraint holds for, judged here, not by the
    schedd (``Constraint.judged_here``): a constraint whose cost has no
    bound a daemon would keep to (``constraint_cost``); and, while
    job attributes are hidden, a constraint that names none of them
    may still read one through an attribute whose value is an expression
    (``Leak = regexp("^x", Environment)``): the schedd would evaluate it
    over the real value, and which jobs match would tell it. Here the
    constraint is evaluated on ads whose hidden attributes read
    ``"<REDACTED>"``, so the answer cannot depend on them. Asking the schedd
    for the constraint's attributes brings what it needs: a projection also
    returns every attribute its expressions refer to.

    ``fetch(constraint, projection, match)``: the listing's jobs (the
    caller's constraint left out), newest first for a history, whose page
    begins after the job ``before`` if given. Whole ads (no
    ``projection``) are fetched in two steps: the judgement on the few
    attributes it needs, then the whole ads of the jobs it chose, a batch
    of ``WHOLE_ADS_PER_QUERY`` at a time.
    """
    needs = [*constraint.attributes, *JOB_KEY]
    judged = constraint.holding(fetch("true", [*projection, *needs] if projection else needs, -1), hidden)
    if in_id_order:
        judged.sort(key=itemgetter(*JOB_KEY))
    if before is not None:
        after = _after_job(judged, before)
        if after is None:
            raise _cursor_gone(before)
        judged = after
    judged = judged[:limit] if limit else judged
    if projection or not judged:
        yield judged
        return
    chosen = [tuple(map(ad.get, JOB_KEY)) for ad in judged]
    del judged
    for first in range(0, len(chosen), WHOLE_ADS_PER_QUERY):
        batch = chosen[first:first + WHOLE_ADS_PER_QUERY]
        wanted = set(batch)
        ranges = _id_ranges(sorted(wanted))
        whole = fetch(ranges or "true", [], len(wanted) if ranges else -1)
        redact(whole, hidden)
        by_id = {tuple(map(ad.get, JOB_KEY)): ad for ad in whole if tuple(map(ad.get, JOB_KEY)) in wanted}
        del whole
        yield [by_id[job] for job in batch if job in by_id]


def _history_before(client: htcondor2.Schedd, where: str, projection: list[str], limit: int | None,
                    before: str) -> list[classad2.ClassAd]:
    """The ``limit`` history jobs recorded just before job ``before``
    ("C.P"), newest first: the page after the one that ended with it.

    The history is read from its newest end, and has no "start after": its
    jobs newer than the cursor are counted first (``since`` stops there),
    then as many as those, the cursor and the page are read, and the page
    is what follows the cursor. A job recorded meanwhile lands before the
    cursor, never in a page past it: each job is served once.
    """
    newer = len(client.history(where, list(JOB_KEY), match=-1, since=before))
    for extra in (0, 256):  # a few jobs may have been recorded between the two reads
        ads = client.history(where, projection, match=newer + 1 + (limit or 0) + extra if limit else -1)
        page = _after_job(ads, before)
        if page is not None:
            return page[:limit] if limit else page
    raise _cursor_gone(before)


def _cursor_gone(before: str) -> BadQuery:
    return BadQuery(f"job {before} is no longer in the history (it rotated out, or no longer matches)",
                    {"parameter": "before"})


def _after_job(ads: list[classad2.ClassAd], job: str) -> list[classad2.ClassAd] | None:
    """The ads after the one of ``job`` ("C.P"); None if it is not among them."""
    wanted = tuple(int(part) for part in job.split("."))
    for index, ad in enumerate(ads):
        if tuple(map(ad.get, JOB_KEY)) == wanted:
            return ads[index + 1:]
    return None


def _shown_and_asked(projection: Sequence[str]) -> tuple[set[str] | None, list[str]]:
    """The (lower-cased) attributes a caller is shown, and what the schedd is
    asked for: those and the job ids. Asked in lower case, the schedd mostly
    names them so (an attribute that another's expression names first keeps
    that spelling; the output filter lowers every key)."""
    if not projection:
        return None, []
    lowered = [name.lower() for name in projection]
    return set(lowered), list(dict.fromkeys([*lowered, *JOB_KEY]))


def query_jobs(
    schedd: str,
    source: str,
    constraint: str | None = None,
    projection: Sequence[str] = (),
    cluster: int | None = None,
    limit: int | None = None,
    since: str | None = None,
    before: str | None = None,
    part: int = 0,
    parts: int = 1,
    group_by: str | None = None,
    tag_schedd: bool = False,
) -> Streamed | JsonBody:
    """Jobs from a schedd's queue (``source="queue"``, in job-id order) or
    its history (newest first), as v1 job objects (``{"jobid": "C.P",
    "classad": {...}}``) encoded here and streamed as they are made, their
    ads through the one output filter (``classads``: only the
    ``projection``'s attributes, keys lower-cased, hidden ones
    redacted); with ``group_by``, grouped by that attribute's value.

    Cursors (job ids "C.P"): ``since``, the history's jobs recorded after
    it, or the queue's jobs after it in job-id order (``after`` of the
    URL); ``before``, the history's jobs recorded before it (its pages).
    ``parts`` > 1 splits a queue listing between as many calls (each in its
    own worker): this one answers the jobs whose ClusterId + ProcId modulo
    ``parts`` is ``part``. ``tag_schedd``: each job object also names its
    ``schedd`` (a pool-wide listing's).
    """
    hidden = hidden_job_attrs()
    caller = judged(constraint, hidden)
    ours = _cluster(cluster)
    if source == "queue":
        ours += [_after(since)] if since is not None else []
        ours += [f"(ClusterId + ProcId) % {int(parts)} == {int(part)}"] if parts > 1 else []
    shown, asked = _shown_and_asked(projection)

    def batches(client: htcondor2.Schedd) -> Iterator[list[classad2.ClassAd]]:
        def fetch(where: str, attributes: list[str], match: int) -> list[classad2.ClassAd]:
            if source == "history":
                return client.history(conjunction(*ours, where), attributes, match=match, since=since)
            return client.query(conjunction(*ours, where), attributes)

        where = conjunction(*ours, caller.wire)
        if caller.here is not None:
            yield from _jobs_judged_here(fetch, caller.here, asked, limit, hidden, source == "queue", before)
        elif source == "history" and before is not None:
            yield _history_before(client, where, asked, limit, before)
        elif source == "history":
            yield fetch(caller.wire or "true", asked, limit or -1)
        elif asked or (limit and limit <= WHOLE_ADS_PER_QUERY):  # small ads, or few
            yield _first_jobs(client, where, asked, limit)
        else:
            yield from _whole_ad_batches(client, where, limit)

    def first_batch(client: htcondor2.Schedd) -> tuple[list[classad2.ClassAd], Iterator[list[classad2.ClassAd]]]:
        made = batches(client)
        return next(made, []), made

    # The first batch is asked with the schedd's retry (nothing is sent yet);
    # the others as the answer goes out (an error then ends it as a 503).
    first, rest = ask("schedd", first_batch, schedd=schedd)
    answer = _JobObjects(first, rest, source == "queue", limit, shown, hidden, schedd if tag_schedd else None)
    if group_by is None:
        return Streamed(iter(answer), answer.summary)
    body = b"".join(answer)  # grouping needs every item: bounded by RESTD_MAX_JOBS
    return grouped(EncodedItems(answer.keys, answer.lengths, [body]), group_by.lower())


class _JobObjects:
    """The job objects of a listing's batches, encoded a few hundred ads at
    a time, each ClassAd freed once encoded (iterate it for the pieces, in
    job-id order for a queue, as the schedd gave them for a history; then
    ``summary()``)."""

    #: ClassAds encoded at once: one pass of ``encoding.encoded_items``.
    ADS_PER_PIECE = 500

    def __init__(self, first: list[classad2.ClassAd], rest: Iterator[list[classad2.ClassAd]], in_id_order: bool,
                 limit: int | None, shown: set[str] | None, hidden: frozenset[str], schedd: str | None) -> None:
        self._batches = itertools.chain([first], rest)
        self._in_id_order, self._limit, self._shown, self._hidden = in_id_order, limit, shown, hidden
        self._schedd = schedd
        self.keys: list[tuple[int, int]] = []
        self.lengths: list[int] = []

    def __iter__(self) -> Iterator[bytes | memoryview]:
        for ads in self._batches:
            if self._in_id_order:
                ads.sort(key=itemgetter(*JOB_KEY))  # ClassAd names are case-insensitive
            if self._limit:
                del ads[self._limit - len(self.keys):]
            while ads:
                chunk = ads[:self.ADS_PER_PIECE]
                del ads[:self.ADS_PER_PIECE]
                keys, texts, lowered = ads_to_json(chunk, JOB_KEY, self._shown, self._hidden)
                del chunk
                items = encoded_items(keys, job_objects(keys, texts, self._schedd), lower=not lowered)
                if self.keys:
                    yield b","
                yield from items.pieces
                self.keys += items.keys
                self.lengths += items.lengths
            malloc_trim()

    def summary(self) -> dict[str, list]:
        return {"keys": self.keys, "lengths": self.lengths}


def query_job(
    schedd: str,
    source: str,
    cluster: int,
    proc: int,
    projection: Sequence[str] = (),
    attribute: str | None = None,
) -> JsonBody:
    """One job of a schedd's queue or history as its v1 object, encoded
    here (through the output filter, as ``query_jobs``); with ``attribute``,
    that attribute's bare JSON value. ``NotFound`` if there is no such job
    (or it lacks the attribute). The schedd stops at the first match."""
    shown, asked = _shown_and_asked([attribute] if attribute else projection)
    # ProcId first: it tells most jobs apart at once (a cluster has many).
    where = f"ProcId == {int(proc)} && ClusterId == {int(cluster)}"

    def one(client: htcondor2.Schedd) -> list[classad2.ClassAd]:
        if source == "history":
            return client.history(where, asked, match=1)
        return client.query(where, asked, limit=1)

    ads = ask("schedd", one, schedd=schedd)
    if not ads:
        raise NotFound(f"no job {cluster}.{proc} in the {source} of {schedd}",
                       {"schedd": schedd, "jobid": f"{cluster}.{proc}"})
    classad = filtered(ads_to_dicts(ads[:1]), shown, hidden_job_attrs())[0]
    if attribute is None:
        return JsonBody(orjson.dumps({"jobid": f"{cluster}.{proc}", "classad": classad}))
    value = classad.get(attribute.lower())
    if value is None:
        raise NotFound(f"job {cluster}.{proc} has no attribute {attribute}", {"attribute": attribute})
    return JsonBody(orjson.dumps(value))


def job_classads(schedd: str, source: str, constraint: str | None = None, projection: Sequence[str] = (),
                 limit: int | None = None) -> list[dict[str, Any]]:
    """The classads of ``query_jobs``' listing (through the same filter and
    judgement), as dicts, for an operation that makes its own answer of
    them (counts...). They are held whole in the worker: ask for a
    projection, and a ``limit``."""
    answer = query_jobs(schedd, source, constraint, projection, limit=limit)
    assert isinstance(answer, Streamed)  # not grouped
    return [job["classad"] for job in orjson.loads(b"[" + b"".join(bytes(piece) for piece in answer.pieces) + b"]")]


def autocluster_ads(schedd: str, ids: list[int]) -> list[classad2.ClassAd]:
    """The schedd's autocluster ads of these AutoClusterIds
    (``QueryOpt.AutoCluster``: one ad per set of jobs alike for matchmaking,
    with the attributes that make them so, its ``AutoClusterId`` and
    ``JobCount``), as ClassAds for an operation to evaluate (matchmaking
    analysis), never to answer with: hidden job attributes read
    ``"<REDACTED>"`` in them."""
    if not ids:
        return []
    wanted = "member(AutoClusterId, {" + ", ".join(str(int(id_)) for id_ in ids) + "})"
    ads = ask("schedd", lambda client: client.query(wanted, opts=htcondor2.QueryOpt.AutoCluster), schedd=schedd)
    redact(ads, hidden_job_attrs())
    return ads


def job_ad(schedd: str, cluster: int, proc: int) -> classad2.ClassAd:
    """One queued job's whole ad, for an operation to evaluate (as
    ``autocluster_ads``: hidden job attributes read ``"<REDACTED>"``);
    ``NotFound`` if the queue has no such job."""
    where = f"ProcId == {int(proc)} && ClusterId == {int(cluster)}"
    ads = ask("schedd", lambda client: client.query(where, [], limit=1), schedd=schedd)
    if not ads:
        raise NotFound(f"no job {cluster}.{proc} in the queue of {schedd}",
                       {"schedd": schedd, "jobid": f"{cluster}.{proc}"})
    redact(ads, hidden_job_attrs())
    return ads[0]
