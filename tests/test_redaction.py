"""RESTD_HIDE_JOB_ATTRS: a hidden attribute's value never reaches a caller,
neither shown nor through constraint, groupby or the attribute URL."""
from __future__ import annotations

import pytest

from .conftest import made_app
from .pool import SECRET

HIDE = {"_CONDOR_RESTD_HIDE_JOB_ATTRS": "Environment, JobBatchName"}


@pytest.fixture(scope="module")
def hiding_app(condor_config, test_jobs):
    with made_app(HIDE) as app:
        yield app


def test_hidden_attributes_are_redacted_in_job_listings(hiding_app, test_jobs):
    job = hiding_app.get(f"/v1/jobs/DEFAULT/{test_jobs.held}").json[0]
    assert job["classad"]["environment"] == "<REDACTED>"
    assert job["classad"]["jobbatchname"] == "<REDACTED>"
    assert SECRET not in hiding_app.get(f"/v1/jobs/DEFAULT/{test_jobs.held}").text


def test_hidden_attributes_are_redacted_when_projected(hiding_app, test_jobs):
    job = hiding_app.get(f"/v1/jobs/DEFAULT/{test_jobs.held}/0?projection=Environment").json
    assert job["classad"] == {"environment": "<REDACTED>"}


def test_hidden_attributes_are_redacted_in_history(hiding_app, test_jobs):
    job = hiding_app.get(f"/v1/history/DEFAULT/{test_jobs.removed}/0").json
    assert job["classad"]["jobbatchname"] == "<REDACTED>"


def test_the_attribute_url_of_a_hidden_attribute_is_redacted(hiding_app, test_jobs):
    for name in ("Environment", "environment", "ENVIRONMENT"):
        assert hiding_app.get(f"/v1/jobs/DEFAULT/{test_jobs.held}/0/{name}").json == "<REDACTED>"


@pytest.mark.parametrize(
    "constraint",
    [
        f'regexp("^SECRET={SECRET[:3]}", Environment)',
        'regexp("^SECRET", MY.Environment)',
        'regexp("^SECRET", environment)',
        'size(TARGET.Environment) > 3',
        'JobBatchName == "restd-held"',
    ],
)
def test_a_constraint_that_refers_to_a_hidden_attribute_is_400(hiding_app, test_jobs, constraint):
    answer = hiding_app.get(f"/v1/jobs/DEFAULT/{test_jobs.held}", params={"constraint": constraint}, status=400).json
    assert answer["details"]["parameter"] == "constraint"


@pytest.mark.parametrize(
    "constraint",
    [
        'regexp("^SECRET", eval(strcat("Envir", "onment")))',
        'regexp("^SECRET", MY[strcat("Envir", "onment")])',
        'EVAL("Environment") =!= undefined',
    ],
)
def test_a_constraint_that_looks_attributes_up_dynamically_is_400(hiding_app, test_jobs, constraint):
    hiding_app.get(f"/v1/jobs/DEFAULT/{test_jobs.held}", params={"constraint": constraint}, status=400)


def test_a_hidden_attribute_named_inside_a_string_is_not_a_reference(hiding_app, test_jobs):
    answer = hiding_app.get(f"/v1/jobs/DEFAULT/{test_jobs.held}", params={"constraint": 'Cmd != "Environment[0]"'}).json
    assert len(answer) == 3


def test_grouping_by_a_hidden_attribute_is_400(hiding_app, test_jobs):
    hiding_app.get(f"/v1/grouped_jobs/DEFAULT/environment/{test_jobs.held}", status=400)
    hiding_app.get(f"/v1/grouped_history/DEFAULT/JobBatchName/{test_jobs.removed}", status=400)


def test_without_hidden_attributes_the_same_constraint_is_served(app, test_jobs):
    answer = app.get(f"/v1/jobs/DEFAULT/{test_jobs.held}", params={"constraint": 'regexp("^SECRET", Environment)'}).json
    assert len(answer) == 3


# ------------------------------------ attributes that read a hidden one --

def leaky_ids(answer: list[dict], cluster: int) -> set[str]:
    return {job["jobid"] for job in answer if job["jobid"].startswith(f"{cluster}.")}


def test_a_projected_attribute_that_reads_a_hidden_one_brings_nothing_else(hiding_app, leaky_jobs):
    answer = hiding_app.get(f"/v1/jobs/DEFAULT/{leaky_jobs}/0?projection=LeakSize")
    assert answer.json["classad"] == {"leaksize": "/Expr(size(Environment) > 0)/"}
    assert b"hunter2" not in answer.body


@pytest.mark.parametrize("url", [
    "/v1/jobs/DEFAULT/{cluster}?projection=LeakChain,LeakSelect",
    "/v1/jobs/DEFAULT?projection=LeakChain,LeakSelect&constraint=ClusterId=={cluster}",
    "/v1/grouped_jobs/DEFAULT/LeakSize/{cluster}?projection=LeakChain,LeakSelect",
])
def test_no_listing_serves_what_the_schedd_adds_to_a_projection(hiding_app, leaky_jobs, url):
    answer = hiding_app.get(url.format(cluster=leaky_jobs))
    assert b"hunter2" not in answer.body and b"swordfish" not in answer.body
    jobs = answer.json if isinstance(answer.json, list) else [job for group in answer.json.values() for job in group]
    assert len(jobs) == 2
    assert all(set(job["classad"]) <= {"leakchain", "leakselect", "leaksize"} for job in jobs)


