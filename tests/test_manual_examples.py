"""The manual cannot drift: every ``curl`` example that asks the development
server (``localhost:9680``) is run against the real pool, and its answer must
have the status and shape the manual shows next to it.

An example is a ``$ curl ...`` line in a ``console`` block of README.md or a
page of docs/; the lines after it, up to the next ``$``, are the answer it
shows: JSON in which ``...`` stands for what is cut short. What is compared
is the shape, not the values (job ids, counts and names differ from pool to
pool): the same JSON types; an object has exactly the keys shown, or at
least those when it shows ``...``; a list has at least as many items as shown
(exactly as many without ``...``), each like one of the items shown. An
answer shown with an ``errno`` is an error whose status is its ``code``;
without one, 200. A stream (``curl -N``) must open with a ``snapshot``."""
from __future__ import annotations

import http.client
import re
import shlex
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson
import pytest
import webtest
from paste.deploy import loadapp

from .conftest import close_app
from .decoding import CURL_COMPRESSED, decoded
from .live_server import serve
from .pool import SubmittedJobs
from .sse import Stream

ROOT = Path(__file__).resolve().parent.parent
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]
DEVELOPMENT_SERVER = re.compile(r"^(?:https?://)?localhost:9680(?P<target>/\S*)$")
#: The curl options the examples may use: only ``--compressed`` changes the
#: request (it asks for compressed answers, and decodes them).
OPTIONS = {"-i", "-N", "-s", "--compressed"}
#: In a shown answer, where something is cut short.
CUT = "\u2026"


@dataclass(frozen=True)
class Example:
    where: str  # page:line
    options: frozenset[str]
    target: str  # path and query
    shown: str  # the answer the manual shows ("" for none)


def console_blocks(text: str) -> Iterator[tuple[int, list[str]]]:
    """Each ``console`` block: the line number of its first line, its lines."""
    lines = text.split("\n")
    start = None
    for number, line in enumerate(lines, 1):
        if start is None and line.strip() == "```console":
            start = number + 1
        elif start is not None and line.strip() == "```":
            yield start, lines[start - 1:number - 1]
            start = None


def examples() -> list[Example]:
    found = []
    for page in PAGES:
        for start, lines in console_blocks(page.read_text()):
            commands = [i for i, line in enumerate(lines) if line.startswith("$ ")]
            for i, end in zip(commands, [*commands[1:], len(lines)], strict=True):
                words = shlex.split(lines[i][2:], comments=True)
                if words[0] != "curl" or not any("localhost:9680" in word for word in words):
                    continue
                options = frozenset(word for word in words[1:] if word.startswith("-"))
                (url,) = [word for word in words[1:] if not word.startswith("-")]
                found.append(Example(f"{page.relative_to(ROOT)}:{start + i}", options,
                                     DEVELOPMENT_SERVER.match(url)["target"], "\n".join(lines[i + 1:end]).strip()))
    return found


EXAMPLES = examples()


def shown_json(text: str) -> Any:
    """The answer shown, as JSON: each ``...`` becomes a ``CUT`` item of its
    list, or a ``CUT`` key of its object."""
    out, open_brackets, in_string, i = [], [], False, 0
    while i < len(text):
        char = text[i]
        if in_string:
            out.append(char)
            if char == "\\":
                out.append(text[i + 1])
                i += 1
            elif char == '"':
                in_string = False
        elif text.startswith("...", i):
            out.append(f'"{CUT}": null' if open_brackets[-1] == "{" else f'"{CUT}"')
            i += 2
        else:
            in_string = char == '"'
            if char in "{[":
                open_brackets.append(char)
            elif char in "}]":
                open_brackets.pop()
            out.append(char)
        i += 1
    return orjson.loads("".join(out))


def kind(value: Any) -> str:
    if isinstance(value, bool) or value is None:
        return repr(value) if value is None else "boolean"
    return {int: "number", float: "number", str: "string", list: "list", dict: "object"}[type(value)]


def mismatch(shown: Any, actual: Any, where: str = "the answer") -> str | None:
    """Why ``actual`` has not the shape ``shown`` shows (None if it has)."""
    if kind(shown) != kind(actual):
        return f"{where} is a {kind(actual)}, the manual shows a {kind(shown)}"
    if isinstance(shown, dict):
        keys = set(shown) - {CUT}
        if CUT not in shown and set(actual) != keys:
            return f"{where} has the keys {sorted(actual)}, the manual shows {sorted(keys)}"
        if not keys <= set(actual):
            return f"{where} lacks {sorted(keys - set(actual))}"
        return next(filter(None, (mismatch(shown[key], actual[key], f"{where}[{key!r}]") for key in keys)), None)
    if isinstance(shown, list):
        items = [item for item in shown if item != CUT]
        if len(actual) < len(items) or (CUT not in shown and len(actual) != len(items)):
            return f"{where} has {len(actual)} items, the manual shows {len(items)}{' and more' * (CUT in shown)}"
        for index, item in enumerate(actual if items else []):
            reasons = [mismatch(one, item, f"{where}[{index}]") for one in items]
            if all(reasons):
                return reasons[0]
    return None


@pytest.fixture(scope="module")
def live_url(condor_config: str) -> Iterator[str]:
    """The development server: development.ini's app, on the test pool."""
    app = webtest.TestApp(loadapp(f"config:{ROOT / 'development.ini'}"))
    try:
        with serve(app.app) as url:
            yield url
    finally:
        close_app(app)


def runnable(target: str, jobs: SubmittedJobs) -> str:
    """The example's request on the test pool: the job the manual names
    ``12.0`` (any job of the queue) is the run's first held job."""
    return target.replace("/12/0", f"/{jobs.held}/0")


def test_the_manual_has_examples_to_run():
    assert len(EXAMPLES) >= 20


def test_every_curl_of_the_development_server_is_an_example():
    """A ``curl`` of ``localhost:9680`` outside a ``console`` block would not be run."""
    outside = []
    for page in PAGES:
        text = page.read_text()
        in_blocks = {start + i for start, lines in console_blocks(text) for i in range(len(lines))}
        outside += [f"{page.relative_to(ROOT)}:{number}" for number, line in enumerate(text.split("\n"), 1)
                    if re.search(r"curl\b.*localhost:9680", line) and number not in in_blocks]
    assert outside == []


@pytest.mark.parametrize("example", EXAMPLES, ids=[example.where for example in EXAMPLES])
def test_the_example_answers_as_the_manual_shows(example: Example, live_url: str, test_jobs: SubmittedJobs):
    assert example.options <= OPTIONS, f"the test does not know what {sorted(example.options - OPTIONS)} do"
    target = runnable(example.target, test_jobs)
    if "-N" in example.options:
        with Stream(live_url + target) as stream:
            assert stream.status == 200, stream.error
            assert stream.next().name == "snapshot"
        return
    shown = shown_json(example.shown) if example.shown else None
    host, port = live_url.removeprefix("http://").split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=60)
    try:
        connection.request("GET", target, headers={"Accept-Encoding": CURL_COMPRESSED}
                           if "--compressed" in example.options else {})
        answer = connection.getresponse()
        status, body = answer.status, orjson.loads(decoded(answer.headers["Content-Encoding"], answer.read()))
    finally:
        connection.close()
    expected = shown["code"] if isinstance(shown, dict) and "errno" in shown else 200
    assert status == expected, body
    if shown is not None:
        assert mismatch(shown, body) is None, mismatch(shown, body)
