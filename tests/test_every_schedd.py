"""Every schedd at once: the schedd name ``*`` (real pool, two schedds).

The pool's default schedd has the run's test jobs; the second schedd
(``schedd2@<host>``) gets a held cluster and a removed one here. The tests
that stop or freeze a schedd (or the collector) restore it in a fixture.
"""
from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path

import orjson
import pytest

from .pool import SECRET, advertised, frozen, pool_root, pool_sh, restore_pool
from .test_limits import other_caller_served_while
from .waiting import eventually

#: restd.gateway.timeout of the apps that meet a frozen daemon, in seconds.
TIMEOUT = 3
HIDDEN = {"_CONDOR_RESTD_HIDE_JOB_ATTRS": "Environment"}


@dataclass
class SecondSchedd:
    name: str
    held: int  # 2 held jobs with the secret in their Environment
    removed: int  # 1 job removed at once: in its history


def _schedd2_client(name: str):
    import htcondor2

    return htcondor2.Schedd(htcondor2.Collector().locate(htcondor2.DaemonType.Schedd, name))


@pytest.fixture(scope="module")
def schedd2(test_jobs) -> Iterator[SecondSchedd]:
    """Jobs in the second schedd, removed at the end."""
    import htcondor2

    name = f"schedd2@{test_jobs.schedd_name}"
    client = _schedd2_client(name)
    common = {"executable": "/bin/sleep", "arguments": "600", "initialdir": str(pool_root() / "tmp" / "jobs"),
              "hold": "true", "My.RestdTest": '"yes"'}
    held = client.submit(htcondor2.Submit({**common, "batch_name": "restd-schedd2",
                                           "environment": f"SECRET={SECRET}"}), count=2).cluster()
    removed = client.submit(htcondor2.Submit({**common, "batch_name": "restd-schedd2-removed"})).cluster()
    client.act(htcondor2.JobAction.Remove, f"ClusterId == {removed}", reason="restd test: fill history")
    eventually(lambda: client.history(f"ClusterId == {removed}", ["ProcId"], match=1),
               what="the removed job reaching schedd2's history", interval=0.2)
    yield SecondSchedd(name, held, removed)
    restore_pool()  # schedd2 may have just been restarted: its first answer after it may fail
    for _ in range(2):
        with suppress(htcondor2.HTCondorException):
            _schedd2_client(name).act(htcondor2.JobAction.Remove, f"ClusterId == {held}",
                                      reason="restd test run ended")
            break


def jobs_of(answer: dict, schedd: str) -> list[dict]:
    return [job for job in answer["jobs"] if job["schedd"] == schedd]


def cluster_of(job: dict) -> int:
    return int(job["jobid"].split(".")[0])


# --------------------------------------------------------------- the shape --

def test_every_schedd_names_both_schedds_and_no_failure(app, test_jobs, schedd2):
    answer = app.get("/v1/jobs/*?projection=Owner").json
    assert answer["schedds"] == sorted([test_jobs.schedd_name, schedd2.name])
    assert answer["failed"] == []


def test_a_pool_wide_listing_has_each_schedds_jobs_each_naming_its_schedd(app, test_jobs, schedd2):
    answer = app.get("/v1/jobs/*?projection=JobBatchName&constraint=RestdTest =?= \"yes\"").json
    batches = {(job["schedd"], job["classad"].get("jobbatchname", "")) for job in answer["jobs"]}
    assert {(schedd2.name, "restd-schedd2"), (test_jobs.schedd_name, "restd-held"),
            (test_jobs.schedd_name, "restd-idle")} <= batches
    assert {schedd for schedd, batch in batches if batch.startswith("restd-schedd2")} == {schedd2.name}


def test_a_pool_wide_job_object_is_the_one_schedds_object_and_its_schedd(app, test_jobs):
    query = f"projection=Owner,JobStatus&constraint=ClusterId == {test_jobs.held}"
    alone = app.get(f"/v1/jobs/DEFAULT?{query}").json
    pool_wide = jobs_of(app.get(f"/v1/jobs/*?{query}").json, test_jobs.schedd_name)
    assert pool_wide == [{**job, "schedd": test_jobs.schedd_name} for job in alone]


def test_each_schedds_jobs_come_together_in_the_order_of_the_schedds_names(app, schedd2):
    answer = app.get("/v1/jobs/*?projection=Owner").json
    schedds_in_order = [job["schedd"] for job in answer["jobs"]]
    assert schedds_in_order == sorted(schedds_in_order)


