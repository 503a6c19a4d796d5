"""Benchmark of the hot path: condor-restd against the plain bindings.

    CONDOR_CONFIG=/var/tmp/condor-restd-pool-client/condor_config.client \
        .venv/bin/python bench/perf.py [--rounds 7] [--workers 3] [--clean]

Fills the real pool (once; reruns reuse the jobs, found by batch name) with
10,000 held jobs in the queue and 10,000 removed jobs in the history,
submitted as the pool's user alice; serves the app (waitress, the cache
off) on a free loopback port, and prints, side by side in one run:

- R1, R2: GET /v1/jobs/DEFAULT and /v1/history/DEFAULT (full ads and a
  5-attribute projection) against the same query made with the bindings in
  a separate process; each round runs every measured thing once, in a
  rotated order, so that noise hits all of them;
- R3: requests per second with 1, 4 and 16 concurrent clients, and how much
  a pure-Python thread progresses while another runs ``Schedd.query``;
- the server's peak RSS (its process and its worker children) while it
  answers the full 10,000-job listing, against the answer's size.

``--clean`` removes the benchmark's held jobs from the queue afterwards
(history stays), so that other users of the pool see a small queue again.
``--baseline COMMIT`` (more than once for several) also serves that
commit's tree (``baseline.py``) and measures it in the same rounds as this
tree's, for R1/R2 and R4, with the ratios of this tree's server to it;
``--cases R1,R4`` runs those two only.
"""
from __future__ import annotations

import argparse
import configparser
import http.client
import math
import os
import random
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from collections.abc import Callable
from functools import partial
from pathlib import Path

import small_requests
from baseline import Launcher, launcher_of, tree_of

PROJECT = Path(__file__).resolve().parent.parent
#: Jobs in the queue (``--jobs``; the helper process reads it from the environment).
JOBS = int(os.environ.get("RESTD_BENCH_JOBS", "10000"))
#: Jobs in the history (R2).
HISTORY_JOBS = 10_000
CLUSTERS = 4
QUEUE_BATCH = "restd-bench-queue"
HISTORY_BATCH = "restd-bench-history"
PROJECTION = ["Owner", "JobStatus", "Cmd", "QDate", "RequestMemory"]
#: What the server asks the schedd for a projection (it adds the job id).
SERVER_PROJECTION = [*PROJECTION, "ClusterId", "ProcId"]
MAX_JOBS = 100_000
START_TIMEOUT = 60.0
#: Other users of the shared pool may restart it: a failed query is retried.
RETRIES = 10
RETRY_PAUSE = 3.0


def constraint(batch: str) -> str:
    return f'JobBatchName == "{batch}"'


# -------------------------------------------------------------------- pool --

def _schedd():
    """The local schedd, waiting (bounded) while the shared pool restarts."""
    import htcondor2

    for attempt in range(RETRIES):
        try:
            return htcondor2.Schedd(htcondor2.Collector().locate(htcondor2.DaemonType.Schedd))
        except htcondor2.HTCondorException:
            if attempt == RETRIES - 1:
                raise
            time.sleep(RETRY_PAUSE)


