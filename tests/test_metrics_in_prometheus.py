"""/metrics as Prometheus's own tools take it: promtool's linter finds
nothing in it, and a real Prometheus (Debian's ``prometheus``, installed by
scripts/test.sh) scrapes a served app and answers a query over what it read."""
from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from .live_server import serve
from .waiting import wait_until
from .wsgi_servers import free_port

GAUGES = {"restd.summary.gauges.ttl": "3600"}


def test_promtool_finds_nothing_to_lint_in_the_metrics(app_with, test_jobs):
    text = app_with(**GAUGES).get("/metrics").body
    linted = subprocess.run(["promtool", "check", "metrics"], input=text, capture_output=True, check=False)
    assert (linted.returncode, linted.stdout + linted.stderr) == (0, b"")


@pytest.fixture
def prometheus(tmp_path: Path) -> Iterator:
    """``prometheus(target)``: a Prometheus on loopback scraping
    ``target`` (host:port) every second; yields its base URL."""
    started: list[subprocess.Popen] = []

    def start(target: str) -> str:
        config = tmp_path / "prometheus.yml"
        config.write_text("global:\n  scrape_interval: 1s\n"
                          f"scrape_configs:\n  - job_name: restd\n    static_configs:\n      - targets: ['{target}']\n")
        address = f"127.0.0.1:{free_port()}"
        started.append(subprocess.Popen(
            ["prometheus", f"--config.file={config}", f"--storage.tsdb.path={tmp_path / 'data'}",
             f"--web.listen-address={address}"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        return f"http://{address}"

    yield start
    for process in started:
        process.terminate()
        process.wait(timeout=30)


def query(url: str, promql: str) -> list[dict]:
    """The samples of an instant query, none while Prometheus is not up yet."""
    try:
        return requests.get(f"{url}/api/v1/query", params={"query": promql}, timeout=5).json()["data"]["result"]
    except requests.ConnectionError:
        return []


def test_prometheus_scrapes_the_server_and_answers_a_query_in_base_units(app_with, test_jobs, prometheus):
    app = app_with(**GAUGES)
    with serve(app.app) as base:
        url = prometheus(base.removeprefix("http://"))
        assert wait_until(lambda: query(url, 'sum(restd_pool_slot_memory_bytes{job="restd"}) > 0'), patience=60)
        assert query(url, 'up{job="restd"}')[0]["value"][1] == "1"
