"""GET /v1/why/idle/{schedd} and /v1/why/idle/{schedd}/{clusterid}/{procid}:
why idle jobs wait, checked against ``condor_q -better-analyze`` run in the
real pool (the oracle), for jobs no slot can run, jobs that wait for busy
slots only, jobs the slots refuse, and jobs that slots would run, against
more than a hundred advertised slot ads of different shapes."""
from __future__ import annotations

import re
from collections.abc import Iterator

import pytest

from restd_core.gateway.worker.clauses import clauses

from .pool import IDLE_JOBS, WHY_SLOT_ADS, autocluster, pool_sh, submit_idle


def better_analyze(job: str) -> dict:
    """What ``condor_q -better-analyze`` in the pool tells of the job: the
    slots at each stage (``slots``, as the API names them) and each
    condition of its table with the slots it matches (``matched``)."""
    text = pool_sh("exec", "condor_q", "-better-analyze", job).stdout

    def number(pattern: str) -> int:
        found = re.search(pattern, text)
        return int(found[1]) if found else 0

    total = number(r"Of (\d+) slots on \d+ machines")
    rejected = number(r"(\d+) slots are rejected by your job's requirements")
    refusing = number(r"(\d+) slots reject your job because of their own requirements")
    table = text.split("reduces to these conditions:", 1)[1].split("Run analysis summary", 1)[0]
    return {"slots": {"total": total, "match_job": total - rejected, "accept_job": total - rejected - refusing,
                      "unclaimed": number(r"(\d+) slots match and are willing to run your job"),
                      "if_drained": number(r"(\d+) slots would match if drained")},
            "matched": {row[2].strip(): int(row[1]) for row in re.finditer(r"^\[\d+\]\s+(\d+)\s+(.+)$", table, re.M)}}


def assert_as_condor_q_counts(analysis: dict, oracle: dict, clause: str) -> None:
    """The stages are condor_q's; so is what each clause condor_q lists
    matches (``clause`` among them), the slots it does not reject."""
    assert analysis["slots"] == oracle["slots"]
    compared = {item["clause"]: analysis["slots"]["total"] - item["rejects"] for item in analysis["clauses"]
                if item["clause"] in oracle["matched"]}
    assert clause in compared
    assert compared == {text: oracle["matched"][text] for text in compared}


def group_of(answer: dict, cluster: int) -> dict:
    wanted = autocluster(cluster)
    return next(group for group in answer["groups"] if group["autoclusterid"] == wanted)


KEY_CLAUSES = {
    "missing_attribute": "TARGET.RestdWhyNoSuchAttribute == 1",
    "too_much_memory": "TARGET.Memory >= RequestMemory",
    "busy_slots_only": "TARGET.RestdWhyBusy is true",  # as HTCondor unparses =?=
    "refused_by_slots": "TARGET.RestdWhyStrict is true",
    "will_run": "TARGET.Memory >= 2048",
}


@pytest.mark.parametrize("name", IDLE_JOBS)
def test_a_jobs_slot_counts_are_condor_q_better_analyzes(app, idle_jobs, name):
    job = f"{idle_jobs[name]}.0"
    analysis = app.get(f"/v1/why/idle/DEFAULT/{idle_jobs[name]}/0").json
    assert analysis["jobid"] == job
    assert analysis["slots"]["total"] > WHY_SLOT_ADS
    assert_as_condor_q_counts(analysis, better_analyze(job), KEY_CLAUSES[name])


@pytest.mark.parametrize("name", IDLE_JOBS)
def test_a_groups_slot_counts_are_condor_q_better_analyzes_for_its_jobs(app, idle_jobs, name):
    group = group_of(app.get("/v1/why/idle/DEFAULT").json, idle_jobs[name])
    assert group["idle"] == 2
    assert_as_condor_q_counts(group, better_analyze(f"{idle_jobs[name]}.1"), KEY_CLAUSES[name])


def test_a_requirement_on_a_missing_attribute_is_named_as_the_cause(app, idle_jobs):
    group = group_of(app.get("/v1/why/idle/DEFAULT").json, idle_jobs["missing_attribute"])
    assert group["cause"]["code"] == "no_slot_matches"
    assert group["cause"]["clause"] == "TARGET.RestdWhyNoSuchAttribute == 1"
    rejects = {item["clause"]: item["rejects"] for item in group["clauses"]}
    assert rejects["TARGET.RestdWhyNoSuchAttribute == 1"] == group["slots"]["total"]


def test_a_memory_request_larger_than_any_slot_is_named_as_the_cause(app, idle_jobs):
    group = group_of(app.get("/v1/why/idle/DEFAULT").json, idle_jobs["too_much_memory"])
    assert group["cause"]["code"] == "no_slot_matches"
    assert group["cause"]["clause"] == "TARGET.Memory >= RequestMemory"
    assert group["slots"]["match_job"] == 0


