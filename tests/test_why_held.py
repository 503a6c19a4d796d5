"""GET /v1/why/held/{schedd}: held jobs by reason, checked against
``condor_q -hold`` run in the real pool (the oracle), for jobs held for
three different reasons (conftest's held_for_reasons)."""
from __future__ import annotations

from collections import Counter

import pytest

from restd_plugins.why.hold_codes import HOLD_CODE_NAMES

from .conftest import made_app
from .pool import JOB_POLICY, TRANSFER_INPUT_ERROR, USER_REQUEST, pool_sh


def condor_q_hold(*options: str) -> Counter:
    """``condor_q -hold`` in the pool: held jobs by (code, subcode, owner)."""
    listed = pool_sh("exec", "condor_q", *options, "-allusers", "-hold", "-af", "HoldReasonCode",
                     "HoldReasonSubCode", "Owner").stdout
    return Counter(tuple(_value(word) for word in line.split()) for line in listed.splitlines() if line.strip())


def _value(word: str) -> int | str | None:
    return None if word == "undefined" else int(word) if word.lstrip("-").isdigit() else word


def counted(answer: dict) -> Counter:
    return Counter({(group["key"]["holdreasoncode"], group["key"]["holdreasonsubcode"], group["key"]["owner"]):
                    group["count"] for group in answer["groups"]})


def test_held_jobs_are_counted_by_reason_as_condor_q_hold_counts_them(app, held_for_reasons):
    answer = app.get("/v1/why/held/DEFAULT").json
    assert answer["by"] == ["holdreasoncode", "holdreasonsubcode", "owner"]
    assert counted(answer) == condor_q_hold()
    assert answer["held"] == sum(condor_q_hold().values())
    assert {USER_REQUEST, JOB_POLICY, TRANSFER_INPUT_ERROR} <= {code for code, _, _ in counted(answer)}


def test_every_schedd_is_counted_as_condor_q_global_hold_counts(app, held_for_reasons):
    answer = app.get("/v1/why/held/*").json
    assert counted(answer) == condor_q_hold("-global")
    assert answer["failed"] == []


def test_each_code_has_htcondors_name(app, held_for_reasons):
    groups = app.get("/v1/why/held/DEFAULT").json["groups"]
    names = {group["key"]["holdreasoncode"]: group["key"]["holdreasoncode_name"] for group in groups}
    assert names[USER_REQUEST] == "UserRequest"
    assert names[JOB_POLICY] == "JobPolicy"
    assert names[TRANSFER_INPUT_ERROR] == "TransferInputError"
    assert all(names[code] == HOLD_CODE_NAMES.get(code) for code in names)


def ours(clusters: dict[int, int]) -> str:
    """A constraint true for the fixture's jobs alone (the queue may hold other held clusters)."""
    return " || ".join(f"ClusterId == {cluster}" for cluster in clusters.values())


def test_a_group_gives_example_jobs_with_their_hold_reason(app, held_for_reasons):
    groups = app.get("/v1/why/held/DEFAULT", params={"by": "ClusterId", "examples": "5",
                                                     "constraint": ours(held_for_reasons)}).json["groups"]
    policy = next(group for group in groups if group["key"]["clusterid"] == held_for_reasons[JOB_POLICY])
    assert policy["examples"] == [{"jobid": f"{held_for_reasons[JOB_POLICY]}.0", "hold_reason": "restd test policy"}]
    user = next(group for group in groups if group["key"]["clusterid"] == held_for_reasons[USER_REQUEST])
    assert user["count"] == 2
    assert {example["hold_reason"] for example in user["examples"]} == {
        "restd test: held by its user (by user alice)"}


def test_a_groups_oldest_and_newest_times_are_its_jobs_entered_current_status(app, held_for_reasons):
    import htcondor2

    cluster = held_for_reasons[USER_REQUEST]
    times = [ad["EnteredCurrentStatus"] for ad in htcondor2.Schedd().query(f"ClusterId == {cluster}",
                                                                           ["EnteredCurrentStatus"])]
    groups = app.get("/v1/why/held/DEFAULT", params={"by": "ClusterId"}).json["groups"]
    group = next(group for group in groups if group["key"]["clusterid"] == cluster)
    assert (group["oldest_entered"], group["newest_entered"]) == (min(times), max(times))