def _submit_held(schedd, batch: str, count: int) -> list[int]:
    """Submit ``count`` held jobs tagged ``batch`` in up to CLUSTERS clusters."""
    import htcondor2

    jobdir = Path(os.environ.get("CONDOR_POOL_ROOT", "/var/tmp/condor-restd-pool")) / "tmp" / "jobs"
    description = htcondor2.Submit({
        "executable": "/bin/sleep", "arguments": "600", "initialdir": str(jobdir),
        "request_memory": "16", "request_disk": "1024", "hold": "true", "batch_name": batch,
        "My.Flavor": '"bench-$(ProcId)"',
    })
    clusters, left = [], count
    per_cluster = -(-count // CLUSTERS)
    while left > 0:
        clusters.append(schedd.submit(description, count=min(per_cluster, left)).cluster())
        left -= per_cluster
    return clusters


def fill(history: bool = True) -> None:
    """Make sure the queue (and the history) hold JOBS benchmark jobs each."""

    schedd = _schedd()
    queued = len(schedd.query(constraint(QUEUE_BATCH), ["ProcId"]))
    if queued < JOBS:
        print(f"submitting {JOBS - queued} held jobs ({QUEUE_BATCH})", flush=True)
        _submit_held(schedd, QUEUE_BATCH, JOBS - queued)
    if history:
        fill_history(schedd, HISTORY_BATCH, HISTORY_JOBS)


def fill_history(schedd, batch: str, count: int) -> None:
    """Make sure the history holds ``count`` removed jobs tagged ``batch``."""
    import htcondor2

    in_history = len(schedd.history(constraint(batch), ["ProcId"], match=count))
    if in_history < count:
        print(f"submitting and removing {count - in_history} jobs ({batch})", flush=True)
        for cluster in _submit_held(schedd, batch, count - in_history):
            schedd.act(htcondor2.JobAction.Remove, f"ClusterId == {cluster}", reason="restd bench: fill history")
        deadline = time.monotonic() + 300
        while len(schedd.history(constraint(batch), ["ProcId"], match=count)) < count:
            if time.monotonic() > deadline:
                raise RuntimeError("removed jobs did not reach the history within 300 s")
            time.sleep(1)


def clean() -> None:
    """Remove the benchmark's jobs from the queue (they go to the history)."""
    import htcondor2

    _schedd().act(htcondor2.JobAction.Remove, constraint(QUEUE_BATCH), reason="restd bench: done")


# ---------------------------------------------------------------- bindings --

def bindings_helper() -> None:
    """``perf.py --helper``: answer timing requests read from stdin, one per
    line (``queue full``, ``history proj``, ``gil -``; for R4 ``job full SEED
    COUNT``: the mean of COUNT random one-job lookups, ``rate full SEED
    SECONDS``: their requests/s from 16 threads), with a number on stdout."""
    import htcondor2

    job_ids: list[tuple[int, int]] = []

    def lookups(schedd, shape: str, seed: int, count: int) -> float:
        """Mean seconds of ``count`` one-job queries, ids drawn with ``seed``."""
        rng = random.Random(seed)
        projection = [*small_requests.PROJECTION.split(","), "ClusterId", "ProcId"] if shape == "proj" else []
        started = time.perf_counter()
        for _ in range(count):
            cluster, proc = rng.choice(job_ids)
            assert schedd.query(f"ClusterId == {cluster} && ProcId == {proc}", projection, limit=1)
        return (time.perf_counter() - started) / count

    def rate(seconds: int) -> float:
        done = [0] * 16

        def client(number: int) -> None:
            schedd, stop = _schedd(), time.perf_counter() + seconds
            while time.perf_counter() < stop:
                lookups(schedd, "full", number + done[number], 1)
                done[number] += 1

        threads = [threading.Thread(target=client, args=(number,)) for number in range(16)]
        started = time.perf_counter()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        return sum(done) / (time.perf_counter() - started)

    def timed(what: str, shape: str, schedd) -> float:
        projection = SERVER_PROJECTION if shape == "proj" else []
        started = time.perf_counter()
        if what == "queue":
            ads = schedd.query(constraint(QUEUE_BATCH), projection, limit=MAX_JOBS)
        else:
            ads = schedd.history(constraint(HISTORY_BATCH), projection, match=MAX_JOBS)
        elapsed = time.perf_counter() - started
        assert len(ads) == (JOBS if what == "queue" else HISTORY_JOBS), len(ads)
        return elapsed

    schedd = None
    for line in sys.stdin:
        what, shape, *numbers = line.split()
        for attempt in range(RETRIES):
            try:
                schedd = schedd or _schedd()
                if what in ("job", "rate") and not job_ids:
                    job_ids += queue_job_ids(schedd)
                if what == "gil":
                    answer = gil_progress(schedd)
                elif what == "job":
                    answer = lookups(schedd, shape, int(numbers[0]), int(numbers[1]))
                elif what == "rate":
                    answer = rate(int(numbers[1]))
                else:
                    answer = timed(what, shape, schedd)
                break
            except htcondor2.HTCondorException:  # the shared pool restarted
                if attempt == RETRIES - 1:
                    raise
                time.sleep(RETRY_PAUSE)
                schedd = None
        print(answer, flush=True)


def queue_job_ids(schedd) -> list[tuple[int, int]]:
    return [(ad["ClusterId"], ad["ProcId"]) for ad in schedd.query(constraint(QUEUE_BATCH), ["ClusterId", "ProcId"])]


def history_job_ids(schedd) -> list[tuple[int, int]]:
    return [(ad["ClusterId"], ad["ProcId"])
            for ad in schedd.history(constraint(HISTORY_BATCH), ["ClusterId", "ProcId"], match=HISTORY_JOBS)]


def _counted(work) -> int:
    """How often a pure-Python thread counts while ``work()`` runs here."""
    done = threading.Event()
    count = 0

    def counter() -> None:
        nonlocal count
        while not done.is_set():
            count += 1

    thread = threading.Thread(target=counter)
    thread.start()
    try:
        work()
    finally:
        done.set()
        thread.join()
    return count


def gil_progress(schedd) -> float:
    """A counting thread's progress while this thread runs a full
    Schedd.query, as a fraction of its progress while this one sleeps
    as long."""
    started = time.perf_counter()
    during = _counted(lambda: schedd.query(constraint(QUEUE_BATCH), [], limit=MAX_JOBS))
    elapsed = time.perf_counter() - started
    return during / max(_counted(lambda: time.sleep(elapsed)), 1)


class Bindings:
    """The helper process, for the baseline times."""

    def __init__(self) -> None:
        self.process = subprocess.Popen(
            [sys.executable, __file__, "--helper"], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
        )

    def ask(self, what: str, shape: str = "-", seed: int | None = None, count: int | None = None) -> float:
        extra = f" {seed} {count}" if seed is not None else ""
        self.process.stdin.write(f"{what} {shape}{extra}\n")
        self.process.stdin.flush()
        return float(self.process.stdout.readline())

    def close(self) -> None:
        self.process.stdin.close()
        self.process.wait(timeout=30)


# ------------------------------------------------------------------ server --

def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def pserve(ini: Path, port: int) -> list[str]:
    """The default: ``pserve`` (waitress, as the ini's [server:main] says)."""
    return [str(Path(sys.executable).parent / "pserve"), str(ini)]


def baseline_trees(names: list[str]) -> dict[str, Path]:
    """``--baseline``'s commits (or source trees with their own .venv), by
    the name given: the trees of their servers (``baseline.tree_of``)."""
    return {name: Path(name) if Path(name).is_dir() else tree_of(name) for name in names}


def start_baselines(servers: dict[str, Server], trees: dict[str, Path], workers: int, log: Path,
                    overrides: dict[str, dict[str, str]]) -> None:
    """A server of each baseline tree into ``servers``, as ``REST@name``."""
    for name, tree in trees.items():
        servers[f"REST@{name}"] = Server(workers, log.with_name(f"{log.stem}-{tree.name}.log"), overrides=overrides,
                                         launcher=launcher_of(tree), tree=tree)


class Server:
    """development.ini served on a free loopback port (by ``pserve``, or by
    what ``launcher`` runs); the response cache off unless ``cache_ttl``
    says otherwise; up once ``ready_path`` answers 200."""

    def __init__(
        self, workers: int, log: Path, cache_ttl: float = 0.0, overrides: dict[str, dict[str, str]] | None = None,
        launcher: Launcher = pserve, tree: Path = PROJECT, ready_path: str = "/v1/jobs/DEFAULT?projection=ProcId&limit=1",
    ) -> None:
        self.port = free_port()
        ini = configparser.RawConfigParser()
        ini.optionxform = str
        ini.read(tree / "development.ini")
        ini["app:main"]["restd.cache.ttl"] = str(cache_ttl)
        ini["app:main"]["restd.gateway.workers"] = str(workers)
        ini["app:main"]["restd.gateway.timeout"] = "120"
        ini["server:main"]["listen"] = f"127.0.0.1:{self.port}"
        ini["server:main"]["threads"] = "16"
        for logger in ("logger_root", "logger_restd_core", "logger_restd_plugins"):
            ini[logger]["level"] = "WARNING"
        for section, values in (overrides or {}).items():
            ini[section].update(values)
        self._dir = tempfile.TemporaryDirectory(prefix="restd-bench-")
        path = Path(self._dir.name) / "bench.ini"
        with path.open("w") as out:
            ini.write(out)
        # Started plainly: the app sets its allocator up itself (restd_core.assembly.memory).
        env = {key: value for key, value in os.environ.items() if key != "MALLOC_ARENA_MAX"}
        env.update(_CONDOR_RESTD_CACHE_TTL=str(cache_ttl), _CONDOR_RESTD_MAX_JOBS=str(MAX_JOBS))
        self._log = log.open("w")
        # In its own tree: its gateway workers (python -m ...) import the code of their working directory.
        self.process = subprocess.Popen(launcher(path, self.port), env=env, stdout=self._log, stderr=self._log, cwd=tree)
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            try:
                if self.get(ready_path)[0] == 200:
                    return
            except OSError:
                pass
            if time.monotonic() > deadline or self.process.poll() is not None:
                raise RuntimeError(f"the server did not start; see {log}")
            time.sleep(0.5)

    def get(self, path: str) -> tuple[int, int]:
        """GET ``path``: (status, body size)."""
        status, body = self.fetch(path)
        return status, len(body)

    def fetch(self, path: str) -> tuple[int, bytes]:
        """GET ``path``: (status, body)."""
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=300)
        try:
            conn.request("GET", path)
            response = conn.getresponse()
            return response.status, response.read()
        finally:
            conn.close()

    def schedd_queries(self) -> int:
        """How many job queries the server's gateway has made (its /metrics)."""
        _, body = self.fetch("/metrics")
        pattern = re.compile(rb'^restd_htcondor_call_duration_seconds_count\{[^}]*operation="query_jobs"[^}]*\} (\S+)$', re.M)
        return sum(int(float(count)) for count in pattern.findall(body))

    def timed(self, path: str) -> float:
        for attempt in range(RETRIES):
            started = time.perf_counter()
            status, _ = self.get(path)
            if status == 200:
                return time.perf_counter() - started
            if status != 503 or attempt == RETRIES - 1:
                raise RuntimeError(f"GET {path}: {status}")
            time.sleep(RETRY_PAUSE)

    def pids(self) -> list[int]:
        """The server process and all its descendants (server processes of
        its own, the gateway's workers)."""
        pids, i = [self.process.pid], 0
        while i < len(pids):
            for task in Path(f"/proc/{pids[i]}/task").glob("*/children"):
                pids += [int(pid) for pid in _read(task).split()]
            i += 1
        return pids

    def close(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=15)
        self._log.close()
        self._dir.cleanup()