def test_star_percent_encoded_is_every_schedd_too(app):
    assert set(app.get("/v1/jobs/%2A?projection=Owner").json) == {"schedds", "failed", "jobs"}


def test_a_one_schedd_listing_keeps_its_v1_array_of_job_objects(app, test_jobs, schedd2):
    answer = app.get("/v1/jobs/DEFAULT?projection=Owner").json
    assert isinstance(answer, list)
    assert all(set(job) == {"jobid", "classad"} for job in answer)


def test_a_schedd_named_alone_lists_only_its_jobs(app, schedd2):
    answer = app.get(f"/v1/jobs/{schedd2.name}?projection=JobBatchName&constraint=RestdTest =?= \"yes\"").json
    assert {job["classad"].get("jobbatchname") for job in answer} == {"restd-schedd2"}


def test_pool_wide_history_has_each_schedds_history(app, test_jobs, schedd2):
    answer = app.get("/v1/history/*?projection=Owner&constraint=RestdTest =?= \"yes\"").json
    assert schedd2.removed in {cluster_of(job) for job in jobs_of(answer, schedd2.name)}
    assert test_jobs.removed in {cluster_of(job) for job in jobs_of(answer, test_jobs.schedd_name)}


def test_a_pool_wide_listing_is_etagged_and_answers_304_to_its_etag(app, schedd2):
    url = "/v1/jobs/*?projection=Owner"
    etag = app.get(url).headers["ETag"]
    app.get(url, headers={"If-None-Match": etag}, status=304)


# ------------------------------------------------------ limit and paging --

def test_limit_is_each_schedds(app, test_jobs, schedd2):
    answer = app.get("/v1/jobs/*?projection=Owner&limit=1").json
    assert [job["schedd"] for job in answer["jobs"]] == sorted([test_jobs.schedd_name, schedd2.name])


def test_a_pool_wide_listing_has_no_next_page_link(app, schedd2):
    assert "Link" not in app.get("/v1/jobs/*?projection=Owner&limit=1").headers


@pytest.mark.parametrize("cursor", ["after=1.0", "since=1.0", "before=1.0"])
def test_a_cursor_with_every_schedd_is_400(app, cursor):
    kind = "jobs" if cursor.startswith("after") else "history"
    answer = app.get(f"/v1/{kind}/*?{cursor}", status=400)
    assert answer.json["errno"] == 107


@pytest.mark.parametrize("url", ["/v1/jobs/*/1", "/v1/jobs/*/1/0", "/v1/jobs/*/1/0/Cmd", "/v1/history/*/1/0",
                                 "/v1/grouped_jobs/*/Owner", "/v1/grouped_history/*/Owner"])
def test_a_cluster_job_attribute_or_grouped_url_with_every_schedd_is_400(app, url):
    assert "only one schedd" in app.get(url, status=400).json["message"]


# ------------------------------------------------------ hidden attributes --

def test_hidden_attributes_stay_hidden_in_every_schedds_jobs(app_with, test_jobs, schedd2):
    answer = app_with(env=HIDDEN).get("/v1/jobs/*?constraint=RestdTest =?= \"yes\"")
    assert SECRET not in answer.text
    environments = {job["schedd"]: job["classad"].get("environment") for job in answer.json["jobs"]
                    if cluster_of(job) in (test_jobs.held, schedd2.held)}
    assert environments == {test_jobs.schedd_name: "<REDACTED>", schedd2.name: "<REDACTED>"}


def test_a_constraint_on_a_hidden_attribute_is_400_for_every_schedd(app_with, schedd2):
    answer = app_with(env=HIDDEN).get('/v1/jobs/*?constraint=Environment =!= ""', status=400)
    assert answer.json["errno"] == 107


def test_a_projection_of_a_hidden_attribute_is_redacted_for_every_schedd(app_with, schedd2):
    answer = app_with(env=HIDDEN).get("/v1/jobs/*?projection=Environment&constraint=RestdTest =?= \"yes\"")
    assert SECRET not in answer.text
    assert {job["classad"].get("environment") for job in answer.json["jobs"]} <= {"<REDACTED>", None}


# ------------------------------------------------------------- job counts --

def counted(groups: list[dict]) -> Counter:
    """Job counts by their group's key (as JSON text)."""
    return Counter({orjson.dumps(group["key"], option=orjson.OPT_SORT_KEYS): group["count"] for group in groups})


