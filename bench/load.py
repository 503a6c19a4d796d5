"""A bounded load and fault run against the real pool (not part of the tests).

Starts ``pserve`` on 127.0.0.1 with a short gateway timeout, runs CLIENTS
concurrent clients for DURATION seconds over a mix of endpoints, stops the
pool (``pool/pool.sh stop``) for OUTAGE seconds in the middle and starts it
again, then prints:

- the count of 5xx answers other than 503 (must be 0),
- the longest wait of any request against the gateway timeout + 1 s,
- whether every request started after the pool was back succeeded,
- the server's RSS before and after (within 10%).

    .venv/bin/python bench/load.py     # as root (pool.sh), pool running
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import requests
from perf import free_port

PROJECT = Path(__file__).resolve().parent.parent
POOL_SH = PROJECT / "pool" / "pool.sh"
HOST = "127.0.0.1"

INI = """\
[app:main]
use = egg:condor-restd
restd.auth = none
restd.endpoints = jobs
restd.gateway.workers = {workers}
restd.gateway.timeout = {timeout}

[server:main]
use = egg:waitress#main
listen = {host}:{port}
threads = {threads}
connection_limit = 200
channel_timeout = 60

[loggers]
keys = root

[handlers]
keys = console

[formatters]
keys = generic

[logger_root]
level = WARNING
handlers = console

[handler_console]
class = StreamHandler
args = (sys.stderr,)
level = NOTSET
formatter = generic

