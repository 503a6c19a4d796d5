"""The archive's operations, run in the gateway's worker processes: a
schedd's history read for the ingester, archived jobs read for a history
window (the caller's constraint is evaluated on ClassAds, which only a
worker may make), and the numbers over time (a summary may read a window
of millions of rows: in a worker it takes its caller's turn, is bounded by
the gateway's timeout and holds no thread of the server's)."""
from __future__ import annotations

import itertools
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import classad2
import orjson
from htcondor2 import DaemonType
from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

from restd_core.plugin_api.worker import (
    REDACTED,
    BadQuery,
    JsonBody,
    Streamed,
    Unavailable,
    ask,
    filtered,
    hidden_job_attrs,
    judged,
    query_jobs,
)

from . import store
from .pushdown import pushed_down
from .summary import summary

#: Archived rows read per query while a window is listed.
ROWS_PER_READ = 500

_engines: dict[str, Engine] = {}


def _engine(url: str) -> Engine:
    """This worker's engine for the archive at ``url`` (made at its first use)."""
    if url not in _engines:
        _engines[url] = store.engine_for(url)
    return _engines[url]


def history_since(schedd: str, cursor: str | None, batch: int, start_now: bool = False) -> dict[str, Any]:
    """The oldest ``batch`` jobs the schedd's history recorded after the
    job ``cursor`` ("C.P"; None: its whole history), oldest first, as the
    toolkit's output filter gives them (hidden attributes redacted):
    ``{"ads", "cursor" (the newest of them), "more" (whether newer ones
    are left)}``. The schedd is asked for the ids first (two attributes a
    job), then for the whole ads of the batch (its spans of job ids, ``_spans``).
    ``start_now``: no ads, the cursor at the newest job recorded (a first
    read that takes nothing of what is there)."""
    if start_now:
        newest = ask("schedd", lambda client: client.history("true", ["ClusterId", "ProcId"], match=1), schedd=schedd)
        return {"ads": [], "cursor": f"{newest[0]['ClusterId']}.{newest[0]['ProcId']}" if newest else None,
                "more": False}
    newest_first = ask("schedd", lambda client: [
        (ad["ClusterId"], ad["ProcId"]) for ad in client.history("true", ["ClusterId", "ProcId"], since=cursor)],
        schedd=schedd)
    oldest, where = _spans(newest_first[::-1][:batch])
    if not oldest:
        return {"ads": [], "cursor": cursor, "more": False}
    place = {job: index for index, job in enumerate(oldest)}
    answer = query_jobs(schedd, "history", where, since=cursor)
    assert isinstance(answer, Streamed)  # a listing (no group_by)
    ads = orjson.loads(b"[" + b"".join(bytes(piece) for piece in answer.pieces) + b"]")
    wanted = [job["classad"] for job in ads if (job["classad"].get("clusterid"), job["classad"].get("procid")) in place]
    wanted.sort(key=lambda ad: place[(ad["clusterid"], ad["procid"])])
    cluster, proc = oldest[-1]
    return {"ads": wanted, "cursor": f"{cluster}.{proc}", "more": len(newest_first) > len(oldest)}


#: Spans of job ids one batch's constraint names at most.
MAX_SPANS = 32


def _spans(jobs: list[tuple[int, int]]) -> tuple[list[tuple[int, int]], str]:
    """The first of ``jobs`` (in history order) that ``MAX_SPANS`` spans of
    consecutive ProcIds of one cluster name, and the constraint naming them
    exactly (a schedd's history holds a cluster's jobs mostly together)."""
    spans: list[list[int]] = []  # [cluster, first proc, last proc]
    taken = 0
    for cluster, proc in jobs:
        if spans and spans[-1][0] == cluster and spans[-1][2] + 1 == proc:
            spans[-1][2] = proc
        elif len(spans) == MAX_SPANS:
            break
        else:
            spans.append([cluster, proc, proc])
        taken += 1
    where = " || ".join(f"(ClusterId == {cluster} && ProcId >= {first} && ProcId <= {last})"
                        for cluster, first, last in spans)
    return jobs[:taken], where


def _classad(text: str) -> classad2.ClassAd:
    """An archived ad (HTCondor's JSON form, lower-cased keys) as a ClassAd
    again: its expressions (``"/Expr(...)/"``) as expressions."""
    escaped = text.replace('"/Expr(', '"\\/Expr(').replace(')/"', ')\\/"')
    return classad2.parseOne(escaped, classad2.ParserType.JSON)


def _shown(text: str, shown: set[str] | None, hidden: frozenset[str]) -> bytes:
    """An archived ad (its JSON text) through the output filter: as it was
    stored when it is whole and holds no hidden attribute's value (it was
    filtered on its way in: only an attribute hidden since may be there);
    else decoded and filtered again."""
    if shown is None and not any(f'"{name}":' in text and f'"{name}":"{REDACTED}"' not in text for name in hidden):
        return text.encode()
    return orjson.dumps(filtered([orjson.loads(text)], shown, hidden)[0])


@contextmanager
def _answering() -> Iterator[None]:
    """The archive's database failing within: ``Unavailable`` (503), as a daemon that does not answer."""
    try:
        yield
    except SQLAlchemyError:
        raise Unavailable("the archive's database did not answer", {"archive": "unavailable"}) from None


