"""Benchmark of a pool-wide listing (the schedd ``*``) against each schedd alone.

    CONDOR_CONFIG=/var/tmp/condor-restd-pool-client/condor_config.client \
        .venv/bin/python bench/pool_wide.py [--rounds 7] [--jobs 2000] [--workers 3] [--listing-parts 2] [--clean]

Fills both schedds of the project's pool (once; reruns reuse the jobs,
found by batch name) with ``--jobs`` held jobs each, submitted as the
pool's user alice; serves the app (``pserve``, the cache off, as
``perf.py`` does) and times, side by side in each round (the order rotated),
``GET /v1/jobs/<schedd>`` of each schedd alone and ``GET /v1/jobs/*``, with
full ads and with a 5-attribute projection, and the job counts
``GET /v1/summary/jobs/<schedd>?by=Owner,JobStatus`` likewise. It prints, per case, the
median [min-max] of the slower schedd alone, of the sum of both, and of the
pool-wide listing, and the ratios pool-wide / slower and pool-wide / sum
(per round, median [min-max]): concurrent, pool-wide costs about the slower
schedd's time; one after the other it would cost the sum. As a yardstick
of what this machine allows, both schedds' own listings asked at the same
time by two clients ("both at once"). Also the CPU
seconds each answer cost (the server, its workers and both schedds with
their reaped query children), and the floor they set on a machine of so
many cores: the pool-wide time against the larger of the slower schedd's
and that floor.

``--clean`` removes the benchmark's jobs from both queues afterwards.
"""
from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
import urllib.parse
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from pathlib import Path

from perf import PROJECTION, Server, _schedd_pids, _spread, _submit_held, constraint, with_cpu

BATCH = "restd-bench-poolwide"
#: The cores the machine has: a pool-wide answer cannot take less than its CPU seconds over them.
CORES = os.cpu_count() or 1


def schedds() -> dict[str, object]:
    """The pool's two schedds by name: the default one and ``schedd2@<host>``."""
    import htcondor2

    collector = htcondor2.Collector()
    default = collector.locate(htcondor2.DaemonType.Schedd)
    second = f"schedd2@{default['Name']}"
    return {default["Name"]: htcondor2.Schedd(default),
            second: htcondor2.Schedd(collector.locate(htcondor2.DaemonType.Schedd, second))}


def fill(jobs: int) -> None:
    for name, schedd in schedds().items():
        queued = len(schedd.query(constraint(BATCH), ["ProcId"]))
        if queued < jobs:
            print(f"submitting {jobs - queued} held jobs ({BATCH}) to {name}", flush=True)
            _submit_held(schedd, BATCH, jobs - queued)


def clean() -> None:
    import htcondor2

    for schedd in schedds().values():
        schedd.act(htcondor2.JobAction.Remove, constraint(BATCH), reason="restd bench: done")


#: What is timed: a name, the endpoint, its query besides the constraint.
CASES = (("full", "jobs", {}), ("proj", "jobs", {"projection": ",".join(PROJECTION)}),
         ("counts", "summary/jobs", {"by": "Owner,JobStatus"}))


def _path(endpoint: str, schedd: str, query: dict[str, str]) -> str:
    query = {"constraint": constraint(BATCH), **query}
    return f"/v1/{endpoint}/{urllib.parse.quote(schedd, safe='@')}?{urllib.parse.urlencode(query)}"


#: The measure of each schedd's own listing asked at the same time, by two clients.
AT_ONCE = "both at once"


def _at_once(server: Server, paths: list[str]) -> float:
    """Seconds until every one of ``paths``, each asked by a client of its own at the same time, is answered."""
    started = time.perf_counter()
    with ThreadPoolExecutor(len(paths)) as clients:
        list(clients.map(server.timed, paths))
    return time.perf_counter() - started


def run(rounds: int, jobs: int, workers: int, listing_parts: int | None) -> None:
    names = sorted(schedds())
    overrides = {"app:main": {"restd.gateway.listing_parts": str(listing_parts)}} if listing_parts else {}
    log = Path(tempfile.gettempdir()) / "restd-bench-pool-wide.log"
    server = Server(workers, log, overrides=overrides)
    try:
        for case, endpoint, query in CASES:
            paths = {name: _path(endpoint, name, query) for name in [*names, "*"]}
            for path in paths.values():
                server.timed(path)  # warm: workers, locations, the schedds' caches
            measures = {**{name: partial(server.timed, path) for name, path in paths.items()},
                        AT_ONCE: partial(_at_once, server, [paths[name] for name in names])}
            times: dict[str, list[float]] = {name: [] for name in measures}
            cpu: dict[str, list[float]] = {name: [] for name in measures}
            schedd_pids = _schedd_pids()
            for round_ in range(rounds):
                order = list(measures)
                order = order[round_ % len(order):] + order[:round_ % len(order)]
                for name in order:
                    seconds, cpu_seconds = with_cpu(measures[name], server.pids, schedd_pids)
                    times[name].append(seconds)
                    cpu[name].append(cpu_seconds)
            slower = [max(times[name][i] for name in names) for i in range(rounds)]
            summed = [sum(times[name][i] for name in names) for i in range(rounds)]
            pool = times["*"]
            print(f"\n{case}: {jobs} jobs in each of {len(names)} schedds, {workers} workers, "
                  f"listing_parts {listing_parts or 'default'}, {rounds} rounds (seconds)")
            for name in names:
                print(f"  {name + ' alone':28} {_spread(times[name])}")
            print(f"  {'slower schedd alone':28} {_spread(slower)}")
            print(f"  {'sum of both':28} {_spread(summed)}")
            print(f"  {'both alone, at once':28} {_spread(times[AT_ONCE])}   (two clients)")
            print(f"  {'pool-wide (*)':28} {_spread(pool)}")
            print(f"  {'pool-wide / both at once':28} {_spread([p / a for p, a in zip(pool, times[AT_ONCE])])}")
            print(f"  {'pool-wide / slower':28} {_spread([p / s for p, s in zip(pool, slower)])}")
            print(f"  {'pool-wide / sum':28} {_spread([p / s for p, s in zip(pool, summed)])}")
            print(f"  {'of the medians: / slower':28} {statistics.median(pool) / statistics.median(slower):7.3f}"
                  f"   / sum {statistics.median(pool) / statistics.median(summed):7.3f}")
            floor = [c / CORES for c in cpu["*"]]
            print(f"  {'CPU s, pool-wide':28} {_spread(cpu['*'])}   (server, workers, both schedds)")
            print(f"  {'CPU s, both alone summed':28} {_spread([sum(cpu[n][i] for n in names) for i in range(rounds)])}")
            print(f"  {f'CPU floor (CPU s / {CORES} cores)':28} {_spread(floor)}")
            print(f"  {'pool-wide / max(slower, floor)':28} "
                  f"{_spread([p / max(s, f) for p, s, f in zip(pool, slower, floor)])}", flush=True)
    finally:
        server.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--jobs", type=int, default=2000, help="held jobs in each schedd")
    parser.add_argument("--workers", type=int, default=3)
    parser.add_argument("--listing-parts", type=int, default=None,
                        help="restd.gateway.listing_parts (a schedd alone is split between this many workers)")
    parser.add_argument("--clean", action="store_true", help="remove the benchmark's jobs afterwards")
    args = parser.parse_args()
    fill(args.jobs)
    try:
        run(args.rounds, args.jobs, args.workers, args.listing_parts)
    finally:
        if args.clean:
            clean()


if __name__ == "__main__":
    main()
