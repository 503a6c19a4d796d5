"""Compressed answers against the same answers as they are, side by side:
bytes on the wire and time, for a big listing.

Two listings of the real pool (their jobs made once and reused by batch
name): ``history``, ``/v1/history/DEFAULT?limit=2000`` (whole ads), and
``projected``, a queue listing of JOBS held jobs with five attributes each.
Each is asked in every coding the server has (``identity``, ``zstd``,
``gzip``, ``br``), from an app served by waitress in this process (3
gateway workers, as development.ini), with the response cache off (the
listing is made, spooled and compressed into a spool of its own for each
request) and on (a hit: the variants stored with the entry). Each round
asks every case once, in a rotated order; the medians are printed, with
each case's bytes and time against its listing's identity answer, and the
client's time to decode. Then each coding and level alone, on the history
listing's body in memory (what the server's CPU pays per answer compressed).

    export CONDOR_CONFIG=/var/tmp/condor-restd-pool-client/condor_config.client
    .venv/bin/python bench/compression.py [--rounds 5] [--jobs 10000] [--keep]
"""
from __future__ import annotations

import argparse
import http.client
import statistics
import sys
import time
import zlib
from collections.abc import Callable
from pathlib import Path

import brotli
import zstandard

PROJECT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT))
from perf import _schedd, _submit_held, constraint, fill_history  # noqa: E402

from restd_core.assembly.app import main  # noqa: E402
from tests.decoding import decoded  # noqa: E402
from tests.live_server import serve  # noqa: E402

QUEUE_BATCH = "restd-bench-compression"
HISTORY_BATCH = "restd-bench-compression-history"
HISTORY_JOBS = 2000
CODINGS = ("identity", "zstd", "gzip", "br")
PROJECTION = "Owner,JobStatus,Cmd,QDate,RequestMemory"
LISTINGS = {
    "history": f"/v1/history/DEFAULT?limit={HISTORY_JOBS}",
    "projected": f"/v1/jobs/DEFAULT?projection={PROJECTION}&constraint=JobBatchName%3D%3D%22{QUEUE_BATCH}%22",
}
#: Each coding and level alone, on a body in memory.
LEVELS: dict[str, Callable[[bytes], bytes]] = {
    "gzip 1": lambda body: _gzip(body, 1),
    "gzip 5 (server)": lambda body: _gzip(body, 5),
    "gzip 6": lambda body: _gzip(body, 6),
    "zstd 3 (server)": lambda body: zstandard.ZstdCompressor(level=3).compress(body),
    "br 4 (server)": lambda body: brotli.compress(body, quality=4),
    "br 11": lambda body: brotli.compress(body, quality=11),
}


