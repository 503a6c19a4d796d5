"""R4 of ``perf.py``: the small requests pollers make, one job, one knob,
side by side with the bare bindings (one ``Schedd`` object, the same
process, ``limit=1``) and, given its venv, the upstream Flask restd.

One client: the mean latency of a burst of requests per case and side, the
same random job ids for every side, in rounds whose order rotates.
Sixteen clients: requests per second of random one-job lookups. Every HTTP
request opens its own connection (the upstream's Flask server closes each).
"""
from __future__ import annotations

import http.client
import os
import random
import statistics
import subprocess
import threading
import time
from collections import Counter
from collections.abc import Callable
from functools import partial
from pathlib import Path

#: Requests per case, side and round (one client).
BURST = 60
PROJECTION = "Owner,JobStatus"
UPSTREAM_SOURCE = Path(__file__).resolve().parent.parent.parent / "shared" / "peers" / "htcondor-restd"


def get(port: int, path: str) -> int:
    """GET ``path`` on a fresh connection: its status (the body read)."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    try:
        connection.request("GET", path)
        response = connection.getresponse()
        response.read()
        return response.status
    finally:
        connection.close()


class Upstream:
    """The upstream restd (``flask run``) of ``source``, from ``venv``."""

    def __init__(self, venv: Path, port: int, log: Path, source: Path = UPSTREAM_SOURCE) -> None:
        self.port = port
        self._log = log.open("w")
        env = {**os.environ, "FLASK_APP": "condor_restd", "PYTHONDONTWRITEBYTECODE": "1"}
        self.process = subprocess.Popen([str(venv / "bin" / "flask"), "run", "-p", str(port)], cwd=source, env=env,
                                        stdout=self._log, stderr=self._log)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if get(port, "/v1/config/condor_version") == 200:
                    return
            except OSError:
                time.sleep(0.3)
        raise RuntimeError(f"the upstream restd did not start; see {log}")

    def close(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=15)
        self._log.close()


#: case -> (URL of one request for a job id, or None for a fixed URL; the bindings' request).
def cases(history: bool) -> dict[str, tuple[Callable[[tuple[int, int]], str], str | None]]:
    found = {
        "one job": (lambda job: f"/v1/jobs/DEFAULT/{job[0]}/{job[1]}", "job full"),
        "one job, projected": (lambda job: f"/v1/jobs/DEFAULT/{job[0]}/{job[1]}?projection={PROJECTION}", "job proj"),
        "one knob": (lambda job: "/v1/config/condor_version", None),
        "healthz": (lambda job: "/healthz", None),
        "status startd Cpus": (lambda job: "/v1/status?query=startd&projection=Cpus", None),
    }
    if history:
        found["history job"] = (lambda job: f"/v1/history/DEFAULT/{job[0]}/{job[1]}", None)
    return found


def burst(port: int, url: Callable[[tuple[int, int]], str], ids: list[tuple[int, int]], seed: int) -> float:
    """Mean seconds of ``BURST`` GETs of ``url(job)``, jobs drawn from ``ids`` with ``seed``."""
    rng = random.Random(seed)
    started = time.perf_counter()
    for _ in range(BURST):
        status = get(port, url(rng.choice(ids)))
        if status != 200:
            raise RuntimeError(f"a small request answered {status}")
    return (time.perf_counter() - started) / BURST


def _random_job(port: int, url: Callable[[tuple[int, int]], str], ids: list[tuple[int, int]],
                rng: random.Random) -> int:
    return get(port, url(rng.choice(ids)))


def concurrently(client: Callable[[int], None], clients: int) -> float:
    """``client(number)`` for ``clients`` numbers, each in a thread of its
    own, all at once: the seconds until the last ended."""
    started = time.perf_counter()
    threads = [threading.Thread(target=client, args=(number,)) for number in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return time.perf_counter() - started


def per_second(request: Callable[[random.Random], int], clients: int, seconds: float) -> tuple[float, Counter[int]]:
    """Requests per second of ``clients`` threads calling ``request`` for
    ``seconds`` that answered 200, and how many answered each other status."""
    stop = time.perf_counter() + seconds
    counts = [0] * clients
    refused: Counter[int] = Counter()

    def client(number: int) -> None:
        rng = random.Random(number)
        while time.perf_counter() < stop:
            status = request(rng)
            if status == 200:
                counts[number] += 1
            else:
                refused[status] += 1

    elapsed = concurrently(client, clients)  # before the counts are summed: they are made meanwhile
    return sum(counts) / elapsed, refused


def _spread(values: list[float] | None) -> str:
    if not values:
        return "-"
    return f"{statistics.median(values) * 1000:.2f} [{min(values) * 1000:.2f}-{max(values) * 1000:.2f}]"


def _ratio(ours: list[float] | None, theirs: list[float] | None) -> str:
    """The median of the rounds' ratios."""
    if not ours or not theirs:
        return "-"
    return f"{statistics.median([a / b for a, b in zip(ours, theirs)]):.2f}"