def test_a_constraint_counts_only_the_held_jobs_it_holds_for(app, held_for_reasons):
    where = f"ClusterId == {held_for_reasons[USER_REQUEST]}"
    answer = app.get("/v1/why/held/DEFAULT", params={"constraint": where}).json
    assert counted(answer) == condor_q_hold("-constraint", where) == Counter({(USER_REQUEST, 0, "alice"): 2})
    assert answer["held"] == 2
    assert {example["jobid"] for example in answer["groups"][0]["examples"]} == {
        f"{held_for_reasons[USER_REQUEST]}.0", f"{held_for_reasons[USER_REQUEST]}.1"}


def test_every_schedd_takes_the_constraint_too(app, held_for_reasons):
    answer = app.get("/v1/why/held/*", params={"constraint": ours(held_for_reasons)}).json
    assert counted(answer) == condor_q_hold("-global", "-constraint", ours(held_for_reasons))
    assert answer["held"] == 4


def test_a_constraint_cannot_reach_outside_its_parentheses(app, held_for_reasons):
    answer = app.get("/v1/why/held/DEFAULT", params={"constraint": "true) || (true"}, status=400).json
    assert answer["details"]["parameter"] == "constraint"


def test_no_examples_when_the_caller_asks_for_none(app, held_for_reasons):
    groups = app.get("/v1/why/held/DEFAULT", params={"examples": "0"}).json["groups"]
    assert groups and all("examples" not in group for group in groups)


def test_more_examples_than_the_cap_is_a_400(app):
    assert app.get("/v1/why/held/DEFAULT", params={"examples": "6"}, status=400).json["code"] == 400


@pytest.fixture(scope="module")
def hiding_hold_reason(condor_config):
    with made_app({"_CONDOR_RESTD_HIDE_JOB_ATTRS": "Environment HoldReason"}) as app:
        yield app


def test_a_hidden_hold_reason_is_redacted_in_the_examples(hiding_hold_reason, held_for_reasons):
    groups = hiding_hold_reason.get("/v1/why/held/DEFAULT", params={"examples": "5"}).json["groups"]
    reasons = {example["hold_reason"] for group in groups for example in group.get("examples", [])}
    assert reasons == {"<REDACTED>"}
    assert b"restd test policy" not in hiding_hold_reason.get("/v1/why/held/*").body


def test_a_constraint_naming_a_hidden_attribute_is_a_400(hiding_hold_reason, held_for_reasons):
    answer = hiding_hold_reason.get("/v1/why/held/DEFAULT", params={"constraint": 'HoldReason == "restd test policy"'},
                                    status=400)
    assert answer.json["details"]["hidden"] == ["HoldReason"]


def test_a_constraint_judged_in_the_worker_counts_and_gives_examples_the_same(app, hiding_hold_reason,
                                                                             held_for_reasons):
    # With attributes hidden, a constraint that names any is judged in the worker, on redacted ads.
    params = {"by": "ClusterId", "examples": "5", "constraint": ours(held_for_reasons)}
    judged = hiding_hold_reason.get("/v1/why/held/DEFAULT", params=params).json
    sent = app.get("/v1/why/held/DEFAULT", params=params).json
    assert counted_by_cluster(judged) == counted_by_cluster(sent) == Counter({
        held_for_reasons[USER_REQUEST]: 2, held_for_reasons[TRANSFER_INPUT_ERROR]: 1, held_for_reasons[JOB_POLICY]: 1})
    assert [[example["jobid"] for example in group["examples"]] for group in judged["groups"]] == [
        [example["jobid"] for example in group["examples"]] for group in sent["groups"]]


def counted_by_cluster(answer: dict) -> Counter:
    return Counter({group["key"]["clusterid"]: group["count"] for group in answer["groups"]})


def test_grouping_by_a_hidden_attribute_is_a_400(hiding_hold_reason, held_for_reasons):
    for by in ("HoldReason", "environment", "Owner,ENVIRONMENT"):
        answer = hiding_hold_reason.get("/v1/why/held/DEFAULT", params={"by": by}, status=400)
        assert b"restd test policy" not in answer.body


def test_the_answer_is_etagged(app, held_for_reasons):
    first = app.get("/v1/why/held/DEFAULT")
    assert app.get("/v1/why/held/DEFAULT", headers={"If-None-Match": first.headers["ETag"]}, status=304)