def test_every_schedds_job_counts_are_each_schedds_summed(app, test_jobs, schedd2):
    query = "by=Owner,JobStatus&constraint=RestdTest =?= \"yes\""
    alone = {name: app.get(f"/v1/summary/jobs/{name}?{query}").json for name in (test_jobs.schedd_name, schedd2.name)}
    answer = app.get(f"/v1/summary/jobs/*?{query}").json
    assert (answer["schedds"], answer["failed"], answer["by"]) == (sorted(alone), [], ["owner", "jobstatus"])
    assert answer["per_schedd"] == {name: {"totals": counts["totals"]} for name, counts in alone.items()}
    assert answer["totals"] == {status: sum(counts["totals"][status] for counts in alone.values())
                                for status in answer["totals"]}
    assert counted(answer["groups"]) == sum((counted(counts["groups"]) for counts in alone.values()), Counter())
    assert "schedd" not in answer


def test_every_schedds_job_counts_refuse_a_hidden_by_key(app_with, schedd2):
    assert app_with(env=HIDDEN).get("/v1/summary/jobs/*?by=Environment", status=400).json["errno"] == 107


def test_every_schedds_job_counts_refuse_a_constraint_on_a_hidden_attribute(app_with, schedd2):
    app_with(env=HIDDEN).get('/v1/summary/jobs/*?constraint=Environment =!= ""', status=400)


#: A schedd ad no schedd sends, as anyone the collector lets advertise a
#: schedd can: no CondorVersion (the bindings will not use it).
BROKEN_SCHEDD = {"broken@nowhere": 'MyAddress = "<127.0.0.1:1>"'}


def test_a_schedd_whose_ad_cannot_be_used_is_503(app_with):
    with advertised("schedd", BROKEN_SCHEDD):
        answer = app_with().get("/v1/jobs/broken@nowhere", status=503)  # an app of its own: it remembers schedds
    assert answer.json["errno"] == 201 and "CondorVersion" in answer.json["message"]


def test_a_schedd_whose_ad_cannot_be_used_is_a_503_failure_of_every_schedd(app_with, test_jobs, schedd2):
    with advertised("schedd", BROKEN_SCHEDD):
        answer = app_with().get("/v1/summary/jobs/*").json
    assert answer["schedds"] == sorted([test_jobs.schedd_name, schedd2.name])
    assert [(f["schedd"], f["status"], f["error"]) for f in answer["failed"]] == [
        ("broken@nowhere", 503, "HTCONDOR_UNAVAILABLE")]


# ----------------------------------------------- one schedd down, or all --

def is_schedd2(pid: int) -> bool:
    """Whether the condor_schedd ``pid`` is the second one (``-local-name schedd2``)."""
    return b"schedd2" in Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")


def schedd2_frozen():
    return frozen("condor_schedd", only=is_schedd2)


@pytest.fixture
def schedd2_back_on(condor_config) -> Iterator[None]:
    """Whatever the test does to schedd2, it is running again afterwards."""
    try:
        yield
    finally:
        restore_pool()  # starts schedd2 too, should it be off


@pytest.fixture
def outage_app(app_with, schedd2):
    """Three workers (both schedds at once), a short budget, its workers up."""
    testapp = app_with(**{"restd.gateway.workers": "3", "restd.gateway.timeout": str(TIMEOUT)})
    testapp.get("/v1/jobs/*?limit=1")  # the workers are up; both schedds are listed
    return testapp


