"""Fair share, not refusal: one caller's bursts, side by side with the
upstream Flask restd in one run, and another caller's waits meanwhile.

    eval "$(pool/pool.sh env)"     # CONDOR_CONFIG of the pool
    .venv/bin/python bench/fair_share.py --upstream /var/tmp/upstream-restd-venv [--seconds 6] [--threads 64]

Fills the queue (once; ``perf.fill``) with ``--jobs`` held jobs, serves
development.ini (``perf.Server``: waitress, the response cache off, auth
``none``, whose callers are their addresses) and, given its venv, the
upstream restd (``small_requests.Upstream``), and prints for each:

- B1: one caller (127.0.0.1) with 16 keep-alive clients doing random
  one-job lookups for ``--seconds``, each side once per round
  (``--rounds``, the order rotated: the machine's other load hits both):
  answers 200 per second, refusals (429), anything else; ours / upstream
  per round;
- B2: one caller with 40 keep-alive clients each doing uncached listings
  of the bench jobs for ``--seconds`` (every one of them until it ends),
  while a second caller (127.0.0.2) asks, one after the other, the
  server's ``condor_version`` and a one-job lookup: the listings' statuses
  and the second caller's worst and median wait for each.

Every request started is waited for (the gateway's timeout is 120 s here).
"""
from __future__ import annotations

import argparse
import http.client
import random
import statistics
import tempfile
import threading
import time
import urllib.parse
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

import perf
import small_requests

FLOODER, OTHER = "127.0.0.1", "127.0.0.2"
LISTING = "/v1/jobs/DEFAULT?" + urllib.parse.urlencode(
    {"projection": "Owner,JobStatus,QDate", "constraint": perf.constraint(perf.QUEUE_BATCH)})


