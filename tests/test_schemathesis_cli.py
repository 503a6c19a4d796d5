"""schemathesis's own CLI, as a user runs it, with ``--checks all`` over
every operation of the live server (real pool): every failure it reports
is one docs/api.md lists as not a defect, with why.

A few examples per operation (``MAX_EXAMPLES``, examples and fuzzing
phases): a minute or two, not an exhaustive fuzz (``test_fuzz`` runs more
cases in-process, with checks of our own).
"""
from __future__ import annotations

import re
import subprocess
import sys
import xml.etree.ElementTree as ElementTree
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import orjson
import pytest

from .conftest import close_app, make_app
from .live_server import serve

MAX_EXAMPLES = 3
#: Seconds schemathesis waits for one answer: past the gateway's timeout (20).
REQUEST_TIMEOUT = 30
#: Watch streams end by themselves (they never would: the fuzzer would wait
#: for a read timeout on each), with a few places for its streams.
SETTINGS = {"restd.watch.max_seconds": "1", "restd.watch.max_watchers": "4",
            "restd.watch.max_watchers_per_caller": "0"}
SCHEMATHESIS = Path(sys.executable).parent / "schemathesis"
_ANSWER = re.compile(r"\[(\d{3})\][^\n]*:\n\n\s*`(\{.*\})`", re.S)


@dataclass(frozen=True)
class Finding:
    """One failure or error of schemathesis's JUnit report."""

    operation: str  # "GET /v1/jobs/{schedd}"
    code: str  # ST202, ST101, or "error" (a network error)
    text: str

    def answer(self) -> tuple[int, dict] | None:
        """The status and the JSON error body it quotes, if any."""
        found = _ANSWER.search(self.text)
        if found is None:
            return None
        try:
            return int(found[1]), orjson.loads(found[2])
        except orjson.JSONDecodeError:
            return None


#: What a 400 may say of a request valid by the schema: what no JSON Schema
#: of a parameter states (docs/api.md).
BEYOND_A_SCHEMA = (
    "job ids go up to 2147483647",  # a pattern cannot bound a number
    "since and before cannot be given together",  # nor tie two parameters
    "not an instant on the calendar",  # nor say which dates are on the calendar (February 30th)
)


def not_a_defect(finding: Finding) -> str | None:
    """Why ``finding`` is one of docs/api.md's findings that are not
    defects (None: it is a defect)."""
    answer = finding.answer()
    status, body = answer if answer is not None else (None, {})
    details = body.get("details", {})
    if finding.code == "ST202" and status == 400 and body.get("errno") == 107:
        if details.get("parameter") in ("constraint", "before"):
            return f"the {details['parameter']} is not one HTCondor takes (a ClassAd's grammar, a job in the history)"
        if any(rule in body.get("message", "") for rule in BEYOND_A_SCHEMA):
            return "a rule no JSON Schema of a parameter states"
        if "only one schedd can answer that" in body.get("message", ""):  # listed in docs/api.md
            return "the schedd * sent where the route's documented pattern leaves it out"
    if finding.operation.startswith("GET /v1/watch/"):
        if finding.code == "ST108":
            return "schemathesis checks each event against the schema of the whole stream (OpenAPI 3.1's)"
        if finding.code == "ST101" and status == 503 and body.get("errno") == 210:
            return "every watch place is taken by the fuzzer's own streams"
        if finding.code == "error" and "timed out" in finding.text:
            return "a stream's read timed out on the fuzzer's side"
    return None


def findings(report: Path) -> list[Finding]:
    found = []
    for case in ElementTree.parse(report).getroot().iter("testcase"):
        for failure in case.findall("failure"):
            found.append(Finding(case.get("name", ""), failure.get("message", ""), failure.text or ""))
        for error in case.findall("error"):
            found.append(Finding(case.get("name", ""), "error", error.text or ""))
    return found


@pytest.fixture(scope="module")
def fuzzed_url(condor_config, test_jobs) -> Iterator[str]:
    app = make_app(**SETTINGS)
    try:
        with serve(app.app, threads=8) as url:
            yield url
    finally:
        close_app(app)


def test_schemathesis_cli_with_every_check_finds_no_defect(fuzzed_url, tmp_path):
    report = tmp_path / "junit.xml"
    run = subprocess.run(
        [str(SCHEMATHESIS), "run", f"{fuzzed_url}/openapi.json", "--checks", "all",
         "--phases", "examples,fuzzing", "--max-examples", str(MAX_EXAMPLES), "--seed", "23",
         "--request-timeout", str(REQUEST_TIMEOUT), "--max-response-time", str(REQUEST_TIMEOUT), "--no-shrink",
         "--report", "junit", "--report-junit-path", str(report)],
        capture_output=True, text=True, timeout=900, cwd=tmp_path)
    assert report.exists(), run.stdout[-3000:] + run.stderr[-3000:]
    tested = {case.get("name") for case in ElementTree.parse(report).getroot().iter("testcase")}
    assert "GET /v1/jobs/{schedd}" in tested and "GET /v1/watch/jobs/{schedd}" in tested
    defects = [f"{finding.operation} {finding.code}: {finding.text[:600]}"
               for finding in findings(report) if not_a_defect(finding) is None]
    assert defects == [], "\n\n".join(defects)