def _gzip(body: bytes, level: int) -> bytes:
    compressor = zlib.compressobj(level, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    return compressor.compress(body) + compressor.flush()


def ensure_jobs(jobs: int) -> None:
    """JOBS held jobs in the queue and HISTORY_JOBS removed ones in the history, of this bench's batches."""
    schedd = _schedd()
    queued = len(schedd.query(constraint(QUEUE_BATCH), ["ProcId"]))
    if queued < jobs:
        print(f"submitting {jobs - queued} held jobs ({QUEUE_BATCH})", flush=True)
        _submit_held(schedd, QUEUE_BATCH, jobs - queued)
    fill_history(schedd, HISTORY_BATCH, HISTORY_JOBS)


def ask(url: str, path: str, coding: str) -> tuple[float, bytes, str | None]:
    """GET ``path`` accepting only ``coding``: seconds to the last byte, the body as sent, its coding."""
    connection = http.client.HTTPConnection(url.removeprefix("http://"), timeout=300)
    try:
        started = time.perf_counter()
        connection.request("GET", path, headers={"Accept-Encoding": coding})
        answer = connection.getresponse()
        body = answer.read()
        seconds = time.perf_counter() - started
        if answer.status != 200:
            raise RuntimeError(f"{path}: {answer.status} {body[:200]!r}")
        return seconds, body, answer.headers["Content-Encoding"]
    finally:
        connection.close()


Results = dict[tuple[str, str, str], dict[str, float]]


def run(rounds: int) -> tuple[Results, bytes]:
    """Every (cache, listing, coding) case: median seconds, bytes, decode
    seconds; and the history listing's identity body."""
    times: dict[tuple[str, str, str], list[float]] = {}
    sizes: dict[tuple[str, str, str], int] = {}
    decodes: dict[tuple[str, str, str], list[float]] = {}
    identity: dict[str, bytes] = {}
    for cache, ttl in (("off", "0"), ("hit", "600")):
        router = main({}, **{"restd.gateway.workers": "3", "restd.cache.ttl": ttl,
                             "restd.compression.codings": "zstd br gzip"})
        try:
            with serve(router, threads=8) as url:
                cases = [(listing, coding) for listing in LISTINGS for coding in CODINGS]
                if cache == "hit":  # stored once: every later request is a hit
                    for listing in LISTINGS:
                        ask(url, LISTINGS[listing], "identity")
                for turn in range(rounds):
                    for listing, coding in cases[turn % len(cases):] + cases[:turn % len(cases)]:
                        seconds, body, sent_coding = ask(url, LISTINGS[listing], coding)
                        if sent_coding != (None if coding == "identity" else coding):
                            raise RuntimeError(f"asked {coding}, got {sent_coding}")
                        started = time.perf_counter()
                        plain = decoded(sent_coding, body)
                        key = (cache, listing, coding)
                        decodes.setdefault(key, []).append(time.perf_counter() - started)
                        times.setdefault(key, []).append(seconds)
                        sizes[key] = len(body)
                        if coding == "identity":
                            identity[listing] = plain
                        elif listing in identity and len(plain) != len(identity[listing]):
                            raise RuntimeError(f"{listing} in {coding} decodes to {len(plain)} bytes, "
                                               f"not {len(identity[listing])}")
        finally:
            router.registry.restd.gateway.close()
    return {key: {"seconds": statistics.median(values), "bytes": sizes[key],
                  "decode": statistics.median(decodes[key])} for key, values in times.items()}, identity["history"]


def report(results: Results) -> None:
    print("| listing | cache | coding | bytes | smaller by | time (median) | time against identity | client's decode |")
    print("|---|---|---|---|---|---|---|---|")
    for listing in LISTINGS:
        for cache in ("off", "hit"):
            plain = results[(cache, listing, "identity")]
            for coding in CODINGS:
                case = results[(cache, listing, coding)]
                print(f"| {listing} | {cache} | {coding} | {case['bytes']:,} | {plain['bytes'] / case['bytes']:.1f}x "
                      f"| {case['seconds'] * 1000:.0f} ms | {case['seconds'] / plain['seconds']:.2f} "
                      f"| {case['decode'] * 1000:.1f} ms |")


def levels(body: bytes, rounds: int) -> None:
    print(f"\nEach coding alone on the history listing's body ({len(body):,} bytes):\n")
    print("| coding and level | bytes | smaller by | time (median) | MB/s |")
    print("|---|---|---|---|---|")
    for name, compress in LEVELS.items():
        spent = []
        for _ in range(rounds):
            started = time.perf_counter()
            data = compress(body)
            spent.append(time.perf_counter() - started)
        seconds = statistics.median(spent)
        print(f"| {name} | {len(data):,} | {len(body) / len(data):.1f}x | {seconds * 1000:.0f} ms "
              f"| {len(body) / seconds / 1e6:.0f} |")


def main_() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--jobs", type=int, default=10_000, help="held jobs of the projected listing")
    parser.add_argument("--keep", action="store_true", help="leave the queued jobs in the pool")
    args = parser.parse_args()
    ensure_jobs(args.jobs)
    try:
        results, history_body = run(args.rounds)
        report(results)
        levels(history_body, args.rounds)
    finally:
        if not args.keep:
            import htcondor2

            _schedd().act(htcondor2.JobAction.Remove, constraint(QUEUE_BATCH), reason="restd bench: done")


if __name__ == "__main__":
    main_()
