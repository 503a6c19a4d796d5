"""A third party's plugin with an HTCondor operation of its own
(tests/plugins/restd_submitters, pip-installed by the session's fixture),
served against the real pool as our own plugins are."""
from __future__ import annotations

import pytest

from .test_pool_outages import frozen


def test_its_endpoint_answers_from_its_own_operation(app, test_jobs):
    submitters = app.get("/v1/submitters").json
    # alice may submit to the second schedd too: this run's jobs are the default schedd's
    alice = [submitter for submitter in submitters
             if submitter["name"] == "alice@htcondor.test" and submitter["schedd"] == test_jobs.schedd_name]
    assert alice and alice[0]["held"] >= 3
    assert set(alice[0]) == {"name", "schedd", "idle", "running", "held"}


def test_its_parameters_are_checked_by_its_schema(app):
    answer = app.get("/v1/submitters", params={"name": "bad\tname"}, status=400).json
    assert answer["errno"] == 107 and answer["details"]["errors"][0]["name"] == "name"


def test_its_path_is_in_the_openapi_document(app):
    assert "/v1/submitters" in app.get("/openapi.json").json["paths"]


def test_its_calls_are_counted_under_its_operations_name(app_with):
    from .test_metrics import value

    app = app_with()
    app.get("/v1/submitters")
    assert value(app, "restd_htcondor_call_duration_seconds_count", operation="submitters", daemon="collector") == 1


@pytest.mark.disruptive
def test_a_frozen_collector_is_503_within_the_budget_and_then_answers_again(app_with, test_jobs):
    app = app_with(**{"restd.gateway.timeout": "2"})
    app.get("/v1/submitters")
    with frozen("condor_collector"):
        answer = app.get("/v1/submitters", status=503)
    assert answer.json["errno"] == 202 and answer.headers["Retry-After"].isdigit()
    app.get("/v1/submitters", status=200)
