"""Schemathesis fuzzes every documented operation of the live server (real
pool) from /openapi.json: no 5xx but 503, every answer as documented, every
error in the JSON error schema.

Bounded: ``MAX_EXAMPLES`` valid and as many invalid requests per operation.
Hypothesis runs each operation in-process (schemathesis's pytest plugin
does not run under pytest 9), so the count of requests is ours to report.
"""
from __future__ import annotations

import http.client
import re
from collections import Counter
from collections.abc import Iterator
from urllib.parse import parse_qs, quote_from_bytes, urlsplit

import jsonschema
import orjson
import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.core.failures import FailureGroup
from schemathesis.core.parameters import ParameterLocation
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_schema_conformance,
    status_code_conformance,
)

from restd_core.openapi.document import ERROR_SCHEMA

from .conftest import made_app
from .live_server import serve

MAX_EXAMPLES = 8
#: waitress's own answer (text) to a request line and headers over its
#: limit, before the app sees the request: not the app's to shape.
HEADERS_TOO_LARGE = 431


def no_server_error_but_503(ctx, response, case) -> None:
    """A 5xx is a bug, except 503: HTCondor (or the auth service) did not answer."""
    assert response.status_code < 500 or response.status_code == 503, (
        f"{response.status_code} from {case.method} {case.formatted_path}: {response.text[:500]}"
    )


def errors_are_json_errors(ctx, response, case) -> None:
    if response.status_code >= 400:
        jsonschema.validate(response.json(), ERROR_SCHEMA)


CHECKS = [no_server_error_but_503, errors_are_json_errors, status_code_conformance,
          content_type_conformance, response_schema_conformance]


def only_the_query_is_invalid(case) -> bool:
    meta = case.meta
    negated = {location for location, info in meta.components.items() if info.mode.is_negative} if meta else set()
    return negated == {ParameterLocation.QUERY}


def query_is_valid_as_sent(case, response) -> bool:
    """Whether the query string the server got is a valid one: values travel
    as text, so a value schemathesis made invalid as data may not be on the
    wire (``projection`` made the boolean false goes out as ``false``, a
    valid attribute name; a dropped optional value is no value at all)."""
    sent = parse_qs(urlsplit(response.request.url).query, keep_blank_values=True)
    for parameter in case.operation.definition.raw.get("parameters", []):
        if parameter["in"] != "query":
            continue
        values = sent.get(parameter["name"], [])
        if len(values) > 1:
            return False
        if not values or (values[0] == "" and parameter.get("allowEmptyValue")):
            if parameter.get("required"):
                return False
            continue
        schema = parameter["schema"]
        instance = values[0].split(",") if schema.get("type") == "array" else values[0]
        if not jsonschema.Draft202012Validator(schema).is_valid(instance):
            return False
    return True


def rejects_invalid_queries_as_sent(ctx, response, case) -> None:
    """schemathesis's negative-data check, but for queries valid as sent."""
    if not (only_the_query_is_invalid(case) and query_is_valid_as_sent(case, response)):
        negative_data_rejection(ctx, response, case)


@pytest.fixture(scope="module")
def live_server_url(condor_config, test_jobs) -> Iterator[str]:
    with made_app() as app, serve(app.app) as url:
        yield url


@pytest.fixture(scope="module")
def live_schema(live_server_url) -> schemathesis.schemas.BaseSchema:
    return schemathesis.openapi.from_url(f"{live_server_url}/openapi.json")


def fuzz(operation, mode: GenerationMode, checks: list) -> tuple[int, str | None]:
    """Runs one operation's cases; ``(cases run, first failure or None)``."""
    ran = 0

    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(max_examples=MAX_EXAMPLES, deadline=None, database=None, derandomize=True,
              phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))
    def run(case) -> None:
        nonlocal ran
        ran += 1
        response = case.call()
        if response.status_code != HEADERS_TOO_LARGE:
            case.validate_response(response, checks=checks)

    try:
        run()
    except Unsatisfiable:  # no parameters to make invalid
        return ran, None
    except (Exception, FailureGroup) as exc:  # a failed check, reported with the others
        return ran, f"{operation.label} ({mode}): {str(exc)[:2000]}"
    return ran, None


def test_every_operation_answers_as_documented(live_schema):
    failures, cases = [], 0
    for result in live_schema.get_all_operations():
        operation = result.ok()
        for mode, checks in ((GenerationMode.POSITIVE, CHECKS),
                             (GenerationMode.NEGATIVE, [*CHECKS, rejects_invalid_queries_as_sent])):
            ran, failure = fuzz(operation, mode, checks)
            cases += ran
            if failure:
                failures.append(failure)
    print(f"schemathesis: {cases} cases, {len(failures)} failing operations")
    assert not failures, "\n\n".join(failures)


# ------------------------------------------- bytes schemathesis cannot send --

#: Valid values for path parameters, so that one parameter at a time is bad.
PATH_EXAMPLES = {"schedd": "DEFAULT", "clusterid": "1", "procid": "0", "attribute": "Cmd", "groupby": "Owner",
                 "name": "x"}
