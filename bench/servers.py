"""Benchmark of the WSGI servers: waitress (one process) against gunicorn.

    export CONDOR_POOL_ROOT=... CONDOR_CONFIG=...
    .venv/bin/python bench/servers.py [--rounds 3] [--seconds 10] [--clients 16]

Fills the real pool's queue with 10,000 held jobs (``perf.py``'s, reused),
starts every server at once on development.ini (3 gateway workers per
server process, the response cache off, ``MALLOC_ARENA_MAX=2``): waitress
with 16 threads (``pserve``), and gunicorn's default sync workers with
``-w 2`` and ``-w 4`` (``--paste``; ``--gunicorn N`` or ``NxT`` for gthread
workers chooses others), then, in
rounds that rotate the servers' order, for each server in turn:

- one-job lookups (``GET /v1/jobs/DEFAULT/C/P``) by ``--clients`` client
  threads for ``--seconds``: answers per second, and the CPU seconds each
  answer cost (every process of the server, and the pool's schedd with its
  query children);
- the same for the 10,000-job listing (full ads, 27 MB);
- memory: the PSS (proportional set size: pages shared after a fork count
  once in all) of all the server's processes, after the warm-up and at its
  peak during the listings (sampled every 0.5 s).

It prints medians [min-max] over the rounds, and each gunicorn's ratio to
waitress of the medians.
"""
from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import threading
from functools import partial
from pathlib import Path

from perf import (
    JOBS,
    QUEUE_BATCH,
    Launcher,
    Server,
    _query,
    _read,
    _schedd,
    _schedd_pid,
    answered,
    constraint,
    fill,
    pserve,
    with_cpu,
)

MIB = 1024 * 1024
#: The ini's gateway workers per server process (development.ini's default).
GATEWAY_WORKERS = 3
#: waitress's threads (perf.Server's).
THREADS = 16


def gunicorn(processes: int, threads: int) -> Launcher:
    """gunicorn --paste, ``processes`` workers (sync, or gthread with
    ``threads`` > 1); a listing under load may take longer than gunicorn's
    default 30 s worker timeout, so 120; no control socket (one path for all
    of a user's gunicorns)."""

    def launch(ini: Path, port: int) -> list[str]:
        return [str(Path(sys.executable).parent / "gunicorn"), "--paste", str(ini), "-w", str(processes),
                "--threads", str(threads), "-b", f"127.0.0.1:{port}", "--timeout", "120", "--no-control-socket"]

    return launch


def gunicorn_name(spec: str) -> tuple[str, int, Launcher]:
    """``N`` (sync workers) or ``NxT`` (gthread): (name, processes, launcher)."""
    processes, _, threads = spec.partition("x")
    name = f"gunicorn -w {processes}" + (f" --threads {threads}" if threads else "")
    return name, int(processes), gunicorn(int(processes), int(threads or 1))


def pss(pids: list[int]) -> int:
    """The proportional set size of these processes together, in bytes."""
    total = 0
    for pid in pids:
        for line in _read(Path(f"/proc/{pid}/smaps_rollup")).splitlines():
            if line.startswith("Pss:"):
                total += int(line.split()[1]) * 1024
    return total


class PeakPss:
    """The largest ``pss(pids())`` seen while it runs (a sampling thread)."""

    def __init__(self, server: Server) -> None:
        self.peak = 0
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._sample, args=(server,), daemon=True)

    def _sample(self, server: Server) -> None:
        while not self._done.wait(0.5):
            self.peak = max(self.peak, pss(server.pids()))

    def __enter__(self) -> PeakPss:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._done.set()
        self._thread.join()


def lookup_path() -> str:
    """A one-job lookup of one of the benchmark's queued jobs."""
    job = _schedd().query(constraint(QUEUE_BATCH), ["ClusterId", "ProcId"], limit=1)[0]
    return f"/v1/jobs/DEFAULT/{job['ClusterId']}/{job['ProcId']}"


def _spread(values: list[float], digits: int) -> str:
    return f"{statistics.median(values):.{digits}f} [{min(values):.{digits}f}-{max(values):.{digits}f}]"