def too_costly(reason: str, limit: int, setting: str) -> BadQuery:
    """The refusal of a constrained window past one of its bounds (a 400,
    as a query too costly to run), for ``reason``."""
    return BadQuery(
        f"the constraint is too costly to evaluate on this window: {reason}; narrow the window (completed_after, "
        "completed_before) or the constraint (comparisons of archived columns with literals, such as "
        "Owner == \"name\", joined by &&, are answered by the archive's database)",
        {"parameter": "constraint", "limit": limit, "setting": setting})


def _within_scan(chunks: Iterator[list[tuple[int, int, int, str]]]) -> Iterator[list[tuple[int, int, int, str]]]:
    """A window's chunks, ``too_costly`` once they reach past ``restd.archive.max_scanned``."""
    try:
        yield from chunks
    except store.WindowTooLarge as exc:
        raise too_costly(f"it was judged on the newest {exc.args[0]} archived jobs of the window (below the page's "
                         "cursor: restd.archive.max_scanned), older ones are left", exc.args[0],
                         "restd.archive.max_scanned") from None


def archived_history(archive: str, schedd: str, after: int | None = None, before: int | None = None,
                     constraint: str | None = None, projection: Sequence[str] = (), cluster: int | None = None,
                     limit: int | None = None, cursor: str | None = None, tag_schedd: bool = False,
                     max_judged: int | None = None, max_scanned: int | None = None) -> Streamed:
    """The schedd's archived jobs that completed in ``[after, before)``,
    newest first, as v1 job objects through the one output filter (the
    hidden attributes of now redacted again; the ``constraint`` evaluated
    here on the redacted ads, on the rows its comparisons of archived
    columns leave: ``pushdown``), streamed: like ``query_jobs`` of a
    history. ``cursor``: the page after this job ("C.P"). ``max_judged``:
    the most rows the constraint may be judged false on, ``max_scanned`` the
    newest rows of the window it goes through (past either, with the page
    not full: ``too_costly``)."""
    engine = _engine(archive)
    hidden = hidden_job_attrs()
    caller = judged(constraint, hidden).constraint if constraint else None
    where = pushed_down(caller.comparisons(), hidden) if caller is not None else []
    shown = {name.lower() for name in projection} or None
    below = None
    with _answering():
        if cursor is not None:
            below = store.row_id(engine, schedd, *(int(part) for part in cursor.split(".")))
            if below is None:
                raise BadQuery(f"job {cursor} is not in the archive's window", {"parameter": "before"})
        # The ids read at most: the page's, and the budget's of jobs judged in vain, and one more (past it).
        most = (limit or 0) + max_judged + 1 if max_judged is not None and caller is not None else None
        chunks = _within_scan(store.window_rows(engine, schedd, after, before, cluster, below, ROWS_PER_READ, where,
                                                most, max_scanned if caller is not None else None))
        first = next(chunks, [])  # read here: a database that does not answer is a 503 before anything is sent
    keys: list[tuple[int, int]] = []
    lengths: list[int] = []
    tag = f',"schedd":{orjson.dumps(schedd).decode()}' if tag_schedd else ""

    def holding(rows: list[tuple[int, int, int, str]]) -> list[tuple[int, int, int, str]]:
        assert caller is not None  # judged here, on the redacted ads: the answer cannot depend on a hidden value
        ads = [_classad(row[3]) for row in rows]
        held = {id(ad) for ad in caller.holding(ads, set(hidden))}
        return [row for row, ad in zip(rows, ads) if id(ad) in held]

    def pieces() -> Iterator[bytes]:
        in_vain = 0  # jobs the constraint was judged false on: what the budget counts (a page's jobs cost a listing)
        with _answering():
            for rows in itertools.chain([first], chunks):
                if not rows:
                    continue
                if caller is not None:
                    held = holding(rows)
                    in_vain += len(rows) - len(held)
                    rows = held
                yield from _encoded(rows)
                if limit and len(keys) >= limit:
                    return
                if max_judged is not None and in_vain > max_judged:
                    raise too_costly(f"it was judged false on more than {max_judged} archived jobs before the page "
                                     "filled (restd.archive.max_judged)", max_judged, "restd.archive.max_judged")

    def _encoded(rows: list[tuple[int, int, int, str]]) -> Iterator[bytes]:
        if limit:
            rows = rows[:limit - len(keys)]
        items = [b'{"jobid":"%d.%d"%s,"classad":%s}' % (row[1], row[2], tag.encode(), _shown(row[3], shown, hidden))
                 for row in rows]
        if items:
            yield (b"," if keys else b"") + b",".join(items)
            keys.extend((row[1], row[2]) for row in rows)
            lengths.extend(len(item) for item in items)

    return Streamed(pieces(), lambda: {"keys": keys, "lengths": lengths})


def local_schedd() -> str:
    """The local schedd's name (what the schedd ``DEFAULT`` is archived as)."""
    return ask("collector", lambda collector: collector.locate(DaemonType.Schedd))["Name"]


def history_summary(archive: str, start: int, end: int, bucket: int, by: str | None, schedd: str | None) -> JsonBody:
    """``summary.summary`` of the archive at ``archive``, as JSON."""
    with _answering():
        return JsonBody(orjson.dumps(summary(_engine(archive), start, end, bucket, by, schedd)))
