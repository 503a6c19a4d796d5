"""How much data memory a gateway worker needs for the largest honest
answers, against its cap (``restd.gateway.worker_memory``).

    CONDOR_CONFIG=/var/tmp/condor-restd-pool-client/condor_config.client \\
        RESTD_BENCH_JOBS=50000 .venv/bin/python bench/worker_memory.py [--clean]

Fills the real pool's queue with RESTD_BENCH_JOBS held jobs (perf.py's,
reused by batch name; the history not), serves the app twice (one worker,
no split, the cache off): without a cap, sampling the worker's ``VmData``
(what ``RLIMIT_DATA`` counts) every 5 ms during each listing, and with the
default cap, where each listing must answer 200. Listings: every whole ad,
grouped by Owner (a grouping holds its whole answer), a constraint judged
in the worker (a regular expression) over whole ads, and the collector's
ads. Prints each one's answer size, the worker's data before and at its
peak, and the peak as a fraction of the default cap.
"""
from __future__ import annotations

import argparse
import sys
import tempfile
import threading
import time
import urllib.parse
from pathlib import Path

from perf import JOBS, QUEUE_BATCH, Server, clean, constraint, fill, status_bytes

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from restd_core.assembly.settings import ServerSettings  # noqa: E402

DEFAULT_CAP = ServerSettings().gateway_worker_memory
LISTINGS = {
    "whole ads": "/v1/jobs/DEFAULT?" + urllib.parse.urlencode({"constraint": constraint(QUEUE_BATCH)}),
    "grouped by Owner": "/v1/grouped_jobs/DEFAULT/Owner?" + urllib.parse.urlencode(
        {"constraint": constraint(QUEUE_BATCH)}),
    "judged in the worker": "/v1/jobs/DEFAULT?" + urllib.parse.urlencode(
        {"constraint": f'regexp("^{QUEUE_BATCH}$", JobBatchName)'}),
    "status": "/v1/status",
}
SETTINGS = {"restd.gateway.workers": "1", "restd.gateway.listing_parts": "1"}


def peak_during(server: Server, path: str) -> tuple[int, int, int, int]:
    """(status, answer bytes, the worker's data before, its peak during ``path``)."""
    [worker] = server.pids()[1:]  # the one worker
    before, peak, done = status_bytes(worker, "VmData"), 0, threading.Event()

    def sample() -> None:
        nonlocal peak
        while not done.is_set():
            peak = max(peak, status_bytes(worker, "VmData"))
            time.sleep(0.005)

    sampler = threading.Thread(target=sample)
    sampler.start()
    try:
        status, size = server.get(path)
    finally:
        done.set()
        sampler.join()
    return status, size, before, peak


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clean", action="store_true", help="afterwards, remove the held jobs from the queue")
    args = parser.parse_args()
    fill(history=False)
    log = Path(tempfile.gettempdir()) / "restd-bench-worker-memory.log"
    mib = 2**20
    print(f"{JOBS} jobs; default cap {DEFAULT_CAP / mib:.0f} MiB")
    print(f"{'listing':24} {'answer MiB':>10} {'data before':>11} {'data peak':>9} {'of the cap':>10} {'capped':>6}")
    uncapped = Server(1, log, overrides={"app:main": {**SETTINGS, "restd.gateway.worker_memory": "0"}})
    try:
        measured = {name: peak_during(uncapped, path) for name, path in LISTINGS.items()}
    finally:
        uncapped.close()
    capped = Server(1, log, overrides={"app:main": SETTINGS})
    try:
        for name, (status, size, before, peak) in measured.items():
            capped_status, _ = capped.get(LISTINGS[name])
            print(f"{name:24} {size / mib:10.1f} {before / mib:11.0f} {peak / mib:9.0f} {peak / DEFAULT_CAP:10.2f}"
                  f" {capped_status:>6}" + ("" if status == 200 else f" (uncapped: {status})"))
    finally:
        capped.close()
        if args.clean:
            clean()


if __name__ == "__main__":
    main()
