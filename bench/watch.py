"""Benchmark of the watch endpoint: 200 watchers of one query against none.

    export CONDOR_POOL_ROOT=... CONDOR_CONFIG=...
    .venv/bin/python bench/watch.py [--watchers 200] [--seconds 60] [--jobs 1000]

One server (development.ini under pserve: waitress with watchers + 8
threads, 3 gateway workers, the response cache off, the default
``restd.watch.interval`` of 5 s), and a queue of ``--jobs`` held jobs of
their own batch, of which a churn thread releases 10 every 2 s and holds
the 10 of the round before again (the same in both phases, so that the
watched query has changes to send).
Two phases of ``--seconds`` each, side by side in one run:

- no watchers;
- ``--watchers`` streams of ``GET /v1/watch/jobs/DEFAULT`` of the batch
  (projection ``Owner,JobStatus``), all open before the phase begins.

In each: the schedd queries the server made for the watch (``query_jobs``
calls, from its /metrics) per interval; the CPU seconds of the server (its
process and gateway workers) and of the schedd; the server's PSS (mean and
peak, sampled every 0.5 s); and the latency of an ordinary request (a
one-job lookup, one client asking again and again). Then the ratios of the
watched phase to the quiet one. The watchers' clients are threads of a
child process, on the same two cores.
"""
from __future__ import annotations

import argparse
import multiprocessing
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

from perf import PROJECT, Server, _cpu_seconds, _schedd, _schedd_pid, _submit_held
from servers import pss

sys.path.insert(0, str(PROJECT))
from tests.sse import Stream  # noqa: E402

BATCH = "restd-bench-watch"
INTERVAL = 5.0
#: Jobs the churn thread releases and holds again each round, and how often.
CHURN_JOBS = 10
CHURN_SECONDS = 2.0
MIB = 1024 * 1024


def fill(jobs: int) -> list[tuple[int, int]]:
    """``jobs`` held jobs of the batch (submitted if missing): their ids."""
    schedd = _schedd()
    queued = schedd.query(f'JobBatchName == "{BATCH}"', ["ClusterId", "ProcId"])
    if len(queued) < jobs:
        print(f"submitting {jobs - len(queued)} held jobs ({BATCH})", flush=True)
        _submit_held(schedd, BATCH, jobs - len(queued))
        queued = schedd.query(f'JobBatchName == "{BATCH}"', ["ClusterId", "ProcId"])
    return sorted((ad["ClusterId"], ad["ProcId"]) for ad in queued)[:jobs]


class Churn:
    """Releases ``CHURN_JOBS`` jobs and holds them again, every ``CHURN_SECONDS``."""

    def __init__(self, ids: list[tuple[int, int]]) -> None:
        self._ids = ids
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self.rounds = 0

    def _run(self) -> None:
        import htcondor2

        schedd = _schedd()
        released: list[str] = []
        while not self._done.wait(CHURN_SECONDS):
            if released:
                schedd.act(htcondor2.JobAction.Hold, released)
            start = (self.rounds * CHURN_JOBS) % max(len(self._ids) - CHURN_JOBS, 1)
            released = [f"{cluster}.{proc}" for cluster, proc in self._ids[start:start + CHURN_JOBS]]
            schedd.act(htcondor2.JobAction.Release, released)
            self.rounds += 1
        if released:
            schedd.act(htcondor2.JobAction.Hold, released)

    def __enter__(self) -> Churn:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._done.set()
        self._thread.join()


class Watchers:
    """``count`` open streams of ``path``, read by threads of a process of
    their own (the latency client of ``phase`` must not share their GIL)."""

    def __init__(self, port: int, path: str, count: int) -> None:
        self._events: multiprocessing.Queue = multiprocessing.Queue()
        opened = multiprocessing.Event()
        self._process = multiprocessing.Process(target=_watch, args=(port, path, count, opened, self._events))
        self._process.start()
        if not opened.wait(300):
            raise RuntimeError("the watchers did not all open")

    def join(self) -> int:
        """Once the server has ended (which ends every stream): the events the watchers received."""
        events = self._events.get(timeout=60)
        self._process.join(30)
        return events