def run(rest_ports: dict[str, int], bindings, queue_ids: list[tuple[int, int]], history_ids: list[tuple[int, int]],
        upstream: Upstream | None, rounds: int, seconds: float) -> None:
    """Print R4's tables: one client, then sixteen. ``rest_ports``: this
    tree's server (``REST``) and others (another commit's, ``REST@...``),
    measured in the same rounds; ratios of this tree's to each."""
    sides: dict[str, int] = {**rest_ports, **({"upstream": upstream.port} if upstream else {})}
    others = [side for side in sides if side != "REST"]
    found = cases(bool(history_ids))
    means: dict[tuple[str, str], list[float]] = {}
    for number in range(rounds):
        for name, (url, ask) in found.items():
            ids = history_ids if name.startswith("history") else queue_ids
            order = [*sides, *(["bindings"] if ask else [])]
            for side in order[number % len(order):] + order[:number % len(order)]:
                if side == "upstream" and name in ("healthz",):
                    continue  # upstream has no such route
                if side == "bindings":
                    mean = bindings.ask(*ask.split(), seed=number, count=BURST)
                else:
                    mean = burst(sides[side], url, ids, number)
                means.setdefault((name, side), []).append(mean)
    print(f"\nR4: small requests, one client, mean ms per request over {BURST} requests "
          f"(median [min-max] of {rounds} rounds; random job ids among {len(queue_ids)})")
    columns = [*sides, "bindings"]
    ratios = ["bindings", *others]
    print(f"{'case':22} " + " ".join(f"{side:>20}" for side in columns)
          + " " + " ".join(f"{'REST/' + side.removeprefix('REST'):>12}" for side in ratios))
    for name in found:
        rest = means.get((name, "REST"))
        print(f"{name:22} " + " ".join(f"{_spread(means.get((name, side))):>20}" for side in columns)
              + " " + " ".join(f"{_ratio(rest, means.get((name, side))):>12}" for side in ratios))
    for side in rest_ports:
        print(f"one knob / healthz ({side}): {_ratio(means[('one knob', side)], means[('healthz', side)])}")
    print(f"\nR4: 16 clients, random one-job lookups for {seconds:g} s each: requests/s")
    url = found["one job"][0]
    rates = {side: per_second(partial(_random_job, port, url, queue_ids), 16, seconds) for side, port in sides.items()}
    for side, (rate, refused) in rates.items():
        versus = f"  REST / this: {rates['REST'][0] / rate:.2f}" if side != "REST" and rate else ""
        others = f"  (not 200: {dict(refused)})" if refused else ""
        print(f"  {side:14} {rate:7.1f}{versus}{others}")
    print(f"  {'bindings':14} {bindings.ask('rate', 'full', seed=0, count=int(seconds)):7.1f}  (16 threads, one process)")
