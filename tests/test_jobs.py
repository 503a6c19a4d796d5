"""The jobs and history endpoints against the real pool (v1 contract)."""
from __future__ import annotations

import pytest

from .pool import SubmittedJobs, children, daemon_pids, set_raw_attribute, submit_idle_held
from .waiting import wait_until


def jobids(answer: list[dict]) -> list[str]:
    return [job["jobid"] for job in answer]


def test_jobs_lists_the_default_schedds_queue(app, test_jobs: SubmittedJobs):
    answer = app.get("/v1/jobs/DEFAULT").json
    assert {f"{test_jobs.held}.{p}" for p in range(3)} <= set(jobids(answer))
    assert {f"{test_jobs.idle}.{p}" for p in range(2)} <= set(jobids(answer))


def test_a_job_object_has_jobid_and_a_classad_with_lower_cased_keys(app, test_jobs):
    job = app.get(f"/v1/jobs/DEFAULT/{test_jobs.held}/0").json
    assert job["jobid"] == f"{test_jobs.held}.0"
    assert job["classad"]["clusterid"] == test_jobs.held
    assert job["classad"]["procid"] == 0
    assert job["classad"]["cmd"] == "/bin/sleep"
    assert all(key == key.lower() for key in job["classad"])


def test_jobs_of_a_schedd_by_name(app, test_jobs):
    answer = app.get(f"/v1/jobs/{test_jobs.schedd_name}/{test_jobs.idle}").json
    assert jobids(answer) == [f"{test_jobs.idle}.0", f"{test_jobs.idle}.1"]


def test_jobs_of_one_cluster(app, test_jobs):
    answer = app.get(f"/v1/jobs/DEFAULT/{test_jobs.held}").json
    assert jobids(answer) == [f"{test_jobs.held}.{p}" for p in range(3)]


def test_a_cluster_with_no_jobs_is_an_empty_list(app):
    assert app.get("/v1/jobs/DEFAULT/999999").json == []


def test_projection_shows_only_the_asked_attributes_and_jobid(app, test_jobs):
    answer = app.get(f"/v1/jobs/DEFAULT/{test_jobs.held}?projection=JobStatus,Cmd").json
    assert answer[0] == {"jobid": f"{test_jobs.held}.0", "classad": {"jobstatus": 5, "cmd": "/bin/sleep"}}


def test_server_time_is_shown_only_when_projected(app, test_jobs):
    answer = app.get(f"/v1/jobs/DEFAULT/{test_jobs.held}/0?projection=ServerTime,Owner").json
    assert set(answer["classad"]) == {"servertime", "owner"}


def test_projection_on_a_single_job(app, test_jobs):
    job = app.get(f"/v1/jobs/DEFAULT/{test_jobs.held}/1?projection=Owner").json
    assert job == {"jobid": f"{test_jobs.held}.1", "classad": {"owner": "alice"}}


def test_constraint_filters_jobs(app, test_jobs):
    answer = app.get("/v1/jobs/DEFAULT", params={"constraint": f'JobBatchName == "restd-idle" && ClusterId == {test_jobs.idle}'}).json
    assert jobids(answer) == [f"{test_jobs.idle}.0", f"{test_jobs.idle}.1"]


def test_constraint_is_combined_with_the_cluster_as_a_whole_expression(app, test_jobs):
    # Pasted as text, "true || ..." would match every cluster's jobs.
    answer = app.get(f"/v1/jobs/DEFAULT/{test_jobs.idle}", params={"constraint": "true || false"}).json
    assert {job["classad"]["clusterid"] for job in answer} == {test_jobs.idle}


def test_a_constraint_that_closes_the_parenthesis_is_refused(app, test_jobs):
    answer = app.get(f"/v1/jobs/DEFAULT/{test_jobs.idle}", params={"constraint": "true) || (true"}, status=400).json
    assert answer["details"]["parameter"] == "constraint"


def test_an_attribute_of_a_job_is_its_bare_json_value(app, test_jobs):
    assert app.get(f"/v1/jobs/DEFAULT/{test_jobs.held}/0/Cmd").json == "/bin/sleep"
    assert app.get(f"/v1/jobs/DEFAULT/{test_jobs.held}/0/JobStatus").json == 5


def test_attribute_names_are_case_insensitive(app, test_jobs):
    values = {app.get(f"/v1/jobs/DEFAULT/{test_jobs.held}/0/{name}").json for name in ("Cmd", "cmd", "CMD")}
    assert values == {"/bin/sleep"}


def test_an_undefined_attribute_is_404(app, test_jobs):
    answer = app.get(f"/v1/jobs/DEFAULT/{test_jobs.held}/0/NoSuchAttribute", status=404).json
    assert answer["code"] == 404