def _watch(port: int, path: str, count: int, opened, events: multiprocessing.Queue) -> None:
    streams = []
    for _ in range(count):
        stream = Stream(f"http://127.0.0.1:{port}{path}", timeout=120)
        if stream.status != 200:
            raise RuntimeError(f"a watcher was refused: {stream.status} {stream.error}")
        streams.append(stream)
    received = [0] * count

    def read(number: int) -> None:
        try:
            while streams[number].next() is not None:
                received[number] += 1
        except OSError:
            pass  # the server went first

    threads = [threading.Thread(target=read, args=(number,)) for number in range(count)]
    for thread in threads:
        thread.start()
    opened.set()
    for thread in threads:
        thread.join()
    events.put(sum(received))


def phase(server: Server, lookup: str, seconds: float) -> dict[str, float]:
    """What the server costs over ``seconds`` while whatever watches it watches."""
    pids, schedd = server.pids(), _schedd_pid()
    samples: list[int] = []
    latencies: list[float] = []
    done = threading.Event()

    def sample() -> None:
        while not done.wait(0.5):
            samples.append(pss(pids))

    sampler = threading.Thread(target=sample, daemon=True)
    queries, cpu = server.schedd_queries(), sum(map(_cpu_seconds, pids))
    schedd_cpu = _cpu_seconds(schedd, children=True) if schedd else 0.0
    started = time.monotonic()
    sampler.start()
    while time.monotonic() - started < seconds:
        latencies.append(server.timed(lookup))
    done.set()
    sampler.join()
    elapsed = time.monotonic() - started
    latencies.sort()
    return {
        "watch queries per interval": (server.schedd_queries() - queries) / (elapsed / INTERVAL),
        "server CPU s per s": (sum(map(_cpu_seconds, pids)) - cpu) / elapsed,
        "schedd CPU s per s": ((_cpu_seconds(schedd, children=True) if schedd else 0.0) - schedd_cpu) / elapsed,
        "server PSS MiB, mean": statistics.mean(samples) / MIB,
        "server PSS MiB, peak": max(samples) / MIB,
        "lookup ms, median": statistics.median(latencies) * 1000,
        "lookup ms, p95": latencies[int(len(latencies) * 0.95)] * 1000,
        "lookups": len(latencies),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--watchers", type=int, default=200)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--jobs", type=int, default=1000)
    options = parser.parse_args()
    ids = fill(options.jobs)
    watched = f"/v1/watch/jobs/DEFAULT?projection=Owner,JobStatus&constraint=JobBatchName%3D%3D%22{BATCH}%22"
    lookup = f"/v1/jobs/DEFAULT/{ids[-1][0]}/{ids[-1][1]}"
    threads = options.watchers + 8
    overrides = {
        "server:main": {"threads": str(threads), "connection_limit": str(threads + 100)},
        # One caller (one address) holds every watcher: one place more, as a caller never holds all.
        "app:main": {"restd.watch.max_watchers": str(options.watchers + 1), "restd.watch.interval": str(INTERVAL),
                     "restd.watch.max_watchers_per_caller": "0", "restd.watch.caller_share": "1"},
    }
    with tempfile.TemporaryDirectory(prefix="restd-bench-watch-") as logs:
        server = Server(3, Path(logs) / "server.log", overrides=overrides)
        watchers = None
        try:
            with Churn(ids) as churn:
                quiet = phase(server, lookup, options.seconds)
                watchers = Watchers(server.port, watched, options.watchers)
                watching = phase(server, lookup, options.seconds)
        finally:
            server.close()  # ends the streams: their threads read the end
            events = watchers.join() if watchers is not None else 0
    print(f"\n{options.watchers} watchers of one query ({options.jobs} jobs, {CHURN_JOBS} released and {CHURN_JOBS} "
          f"held again every {CHURN_SECONDS:g} s, {churn.rounds} rounds), {options.seconds:g} s per phase, interval "
          f"{INTERVAL:g} s; events received: {events} ({events / options.watchers:.0f} per watcher)")
    print(f"{'':30} {'no watchers':>12} {'watchers':>12} {'ratio':>8}")
    for name, value in quiet.items():
        other = watching[name]
        ratio = f"{other / value:.2f}" if value else "-"
        print(f"{name:30} {value:12.2f} {other:12.2f} {ratio:>8}")


if __name__ == "__main__":
    main()
