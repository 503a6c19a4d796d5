"""Third parties' plugins with HTCondor operations of their own
(tests/plugins/restd_submitters, and restd_joblog written from
docs/plugins.md with the toolkit ``restd_core.plugin_api`` only;
pip-installed by the session's fixture), served against the real pool as
our own plugins are."""
from __future__ import annotations

import pytest

from .pool import frozen


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


def test_a_toolkit_history_listing_answers_as_the_built_in_history(app, test_jobs):
    params = {"constraint": f"ClusterId == {test_jobs.removed}", "projection": "Owner,ProcId", "limit": "1"}
    theirs = app.get("/v1/joblog/DEFAULT", params=params)
    ours = app.get("/v1/history/DEFAULT", params=params)
    assert theirs.json == ours.json and len(theirs.json) == 1
    assert set(theirs.json[0]["classad"]) == {"owner", "procid"}


def test_a_toolkit_listing_of_every_schedd_names_each_jobs_schedd(app, test_jobs):
    answer = app.get("/v1/joblog/*", params={"constraint": f"ClusterId == {test_jobs.removed}",
                                             "projection": "ProcId"}).json
    assert test_jobs.schedd_name in answer["schedds"]
    assert {job["schedd"] for job in answer["jobs"]} >= {test_jobs.schedd_name}


def test_a_toolkit_limit_is_capped_at_max_jobs(app_with, test_jobs):
    app = app_with(env={"_CONDOR_RESTD_MAX_JOBS": "1"})
    assert len(app.get("/v1/joblog/DEFAULT", params={"limit": "5", "projection": "ProcId"}).json) == 1


def test_a_toolkit_count_counts_the_history_by_an_attribute(app, test_jobs):
    answer = app.get("/v1/joblog_counts/DEFAULT", params={"by": "ClusterId",
                                                          "constraint": f"ClusterId == {test_jobs.removed}"}).json
    assert answer == {"by": "ClusterId", "total": 2, "counts": [{"value": str(test_jobs.removed), "count": 2}]}


#: Hidden as a site may spell it: the toolkit's filter ignores case.
HIDING = {"_CONDOR_RESTD_HIDE_JOB_ATTRS": "ENVIRONMENT"}


def test_a_toolkit_count_by_a_hidden_attribute_is_400(app_with):
    hiding_app = app_with(env=HIDING)
    assert hiding_app.get("/v1/joblog_counts/DEFAULT", params={"by": "environment"}, status=400).json["errno"]


def test_a_toolkit_listing_redacts_hidden_attributes_whatever_their_case(app_with, test_jobs):
    hiding_app = app_with(env=HIDING)
    jobs = hiding_app.get("/v1/joblog/DEFAULT", params={"constraint": f"ClusterId == {test_jobs.removed}"}).json
    assert [job["classad"]["environment"] for job in jobs] == ["<REDACTED>"] * 2
    assert hiding_app.get("/v1/joblog/DEFAULT", params={"constraint": "ENVIRONMENT =!= undefined"},
                          status=400).json["errno"]