def run(rounds: int, seconds: float, clients: int, gunicorns: list[str]) -> None:
    launchers = {f"waitress ({THREADS} threads)": (1, pserve)}
    launchers.update({name: (processes, launch) for name, processes, launch in map(gunicorn_name, gunicorns)})
    log_dir = Path(tempfile.gettempdir())
    servers = {}
    try:
        for i, (name, (_, launch)) in enumerate(launchers.items()):
            servers[name] = Server(GATEWAY_WORKERS, log_dir / f"restd-bench-servers-{i}.log", launcher=launch)
        cases = {"lookup": lookup_path(), "listing": "/v1/jobs/DEFAULT" + _query(QUEUE_BATCH)}
        print(f"warming up: every server process starts its gateway workers ({clients} clients, 3 s each case)", flush=True)
        for server in servers.values():
            for path in cases.values():
                answered(server, path, clients, 3.0)
        idle = {name: pss(server.pids()) for name, server in servers.items()}
        schedd = _schedd_pid()
        rate = {(name, case): [] for name in servers for case in cases}
        cpu = {(name, case): [] for name in servers for case in cases}
        peak = {name: 0 for name in servers}
        names = list(servers)
        for i in range(rounds):
            for name in names[i % len(names):] + names[: i % len(names)]:
                server = servers[name]
                for case, path in cases.items():
                    with PeakPss(server) as sampled:
                        (answers, elapsed), cpu_seconds = with_cpu(
                            partial(answered, server, path, clients, seconds), server.pids, schedd)
                    rate[name, case].append(answers / elapsed)
                    cpu[name, case].append(cpu_seconds / max(answers, 1))
                    peak[name] = max(peak[name], sampled.peak)
            print(f"round {i + 1}/{rounds} done", flush=True)

        print(f"\n{JOBS} jobs in the queue; {clients} clients, {seconds:g} s per case and server, {rounds} rounds; "
              f"{GATEWAY_WORKERS} gateway workers per server process; median [min-max]; CPU: the server's every "
              f"process{' and the schedd' if schedd else ' (no schedd found: without it)'}")
        print(f"{'server':28} {'processes':>16} {'lookups/s':>20} {'CPU s/lookup':>24} {'listings/s':>20} "
              f"{'CPU s/listing':>20} {'PSS MiB idle':>12} {'PSS MiB peak':>12}")
        for name, server in servers.items():
            processes = launchers[name][0]
            shape = f"1+{processes}x(1+{GATEWAY_WORKERS})" if name.startswith("gunicorn") else f"1+{GATEWAY_WORKERS}"
            print(f"{name:28} {f'{shape}={len(server.pids())}':>16} "
                  f"{_spread(rate[name, 'lookup'], 1):>20} {_spread(cpu[name, 'lookup'], 4):>24} "
                  f"{_spread(rate[name, 'listing'], 2):>20} {_spread(cpu[name, 'listing'], 2):>20} "
                  f"{idle[name] / MIB:12.0f} {peak[name] / MIB:12.0f}")
        base = names[0]
        print(f"\nratio to {base} (of the medians; > 1: more answers / more CPU / more memory)")
        for name in names[1:]:
            ratios = [statistics.median(table[name, case]) / statistics.median(table[base, case])
                      for case in cases for table in (rate, cpu)]
            print(f"{name:28} lookups/s {ratios[0]:.2f}  CPU/lookup {ratios[1]:.2f}  listings/s {ratios[2]:.2f}  "
                  f"CPU/listing {ratios[3]:.2f}  PSS idle {idle[name] / idle[base]:.2f}  PSS peak {peak[name] / peak[base]:.2f}")
    finally:
        for server in servers.values():
            server.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=10.0, help="per case, server and round")
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--gunicorn", action="append", metavar="N[xT]",
                        help="gunicorn -w N (sync), or -w N --threads T (gthread); repeatable; default 2 and 4")
    args = parser.parse_args()
    fill(history=False)
    run(max(args.rounds, 1), args.seconds, args.clients, args.gunicorn or ["2", "4"])


if __name__ == "__main__":
    main()
