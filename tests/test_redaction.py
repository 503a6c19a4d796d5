"""RESTD_HIDE_JOB_ATTRS: a hidden attribute's value never reaches a caller,
neither shown nor through constraint, groupby or the attribute URL."""
from __future__ import annotations

import pytest

from .conftest import close_app, make_app
from .pool import SECRET

HIDE = {"_CONDOR_RESTD_HIDE_JOB_ATTRS": "Environment, JobBatchName"}


@pytest.fixture(scope="module")
def hiding_app(condor_config, test_jobs):
    with pytest.MonkeyPatch.context() as patch:
        for name, value in HIDE.items():
            patch.setenv(name, value)
        app = make_app()
    yield app
    close_app(app)


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
