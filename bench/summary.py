"""Benchmark of the job counts (plugin summary) against what a dashboard
does without them.

    CONDOR_CONFIG=/var/tmp/condor-restd-pool-client/condor_config.client \\
        .venv/bin/python bench/summary.py [--rounds 7] [--workers 3] [--keep]

Submits 10,000 held jobs to the real pool in 4 clusters, half as the pool's
user alice and half as bob (``pool/pool.sh token bob``), tagged with the
batch name ``restd-bench-summary``; serves the app (waitress, the cache
off) on a free loopback port, and prints, side by side in one run (each
round runs every case once, in a rotated order):

- ``summary``: GET /v1/summary/jobs/DEFAULT?by=Owner,JobStatus over those
  jobs (the schedd counts them: QueryOpt.GroupBy, checked by SummaryOnly);
- ``summary in worker``: the same counts with a constraint the server
  judges in its worker (a regular expression), which counts there over
  ads of Owner and JobStatus: the other way the server can count;
- ``grouped full`` / ``grouped proj``: GET /v1/grouped_jobs/DEFAULT/Owner
  over the same jobs, whole ads and ``projection=JobStatus`` (a dashboard
  then counts the states itself);
- ``bindings count``: ``Schedd.query`` of Owner and JobStatus and counting
  in Python, here (no server);
- ``schedd GroupBy`` / ``schedd SummaryOnly``: the two schedd queries the
  summary makes, alone, here;

then each case's time against the summary's, and the answers' sizes
(targets: the summary at least 10 times faster than the grouped listing,
its answer under 2 KB). The counts are checked against the bindings'. The
jobs are removed at the end unless ``--keep``.
"""
from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import orjson
from perf import PROJECT, RETRIES, RETRY_PAUSE, Server, _schedd

JOBS = 10_000
CLUSTERS_PER_OWNER = 2
BATCH = "restd-bench-summary"
CONSTRAINT = f'JobBatchName == "{BATCH}"'
#: The same jobs, by a constraint the server judges in its worker.
JUDGED_CONSTRAINT = f'regexp("^{BATCH}$", JobBatchName)'
OWNERS = ("alice", "bob")


# -------------------------------------------------------------------- jobs --