def _rss(pid: int) -> int:
    """Resident set size of ``pid`` in bytes (0 if it is gone)."""
    return status_bytes(pid, "VmRSS")


def status_bytes(pid: int, field: str) -> int:
    """A size of ``/proc/<pid>/status`` (``VmRSS``, ``VmData``...) in bytes (0 if it is gone)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(f"{field}:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def _cpu_seconds(pid: int, children: bool = False) -> float:
    """User + system CPU of ``pid`` so far (with ``children``: also of its
    children it has reaped, as the schedd's query children are); 0 if gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    ticks = sum(map(int, fields[11:15] if children else fields[11:13]))
    return ticks / os.sysconf("SC_CLK_TCK")


def _schedd_pids() -> list[int]:
    """The process ids of every condor_schedd in the chroot of
    CONDOR_POOL_ROOT (the project's pool by default; other pools may run
    side by side)."""
    root = os.path.realpath(os.environ.get("CONDOR_POOL_ROOT", "/var/tmp/condor-restd-pool"))
    return [int(path.parent.name) for path in Path("/proc").glob("[0-9]*/comm")
            if _read(path) == "condor_schedd\n" and _root(int(path.parent.name)) == root]


def _schedd_pid() -> int | None:
    """The default condor_schedd's process id, not the pool's second
    schedd's (``-local-name``); None if not exactly one."""
    pids = [pid for pid in _schedd_pids() if "-local-name" not in _read(Path(f"/proc/{pid}/cmdline")).split("\0")]
    return pids[0] if len(pids) == 1 else None


def _root(pid: int) -> str:
    try:
        return os.readlink(f"/proc/{pid}/root")
    except OSError:
        return ""


def _read(path: Path) -> str:
    try:
        return path.read_text()
    except OSError:
        return ""


#: After an answer, how long the schedd may take to reap its query child
#: (whose CPU it counts only then).
REAP_PAUSE = 0.3


def with_cpu(measure: Callable[[], float], pids: Callable[[], list[int]],
             schedd: int | list[int] | None) -> tuple[float, float]:
    """``measure()``'s seconds, and the CPU seconds ``pids()`` and the schedd
    (or each of a list of schedds) spent meanwhile."""
    own = pids()
    schedds = [] if schedd is None else [schedd] if isinstance(schedd, int) else schedd

    def spent() -> float:
        return sum(map(_cpu_seconds, own)) + sum(_cpu_seconds(pid, children=True) for pid in schedds)

    before = spent()
    seconds = measure()
    time.sleep(REAP_PAUSE)
    return seconds, spent() - before


def peak_rss(server: Server, path: str, listings: int = 1) -> tuple[int, int, int, float, list[int]]:
    """(RSS before, peak RSS while answering ``listings`` GETs of ``path``
    at once, one answer's size, the longest wait of a cheap request
    (``/healthz``, asked again and again meanwhile), the statuses), RSS
    summed over the server and its workers, sampled every 5 ms."""
    pids = server.pids()
    before = sum(_rss(pid) for pid in pids)
    peak, worst = before, 0.0
    done = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not done.is_set():
            peak = max(peak, sum(_rss(pid) for pid in server.pids()))
            time.sleep(0.005)

    def probe() -> None:
        nonlocal worst
        while not done.is_set():
            started = time.perf_counter()
            server.get("/healthz")
            worst = max(worst, time.perf_counter() - started)
            time.sleep(0.01)

    answers: list[tuple[int, int]] = []
    watchers = [threading.Thread(target=sample), threading.Thread(target=probe)]
    askers = [threading.Thread(target=lambda: answers.append(server.get(path))) for _ in range(listings)]
    for thread in watchers + askers:
        thread.start()
    for thread in askers:
        thread.join()
    done.set()
    for thread in watchers:
        thread.join()
    size = max((size for status, size in answers if status == 200), default=0)
    return before, peak, size, worst, sorted(status for status, _ in answers)


def big_listings(server: Server) -> None:
    """Peak memory and a cheap request's worst wait while the full listing
    is answered, once and three times at once."""
    mib = 1024 * 1024
    for listings in (1, 3):
        before, peak, size, worst, statuses = peak_rss(server, CASES["R1 jobs full"][0], listings)
        print(f"memory: {listings} full {JOBS}-job listing(s) at once, answer {size / mib:.1f} MiB, statuses {statuses}; "
              f"server + workers RSS {before / mib:.0f} MiB before, peak {peak / mib:.0f} MiB "
              f"({peak / max(size, 1):.1f}x the answer); the longest /healthz meanwhile {worst:.3f} s")


def throughput(server: Server, path: str, clients: int, seconds: float) -> float:
    """Requests per second of ``clients`` threads each GETting ``path`` in a
    loop for about ``seconds`` (every request begun is finished)."""
    answers, elapsed = answered(server, path, clients, seconds)
    return answers / elapsed


def answered(server: Server, path: str, clients: int, seconds: float) -> tuple[int, float]:
    """(answers, seconds taken) of ``clients`` threads each GETting ``path``
    in a loop for about ``seconds`` (every request begun is finished)."""
    stop = time.perf_counter() + seconds
    counts = [0] * clients

    def client(i: int) -> None:
        while time.perf_counter() < stop:
            server.timed(path)
            counts[i] += 1

    elapsed = small_requests.concurrently(client, clients)
    return sum(counts), elapsed


# ------------------------------------------------------------------ report --

def _query(batch: str, projection: list[str] | None = None) -> str:
    query = {"constraint": constraint(batch)}
    if projection:
        query["projection"] = ",".join(projection)
    return "?" + urllib.parse.urlencode(query)


CASES = {
    # name: (server path, bindings request)
    "R1 jobs full": ("/v1/jobs/DEFAULT" + _query(QUEUE_BATCH), ("queue", "full")),
    "R1 jobs proj": ("/v1/jobs/DEFAULT" + _query(QUEUE_BATCH, PROJECTION), ("queue", "proj")),
    "R2 history full": ("/v1/history/DEFAULT" + _query(HISTORY_BATCH), ("history", "full")),
    "R2 history proj": ("/v1/history/DEFAULT" + _query(HISTORY_BATCH, PROJECTION), ("history", "proj")),
}


def _spread(values: list[float]) -> str:
    return f"{statistics.median(values):7.3f} [{min(values):.3f}-{max(values):.3f}]"


def _print_ratios(name: str, rest: list[float], plain: list[float], width: int = 18) -> None:
    ratios = [r / b for r, b in zip(rest, plain) if b > 0]
    of_medians = statistics.median(rest) / statistics.median(plain)
    print(f"{name:{width}} {_spread(rest):>22} {_spread(plain):>22} {_spread(ratios):>22} {of_medians:10.3f}")


def run(
    rounds: int, workers: int, rps_seconds: float, cases: str,
    overrides: dict[str, dict[str, str]], against: dict[str, dict[str, str]] | None = None,
    baselines: dict[str, Path] | None = None,
) -> None:
    """R1/R2 (only the cases named so, if ``cases``), then R3 and memory;
    with ``against``, R1/R2 also on a second server with those settings on
    top, and with ``baselines``, on a server of each of those source trees
    (REST@name), measured in the same rounds."""
    bindings = Bindings()
    log = Path(tempfile.gettempdir()) / "restd-bench-server.log"
    servers: dict[str, Server] = {}
    try:
        servers["REST"] = server = Server(workers, log, overrides=overrides)
        if against:
            on_top = {section: {**overrides.get(section, {}), **values} for section, values in against.items()}
            servers["REST'"] = Server(workers, log.with_name("restd-bench-server-against.log"),
                                      overrides={**overrides, **on_top})
        start_baselines(servers, baselines or {}, workers, log, overrides)
        if cases == "M":  # memory only
            server.timed(CASES["R1 jobs proj"][0])  # the workers are up
            big_listings(server)
            return
        names = [name for name in CASES if name.startswith(cases)]
        sides = [*servers, "bindings"]
        times = {name: {side: [] for side in sides} for name in names}
        cpu = {name: {side: [] for side in sides} for name in names}
        schedd = _schedd_pid()
        for _ in range(2):  # warm them all up
            for path, ask in CASES.values():
                bindings.ask(*ask)
                for each in servers.values():
                    each.timed(path)
        for i in range(rounds):
            order = names[i % len(names):] + names[: i % len(names)]
            for name in order:
                path, ask = CASES[name]
                measures = {side: (partial(each.timed, path), each.pids) for side, each in servers.items()}
                measures["bindings"] = (partial(bindings.ask, *ask), lambda: [bindings.process.pid])
                for side in sides[i % len(sides):] + sides[: i % len(sides)]:
                    seconds, cpu_seconds = with_cpu(*measures[side], schedd)
                    times[name][side].append(seconds)
                    cpu[name][side].append(cpu_seconds)
        if against:
            print(f"\nREST': {', '.join(f'{section}:{key}={value}' for section, values in against.items() for key, value in values.items())}")
        for name, tree in (baselines or {}).items():
            print(f"\nREST@{name}: the server of {tree}")
        print(f"\n{JOBS} jobs, {rounds} rounds, {workers} gateway workers; seconds: median [min-max]")
        print(f"{'case':18} {'REST':>22} {'bindings':>22} {'ratio per round':>22} {'of medians':>10}")
        rows = [(name, side, name + side.removeprefix("REST")) for name in names for side in servers]
        for name, side, row in rows:
            _print_ratios(row, times[name][side], times[name]["bindings"])
        print("\nCPU seconds per answer: the server and its workers / the bindings' process"
              + (", each with the schedd" if schedd else " (no local schedd found: without it)"))
        for name, side, row in rows:
            _print_ratios(row, cpu[name][side], cpu[name]["bindings"])
        cores = os.cpu_count() or 1
        print(f"R1/R2 can be no lower than the REST answer's CPU spread over all {cores} cores, against the bindings' time:")
        for name, side, row in rows:
            floor = statistics.median(cpu[name][side]) / cores / statistics.median(times[name]["bindings"])
            print(f"{row:18} {floor:7.3f}")
        others = [side for side in servers if side != "REST"]
        if others:
            print("\nThis tree's server (REST) against each other one, per answer, in the same rounds:")
            print(f"{'case':30} {'REST':>22} {'other':>22} {'ratio per round':>22} {'of medians':>10}")
            for name in names:
                for side in others:
                    _print_ratios(f"{name} / {side} s", times[name]["REST"], times[name][side], 30)
                    _print_ratios(f"{name} / {side} CPU", cpu[name]["REST"], cpu[name][side], 30)
        if cases:
            return

        rps_path = CASES["R1 jobs proj"][0]
        print(f"\nR3: requests/s on GET /v1/jobs/DEFAULT (projection, {JOBS} jobs), {rps_seconds:g} s each")
        for clients in (1, 4, 16):
            print(f"  {clients:2} clients: {throughput(server, rps_path, clients, rps_seconds):6.2f} req/s", flush=True)
        progress = [float(bindings.ask("gil")) for _ in range(3)]
        print(f"  GIL: a counting thread gets {statistics.median(progress):.1%} of its normal progress "
              "while another thread runs Schedd.query (the bindings hold the GIL)")

        print()
        big_listings(server)
    finally:
        for each in servers.values():
            each.close()
        bindings.close()


def small(rounds: int, workers: int, seconds: float, overrides: dict[str, dict[str, str]],
          upstream_venv: Path | None, baselines: dict[str, Path] | None = None, history: bool = True) -> None:
    """R4: one job, one knob, ... (``small_requests``), with a server of its
    own, and one of each baseline tree (REST@name) in the same rounds;
    without ``history``, not its one-history-job case."""
    bindings = Bindings()
    log = Path(tempfile.gettempdir()) / "restd-bench-small-server.log"
    servers: dict[str, Server] = {}
    upstream = None
    try:
        servers["REST"] = Server(workers, log, overrides=overrides)
        start_baselines(servers, baselines or {}, workers, log, overrides)
        if upstream_venv:
            upstream = small_requests.Upstream(upstream_venv, free_port(),
                                               Path(tempfile.gettempdir()) / "restd-bench-upstream.log")
        schedd = _schedd()
        small_requests.run({side: each.port for side, each in servers.items()}, bindings, queue_job_ids(schedd),
                           history_job_ids(schedd) if history else [], upstream, rounds, seconds)
    finally:
        if upstream:
            upstream.close()
        for each in servers.values():
            each.close()
        bindings.close()


def cache_poll(workers: int, ttl: float, clients: int, seconds: float) -> None:
    """``clients`` dashboards polling one query for ``seconds`` with the
    response cache on: how many schedd queries they cost."""
    server = Server(workers, Path(tempfile.gettempdir()) / "restd-bench-cache-server.log", cache_ttl=ttl)
    try:
        path = CASES["R1 jobs proj"][0]
        before = server.schedd_queries()
        answered = throughput(server, path, clients, seconds) * seconds
        queries = server.schedd_queries() - before
        allowed = math.ceil(seconds / ttl) + 1
        print(f"\ncache on (RESTD_CACHE_TTL={ttl:g} s): {clients} clients polling GET {path.split('?')[0]} for "
              f"{seconds:g} s: {answered:.0f} answers, {queries} schedd queries "
              f"(at most one per TTL: {allowed}) -> {'ok' if queries <= allowed else 'TOO MANY'}")
    finally:
        server.close()


def _ini_settings(settings: list[str]) -> dict[str, dict[str, str]]:
    """``SECTION:KEY=VALUE`` strings as {section: {key: value}}."""
    parsed: dict[str, dict[str, str]] = {}
    for setting in settings:
        where, value = setting.split("=", 1)
        section, key = where.rsplit(":", 1)
        parsed.setdefault(section, {})[key] = value
    return parsed


def main() -> None:
    global JOBS
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--jobs", type=int, default=JOBS, help="held jobs in the queue (filled once, reused)")
    parser.add_argument("--workers", type=int, default=3, help="restd.gateway.workers")
    parser.add_argument("--rps-seconds", type=float, default=8.0)
    parser.add_argument("--fill-only", action="store_true")
    parser.add_argument("--clean", action="store_true", help="afterwards, remove the held jobs from the queue")
    parser.add_argument("--cases", default="", help="only the R1/R2 cases whose name starts so (e.g. 'R1'), nothing "
                                                     "else; R4: the small requests only; M: memory only; several "
                                                     "separated by commas (R1,R4)")
    parser.add_argument("--set", action="append", default=[], metavar="SECTION:KEY=VALUE",
                        help="an ini setting for the server, e.g. app:main:restd.gateway.listing_parts=1")
    parser.add_argument("--against", action="append", default=[], metavar="SECTION:KEY=VALUE",
                        help="R1/R2 also on a second server (REST') with this setting, in the same rounds")
    parser.add_argument("--baseline", action="append", default=[], metavar="COMMIT",
                        help="R1/R2 and R4 also on a server of this commit (a git worktree of it, made once with a "
                             "venv that shares this one's packages: bench/baseline.py; or a source tree with its own "
                             ".venv), in the same rounds; may be given more than once")
    parser.add_argument("--upstream", type=Path, metavar="VENV",
                        help="R4 also against the upstream restd (../shared/peers/htcondor-restd) run from this venv "
                             "(its make-venv.sh builds one)")
    parser.add_argument("--r4-without-history", action="store_true",
                        help="R4 without its one-history-job case, which times the schedd's scan of its history "
                             "files (seconds a request on a pool whose history is long)")
    parser.add_argument("--helper", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.helper:
        return bindings_helper()
    JOBS = args.jobs
    os.environ["RESTD_BENCH_JOBS"] = str(JOBS)  # for the helper process
    baselines = baseline_trees(args.baseline)
    fill()
    rounds, overrides = max(args.rounds, 1), _ini_settings(args.set)
    try:
        for cases in [] if args.fill_only else args.cases.split(","):
            if cases == "R4":
                small(rounds, args.workers, args.rps_seconds, overrides, args.upstream, baselines,
                      not args.r4_without_history)
                continue
            run(rounds, args.workers, args.rps_seconds, cases, overrides, _ini_settings(args.against), baselines)
            if not cases:
                small(rounds, args.workers, args.rps_seconds, overrides, args.upstream, baselines,
                      not args.r4_without_history)
                cache_poll(args.workers, ttl=2.0, clients=16, seconds=10.0)
    finally:
        if args.clean:
            clean()


if __name__ == "__main__":
    main()
