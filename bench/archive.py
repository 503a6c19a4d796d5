"""Benchmark of the archive of finished jobs (plugin archive), on SQLite and
on PostgreSQL, against the schedd's own history.

    CONDOR_CONFIG=/var/tmp/condor-restd-pool-client/condor_config.client \\
        .venv/bin/python bench/archive.py [--jobs 1000000] [--rounds 5] [--backends sqlite,postgresql]

For each backend, an empty archive (SQLite: a file in a temporary
directory; PostgreSQL: scripts/postgresql.sh in one) is filled with
``--jobs`` synthetic jobs shaped like the pool's newest real history ad
(its attributes; each job its own ids, one of 20 owners, completions
spread over 30 days in the order they are recorded, a state, wall and CPU
time, memory) through the
ingester's own write (``store.archive_batch``, 1,000 jobs a transaction):
the ingest rate in jobs per second, and the bytes on disk per job. Then,
timed side by side (the median of ``--rounds``, each round every case once):

- ``summary 24h``: the last 24 hours by Owner in hourly buckets
  (``summary.summary``, what /v1/summary/history answers);
- ``page 1000``: a page of 1,000 jobs of a one-hour window (longer for fewer
  jobs: one that holds about 2,000), as the gateway's
  worker makes it (``operations.archived_history``, encoded v1 job objects);
  ``page 1000 of 30d``: the first page of the whole 30 days (a wide window:
  ``store.WIDE_WINDOW_ROWS``);
- ``schedd window``: ``Schedd.history`` of a window of the pool's history
  holding 10,000 jobs (its newest 10,000 by completion, or all if fewer),
  whole ads; ``schedd page``: its first 1,000 (``match=1000``).

and each archive case's time against the schedd's (targets: the summary
under 0.2 s, the page under 0.1 s, both at least 10 times cheaper than the
schedd's window). Numbers in bench/README.md.
"""
from __future__ import annotations

import argparse
import os
import random
import signal
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import orjson

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from restd_plugins.archive import operations, store  # noqa: E402
from restd_plugins.archive.summary import summary  # noqa: E402
from restd_plugins.jobs.windows import window_constraint  # noqa: E402
from tests.postgresql_server import LocalPostgreSQL  # noqa: E402

SCHEDD = "bench@archive"
OWNERS = [f"user{number:02d}" for number in range(20)]
DAYS = 30
PER_TRANSACTION = 1000


def template() -> dict:
    """The pool's newest history ad that is not a test's padded one (lower-cased keys)."""
    import htcondor2

    for ad in htcondor2.Schedd().history("true", [], match=50):
        if "Padding" not in ad:
            return {name.lower(): value for name, value in orjson.loads(ad.printJson()).items()}
    raise SystemExit("the pool's history has no job to shape the synthetic ones like")


def synthetic(base: dict, count: int, now: int) -> Iterator[list[dict]]:
    """``count`` jobs like ``base``, each its own, ``PER_TRANSACTION`` at a time (made as they are written)."""
    chance = random.Random(42)
    for first in range(0, count, PER_TRANSACTION):
        jobs = []
        for number in range(first, min(first + PER_TRANSACTION, count)):
            # In the order a schedd records them (the ingester writes each batch oldest first), a minute astray.
            completed = now - DAYS * 86400 + number * DAYS * 86400 // count + chance.randrange(-60, 60)
            wall = chance.randrange(60, 7200)
            queued = completed - wall - chance.randrange(0, 3600)
            removed = chance.random() < 0.1
            jobs.append({**base, "clusterid": number // 10 + 1, "procid": number % 10,
                         "owner": chance.choice(OWNERS), "qdate": queued,
                         "jobstartdate": queued + chance.randrange(1, 600), "jobstatus": 3 if removed else 4,
                         "completiondate": 0 if removed else completed, "enteredcurrentstatus": completed,
                         "remotewallclocktime": float(wall), "remoteusercpu": float(wall * chance.random()),
                         "remotesyscpu": 1.0, "requestcpus": 1, "requestmemory": 2048,
                         "residentsetsize_raw": chance.randrange(100_000, 2_000_000),
                         "numjobstarts": chance.choice([1, 1, 1, 2]), "exitcode": chance.choice([0, 0, 0, 1]),
                         "globaljobid": f"bench#{number // 10 + 1}.{number % 10}"})
        yield jobs


def fill(engine, batches: Iterator[list[dict]]) -> tuple[int, float]:
    """The jobs written, and how many a second, a transaction per batch."""
    written = 0
    started = time.perf_counter()
    for batch in batches:
        store.archive_batch(engine, SCHEDD, batch, f"{batch[-1]['clusterid']}.{batch[-1]['procid']}", int(time.time()))
        written += len(batch)
    return written, written / (time.perf_counter() - started)


