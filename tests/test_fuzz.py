"""Schemathesis fuzzes every documented operation of the live server (real
pool) from /openapi.json: no 5xx but 503, every answer as documented, every
error in the JSON error schema.

Bounded: ``MAX_EXAMPLES`` valid and as many invalid requests per operation.
Hypothesis runs each operation in-process (schemathesis's pytest plugin
does not run under pytest 9), so the count of requests is ours to report.
"""
from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import parse_qs, urlsplit

import jsonschema
import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.core.parameters import ParameterLocation
from schemathesis.core.failures import FailureGroup
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_schema_conformance,
    status_code_conformance,
)

from restd_core.openapi.document import ERROR_SCHEMA

from .conftest import close_app, make_app
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
def live_schema(condor_config, test_jobs) -> Iterator[schemathesis.schemas.BaseSchema]:
    app = make_app()
    try:
        with serve(app.app) as url:
            yield schemathesis.openapi.from_url(f"{url}/openapi.json")
    finally:
        close_app(app)


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
