"""grouped_jobs and grouped_history against the real pool."""
from __future__ import annotations


def test_grouped_jobs_are_keyed_by_the_attribute_value(app, test_jobs):
    answer = app.get(f"/v1/grouped_jobs/DEFAULT/Flavor/{test_jobs.held}").json
    assert sorted(answer) == ["vanilla-0", "vanilla-1", "vanilla-2"]
    assert answer["vanilla-1"][0]["jobid"] == f"{test_jobs.held}.1"


def test_jobs_without_the_attribute_are_left_out(app, test_jobs):
    answer = app.get("/v1/grouped_jobs/DEFAULT/Flavor", params={"constraint": f"ClusterId == {test_jobs.idle} || ClusterId == {test_jobs.held}"}).json
    grouped = {job["jobid"] for jobs in answer.values() for job in jobs}
    assert grouped == {f"{test_jobs.held}.{p}" for p in range(3)}


def test_non_string_values_are_keyed_by_their_json_text(app, test_jobs):
    answer = app.get(f"/v1/grouped_jobs/DEFAULT/JobStatus/{test_jobs.held}").json
    assert list(answer) == ["5"]


def test_the_groupby_attribute_is_in_each_projected_classad(app, test_jobs):
    answer = app.get(f"/v1/grouped_jobs/DEFAULT/JobBatchName/{test_jobs.idle}?projection=Owner").json
    assert answer == {
        "restd-idle": [
            {"jobid": f"{test_jobs.idle}.{p}", "classad": {"owner": "alice", "jobbatchname": "restd-idle"}}
            for p in range(2)
        ]
    }


def test_grouping_nothing_is_an_empty_object(app):
    assert app.get("/v1/grouped_jobs/DEFAULT/Owner/999999").json == {}


def test_grouped_history(app, test_jobs):
    answer = app.get(f"/v1/grouped_history/DEFAULT/JobBatchName/{test_jobs.removed}").json
    assert list(answer) == ["restd-removed"]
    assert len(answer["restd-removed"]) == 2


def test_grouped_history_with_a_constraint(app, test_jobs):
    answer = app.get("/v1/grouped_history/DEFAULT/ProcId", params={"constraint": f"ClusterId == {test_jobs.removed}"}).json
    assert sorted(answer) == ["0", "1"]


def test_grouped_jobs_of_an_unknown_schedd_is_404(app):
    app.get("/v1/grouped_jobs/nope/Owner", status=404)


def test_a_groupby_that_is_not_an_attribute_name_is_400(app):
    app.get("/v1/grouped_jobs/DEFAULT/not-an-attr", status=400)