def disk_bytes(engine, url: str) -> int:
    if store.is_postgresql(engine):
        with engine.connect() as connection:
            return connection.exec_driver_sql("SELECT pg_total_relation_size('restd_archive_jobs')").scalar()
    path = Path(url.removeprefix("sqlite:///"))
    with engine.connect() as connection:
        connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    return sum(file.stat().st_size for file in path.parent.glob(f"{path.name}*"))


def timed(call: Callable[[], object], rounds: int) -> float:
    seconds = []
    for _ in range(rounds):
        started = time.perf_counter()
        call()
        seconds.append(time.perf_counter() - started)
    return statistics.median(seconds)


def page(url: str, after: int, before: int) -> int:
    answer = operations.archived_history(url, SCHEDD, after, before, limit=1000)
    size = sum(len(piece) for piece in answer.pieces)
    assert len(answer.summary()["keys"]) == 1000, "the window holds fewer than 1,000 jobs"
    return size


def enough_history(jobs: int = 10_000) -> None:
    """The pool's schedd's history holds at least ``jobs`` jobs: if not, held jobs are submitted and removed
    (they are in its history at once)."""
    import htcondor2

    schedd = htcondor2.Schedd()
    missing = jobs - len(schedd.history("true", ["ClusterId"]))
    if missing <= 0:
        return
    print(f"adding {missing} removed jobs to the schedd's history")
    cluster = schedd.submit(htcondor2.Submit({"executable": "/bin/true", "hold": "true"}), count=missing).cluster()
    schedd.act(htcondor2.JobAction.Remove, f"ClusterId == {cluster}", reason="bench/archive.py")
    while len(schedd.history(f"ClusterId == {cluster}", ["ProcId"])) < missing:
        time.sleep(1)


def schedd_window(jobs: int = 10_000) -> tuple[str, int]:
    """A window constraint holding the pool history's newest ``jobs`` jobs by completion."""
    import htcondor2

    enough_history(jobs)
    ends = sorted(ad.get("CompletionDate") or ad.get("EnteredCurrentStatus") or 0 for ad in htcondor2.Schedd().history(
        "true", ["CompletionDate", "EnteredCurrentStatus"]))
    chosen = ends[-jobs:]
    return window_constraint(chosen[0], chosen[-1] + 1), len(chosen)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=1_000_000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--backends", default="sqlite,postgresql")
    options = parser.parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # a bench stopped stops its PostgreSQL (finally)
    import htcondor2

    now = int(time.time())
    base = template()
    where, in_window = schedd_window()
    schedd = htcondor2.Schedd()
    print(f"{options.jobs} synthetic jobs; the schedd's window holds {in_window} jobs")
    schedd_whole = timed(lambda: schedd.history(where, []), options.rounds)
    schedd_page = timed(lambda: schedd.history(where, [], match=1000), options.rounds)
    print(f"{'schedd window':>16} {schedd_whole:8.3f} s   ({in_window} whole ads)")
    print(f"{'schedd page':>16} {schedd_page:8.3f} s   (1000 whole ads)")
    for backend in options.backends.split(","):
        measure(backend, synthetic(base, options.jobs, now), options.rounds, now, (schedd_whole, schedd_page))


def measure(backend: str, jobs: Iterator[list[dict]], rounds: int, now: int, schedd: tuple[float, float]) -> None:
    """One backend's ingest rate, bytes per job and timed cases, printed."""
    with tempfile.TemporaryDirectory(prefix="restd-bench-archive-", dir="/var/tmp") as directory:
        os.chmod(directory, 0o755)
        server = None
        if backend == "postgresql":
            server = LocalPostgreSQL(Path(directory) / "postgresql")
            url = server.start()
        else:
            url = f"sqlite:///{directory}/archive.sqlite3"
        try:
            engine = store.engine_for(url, statement_timeout=600)
            store.migrate(engine)
            count, rate = fill(engine, jobs)
            per_job = disk_bytes(engine, url) / count
            if store.is_postgresql(engine):
                with engine.connect() as connection:
                    connection.exec_driver_sql("ANALYZE restd_archive_jobs")
            span = max(3600, 2000 * DAYS * 86400 // count)  # an hour of a million jobs: ~1,400
            start = now - span
            cases = {
                "summary 24h": lambda: summary(engine, now - 86400, now, 3600, "owner", None),
                "page 1000": lambda: page(url, start, start + span),
                "page 1000 of 30d": lambda: page(url, now - DAYS * 86400, now + 60),
            }
            seconds = {name: timed(call, rounds) for name, call in cases.items()}
            print(f"{backend}: ingest {rate:,.0f} jobs/s, {per_job:,.0f} bytes/job on disk")
            for name, value in seconds.items():
                print(f"{name:>16} {value:8.3f} s   schedd window / this: {schedd[0] / value:7.1f}x, "
                      f"schedd page / this: {schedd[1] / value:6.1f}x")
            engine.dispose()
        finally:
            if server is not None:
                server.stop()

if __name__ == "__main__":
    main()
