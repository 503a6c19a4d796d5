"""GET /v1/summary/jobs/{schedd}: job counts, checked against the real
pool's jobs counted by hand (``Schedd.query``)."""
from __future__ import annotations

from collections import Counter

import pytest

from restd_plugins.summary.counting import JOB_STATUS_NAMES

from . import test_hidden_property
from .pool import LEAKY_SECRETS, SECRET, frozen, pool_root, restore_pool
from .test_summary_gauges import is_second_schedd

OURS = 'RestdTest == "yes"'
#: The app that hides Environment (a fixture shared with the property tests).
hiding_app = test_hidden_property.hiding_app


def by_hand(constraint: str, *attributes: str) -> Counter:
    """The queue's jobs counted here by the values of ``attributes``."""
    import htcondor2

    ads = htcondor2.Schedd().query(constraint, list(attributes))
    return Counter(tuple(ad.get(name) for name in attributes) for ad in ads)


def counts_of(answer: dict, *keys: str) -> Counter:
    return Counter({tuple(group["key"][key] for key in keys): group["count"] for group in answer["groups"]})


def test_counts_by_owner_and_status_are_the_jobs_counted_by_hand(app, test_jobs):
    answer = app.get("/v1/summary/jobs/DEFAULT", params={"by": "Owner,JobStatus", "constraint": OURS}).json
    assert answer["by"] == ["owner", "jobstatus"]
    assert counts_of(answer, "owner", "jobstatus") == by_hand(OURS, "Owner", "JobStatus")


def test_the_whole_queue_is_counted_without_a_constraint(app, test_jobs):
    answer = app.get("/v1/summary/jobs/DEFAULT", params={"by": "Owner"}).json
    assert counts_of(answer, "owner") == by_hand("true", "Owner")


def test_totals_are_condor_qs_summary_line(app, test_jobs):
    constraint = f"ClusterId == {test_jobs.held} || ClusterId == {test_jobs.idle}"
    totals = app.get("/v1/summary/jobs/DEFAULT", params={"constraint": constraint}).json["totals"]
    assert totals == {"jobs": 5, "idle": 2, "held": 3, **dict.fromkeys(
        ["running", "removed", "completed", "transferring_output", "suspended"], 0)}


def test_a_jobstatus_key_also_has_its_name(app, test_jobs):
    groups = app.get(f"/v1/summary/jobs/DEFAULT?by=JobStatus&constraint=ClusterId=={test_jobs.idle}").json["groups"]
    assert groups == [{"key": {"jobstatus": 1, "jobstatus_name": "idle"}, "count": 2}]
    assert set(JOB_STATUS_NAMES.values()) == set(app.get("/v1/summary/jobs/DEFAULT").json["totals"]) - {"jobs"}


def test_a_value_a_job_lacks_is_null(app, test_jobs):
    constraint = f"ClusterId == {test_jobs.held} || ClusterId == {test_jobs.idle}"
    answer = app.get("/v1/summary/jobs/DEFAULT", params={"by": "Flavor", "constraint": constraint}).json
    assert counts_of(answer, "flavor") == {("vanilla-0",): 1, ("vanilla-1",): 1, ("vanilla-2",): 1, (None,): 2}


def test_without_by_there_is_one_group_of_every_matching_job(app, test_jobs):
    answer = app.get(f"/v1/summary/jobs/DEFAULT?constraint=ClusterId=={test_jobs.held}").json
    assert (answer["by"], answer["groups"]) == ([], [{"key": {}, "count": 3}])


def test_no_matching_job_is_no_group_and_zero_totals(app):
    answer = app.get("/v1/summary/jobs/DEFAULT?by=Owner&constraint=ClusterId==999999").json
    assert answer["groups"] == [] and set(answer["totals"].values()) == {0}


def test_the_default_schedd_is_answered_by_its_name(app, test_jobs):
    assert app.get("/v1/summary/jobs/DEFAULT").json["schedd"] == test_jobs.schedd_name


