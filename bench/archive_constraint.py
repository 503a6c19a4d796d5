"""Benchmark of a constrained history window read from the archive
(plugin archive): the caller's constraint judged in the worker on every
archived job of the window (as before), against the same with its
comparisons of archived columns pushed down into SQL (``pushdown``).

    CONDOR_CONFIG=/var/tmp/condor-restd-pool-client/condor_config.client \\
        .venv/bin/python bench/archive_constraint.py [--archive URL] [--rounds 5]

It reads an archive ``bench/archive.py`` filled (1,000,000 synthetic jobs
of 20 owners over 30 days; by default the ones whose URLs are in
``/var/tmp/bench-arch/{sqlite,postgresql}.url``, which it never writes:
SQLite is opened read-only) and times, side by side (the median of
``--rounds``, each round every case once), the whole answer of
``operations.archived_history`` (what the gateway's worker makes: ads
judged and encoded) for the last 24 hours of the archive's jobs:

- ``Owner == "user03"`` (one owner in 20), and ``Owner == "USER03" &&
  JobStatus == 4`` (strings compare case-insensitively: the same jobs but
  the removed ones), each judged on every job of the window, then pushed
  down;
- ``RestdBench =?= 1`` (no archived column: judged on every job either
  way), whose window is refused past ``restd.archive.max_judged``, and
  ``Owner == "user03"`` over the archive's whole 30 days, whole (refused
  past a bound) and a page of 100 (answered from the newest jobs): how
  long each takes within the default bounds.

Numbers in bench/README.md.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path
from unittest import mock

from sqlalchemy import create_engine, event, func, select

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.archive import SCHEDD, timed  # noqa: E402
from restd_plugins.archive import operations, store  # noqa: E402
from restd_plugins.archive.settings import ArchiveSettings  # noqa: E402

BENCH_ARCHIVES = Path("/var/tmp/bench-arch")
CONSTRAINTS = ('Owner == "user03"', 'Owner == "USER03" && JobStatus == 4')
#: A constraint no archived column answers.
UNANSWERED = "RestdBench =?= 1"


def read_only(url: str):
    """An engine on the archive at ``url`` that cannot write it (SQLite: opened read-only)."""
    if url.startswith("sqlite:"):
        path = url.removeprefix("sqlite:///")
        engine = create_engine("sqlite://", creator=lambda: __import__("sqlite3").connect(
            f"file:{path}?mode=ro", uri=True, check_same_thread=False))
        return engine
    engine = store.engine_for(url, statement_timeout=600)

    @event.listens_for(engine, "connect")
    def _read_only(connection, _record) -> None:
        cursor = connection.cursor()
        cursor.execute("SET default_transaction_read_only = on")
        cursor.close()

    return engine


def listed(url: str, after: int, before: int, constraint: str, pushdown: bool,
           bounds: ArchiveSettings | None = None, limit: int | None = None) -> tuple[int, str | None]:
    """The jobs of the window that hold, or the refusal's message (within ``bounds``' if given)."""
    with mock.patch.object(operations, "pushed_down", operations.pushed_down if pushdown else lambda *_: []):
        try:
            answer = operations.archived_history(
                url, SCHEDD, after, before, constraint, limit=limit, max_judged=bounds.max_judged if bounds else None,
                max_scanned=bounds.max_scanned if bounds else None)
            for _ in answer.pieces:
                pass
        except operations.BadQuery as refused:
            return 0, refused.message
    return len(answer.summary()["keys"]), None


def measure(url: str, rounds: int) -> None:
    engine = read_only(url)
    operations._engines[url] = engine  # the worker's engine for this URL: read-only
    with engine.connect() as connection:
        newest = connection.execute(select(func.max(store.jobs.c.completed))).scalar_one()
        after, before = newest - 86400 + 1, newest + 1
        window = connection.execute(select(func.count()).select_from(store.jobs).where(
            store.jobs.c.completed >= after, store.jobs.c.completed < before)).scalar_one()
    print(f"{engine.dialect.name}: {window} archived jobs in the last 24 hours")
    for constraint in CONSTRAINTS:
        held = {pushdown: listed(url, after, before, constraint, pushdown)[0] for pushdown in (False, True)}
        assert held[False] == held[True], held
        before_s, after_s = (timed(lambda pushdown=pushdown, constraint=constraint: listed(
            url, after, before, constraint, pushdown), rounds) for pushdown in (False, True))
        print(f"  {constraint:<40} {held[True]:6} jobs: judged on all {before_s:7.3f} s, pushed down "
              f"{after_s:7.3f} s: {before_s / after_s:6.1f}x")
    bounds = ArchiveSettings()
    _, refusal = listed(url, after, before, UNANSWERED, True, bounds)
    refused = timed(lambda: listed(url, after, before, UNANSWERED, True, bounds), rounds)
    whole = timed(lambda: listed(url, after, before, UNANSWERED, True), rounds)
    print(f"  {UNANSWERED:<40} judged on all {whole:7.3f} s; with max_judged={bounds.max_judged}: "
          f"{'refused' if refusal else 'answered'} in {refused:7.3f} s")
    month = newest - 30 * 86400
    for limit in (None, 100):
        held, refusal = listed(url, month, before, CONSTRAINTS[0], True, bounds, limit)
        seconds = timed(lambda limit=limit: listed(url, month, before, CONSTRAINTS[0], True, bounds, limit), rounds)
        print(f"  {CONSTRAINTS[0] + ' over 30 days, limit ' + str(limit):<40} within the bounds: "
              f"{'refused (' + refusal.split(': ')[1].split(';')[0] + ')' if refusal else f'{held} jobs'} "
              f"in {seconds:7.3f} s")
    engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--archive", action="append", help="an archive's URL (default: the bench archives')")
    parser.add_argument("--rounds", type=int, default=5)
    options = parser.parse_args()
    urls = options.archive or [(BENCH_ARCHIVES / f"{kind}.url").read_text().strip()
                               for kind in ("sqlite", "postgresql") if (BENCH_ARCHIVES / f"{kind}.url").exists()]
    for url in urls:
        measure(url, options.rounds)


if __name__ == "__main__":
    main()