def test_a_job_that_does_not_exist_is_404(app, test_jobs):
    app.get(f"/v1/jobs/DEFAULT/{test_jobs.held}/99", status=404)
    app.get(f"/v1/jobs/DEFAULT/{test_jobs.held}/99/Cmd", status=404)


def test_an_expression_attribute_is_shown_as_expr(app, test_jobs):
    requirements = app.get(f"/v1/jobs/DEFAULT/{test_jobs.idle}/0/Requirements").json
    assert requirements.startswith("/Expr((false) && ")
    assert requirements.endswith(")/")


def test_history_lists_removed_jobs(app, test_jobs):
    answer = app.get(f"/v1/history/DEFAULT/{test_jobs.removed}").json
    assert sorted(jobids(answer)) == [f"{test_jobs.removed}.0", f"{test_jobs.removed}.1"]
    assert {job["classad"]["jobstatus"] for job in answer} == {3}


def test_history_of_the_default_schedd_holds_the_removed_jobs(app, test_jobs):
    answer = app.get("/v1/history/DEFAULT", params={"constraint": f"ClusterId == {test_jobs.removed}"}).json
    assert len(answer) == 2


def test_history_of_one_job_and_one_attribute(app, test_jobs):
    job = app.get(f"/v1/history/DEFAULT/{test_jobs.removed}/1?projection=JobStatus").json
    assert job == {"jobid": f"{test_jobs.removed}.1", "classad": {"jobstatus": 3}}
    assert app.get(f"/v1/history/DEFAULT/{test_jobs.removed}/1/jobbatchname").json == "restd-removed"


def test_a_missing_jobs_404_names_its_schedd_and_job_id_in_details(app, test_jobs):
    answer = app.get(f"/v1/jobs/DEFAULT/{test_jobs.held}/99", status=404).json
    assert answer["details"] == {"schedd": "DEFAULT", "jobid": f"{test_jobs.held}.99"}


def test_history_of_a_job_still_in_the_queue_is_404(app, test_jobs):
    app.get(f"/v1/history/DEFAULT/{test_jobs.held}/0", status=404)


def test_limit_caps_the_number_of_jobs(app, test_jobs):
    assert len(app.get(f"/v1/jobs/DEFAULT/{test_jobs.held}?limit=2").json) == 2
    assert len(app.get(f"/v1/history/DEFAULT/{test_jobs.removed}?limit=1").json) == 1


@pytest.mark.parametrize("limit", ["0", "-3", "many"])
def test_a_limit_that_is_not_a_positive_integer_is_400(app, limit):
    assert app.get(f"/v1/jobs/DEFAULT?limit={limit}", status=400).json["details"]["errors"][0]["name"] == "limit"


def test_max_jobs_from_the_htcondor_config_caps_every_list(app_with, test_jobs):
    capped = app_with(env={"_CONDOR_RESTD_MAX_JOBS": "2"})
    assert len(capped.get("/v1/jobs/DEFAULT").json) == 2
    assert len(capped.get(f"/v1/jobs/DEFAULT/{test_jobs.held}?limit=50").json) == 2
    assert len(capped.get("/v1/history/DEFAULT").json) == 2
    grouped = capped.get(f"/v1/grouped_jobs/DEFAULT/JobBatchName/{test_jobs.held}").json
    assert sum(len(group) for group in grouped.values()) == 2


def test_an_unknown_schedd_is_404(app):
    answer = app.get("/v1/jobs/no-such-schedd", status=404).json
    assert answer["details"] == {"schedd": "no-such-schedd"}
    app.get("/v1/history/no-such-schedd", status=404)


def test_a_schedd_name_with_quotes_is_looked_up_literally(app):
    app.get('/v1/jobs/x" || true || "', status=404)


def test_a_constraint_that_does_not_parse_is_400_with_the_reason(app):
    answer = app.get("/v1/jobs/DEFAULT", params={"constraint": "JobStatus =="}, status=400).json
    assert answer["errno"] == 107
    assert "constraint" in answer["message"]


@pytest.mark.parametrize("projection", ["Cmd,bad-name", "1abc", "a b"])
def test_a_projection_with_an_invalid_attribute_name_is_400(app, projection):
    answer = app.get("/v1/jobs/DEFAULT", params={"projection": projection}, status=400).json
    assert answer["details"]["errors"][0]["name"] == "projection"


@pytest.mark.parametrize("url", ["/v1/jobs/DEFAULT/abc", "/v1/jobs/DEFAULT/1/x", "/v1/history/DEFAULT/-1"])
def test_a_job_id_that_is_not_a_number_is_400(app, url):
    app.get(url, status=400)


def test_an_attribute_name_in_the_url_that_is_not_valid_is_400(app, test_jobs):
    app.get(f"/v1/jobs/DEFAULT/{test_jobs.held}/0/bad-name", status=400)