#: The same with every schedd (``*``) instead: the pool-wide code paths.
EVERY_SCHEDD_EXAMPLES = {**PATH_EXAMPLES, "schedd": "*"}
#: Bytes a careless or hostile caller sends: not UTF-8, control characters,
#: the characters ClassAd strings and HTCondor's C strings treat apart.
NASTY_BYTES = st.one_of(
    st.binary(max_size=24),
    st.sampled_from([b"\\", b'"', b'\\"', b"a\\", b'x" || true || "', b"\n", b"a\n", b"\r\n", b"\t", b"\x00",
                     b"a\x00b", b"\x1b[31m", b"\x7f", b"\xc2\x85", b"\xff", b"\xc0\xaf", b"\xed\xa0\x80", b"%",
                     b"%ff", b"..", b"/", b"Environment\n", b"\xef\xbb\xbf", b" " * 300]),
    st.text(max_size=12).map(str.encode),
)
FUZZ_BYTES_EXAMPLES = 12


def operations_with_parameters(document: dict) -> list[tuple[str, list[tuple[str, str]]]]:
    """``(path, [(location, name), ...])`` of every documented GET."""
    found = []
    for path, operations in document["paths"].items():
        parameters = operations.get("get", {}).get("parameters", [])
        spots = [(parameter["in"], parameter["name"]) for parameter in parameters if parameter["in"] in ("path", "query")]
        if spots:
            found.append((path, spots))
    return found


def url_with(path: str, spot: tuple[str, str], value: bytes, examples: dict[str, str]) -> str:
    location, name = spot
    bad = quote_from_bytes(value, safe="")
    filled = re.sub(r"\{(\w+)\}", lambda m: bad if (location, m[1]) == ("path", name) else examples[m[1]], path)
    return f"{filled}?{name}={bad}" if location == "query" else filled


def send(base, url: str) -> tuple[int, bytes, str | None]:
    """``(status, body, X-Request-ID)`` of a GET of ``url`` sent as it is."""
    connection = http.client.HTTPConnection(base.hostname, base.port, timeout=60)
    try:
        connection.request("GET", url, headers={"X-Request-ID": "fuzz-bytes"})
        response = connection.getresponse()
        return response.status, response.read(), response.getheader("X-Request-ID")
    finally:
        connection.close()


def problem_with(status: int, body: bytes, request_id: str | None) -> str | None:
    if status == HEADERS_TOO_LARGE:
        return None
    if status >= 500 and status != 503:
        return str(status)
    if request_id != "fuzz-bytes":
        return "no request id"
    if status >= 400:
        try:
            jsonschema.validate(orjson.loads(body), ERROR_SCHEMA)
        except (orjson.JSONDecodeError, jsonschema.ValidationError) as exc:
            return f"not a JSON error ({exc.__class__.__name__})"
    return None


def fuzz_bytes(base, path: str, spots: list[tuple[str, str]], seen: Counter, failures: list[str],
               examples: dict[str, str] = PATH_EXAMPLES) -> None:
    @given(spot=st.sampled_from(spots), value=NASTY_BYTES)
    @settings(max_examples=FUZZ_BYTES_EXAMPLES * len(spots), deadline=None, database=None, derandomize=True,
              suppress_health_check=list(HealthCheck))
    def run(spot, value) -> None:
        url = url_with(path, spot, value, examples)
        status, body, request_id = send(base, url)
        seen[status] += 1
        problem = problem_with(status, body, request_id)
        if problem:
            failures.append(f"GET {url}: {problem}: {body[:300]!r}")

    run()


def test_bad_bytes_in_every_parameter_and_path_segment_are_never_a_5xx(live_server_url):
    document = requests.get(f"{live_server_url}/openapi.json", timeout=30).json()
    seen: Counter = Counter()
    failures: list[str] = []
    for path, spots in operations_with_parameters(document):
        fuzz_bytes(urlsplit(live_server_url), path, spots, seen, failures)
    print(f"bytes fuzz: {sum(seen.values())} requests, statuses {dict(sorted(seen.items()))}")
    assert not failures, "\n".join(failures[:20])


def test_bad_bytes_in_the_other_parameters_of_every_schedd_urls_are_never_a_5xx(live_server_url):
    document = requests.get(f"{live_server_url}/openapi.json", timeout=30).json()
    seen: Counter = Counter()
    failures: list[str] = []
    for path, spots in operations_with_parameters(document):
        others = [spot for spot in spots if spot != ("path", "schedd")]
        if "{schedd}" in path and others:
            fuzz_bytes(urlsplit(live_server_url), path, others, seen, failures, EVERY_SCHEDD_EXAMPLES)
    print(f"bytes fuzz with the schedd *: {sum(seen.values())} requests, statuses {dict(sorted(seen.items()))}")
    assert seen[200] and seen[400], "the pool-wide listings and the URLs that refuse * were both reached"
    assert not failures, "\n".join(failures[:20])
