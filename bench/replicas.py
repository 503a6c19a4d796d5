"""Benchmark of replicas sharing Redis (``restd.shared``) against replicas
that do not.

    export CONDOR_POOL_ROOT=... CONDOR_CONFIG=...
    .venv/bin/python bench/replicas.py [--replicas 3] [--pollers 16] [--seconds 30] [--ttl 2]

Starts a Redis of its own (``scripts/redis.sh``, in a temporary directory),
then, in one run:

- **polling**: ``--replicas`` pserve replicas (development.ini, 2 gateway
  workers each, ``restd.cache.ttl = --ttl``), ``--pollers`` client threads
  per replica asking one query (a projected queue listing) in a loop for
  ``--seconds``; the schedd queries all the replicas made together (their
  ``/metrics``), per time-to-live. Once without ``restd.shared`` (each
  replica its own cache: about one query per replica per TTL), once with
  it (one between them);
- **a cache hit**: one client asking one replica ``/v1/config`` in a loop
  (TTL 600 s, so every answer but the first is a hit): the median time of a
  hit through Redis against an in-process hit, in alternating rounds; and
  the same for ``ResponseCache.fetch`` alone, in this process, without HTTP
  (that body, and a 1 MiB one).

It prints the two sides and their ratios.
"""
from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

from perf import PROJECT, Server

sys.path.insert(0, str(PROJECT))

from pyramid.response import Response  # noqa: E402

from restd_core.pipeline.response_cache import ResponseCache  # noqa: E402
from restd_core.shared.memory import MemoryStore  # noqa: E402
from restd_core.shared.redis_store import RedisStore  # noqa: E402
from tests.redis_server import running  # noqa: E402

QUERY = "/v1/jobs/DEFAULT?projection=ClusterId,ProcId,Owner,JobStatus&limit=200"
#: What the hits ask: an answer of some size whatever the queue holds (the pool's whole configuration).
HIT = "/v1/config"
#: A larger body for ResponseCache.fetch alone.
LARGE_BODY = b"[" + b'{"owner": "alice", "jobstatus": 5},' * 30_000 + b"{}]"
GATEWAY_WORKERS = 2


def replicas(count: int, ttl: float, shared: str | None) -> list[Server]:
    overrides = {"app:main": {"restd.shared": shared}} if shared else None
    log = Path(tempfile.gettempdir())
    return [Server(GATEWAY_WORKERS, log / f"restd-bench-replica-{number}.log", cache_ttl=ttl, overrides=overrides)
            for number in range(count)]


def poll(servers: list[Server], pollers: int, seconds: float) -> tuple[int, int]:
    """(answers, schedd queries) of ``pollers`` threads per replica asking QUERY for ``seconds``."""
    before = sum(server.schedd_queries() for server in servers)
    stop = time.perf_counter() + seconds
    answers = [0] * (len(servers) * pollers)

    def client(index: int, server: Server) -> None:
        while time.perf_counter() < stop:
            server.timed(QUERY)
            answers[index] += 1

    threads = [threading.Thread(target=client, args=(index, servers[index % len(servers)]))
               for index in range(len(answers))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sum(answers), sum(server.schedd_queries() for server in servers) - before


def http_hits(server: Server, count: int) -> list[float]:
    server.timed(HIT)  # the one miss
    return [server.timed(HIT) for _ in range(count)]


def fetch_hits(cache: ResponseCache, body: bytes, count: int) -> list[float]:
    compute = lambda: Response(body=body, content_type="application/json", charset=None)  # noqa: E731
    key = ("bench", len(body))
    cache.fetch(key, 600.0, compute)
    times = []
    for _ in range(count):
        started = time.perf_counter()
        cache.fetch(key, 600.0, compute)
        times.append(time.perf_counter() - started)
    return times


def median_ms(values: list[float]) -> float:
    return statistics.median(values) * 1000


def run(count: int, pollers: int, seconds: float, ttl: float, rounds: int) -> None:
    with tempfile.TemporaryDirectory(prefix="restd-bench-redis-") as directory, running(Path(directory)) as redis:
        print(f"polling: {count} replicas x {pollers} pollers of one query for {seconds:g} s, TTL {ttl:g} s")
        ttls = seconds / ttl
        results = {}
        for name, shared in (("in-process", None), ("redis", redis.url)):
            servers = replicas(count, ttl, shared)
            try:
                answers, queries = poll(servers, pollers, seconds)
            finally:
                for server in servers:
                    server.close()
            results[name] = queries / ttls
            print(f"  {name:10}  {answers / seconds:7.1f} answers/s  {queries:4d} schedd queries  "
                  f"{queries / ttls:.2f} per TTL")
        print(f"  schedd queries per TTL, redis / in-process: {results['redis'] / results['in-process']:.2f}")

        print(f"a cache hit, median of {rounds} rounds x 500 (HTTP) / x 2000 (ResponseCache.fetch):")
        servers = {"in-process": replicas(1, 600, None)[0], "redis": replicas(1, 600, redis.url)[0]}
        try:
            body = servers["redis"].fetch(HIT)[1]
            caches = {"in-process": ResponseCache(store=MemoryStore()),
                      "redis": ResponseCache(store=RedisStore(redis.url, "bench:", 0.25))}
            cases = {f"GET {HIT} ({len(body) // 1024} KiB)": lambda name: http_hits(servers[name], 500),
                     f"fetch, {len(body) // 1024} KiB": lambda name: fetch_hits(caches[name], body, 2000),
                     f"fetch, {len(LARGE_BODY) // 1024} KiB": lambda name: fetch_hits(caches[name], LARGE_BODY, 2000)}
            times = {case: {name: [] for name in servers} for case in cases}
            for _ in range(rounds):  # alternating, so that noise hits both
                for case, measure in cases.items():
                    for name in servers:
                        times[case][name].append(median_ms(measure(name)))
        finally:
            for server in servers.values():
                server.close()
        for case, table in times.items():
            local, shared = statistics.median(table["in-process"]), statistics.median(table["redis"])
            print(f"  {case:28} in-process {local:.3f} ms  redis {shared:.3f} ms  "
                  f"added {shared - local:+.3f} ms  ratio {shared / local:.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--replicas", type=int, default=3)
    parser.add_argument("--pollers", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--ttl", type=float, default=2.0)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    run(args.replicas, args.pollers, args.seconds, args.ttl, args.rounds)


if __name__ == "__main__":
    main()