def test_projected_keys_are_lower_cased_whoever_spelled_them_first(app, leaky_jobs):
    # LeakChain's expression names LeakLength first: the schedd then spells it so.
    job = app.get(f"/v1/jobs/DEFAULT/{leaky_jobs}/0?projection=LeakChain,leaklength").json
    assert job["classad"] == {"leakchain": "/Expr(LeakLength + 1)/", "leaklength": "/Expr(size(Environment))/"}


LEAKING_CONSTRAINTS = [
    "LeakRegexp", "LeakMy", "LeakCompare", "LeakIf == 1", 'LeakSubstr == "aaa"',
    "LeakChain == 19", 'LeakSelect == "SECRET=aaa-hunter2"', 'LeakCopy == "SECRET=aaa-hunter2"', 'LeakStrcat != "x"', "LeakList[0] =!= undefined",
]


def test_without_hidden_attributes_those_constraints_do_tell_the_jobs_apart(app, leaky_jobs):
    # What the redaction below must prevent: each picks the job of the first secret.
    for constraint in LEAKING_CONSTRAINTS[:3]:
        assert leaky_ids(app.get(f"/v1/jobs/DEFAULT/{leaky_jobs}", params={"constraint": constraint}).json,
                         leaky_jobs) == {f"{leaky_jobs}.0"}


@pytest.mark.parametrize("projection", [None, "Owner"], ids=["whole-ads", "projected"])
@pytest.mark.parametrize("constraint", LEAKING_CONSTRAINTS)
def test_a_constraint_that_reads_a_hidden_value_through_an_attribute_cannot_tell_jobs_apart(
    hiding_app, leaky_jobs, constraint, projection
):
    params = {"constraint": constraint, **({"projection": projection} if projection else {})}
    answer = hiding_app.get(f"/v1/jobs/DEFAULT/{leaky_jobs}", params=params, status="*")
    if answer.status_int == 400:  # refused: a list subscript is a dynamic lookup
        return
    assert leaky_ids(answer.json, leaky_jobs) in (set(), {f"{leaky_jobs}.0", f"{leaky_jobs}.1"})
    assert b"hunter2" not in answer.body


def test_a_judged_constraint_pages_in_job_id_order(hiding_app, leaky_jobs):
    first = hiding_app.get(f"/v1/jobs/DEFAULT/{leaky_jobs}", params={"constraint": "LeakSize", "limit": 1})
    assert [job["jobid"] for job in first.json] == [f"{leaky_jobs}.0"]
    rest = hiding_app.get(first.headers["Link"].split(">")[0].lstrip("<"))
    assert [job["jobid"] for job in rest.json] == [f"{leaky_jobs}.1"]


@pytest.fixture(scope="module")
def leaky_history(condor_config, test_jobs) -> int:
    """A leaky cluster removed at once: its two jobs are in the history."""
    import htcondor2

    from .pool import into_history, submit_leaky_jobs

    cluster = submit_leaky_jobs()
    into_history(htcondor2.Schedd(), cluster, 2)
    return cluster


@pytest.mark.parametrize("projection", [None, "LeakChain"], ids=["whole-ads", "projected"])
def test_history_is_judged_and_filtered_the_same_way(hiding_app, leaky_history, projection):
    params = {"constraint": "LeakRegexp || LeakSize", **({"projection": projection} if projection else {})}
    answer = hiding_app.get(f"/v1/history/DEFAULT/{leaky_history}", params=params)
    assert {job["jobid"] for job in answer.json} == {f"{leaky_history}.0", f"{leaky_history}.1"}
    assert b"hunter2" not in answer.body and b"swordfish" not in answer.body


def test_grouping_by_a_hidden_attribute_with_a_trailing_newline_is_400(hiding_app, test_jobs):
    hiding_app.get(f"/v1/grouped_jobs/DEFAULT/Environment%0A/{test_jobs.held}", status=400)


def test_a_hidden_value_that_is_not_utf8_gets_the_same_answers_as_its_twin(hiding_app, condor_config, test_jobs):
    from .pool import set_raw_attribute, submit_leaky_jobs

    cluster = submit_leaky_jobs()
    test_jobs.all_clusters.append(cluster)
    set_raw_attribute(f"{cluster}.0", "Environment", b'"SECRET=\xff\xfe"')
    for query in ("", "?projection=LeakSize,Environment", "?constraint=LeakSize"):
        answer = hiding_app.get(f"/v1/jobs/DEFAULT/{cluster}{query}")
        jobs = answer.json
        assert len(jobs) == 2 and jobs[0]["classad"].get("environment") == jobs[1]["classad"].get("environment")
    first, second = (hiding_app.get(f"/v1/jobs/DEFAULT/{cluster}/{proc}/Environment").json for proc in (0, 1))
    assert first == second == "<REDACTED>"