def submit_held(count: int) -> None:
    """``count`` held jobs of this process's HTCondor identity, in
    CLUSTERS_PER_OWNER clusters (``summary.py --submit COUNT``)."""
    import htcondor2

    description = htcondor2.Submit({
        "executable": "/bin/sleep", "arguments": "600", "hold": "true", "batch_name": BATCH,
        "initialdir": str(Path(os.environ.get("CONDOR_POOL_ROOT", "/var/tmp/condor-restd-pool")) / "tmp" / "jobs"),
        "request_memory": "16", "request_disk": "1024", "My.Flavor": '"bench-$(ProcId)"',
    })
    schedd = _schedd()
    for _ in range(CLUSTERS_PER_OWNER):
        schedd.submit(description, count=count // CLUSTERS_PER_OWNER)


def _as(owner: str) -> dict[str, str]:
    """The environment of a client authenticating as ``owner`` (alice is the
    client config's own identity)."""
    if owner == "alice":
        return dict(os.environ)
    tokens = subprocess.run([str(PROJECT / "pool" / "pool.sh"), "token", owner], check=True, capture_output=True,
                            text=True).stdout.strip()
    return {**os.environ, "_CONDOR_SEC_TOKEN_DIRECTORY": tokens}


def by_hand() -> Counter:
    """The benchmark's jobs counted here: (Owner, JobStatus) -> jobs."""
    ads = _schedd().query(CONSTRAINT, ["Owner", "JobStatus"])
    return Counter((ad.get("Owner"), ad.get("JobStatus")) for ad in ads)


def fill() -> None:
    """JOBS held jobs of the batch, half of each owner (made again if not)."""
    counted = by_hand()
    wanted = {(owner, 5): JOBS // len(OWNERS) for owner in OWNERS}
    if counted == wanted:
        return
    clean()
    print(f"submitting {JOBS} held jobs ({BATCH}) as {', '.join(OWNERS)}", flush=True)
    for owner in OWNERS:
        subprocess.run([sys.executable, __file__, "--submit", str(JOBS // len(OWNERS))], env=_as(owner), check=True)


def remove_own() -> None:
    """Remove this identity's jobs of the batch (``summary.py --remove``)."""
    import htcondor2

    _schedd().act(htcondor2.JobAction.Remove, CONSTRAINT, reason="restd bench summary: done")


def clean() -> None:
    """Remove the batch's jobs, each owner its own (neither may remove the other's)."""
    for owner in OWNERS:
        subprocess.run([sys.executable, __file__, "--remove"], env=_as(owner), check=True)
    deadline = time.monotonic() + 120
    while _schedd().query(CONSTRAINT, ["ProcId"], limit=1):
        if time.monotonic() > deadline:
            raise RuntimeError(f"the {BATCH} jobs are still in the queue after 120 s")
        time.sleep(0.5)


# ------------------------------------------------------------------ cases --

def _path(path: str, **query: str) -> str:
    return f"{path}?{urllib.parse.urlencode(query)}"


SERVER_CASES = {
    "summary": _path("/v1/summary/jobs/DEFAULT", by="Owner,JobStatus", constraint=CONSTRAINT),
    "summary in worker": _path("/v1/summary/jobs/DEFAULT", by="Owner,JobStatus", constraint=JUDGED_CONSTRAINT),
    "grouped full": _path("/v1/grouped_jobs/DEFAULT/Owner", constraint=CONSTRAINT),
    "grouped proj": _path("/v1/grouped_jobs/DEFAULT/Owner", constraint=CONSTRAINT, projection="JobStatus"),
}


def bindings_cases() -> dict[str, Callable[[], object]]:
    import htcondor2

    schedd = _schedd()
    guarded = f"ifThenElse(isUndefined(MyType), true, {CONSTRAINT})"
    return {
        "bindings count": lambda: Counter((ad.get("Owner"), ad.get("JobStatus"))
                                          for ad in schedd.query(CONSTRAINT, ["Owner", "JobStatus"])),
        "schedd GroupBy": lambda: schedd.query(guarded, ["JobStatus", "owner"], opts=htcondor2.QueryOpt.GroupBy),
        "schedd SummaryOnly": lambda: schedd.query(CONSTRAINT, [], opts=htcondor2.QueryOpt.SummaryOnly),
    }


def timed(call: Callable[[], object]) -> float:
    started = time.perf_counter()
    call()
    return time.perf_counter() - started


def served(server: Server, path: str) -> Callable[[], bytes]:
    def call() -> bytes:
        for attempt in range(RETRIES):
            status, body = server.fetch(path)
            if status == 200:
                return body
            if status != 503 or attempt == RETRIES - 1:
                raise RuntimeError(f"GET {path}: {status} {body[:200]!r}")
            time.sleep(RETRY_PAUSE)
        raise AssertionError("unreachable")

    return call


def check(body: bytes, expected: Counter) -> None:
    answer = orjson.loads(body)
    counted = Counter({(group["key"]["owner"], group["key"]["jobstatus"]): group["count"] for group in answer["groups"]})
    assert counted == expected, f"the summary counted {counted}, the bindings {expected}"
    assert answer["totals"]["jobs"] == sum(expected.values())


def _spread(values: list[float]) -> str:
    return f"{statistics.median(values) * 1000:8.1f} [{min(values) * 1000:.1f}-{max(values) * 1000:.1f}]"


def timed_rounds(cases: dict[str, Callable[[], object]], rounds: int) -> dict[str, list[float]]:
    """Each case's times (seconds) over ``rounds`` rounds, after one warm-up
    call each: every round runs every case once, in a rotated order."""
    for call in cases.values():  # warm up
        call()
    names = list(cases)
    times: dict[str, list[float]] = {name: [] for name in names}
    for i in range(rounds):
        for name in names[i % len(names):] + names[:i % len(names)]:
            times[name].append(timed(cases[name]))
    return times


def print_times(times: dict[str, list[float]], reference: str, sizes: dict[str, int]) -> float:
    """Each case's time, its ratio to ``reference``'s and its answer's size
    (if it has one); the reference's median time."""
    print(f"{'case':20} {'time':>26} {'/ ' + reference:>10} {'answer bytes':>13}")
    median = statistics.median(times[reference])
    for name, values in times.items():
        size = f"{sizes[name]:13,}" if name in sizes else f"{'':13}"
        print(f"{name:20} {_spread(values):>26} {statistics.median(values) / median:10.1f} {size}")
    return median


def run(rounds: int, workers: int) -> None:
    server = Server(workers, Path(tempfile.gettempdir()) / "restd-bench-summary-server.log")
    try:
        cases: dict[str, Callable[[], object]] = {name: served(server, path) for name, path in SERVER_CASES.items()}
        cases.update(bindings_cases())
        expected = by_hand()
        for name in ("summary", "summary in worker"):
            check(cases[name](), expected)
        sizes = {name: len(cases[name]()) for name in SERVER_CASES}
        times = timed_rounds(cases, rounds)
        print(f"\n{sum(expected.values())} jobs ({', '.join(f'{owner} {count}' for (owner, _), count in sorted(expected.items()))}), "
              f"{rounds} rounds, {workers} gateway workers, cache off; ms: median [min-max]")
        summary = print_times(times, "summary", sizes)
        grouped = statistics.median(times["grouped full"]) / summary
        print(f"\nsummary against grouped_jobs (whole ads): {grouped:.1f}x faster (target >= 10: "
              f"{'ok' if grouped >= 10 else 'MISSED'}); answer {sizes['summary']} bytes (target < 2048: "
              f"{'ok' if sizes['summary'] < 2048 else 'MISSED'})")
    finally:
        server.close()


def arguments(description: str) -> argparse.ArgumentParser:
    """The options of a benchmark over the held jobs ``fill`` makes."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--workers", type=int, default=3, help="restd.gateway.workers")
    parser.add_argument("--keep", action="store_true", help="leave the jobs in the queue afterwards")
    return parser


def on_filled_queue(run: Callable[[int, int], None], args: argparse.Namespace) -> None:
    """``run(rounds, workers)`` over the held jobs ``fill`` makes, removed
    after unless ``--keep``."""
    fill()
    try:
        run(args.rounds, args.workers)
    finally:
        if not args.keep:
            clean()


def main() -> None:
    parser = arguments(__doc__.split("\n\n")[0])
    parser.add_argument("--submit", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--remove", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.submit:
        submit_held(args.submit)
        return
    if args.remove:
        remove_own()
        return
    on_filled_queue(run, args)


if __name__ == "__main__":
    main()