[formatter_generic]
format = %(asctime)s %(levelname)-5.5s [%(name)s] %(message)s
"""

#: Bounded answers (limit): the shared pool's queue may hold many jobs.
PATHS = [
    "/healthz",
    "/readyz",
    "/metrics",
    "/v1/jobs/DEFAULT?projection=Owner,JobStatus&limit=50",
    "/v1/jobs/DEFAULT?limit=5",
    "/v1/history/DEFAULT?limit=10",
    "/v1/grouped_jobs/DEFAULT/Owner?projection=JobStatus&limit=100",
    "/v1/jobs/no-such-schedd",
]


#: Answered at once by an error, as during an outage (the warm-up's too:
#: the outage's request rate is several times the normal one).
FAST_ERRORS = ["/v1/jobs/DEFAULT?constraint=((", "/v1/jobs/DEFAULT/x", "/no/such/url"]


@dataclass
class Result:
    path: str
    started: float
    waited: float
    status: int  # 0: no answer (connection error or client timeout)
    errno: int | None = None  # of an error answer
    message: str = ""

    @property
    def ended(self) -> float:
        return self.started + self.waited


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError(f"no VmRSS for {pid}")


def sample_rss(pid: int, begin: float, until: float, series: list[tuple[float, int]]) -> None:
    while time.monotonic() < until and Path(f"/proc/{pid}").exists():
        series.append((time.monotonic() - begin, rss_kib(pid)))
        time.sleep(5)


def wait_until_up(url: str, server: subprocess.Popen) -> None:
    for _ in range(300):  # 30 s
        if server.poll() is not None:
            raise RuntimeError("pserve exited")
        try:
            if requests.get(f"{url}/readyz", timeout=5).status_code == 200:
                return
        except requests.ConnectionError:
            pass
        time.sleep(0.1)
    raise RuntimeError("pserve did not become ready within 30 s")


def client(url: str, index: int, until: float, timeout: float, results: list[Result], paths: list[str] = PATHS) -> None:
    session = requests.Session()
    i = index
    while time.monotonic() < until:
        path = paths[i % len(paths)]
        i += 1
        started = time.monotonic()
        errno, message = None, ""
        try:
            answer = session.get(url + path, timeout=timeout + 30)
            status = answer.status_code
            if status >= 400:
                error = answer.json()
                errno, message = error.get("errno"), error.get("message", "")
        except requests.RequestException:
            status = 0
        results.append(Result(path, started, time.monotonic() - started, status, errno, message))


def start_clients(url: str, count: int, until: float, timeout: float, results: list[Result],
                  paths: list[str] = PATHS) -> list[threading.Thread]:
    clients = [threading.Thread(target=client, args=(url, n, until, timeout, results, paths)) for n in range(count)]
    for thread in clients:
        thread.start()
    return clients


def run_clients(url: str, count: int, seconds: float, timeout: float, results: list[Result],
                paths: list[str] = PATHS) -> None:
    for thread in start_clients(url, count, time.monotonic() + seconds, timeout, results, paths):
        thread.join(seconds + timeout + 60)


def phase_summary(results: list[Result]) -> str:
    counts = Counter(f"{r.status}" + (f"/{r.errno}" if r.errno else "") for r in results)
    return ", ".join(f"{key}: {n}" for key, n in sorted(counts.items()))


def pool(command: str, tries: int = 3) -> None:
    """pool.sh stop or start; the pool is shared, so another engineer's test
    may be starting or stopping it at the same moment: try again a little."""
    for _attempt in range(tries):
        done = subprocess.run([str(POOL_SH), command], capture_output=True, text=True)
        if done.returncode == 0:
            return
        time.sleep(5)
    raise RuntimeError(f"pool.sh {command} failed {tries} times: {done.stderr[-500:]}")


def master_pid() -> str:
    """The pool's condor_master pid: another one at the end means someone
    else restarted the shared pool during the run."""
    root = os.environ.get("CONDOR_POOL_ROOT", "/var/tmp/condor-restd-pool")
    return Path(root, "run/condor/master.pid").read_text().strip()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--duration", type=float, default=60.0)
    parser.add_argument("--outage", type=float, default=10.0, help="seconds the pool is stopped")
    parser.add_argument("--timeout", type=float, default=5.0, help="restd.gateway.timeout")
    parser.add_argument("--workers", type=int, default=2, help="restd.gateway.workers")
    parser.add_argument("--threads", type=int, default=64, help="waitress threads")
    parser.add_argument("--warmup", type=float, default=15.0, help="seconds of load before RSS is first measured")
    parser.add_argument("--malloc-arena-max", type=int, default=2, help="the server's MALLOC_ARENA_MAX (the image's: 2)")
    args = parser.parse_args()

    port = free_port()
    url = f"http://{HOST}:{port}"
    with tempfile.TemporaryDirectory() as tmp:
        ini = Path(tmp) / "bench.ini"
        ini.write_text(INI.format(host=HOST, port=port, workers=args.workers, timeout=args.timeout, threads=args.threads))
        env = {**os.environ, "MALLOC_ARENA_MAX": str(args.malloc_arena_max)}  # as in the image
        server = subprocess.Popen([str(Path(sys.executable).parent / "pserve"), str(ini)], cwd=PROJECT, env=env)
        try:
            wait_until_up(url, server)
            # Warm up at full concurrency first: RSS then counts what stays
            # (a leak), not the first use of every thread and malloc arena.
            run_clients(url, args.clients, args.warmup, args.timeout, [], PATHS + FAST_ERRORS)
            rss_before = rss_kib(server.pid)

            results: list[Result] = []
            begin = time.monotonic()
            until = begin + args.duration
            series: list[tuple[float, int]] = []
            sampler = threading.Thread(target=sample_rss, args=(server.pid, begin, until, series), daemon=True)
            sampler.start()
            clients = start_clients(url, args.clients, until, args.timeout, results)
            time.sleep(max((args.duration - args.outage) / 2 - 5, 0))
            stopped_at = time.monotonic()
            try:
                pool("stop")
                time.sleep(args.outage)
            finally:
                pool("start")
            recovered_at = time.monotonic()
            master_after_recovery = master_pid()
            for thread in clients:
                thread.join(args.duration + args.timeout + 60)
            rss_after = rss_kib(server.pid)
            master_at_end = master_pid()
        finally:
            server.terminate()
            server.wait(30)

    statuses = Counter(r.status for r in results)
    other_5xx = sum(n for status, n in statuses.items() if status >= 500 and status != 503)
    no_answer = statuses.get(0, 0)
    longest = max(results, key=lambda r: r.waited)
    after = [r for r in results if r.started >= recovered_at]
    failed_after = [r for r in after if r.status >= 500 or r.status == 0]
    growth = (rss_after - rss_before) / rss_before * 100
    print(f"clients {args.clients}, {args.duration:g} s, gateway timeout {args.timeout:g} s, "
          f"{args.workers} workers, {args.threads} threads, MALLOC_ARENA_MAX={args.malloc_arena_max}")
    print(f"pool stopped at t={stopped_at - begin:.1f} s, back (pool.sh start returned) at t={recovered_at - begin:.1f} s")
    print(f"requests: {len(results)}; by status/errno:")
    print(f"  answered before the outage: {phase_summary([r for r in results if r.ended < stopped_at])}")
    print(f"  the rest before recovery: {phase_summary([r for r in results if r.ended >= stopped_at and r.started < recovered_at])}")
    print(f"  started after recovery: {phase_summary(after)}")
    for message, n in Counter(r.message for r in results if r.status >= 500).most_common(5):
        print(f"  {n} x 5xx: {message}")
    for r in failed_after[:10]:
        print(f"  failed after recovery: t={r.started - begin:.1f} s {r.path} -> {r.status}/{r.errno} {r.message}")
    for r in sorted(results, key=lambda r: -r.waited)[:5]:
        print(f"  a longest wait: {r.waited:.2f} s at t={r.started - begin:.1f} s {r.path} -> {r.status}/{r.errno}")
    if master_at_end != master_after_recovery:
        print(f"WARNING: someone else restarted the shared pool after our recovery (condor_master "
              f"{master_after_recovery} -> {master_at_end}): failures after recovery are not all ours")
    print(f"5xx other than 503: {other_5xx} (must be 0); no answer at all: {no_answer}")
    print(f"longest wait: {longest.waited:.2f} s ({longest.path}, {longest.status}) "
          f"vs timeout + 1 s = {args.timeout + 1:g} s: {'OK' if longest.waited <= args.timeout + 1 else 'OVER'}")
    print(f"after recovery: {len(after)} requests, {len(failed_after)} failed: "
          f"{'every one succeeded' if not failed_after else 'NOT all succeeded'}")
    print("server RSS every 5 s (MiB): " + " ".join(f"{kib / 1024:.0f}" for _, kib in series))
    print(f"server RSS: {rss_before} KiB before, {rss_after} KiB after ({growth:+.1f}%: "
          f"{'within' if abs(growth) <= 10 else 'NOT within'} 10%)")
    ok = other_5xx == 0 and no_answer == 0 and longest.waited <= args.timeout + 1 and not failed_after and abs(growth) <= 10
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