def test_a_named_schedd_is_counted(app, test_jobs):
    import htcondor2

    name = next(ad["Name"] for ad in htcondor2.Collector().query(htcondor2.AdTypes.Schedd, projection=["Name"])
                if ad["Name"] != test_jobs.schedd_name)
    answer = app.get(f"/v1/summary/jobs/{name}").json
    schedd = htcondor2.Schedd(htcondor2.Collector().locate(htcondor2.DaemonType.Schedd, name))
    assert answer["schedd"] == name
    assert answer["totals"]["jobs"] == len(schedd.query("true", ["ProcId"]))


def test_an_unknown_schedd_is_404(app):
    app.get("/v1/summary/jobs/nope", status=404)


def test_a_constraint_judged_in_the_worker_counts_the_same(app, test_jobs):
    """A regular expression is never sent to the schedd: the jobs are
    counted in the worker, to the same answer."""
    sent = app.get("/v1/summary/jobs/DEFAULT", params={"by": "Owner,JobStatus", "constraint": OURS}).json
    judged = app.get("/v1/summary/jobs/DEFAULT", params={"by": "Owner,JobStatus",
                                                         "constraint": f'{OURS} && regexp("^y", RestdTest)'}).json
    assert judged == sent


def test_by_an_attribute_of_the_schedds_group_ads_counts_the_jobs_own_values(app, test_jobs):
    """The schedd's group ads have JobCount of their own: grouped by a job's
    JobCount, its jobs are counted in the worker."""
    answer = app.get(f"/v1/summary/jobs/DEFAULT?by=JobCount,JobIds&constraint=ClusterId=={test_jobs.held}").json
    assert answer["groups"] == [{"key": {"jobcount": None, "jobids": None}, "count": 3}]


@pytest.fixture(scope="module")
def expression_jobs(test_jobs) -> int:
    """Two held jobs whose attributes are expressions: one refers to ProcId,
    one to MyType (which the schedd's group ads lack); and a list."""
    import htcondor2

    cluster = htcondor2.Schedd().submit(htcondor2.Submit({
        "executable": "/bin/sleep", "arguments": "600", "initialdir": str(pool_root() / "tmp" / "jobs"),
        "hold": "true", "My.RestdTest": '"yes"', "My.Parity": "ProcId % 2", "My.Kind": 'strcat(MyType, "")',
        "My.Pair": "{1, 2}",
    }), count=2).cluster()
    test_jobs.all_clusters.append(cluster)
    return cluster


def test_an_expression_is_counted_by_its_text_not_split_by_what_it_reads(app, expression_jobs):
    answer = app.get(f"/v1/summary/jobs/DEFAULT?by=Parity&constraint=ClusterId=={expression_jobs}").json
    assert answer["groups"] == [{"key": {"parity": "/Expr(ProcId % 2)/"}, "count": 2}]


def test_an_expression_that_reads_mytype_is_still_counted(app, expression_jobs):
    answer = app.get(f"/v1/summary/jobs/DEFAULT?by=Kind&constraint=ClusterId=={expression_jobs}").json
    assert [group["count"] for group in answer["groups"]] == [2]


def test_a_list_value_keys_a_group_too(app, expression_jobs):
    answer = app.get(f"/v1/summary/jobs/DEFAULT?by=Pair,JobStatus&constraint=ClusterId=={expression_jobs}").json
    assert answer["groups"] == [{"key": {"pair": [1, 2], "jobstatus": 5, "jobstatus_name": "held"}, "count": 2}]


def test_the_keys_are_those_of_grouped_jobs(app, expression_jobs):
    grouped = app.get(f"/v1/grouped_jobs/DEFAULT/Parity/{expression_jobs}").json
    counted = app.get(f"/v1/summary/jobs/DEFAULT?by=Parity&constraint=ClusterId=={expression_jobs}").json
    assert {key: len(jobs) for key, jobs in grouped.items()} == {
        group["key"]["parity"]: group["count"] for group in counted["groups"]}


