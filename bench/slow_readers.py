"""Slow readers against another caller, side by side: large answers lent to
waitress (``wsgi.file_wrapper``, this branch) and sent by the app's threads
(the same app with ``wsgi.file_wrapper`` taken out of the environ: main's
behaviour).

Each side is one app (3 gateway workers) served by waitress with 8
threads, as development.ini. One caller opens SLOW connections that each ask
a listing of about 45 MB (the padded cluster, ``restd-bench-padded``, made
once in the pool and reused) through a 4 KB receive buffer and read
nothing; meanwhile another caller asks ``/healthz`` and
``/v1/config/condor_version`` one after the other for WINDOW seconds, each
with a 5 s timeout. Printed per side: the other caller's answers, timeouts
and worst latency, and the bytes the server held for the readers; then the
readers close and the time until those bytes are given back. Before the
slow readers, a client that reads at once gets the whole listing three
times: the median time (made and sent) is printed too.

    export CONDOR_CONFIG=/var/tmp/condor-restd-pool-client/condor_config.client
    .venv/bin/python bench/slow_readers.py
"""
from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import requests

PROJECT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT))
from restd_core.assembly.app import main  # noqa: E402
from tests.live_server import serve  # noqa: E402
from tests.slow_clients import stalled_reader  # noqa: E402

BATCH = "restd-bench-padded"
JOBS = 1400  # x 32 kB of padding: about 45 MB of whole ads
PADDING_BYTES = 32_000
THREADS = 8
OTHER_CALLER_PATHS = ("/healthz", "/v1/config/condor_version")
OTHER_CALLER_TIMEOUT = 5.0


def padded_cluster() -> int:
    """The pool's padded cluster (submitted once, as held jobs)."""
    import htcondor2

    schedd = htcondor2.Schedd()
    found = schedd.query(f'JobBatchName == "{BATCH}"', ["ClusterId"], limit=1)
    if found:
        return found[0]["ClusterId"]
    return schedd.submit(htcondor2.Submit({
        "executable": "/bin/sleep", "arguments": "600", "initialdir": "/tmp", "hold": "true",
        "batch_name": BATCH, "My.Padding": f'"{"x" * PADDING_BYTES}"',
    }), count=JOBS).cluster()


def without_file_wrapper(app):
    """``app`` as served by a server without ``wsgi.file_wrapper``: every body goes through its thread."""
    def served(environ, start_response):
        environ.pop("wsgi.file_wrapper", None)
        return app(environ, start_response)

    return served


def run_side(name: str, lent: bool, listing: str, slow: int, window: float) -> dict[str, float]:
    router = main({}, **{"restd.gateway.workers": "3", "restd.cache.ttl": "0", "restd.limits.concurrent_calls": "0"})
    in_flight = router.registry.restd.answers_in_flight
    try:
        with serve(router if lent else without_file_wrapper(router), threads=THREADS) as url:
            fast = []  # a client that reads at once: the whole listing, three times
            for _ in range(3):
                started = time.monotonic()
                size = len(requests.get(url + listing, timeout=120).content)
                fast.append(time.monotonic() - started)
            readers = [stalled_reader(url, listing) for _ in range(slow)]
            deadline = time.monotonic() + 120
            while in_flight.held < min(slow, THREADS) * (size - 2) * 0.99 and time.monotonic() < deadline:
                time.sleep(0.05)  # the listings are made (and waiting for their readers)
            latencies, timeouts, end = [], 0, time.monotonic() + window
            while time.monotonic() < end:
                for path in OTHER_CALLER_PATHS:
                    started = time.monotonic()
                    try:
                        requests.get(url + path, timeout=OTHER_CALLER_TIMEOUT).raise_for_status()
                        latencies.append(time.monotonic() - started)
                    except requests.Timeout:
                        timeouts += 1
            held = in_flight.held
            for reader in readers:
                reader.close()
            closed = time.monotonic()
            while in_flight.held and time.monotonic() < closed + 60:
                time.sleep(0.01)
            given_back = time.monotonic() - closed
    finally:
        router.registry.restd.gateway.close()
    result = {"answered": len(latencies), "timeouts": timeouts,  # a timeout counts as its 5 s
              "worst_ms": max(latencies + [OTHER_CALLER_TIMEOUT] * timeouts) * 1000,
              "median_ms": statistics.median(latencies) * 1000 if latencies else float("nan"),
              "held_MB": held / 1e6, "given_back_s": given_back, "listing_MB": size / 1e6,
              "fast_s": statistics.median(fast)}
    print(f"{name:>22}: other caller {result['answered']:4d} answers, {timeouts:2d} timeouts (5 s), "
          f"worst {'>=' if timeouts else '  '}{result['worst_ms']:8.1f} ms, median {result['median_ms']:6.1f} ms; "
          f"held for the readers {result['held_MB']:6.1f} MB, given back {given_back:5.2f} s after they closed; "
          f"a fast reader's whole listing {result['fast_s']:5.2f} s",
          flush=True)
    return result


def main_() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--slow", type=int, default=8, help="slow readers (default 8: every thread)")
    parser.add_argument("--window", type=float, default=15.0, help="seconds the other caller asks")
    parser.add_argument("--rounds", type=int, default=2)
    arguments = parser.parse_args()
    listing = f"/v1/jobs/DEFAULT/{padded_cluster()}"
    print(f"{arguments.slow} slow readers of {listing}, waitress {THREADS} threads; "
          f"another caller asks {' and '.join(OTHER_CALLER_PATHS)} for {arguments.window:g} s", flush=True)
    for _ in range(arguments.rounds):
        lent = run_side("lent (file_wrapper)", True, listing, arguments.slow, arguments.window)
        threads = run_side("sent by threads (main)", False, listing, arguments.slow, arguments.window)
        print(f"{'':>22}  answers lent/threads: {lent['answered']}/{threads['answered']}, "
              f"worst latency threads/lent: {'>=' if threads['timeouts'] else ''}{threads['worst_ms'] / lent['worst_ms']:.0f}x", flush=True)


if __name__ == "__main__":
    main_()