def test_an_empty_projection_is_no_projection(app, test_jobs):
    job = app.get(f"/v1/jobs/DEFAULT/{test_jobs.held}/0?projection=").json
    assert job["classad"]["cmd"] == "/bin/sleep"


def test_a_constraint_longer_than_16384_characters_is_400(app):
    answer = app.get("/v1/jobs/DEFAULT", params={"constraint": "true || " * 2100 + "true"}, status=400).json
    assert answer["details"]["errors"][0]["name"] == "constraint"


def test_a_schedd_name_ending_in_a_backslash_is_404(app):
    assert app.get("/v1/jobs/schedd%5C", status=404).json["details"] == {"schedd": "schedd\\"}


def test_a_constraint_with_a_string_ending_in_a_backslash_is_400_not_503(app):
    answer = app.get("/v1/jobs/DEFAULT", params={"constraint": 'Owner == "alice\\\\"'}, status=400).json
    assert answer["details"] == {"parameter": "constraint"}


def test_a_backslash_in_a_constraint_reaches_the_schedd_as_one_backslash(app, test_jobs):
    # The daemons read constraints in the old ClassAd syntax, where "\\" would be two backslashes.
    answer = app.get(f"/v1/jobs/DEFAULT/{test_jobs.held}", params={"constraint": 'regexp("^/bin/\\\\w+$", Cmd)'}).json
    assert len(answer) == 3


def test_a_constraint_whose_references_cannot_be_worked_out_is_400_without_internal_text(app):
    answer = app.get("/v1/jobs/DEFAULT", params={"constraint": 'ifThenElse(false, (1).x, regexp("S", Cmd))'},
                     status=400).json
    assert answer["details"] == {"parameter": "constraint"}
    assert "Error" not in answer["message"]


@pytest.mark.parametrize("url", [
    "/v1/jobs/DEFAULT/{held}/0/Cmd%0A", "/v1/jobs/DEFAULT?after=1.0%0A",
    "/v1/grouped_jobs/DEFAULT/Owner%0A",
])
def test_a_name_with_a_trailing_newline_is_400(app, test_jobs, url):
    app.get(url.format(held=test_jobs.held), status=400)


@pytest.mark.parametrize("url", ["/v1/jobs/DEFAULT/{held}/4294967296", "/v1/jobs/DEFAULT/18446744073709551616",
                                 "/v1/jobs/DEFAULT?after=99999999999.0", "/v1/jobs/DEFAULT?after=1.2147483648"])
def test_a_job_id_beyond_htcondors_is_400_not_job_0(app, test_jobs, url):
    app.get(url.format(held=test_jobs.held), status=400)


def test_a_get_with_a_body_is_400_without_parser_text(app):
    answer = app.request("/v1/config/CONDOR_HOST", method="GET", body=b"{", headers={"Content-Type": "application/json"},
                         status=400)
    assert answer.json["message"] == "a GET request has no body"


def test_a_constraint_with_a_regular_expression_is_never_left_running_in_the_schedd(app_with, test_jobs):
    # A pattern that backtracks costs seconds per ad: judged in the worker,
    # it ends with the worker at the timeout; a schedd would go on.
    costly = " && ".join(['isError(regexp("(a|aa)+$", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaab"))'] * 40)
    app = app_with(**{"restd.gateway.timeout": "2"})
    app.get(f"/v1/jobs/DEFAULT/{test_jobs.held}", params={"constraint": costly}, status=503)
    assert wait_until(lambda: schedd_query_children() == [], patience=10)


def schedd_query_children() -> list[int]:
    """Processes the pool's schedds forked to answer queries, running now."""
    return [child for schedd in daemon_pids("condor_schedd") for child in children(schedd)
            if child in daemon_pids("condor_schedd")]


@pytest.fixture(scope="module")
def undecodable_job(test_jobs) -> str:
    """A job whose author put bytes that are not UTF-8 in an attribute."""
    cluster = submit_idle_held("restd-undecodable")
    test_jobs.all_clusters.append(cluster)
    set_raw_attribute(f"{cluster}.0", "Note", b'"x\xffy"')
    return f"{cluster}.0"


def test_bytes_that_are_not_utf8_are_shown_as_replacement_characters(app, undecodable_job):
    cluster, proc = undecodable_job.split(".")
    assert app.get(f"/v1/jobs/DEFAULT/{cluster}/{proc}/Note").json == "x\ufffdy"
    assert app.get(f"/v1/jobs/DEFAULT/{cluster}").json[0]["classad"]["note"] == "x\ufffdy"
    assert app.get(f"/v1/jobs/DEFAULT/{cluster}?projection=Note").json[0]["classad"] == {"note": "x\ufffdy"}
    app.get("/v1/jobs/DEFAULT", status=200)