class Client:
    """One keep-alive HTTP client from ``source`` (a loopback address: the
    server's caller); it reconnects when the server closes (upstream's may)."""

    def __init__(self, port: int, source: str) -> None:
        self._port = port
        self._source = source
        self._connection: http.client.HTTPConnection | None = None

    def get(self, path: str) -> int:
        """GET ``path``: its status (the body read)."""
        try:
            return self._get(path)
        except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
            self.close()  # a kept connection the server had closed: once more on a fresh one
            return self._get(path)

    def _get(self, path: str) -> int:
        if self._connection is None:
            self._connection = http.client.HTTPConnection("127.0.0.1", self._port, timeout=300,
                                                          source_address=(self._source, 0))
        self._connection.request("GET", path)
        response = self._connection.getresponse()
        response.read()
        if response.will_close:
            self.close()
        return response.status

    def close(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None


@dataclass
class Burst:
    """What ``clients`` clients of one caller got for ``seconds``."""

    statuses: Counter = field(default_factory=Counter)
    seconds: float = 0.0

    @property
    def answered_per_second(self) -> float:
        return self.statuses[200] / self.seconds

    def __str__(self) -> str:
        others = {status: count for status, count in self.statuses.items() if status not in (200, 429)}
        return (f"{self.answered_per_second:7.1f}/s answered, {self.statuses[429]:5d} refused (429), "
                f"others {others or 0}")


def burst(port: int, clients: int, seconds: float, path: Callable[[random.Random], str]) -> Burst:
    """``clients`` keep-alive clients of one caller asking ``path(rng)`` one
    after the other until ``seconds`` have passed (each ends its last)."""
    result = Burst()
    lock = threading.Lock()
    stop = time.perf_counter() + seconds

    def client(number: int) -> None:
        rng, connection = random.Random(number), Client(port, FLOODER)
        try:
            while time.perf_counter() < stop:
                status = connection.get(path(rng))
                with lock:
                    result.statuses[status] += 1
        finally:
            connection.close()

    result.seconds = small_requests.concurrently(client, clients)
    return result


def waits_meanwhile(port: int, paths: dict[str, str], busy: Callable[[], Burst]) -> tuple[Burst, dict[str, list[float]]]:
    """What ``busy()`` answered, and the seconds each of ``paths`` took
    meanwhile, asked by another caller one after the other (10 a second at
    most) for as long as it ran."""
    waits: dict[str, list[float]] = {name: [] for name in paths}
    failures: Counter = Counter()
    done = threading.Event()

    def ask() -> None:
        connection = Client(port, OTHER)
        try:
            while not done.is_set():
                for name, path in paths.items():
                    started = time.perf_counter()
                    status = connection.get(path)
                    waits[name].append(time.perf_counter() - started)
                    if status != 200:
                        failures[(name, status)] += 1
                done.wait(0.1)
        finally:
            connection.close()

    asker = threading.Thread(target=ask)
    asker.start()
    try:
        result = busy()
    finally:
        done.set()
        asker.join()
    if failures:
        print(f"    the other caller's failures: {dict(failures)}")
    return result, waits


def _ms(values: list[float]) -> str:
    if not values:
        return "-"
    return f"worst {max(values) * 1000:7.1f} ms, median {statistics.median(values) * 1000:6.1f} ms ({len(values)})"


def run(sides: dict[str, int], jobs: list[tuple[int, int]], seconds: float, rounds: int) -> None:
    def one_job(rng: random.Random) -> str:
        cluster, proc = rng.choice(jobs)
        return f"/v1/jobs/DEFAULT/{cluster}/{proc}"

    print(f"\nB1: one caller, 16 keep-alive clients, random one-job lookups for {seconds:g} s a side, in {rounds} "
          "rounds (the sides alternated, the order rotated)")
    lookups: dict[str, list[Burst]] = {side: [] for side in sides}
    order = list(sides)
    for number in range(rounds):
        for side in order[number % len(order):] + order[:number % len(order)]:
            lookups[side].append(burst(sides[side], 16, seconds, one_job))
    for side, bursts in lookups.items():
        for each in bursts:
            print(f"  {side:9} {each}")
    if "upstream" in lookups:
        ratios = [ours.answered_per_second / max(theirs.answered_per_second, 1e-9)
                  for ours, theirs in zip(lookups["REST"], lookups["upstream"])]
        print(f"  REST / upstream answered per second: median {statistics.median(ratios):.2f} "
              f"[{min(ratios):.2f}-{max(ratios):.2f}] of the rounds")

    cluster, proc = jobs[0]
    other = {"condor_version": "/v1/config/condor_version", "one job": f"/v1/jobs/DEFAULT/{cluster}/{proc}"}
    print(f"\nB2: one caller, 40 keep-alive clients, uncached listings of {len(jobs)} jobs for {seconds:g} s; "
          "meanwhile another caller's requests, one after the other")
    for side, port in sides.items():
        listings, waits = waits_meanwhile(port, other, partial(burst, port, 40, seconds, lambda rng: LISTING))
        print(f"  {side:9} listings: {sum(listings.statuses.values())} answers, statuses "
              f"{dict(listings.statuses)}, {listings.answered_per_second:.1f}/s")
        for name, values in waits.items():
            print(f"  {'':9} the other caller's {name:15} {_ms(values)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--jobs", type=int, default=1000, help="held bench jobs in the queue (filled once, reused)")
    parser.add_argument("--workers", type=int, default=3, help="restd.gateway.workers")
    parser.add_argument("--threads", type=int, default=64, help="waitress threads of our server")
    parser.add_argument("--seconds", type=float, default=6.0, help="how long each burst goes on")
    parser.add_argument("--rounds", type=int, default=3, help="B1's rounds (each side once per round)")
    parser.add_argument("--upstream", type=Path, metavar="VENV",
                        help="also the upstream restd (../shared/peers/htcondor-restd) run from this venv "
                             "(its make-venv.sh builds one)")
    parser.add_argument("--clean", action="store_true", help="afterwards, remove the held jobs from the queue")
    args = parser.parse_args()
    perf.JOBS = args.jobs
    perf.fill(history=False)
    logs = Path(tempfile.gettempdir())
    server = perf.Server(args.workers, logs / "restd-bench-fair-share.log", overrides={
        "server:main": {"threads": str(args.threads)}})
    upstream = None
    try:
        if args.upstream:
            upstream = small_requests.Upstream(args.upstream, perf.free_port(),
                                               logs / "restd-bench-fair-share-upstream.log")
        sides = {"REST": server.port, **({"upstream": upstream.port} if upstream else {})}
        print(f"REST: {args.workers} workers, {args.threads} waitress threads, auth none (a caller per address)")
        run(sides, perf.queue_job_ids(perf._schedd()), args.seconds, args.rounds)
    finally:
        server.close()
        if upstream is not None:
            upstream.close()
        if args.clean:
            perf.clean()


if __name__ == "__main__":
    main()
