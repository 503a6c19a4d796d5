"""A third party's history listing, written with the plugin toolkit,
against the built-in history listing: the server's peak memory for 10,000
whole ads, side by side in one run.

    CONDOR_CONFIG=/var/tmp/condor-restd-pool-client/condor_config.client \\
        .venv/bin/python bench/plugin_memory.py [--rounds 5]

Fills the real pool's history with perf.py's 10,000 removed jobs (once;
reused by batch name), serves the app with the test suite's third-party
plugin ``restd_joblog`` (tests/plugins/restd_joblog, included by
``restd.includes``; one worker, the cache off), and asks both listings for
every whole ad of those jobs, alternately, ``--rounds`` times each. Prints
each one's answer size, the peak RSS (the server and its worker, sampled
every 5 ms) above what it was before, their medians, and the ratio.
"""
from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import urllib.parse
from pathlib import Path

from perf import HISTORY_BATCH, HISTORY_JOBS, PROJECT, Server, constraint, fill, peak_rss

PLUGIN = PROJECT / "tests" / "plugins" / "restd_joblog"
QUERY = urllib.parse.urlencode({"constraint": constraint(HISTORY_BATCH), "limit": str(HISTORY_JOBS)})
LISTINGS = {"built-in /v1/history": f"/v1/history/DEFAULT?{QUERY}", "plugin /v1/joblog": f"/v1/joblog/DEFAULT?{QUERY}"}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    fill(history=True)
    os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, [str(PLUGIN), os.environ.get("PYTHONPATH")]))
    log = Path(tempfile.gettempdir()) / "restd-bench-plugin-memory.log"
    server = Server(1, log, overrides={"app:main": {"restd.includes": "restd_joblog.plugin",
                                                    "restd.gateway.listing_parts": "1"}})
    mib = 2**20
    grown: dict[str, list[float]] = {name: [] for name in LISTINGS}
    try:
        for _ in range(args.rounds):
            for name, path in LISTINGS.items():
                before, peak, size, _, statuses = peak_rss(server, path)
                assert statuses == [200], statuses
                grown[name].append((peak - before) / mib)
                print(f"{name:22} answer {size / mib:6.1f} MiB  RSS before {before / mib:5.0f} MiB, "
                      f"peak +{(peak - before) / mib:5.0f} MiB", flush=True)
    finally:
        server.close()
    medians = {name: statistics.median(values) for name, values in grown.items()}
    built_in, plugin = medians.values()
    print(f"median peak growth: built-in {built_in:.0f} MiB, plugin {plugin:.0f} MiB; plugin / built-in "
          f"{plugin / built_in:.2f}")


if __name__ == "__main__":
    main()