def test_jobs_that_only_wait_for_busy_slots_are_told_so(app, idle_jobs):
    group = group_of(app.get("/v1/why/idle/DEFAULT").json, idle_jobs["busy_slots_only"])
    assert group["slots"]["accept_job"] > 0
    assert group["slots"]["unclaimed"] == 0
    assert group["cause"]["code"] == "matching_slots_busy"


def test_jobs_the_slots_own_start_refuses_are_told_so(app, idle_jobs):
    group = group_of(app.get("/v1/why/idle/DEFAULT").json, idle_jobs["refused_by_slots"])
    assert group["slots"]["match_job"] > 0
    assert group["slots"]["accept_job"] == 0
    assert group["cause"]["code"] == "slots_reject_job"


def test_jobs_that_slots_would_run_are_not_blamed_on_the_pool(app, idle_jobs):
    group = group_of(app.get("/v1/why/idle/DEFAULT").json, idle_jobs["will_run"])
    assert group["slots"]["unclaimed"] > 0
    assert group["cause"]["code"] in ("not_considered_yet", "owner_priority")


def test_groups_come_largest_first_with_the_idle_jobs_counted(app, idle_jobs):
    answer = app.get("/v1/why/idle/DEFAULT").json
    counts = [group["idle"] for group in answer["groups"]]
    assert counts == sorted(counts, reverse=True)
    assert answer["idle"] >= sum(counts) >= 2 * len(IDLE_JOBS)
    assert answer["slots"] > WHY_SLOT_ADS and answer["slots_left_out"] == 0


def test_every_schedd_tags_each_group_with_its_schedd(app, idle_jobs):
    answer = app.get("/v1/why/idle/*").json
    assert answer["failed"] == []
    ours = group_of(answer, idle_jobs["busy_slots_only"])
    assert ours["schedd"] == app.get("/v1/why/idle/DEFAULT").json["schedd"]


def test_the_groups_cap_leaves_the_smaller_groups_out(app_with, idle_jobs):
    capped = app_with(**{"restd.why.idle.max_groups": "2"})
    answer = capped.get("/v1/why/idle/DEFAULT").json
    assert len([group for group in answer["groups"] if group["autoclusterid"] is not None]) == 2
    assert answer["groups_left_out"] >= len(IDLE_JOBS) - 2
    assert len(capped.get("/v1/why/idle/DEFAULT", params={"groups": "1"}).json["groups"]) <= 2


def test_the_slot_cap_leaves_slot_ads_out(app_with, idle_jobs):
    answer = app_with(**{"restd.why.idle.max_slots": "10"}).get("/v1/why/idle/DEFAULT").json
    assert answer["slots"] == 10
    assert answer["slots_left_out"] > WHY_SLOT_ADS - 10
    assert all(group["slots"]["total"] == 10 for group in answer["groups"] if group["slots"] is not None)


@pytest.fixture(scope="module")
def no_time(condor_config) -> Iterator:
    """An app whose analyses have 10 ms: less than reading the ads takes."""
    from .conftest import close_app, make_app

    app = make_app(**{"restd.why.idle.budget_seconds": "0.01"})
    yield app
    close_app(app)


def test_a_spent_budget_leaves_the_groups_it_did_not_reach_out(no_time, idle_jobs):
    answer = no_time.get("/v1/why/idle/DEFAULT").json
    analysed = [group for group in answer["groups"] if group["autoclusterid"] is not None]
    assert answer["groups_left_out"] > 0
    assert len(analysed) + answer["groups_left_out"] >= len(IDLE_JOBS)


def test_a_spent_budget_leaves_the_slots_it_did_not_make_ready_out(no_time, idle_jobs):
    answer = no_time.get(f"/v1/why/idle/DEFAULT/{idle_jobs['will_run']}/0").json
    assert answer["slots_left_out"] > 0
    assert answer["slots"]["total"] + answer["slots_left_out"] > WHY_SLOT_ADS


#: A hidden attribute the module's secret jobs' Requirements read.
SECRETS = (4242, 4343)


@pytest.fixture(scope="module")
def secret_jobs(why_slots) -> Iterator[list[int]]:
    """Two clusters whose Requirements read the hidden RestdWhySecret, each
    with its own value (two autoclusters: the schedd sees the values)."""
    import htcondor2

    clusters = [submit_idle({"requirements": "TARGET.Memory >= RestdWhySecret && TARGET.RestdWhySlot =?= true",
                             "My.RestdWhySecret": str(secret)}) for secret in SECRETS]
    for cluster in clusters:
        autocluster(cluster)
    yield clusters
    htcondor2.Schedd().act(htcondor2.JobAction.Remove, " || ".join(f"ClusterId == {c}" for c in clusters),
                           reason="restd test ended")