@pytest.mark.disruptive
@pytest.mark.usefixtures("schedd2_back_on")
class TestOneScheddDown:
    def test_a_shut_down_schedd_is_a_failure_and_the_others_jobs_are_200(self, outage_app, test_jobs, schedd2):
        pool_sh("schedd2", "off")
        answer = outage_app.get("/v1/jobs/*?projection=Owner").json
        assert answer["schedds"] == [test_jobs.schedd_name]
        assert test_jobs.held in {cluster_of(job) for job in answer["jobs"]}
        [failure] = answer["failed"]
        assert failure["schedd"] == schedd2.name
        assert (failure["status"], failure["error"]) == (503, "HTCONDOR_UNAVAILABLE")
        assert "no longer lists" in failure["message"]

    def test_a_frozen_schedd_is_a_timeout_failure_and_the_others_jobs_are_200(self, outage_app, test_jobs, schedd2):
        with schedd2_frozen():
            answer = outage_app.get("/v1/jobs/*?projection=Owner").json
        assert answer["schedds"] == [test_jobs.schedd_name]
        assert {job["schedd"] for job in answer["jobs"]} == {test_jobs.schedd_name}
        assert [(f["schedd"], f["status"], f["error"]) for f in answer["failed"]] == [
            (schedd2.name, 503, "HTCONDOR_TIMEOUT")]

    def test_a_frozen_schedds_job_counts_are_a_failure_and_the_others_are_counted(self, outage_app, test_jobs,
                                                                                    schedd2):
        alone = outage_app.get("/v1/summary/jobs/DEFAULT?by=Owner").json
        with schedd2_frozen():
            answer = outage_app.get("/v1/summary/jobs/*?by=Owner").json
        assert (answer["schedds"], [f["schedd"] for f in answer["failed"]]) == ([test_jobs.schedd_name], [schedd2.name])
        assert (answer["totals"], answer["per_schedd"]) == (alone["totals"], {test_jobs.schedd_name: {
            "totals": alone["totals"]}})

    def test_a_failure_message_is_the_gateways_never_internal_text(self, outage_app, schedd2):
        with schedd2_frozen():
            [failure] = outage_app.get("/v1/jobs/*?projection=Owner").json["failed"]
        assert re.fullmatch(r"HTCondor did not answer within [0-9.]+ s", failure["message"])

    def test_once_schedd2_is_on_again_its_jobs_are_back(self, outage_app, schedd2):
        pool_sh("schedd2", "off")
        assert outage_app.get("/v1/jobs/*?projection=Owner").json["failed"]
        pool_sh("schedd2", "on")
        answer = outage_app.get("/v1/jobs/*?projection=Owner").json
        assert answer["failed"] == []
        assert schedd2.held in {cluster_of(job) for job in jobs_of(answer, schedd2.name)}

    def test_a_schedd_shut_down_before_the_server_listed_it_is_not_known(self, app_with, test_jobs, schedd2):
        pool_sh("schedd2", "off")
        answer = app_with().get("/v1/jobs/*?projection=Owner").json
        assert (answer["schedds"], answer["failed"]) == ([test_jobs.schedd_name], [])


@pytest.mark.disruptive
@pytest.mark.usefixtures("schedd2_back_on")
class TestEveryScheddDown:
    def test_every_schedds_job_counts_with_every_schedd_frozen_are_503(self, outage_app):
        with frozen("condor_schedd"):
            outage_app.get("/v1/summary/jobs/*", status=503)

    def test_every_schedd_frozen_is_503_naming_each(self, outage_app, test_jobs, schedd2):
        with frozen("condor_schedd"):
            answer = outage_app.get("/v1/jobs/*?projection=Owner", status=503)
        assert answer.headers["Retry-After"].isdigit()
        assert [f["schedd"] for f in answer.json["details"]["failed"]] == sorted([test_jobs.schedd_name, schedd2.name])

    def test_a_frozen_collector_is_503_within_the_budget(self, outage_app):
        with frozen("condor_collector"):
            answer = outage_app.get("/v1/jobs/*?projection=Owner", status=503)
        assert answer.json["errno"] == 202

    def test_every_schedd_shut_down_or_frozen_is_503(self, outage_app, test_jobs, schedd2):
        pool_sh("schedd2", "off")
        with frozen("condor_schedd"):
            answer = outage_app.get("/v1/jobs/*?projection=Owner", status=503)
        assert {f["schedd"]: f["error"] for f in answer.json["details"]["failed"]} == {
            test_jobs.schedd_name: "HTCONDOR_TIMEOUT", schedd2.name: "HTCONDOR_UNAVAILABLE"}

    def test_one_callers_pool_wide_requests_leave_a_worker_for_other_callers(self, app_with, schedd2):
        # Each schedd's call is a long one: the first request's two hold
        # every worker but the last, and the second's wait for them.
        testapp = app_with(**{"restd.gateway.workers": "3", "restd.gateway.timeout": str(TIMEOUT)})
        testapp.get("/v1/jobs/*?limit=1")  # the workers are up
        with frozen("condor_schedd"):
            served, statuses = other_caller_served_while(testapp, "/v1/jobs/*?constraint=ClusterId>1",
                                                         "/v1/jobs/*?constraint=ClusterId>2")
        assert served and statuses == [503, 503]