@pytest.mark.parametrize("by", ["a,b,c,d,e", "not-an-attr", "Own er", "Env\nironment"])
def test_a_bad_by_is_400(app, by):
    assert app.get("/v1/summary/jobs/DEFAULT", params={"by": by}, status=400).json["errno"] == 107


def test_attributes_named_twice_are_counted_by_once(app, test_jobs):
    answer = app.get(f"/v1/summary/jobs/DEFAULT?by=Owner,owner&constraint=ClusterId=={test_jobs.held}").json
    assert answer["by"] == ["owner"]


def test_a_constraint_that_does_not_parse_is_400(app):
    app.get("/v1/summary/jobs/DEFAULT", params={"constraint": "Owner =="}, status=400)


@pytest.mark.parametrize("by", ["Environment", "Owner,environment"])
def test_counting_by_a_hidden_attribute_is_400(hiding_app, by):
    answer = hiding_app.get("/v1/summary/jobs/DEFAULT", params={"by": by}, status=400).json
    grouped = hiding_app.get("/v1/grouped_jobs/DEFAULT/Environment", status=400).json
    assert answer["message"].replace("environment", "Environment") == grouped["message"]


def test_a_constraint_naming_a_hidden_attribute_is_400(hiding_app):
    answer = hiding_app.get("/v1/summary/jobs/DEFAULT", params={"constraint": "size(Environment) > 0"}, status=400)
    assert "hidden" in answer.json["message"]


def test_hidden_values_split_no_group_and_are_never_sent(hiding_app, leaky_jobs):
    """Grouped by an attribute that reads the hidden Environment, the two
    jobs that differ only in it are one group (the schedd's groups, split
    by the values their expressions read, are merged in the worker)."""
    answer = hiding_app.get(f"/v1/summary/jobs/DEFAULT?by=LeakRegexp,LeakCopy&constraint=ClusterId=={leaky_jobs}")
    assert [group["count"] for group in answer.json["groups"]] == [2]
    for secret in [SECRET, *LEAKY_SECRETS]:
        assert secret.split("=")[-1].encode() not in answer.body


def test_a_constraint_reading_a_hidden_value_through_an_attribute_cannot_tell_the_jobs_apart(hiding_app, leaky_jobs):
    answer = hiding_app.get("/v1/summary/jobs/DEFAULT", params={"constraint": f"ClusterId == {leaky_jobs} && LeakRegexp"})
    assert answer.json["totals"]["jobs"] in (0, 2)


def test_answers_are_etagged(app, test_jobs):
    url = f"/v1/summary/jobs/DEFAULT?by=Owner&constraint=ClusterId=={test_jobs.held}"
    first = app.get(url)
    app.get(url, headers={"If-None-Match": first.headers["ETag"]}, status=304)


@pytest.mark.disruptive
def test_a_frozen_schedd_is_503_within_the_timeout(app_with, test_jobs):
    restore_pool()
    app = app_with(**{"restd.gateway.timeout": "2"})
    with frozen("condor_schedd", only=is_second_schedd):
        answer = app.get(f"/v1/summary/jobs/schedd2@{test_jobs.schedd_name}", status=503)
    assert answer.headers["Retry-After"] and answer.json["errno"] == 202


@pytest.mark.parametrize("by", ["", "Owner"])
def test_a_hidden_jobstatus_is_counted_in_no_state(app_with, test_jobs, by):
    # JobStatus keys every count (the totals): hidden, no job is in a state.
    # No constraint: the schedd would count the jobs itself.
    hiding = app_with(env={"_CONDOR_RESTD_HIDE_JOB_ATTRS": "JobStatus"})
    totals = hiding.get("/v1/summary/jobs/DEFAULT", params={"by": by}).json["totals"]
    assert totals["jobs"] >= 2 and {totals[name] for name in JOB_STATUS_NAMES.values()} == {0}