@pytest.fixture(scope="module")
def hiding_secret(condor_config) -> Iterator:
    from .conftest import close_app, make_app

    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("_CONDOR_RESTD_HIDE_JOB_ATTRS", "Environment RestdWhySecret")
        app = make_app()
    yield app
    close_app(app)


def test_requirements_reading_a_hidden_attribute_are_analysed_on_the_redacted_ad(app, hiding_secret, secret_jobs):
    seen = group_of(app.get("/v1/why/idle/DEFAULT").json, secret_jobs[0])
    rejects = {item["clause"]: item["rejects"] for item in seen["clauses"]}
    assert 0 < rejects["TARGET.Memory >= RestdWhySecret"] < seen["slots"]["total"]
    (hidden,) = secret_groups(hiding_secret.get("/v1/why/idle/DEFAULT").json, secret_jobs)
    rejects = {item["clause"]: item["rejects"] for item in hidden["clauses"]}
    assert rejects["TARGET.Memory >= RestdWhySecret"] == hidden["slots"]["total"]  # >= "<REDACTED>": never true
    assert hidden["cause"]["code"] == "no_slot_matches"


def secret_groups(answer: dict, clusters: list[int]) -> list[dict]:
    """The answer's groups of these clusters' autoclusters."""
    wanted = {autocluster(cluster) for cluster in clusters}
    return [group for group in answer["groups"] if group["autoclusterid"] in wanted]


def test_autoclusters_that_differ_only_in_a_hidden_value_are_one_group(app, hiding_secret, secret_jobs):
    assert len(secret_groups(app.get("/v1/why/idle/DEFAULT").json, secret_jobs)) == len(SECRETS)
    (group,) = secret_groups(hiding_secret.get("/v1/why/idle/DEFAULT").json, secret_jobs)
    assert group["idle"] == len(SECRETS)


def test_no_answer_shows_a_hidden_value(hiding_secret, secret_jobs):
    for path in ("/v1/why/idle/DEFAULT", "/v1/why/idle/*", f"/v1/why/idle/DEFAULT/{secret_jobs[0]}/0"):
        body = hiding_secret.get(path).body
        assert all(str(secret).encode() not in body for secret in SECRETS)


def test_a_hidden_requirements_is_redacted_and_analysed_so(app_with, secret_jobs):
    answer = app_with(env={"_CONDOR_RESTD_HIDE_JOB_ATTRS": "Requirements"}).get(
        f"/v1/why/idle/DEFAULT/{secret_jobs[0]}/0").json
    assert answer["requirements"] == "<REDACTED>"
    assert answer["clauses"] == [{"clause": "<REDACTED>", "rejects": answer["slots"]["total"]}]


@pytest.mark.parametrize(("path", "params"), [
    ("/v1/why/idle/DEFAULT/x/0", {}),
    ("/v1/why/idle/DEFAULT/1/-1", {}),
    ("/v1/why/idle/*/1/0", {}),
    ("/v1/why/idle/DEFAULT", {"groups": "0"}),
    ("/v1/why/idle/DEFAULT", {"groups": "many"}),
])
def test_bad_input_is_a_json_400(app, path, params):
    answer = app.get(path, params=params, status=400)
    assert answer.content_type == "application/json"
    assert answer.json["code"] == 400


def test_a_job_not_in_the_queue_is_a_json_404(app, condor_config):
    assert app.get("/v1/why/idle/DEFAULT/999999/0", status=404).json["code"] == 404


def test_the_answers_are_cached_and_etagged(app_with, idle_jobs):
    cached = app_with(**{"restd.cache.ttl": "60"})
    for path in ("/v1/why/idle/DEFAULT", f"/v1/why/idle/DEFAULT/{idle_jobs['will_run']}/0"):
        first = cached.get(path)
        assert cached.get(path, headers={"If-None-Match": first.headers["ETag"]}, status=304)


@pytest.mark.parametrize(("requirements", "expected"), [
    ('(TARGET.A == 1 && TARGET.B) && (TARGET.C || TARGET.D)', ["TARGET.A == 1", "TARGET.B", "TARGET.C || TARGET.D"]),
    ("TARGET.A && TARGET.B || TARGET.C", ["TARGET.A && TARGET.B || TARGET.C"]),  # || binds looser: one clause
    ("TARGET.A ? TARGET.B : TARGET.C && TARGET.D", ["TARGET.A ? TARGET.B : TARGET.C && TARGET.D"]),
    ('TARGET.Name == "a && b" && member(1, {1, 2})', ['TARGET.Name == "a && b"', "member(1, {1, 2})"]),
    ("((TARGET.A))", ["TARGET.A"]),
])
def test_requirements_are_cut_into_their_top_level_conjuncts(requirements, expected):
    assert clauses(requirements) == expected
