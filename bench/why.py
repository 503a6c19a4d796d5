"""Benchmark of the held summary (plugin why) against fetching the held
ads and counting them.

    CONDOR_CONFIG=/var/tmp/condor-restd-pool-client/condor_config.client \\
        .venv/bin/python bench/why.py [--rounds 7] [--workers 3] [--keep]

Fills the queue with bench/summary.py's 10,000 held jobs (alice and bob),
serves the app (cache off) and prints, side by side in one run (each round
runs every case once, in a rotated order):

- ``why held``: GET /v1/why/held/DEFAULT (by HoldReasonCode,
  HoldReasonSubCode, Owner; 3 examples per group): the schedd counts;
  ``why held, examples=0``: the same without examples;
- ``held ads proj`` / ``held ads full``: GET /v1/jobs/DEFAULT of the held
  jobs, with a projection of what the summary tells and whole, counted
  in Python here (what a client does without the summary);
- ``bindings count``: ``Schedd.query`` of the held jobs' attributes and
  counting here (no server);

then each case's time against the summary's and the answers' sizes
(targets: at least 10 times cheaper than fetching the held ads (whole)
and counting, the answer under 4 KB). The counts are checked against the
bindings'. The jobs are removed at the end unless ``--keep``.
"""
from __future__ import annotations

import statistics
import tempfile
import urllib.parse
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import orjson
from perf import Server, _schedd
from summary import arguments, on_filled_queue, print_times, served, timed_rounds

HELD = "JobStatus == 5"
ATTRIBUTES = ["HoldReasonCode", "HoldReasonSubCode", "Owner", "EnteredCurrentStatus", "HoldReason"]


def _path(path: str, **query: str) -> str:
    return f"{path}?{urllib.parse.urlencode(query)}"


SERVER_CASES = {
    "why held": "/v1/why/held/DEFAULT",
    "why held, examples=0": _path("/v1/why/held/DEFAULT", examples="0"),
    "held ads proj": _path("/v1/jobs/DEFAULT", constraint=HELD, projection=",".join(ATTRIBUTES)),
    "held ads full": _path("/v1/jobs/DEFAULT", constraint=HELD),
}


def _key(ad: dict) -> tuple:
    return tuple(ad.get(name) for name in ("holdreasoncode", "holdreasonsubcode", "owner"))


def counted_listing(body: bytes) -> Counter:
    """A listing's held jobs counted as the summary counts them (keys lower-cased, as a client would)."""
    return Counter(_key({name.lower(): value for name, value in job["classad"].items()})
                   for job in orjson.loads(body))


def by_hand() -> Counter:
    return Counter(_key({name.lower(): value for name, value in ad.items()})
                   for ad in _schedd().query(HELD, ATTRIBUTES))


def counted_summary(body: bytes) -> Counter:
    return Counter({_key(group["key"]): group["count"] for group in orjson.loads(body)["groups"]})


def run(rounds: int, workers: int) -> None:
    server = Server(workers, Path(tempfile.gettempdir()) / "restd-bench-why-server.log")
    try:
        fetched = {name: served(server, path) for name, path in SERVER_CASES.items()}
        cases: dict[str, Callable[[], object]] = {
            "why held": fetched["why held"],
            "why held, examples=0": fetched["why held, examples=0"],
            "held ads proj": lambda: counted_listing(fetched["held ads proj"]()),
            "held ads full": lambda: counted_listing(fetched["held ads full"]()),
            "bindings count": by_hand,
        }
        expected = by_hand()
        assert counted_summary(fetched["why held"]()) == expected, "the summary's counts differ from the bindings'"
        assert counted_listing(fetched["held ads proj"]()) == expected
        sizes = {name: len(call()) for name, call in fetched.items()}
        times = timed_rounds(cases, rounds)
        print(f"\n{sum(expected.values())} held jobs in {len(expected)} groups, {rounds} rounds, {workers} gateway "
              "workers, cache off; ms: median [min-max]")
        summary = print_times(times, "why held", sizes)
        cheaper = statistics.median(times["held ads full"]) / summary
        print(f"\nwhy held against the held ads fetched and counted: {cheaper:.1f}x faster (target >= 10: "
              f"{'ok' if cheaper >= 10 else 'MISSED'}); answer {sizes['why held']} bytes (target < 4096: "
              f"{'ok' if sizes['why held'] < 4096 else 'MISSED'})")
    finally:
        server.close()


def main() -> None:
    on_filled_queue(run, arguments(__doc__.split("\n\n")[0]).parse_args())


if __name__ == "__main__":
    main()
