"""GET /v1/summary/status and /v1/summary/priorities against the real pool
(one partitionable slot), a job running in it, checked against the
collector's and the negotiator's ads read here."""
from __future__ import annotations

from collections import Counter

import pytest

from .conftest import made_app
from .pool import advertised_slots, frozen, pool_root, restore_pool
from .waiting import eventually, wait_until

RESOURCES = {"cpus": "Cpus", "gpus": "GPUs", "memory": "Memory", "disk": "Disk"}


def slot_ads() -> list:
    import htcondor2

    return htcondor2.Collector().query(htcondor2.AdTypes.Startd, projection=[
        "Name", "State", "Activity", "PartitionableSlot", "DynamicSlot", "TotalSlotCpus", *RESOURCES.values()])


@pytest.fixture(scope="module")
def running_job(test_jobs) -> int:
    """A job of one CPU running in a dynamic slot (the collector has its ad,
    Busy: its state stays while the tests read it twice)."""
    import htcondor2

    schedd = htcondor2.Schedd()
    cluster = schedd.submit(htcondor2.Submit({
        "executable": "/bin/sleep", "arguments": "300", "initialdir": str(pool_root() / "tmp" / "jobs"),
        "request_cpus": "1", "request_memory": "64", "request_disk": "1024", "My.RestdTest": '"yes"',
    })).cluster()
    eventually(lambda: any(ad.get("DynamicSlot") and ad.get("Activity") == "Busy" for ad in slot_ads()), 60,
               "the job running in a dynamic slot", interval=0.5)
    yield cluster
    schedd.act(htcondor2.JobAction.Remove, f"ClusterId == {cluster}", reason="restd test: done")


def test_nothing_is_counted_twice_the_cpus_are_the_machines(app, running_job):
    totals = app.get("/v1/summary/status").json["totals"]
    machine_cpus = sum(ad["TotalSlotCpus"] for ad in slot_ads() if not ad.get("DynamicSlot"))
    assert totals["cpus"]["total"] == machine_cpus
    assert totals["cpus"]["claimed"] + totals["cpus"]["unclaimed"] == machine_cpus


def test_dynamic_slots_are_claimed_and_the_partitionable_remainder_unclaimed(app, running_job):
    ads = slot_ads()
    totals = app.get("/v1/summary/status").json["totals"]
    for name, attribute in RESOURCES.items():
        assert totals[name]["claimed"] == sum(ad.get(attribute, 0) for ad in ads if ad.get("DynamicSlot"))
        assert totals[name]["unclaimed"] == sum(ad.get(attribute, 0) for ad in ads if ad.get("PartitionableSlot"))
    assert totals["slots"] == len(ads)


def test_slots_by_state_are_the_ads_counted_by_hand(app, running_job):
    answer = app.get("/v1/summary/status?by=State,Activity").json
    assert answer["by"] == ["state", "activity"]
    counted = Counter({(group["key"]["state"], group["key"]["activity"]): group["slots"] for group in answer["groups"]})
    assert counted == Counter((ad["State"], ad["Activity"]) for ad in slot_ads())
    claimed = next(group for group in answer["groups"] if group["key"]["state"] == "Claimed")
    assert claimed["cpus"] == {"total": 1, "claimed": 1, "unclaimed": 0}


def test_a_constraint_picks_the_slots(app, running_job):
    answer = app.get("/v1/summary/status", params={"constraint": "DynamicSlot =?= true"}).json
    assert answer["totals"]["slots"] == sum(1 for ad in slot_ads() if ad.get("DynamicSlot"))
    assert answer["totals"]["cpus"]["unclaimed"] == 0


def test_no_matching_slot_is_zero_everywhere(app):
    answer = app.get("/v1/summary/status", params={"constraint": "false"}).json
    assert answer["groups"] == [] and answer["totals"]["slots"] == 0
    assert answer["totals"]["memory"] == {"total": 0, "claimed": 0, "unclaimed": 0}


def test_a_value_a_slot_lacks_is_null(app):
    groups = app.get("/v1/summary/status?by=NoSuchAttribute").json["groups"]
    assert [group["key"] for group in groups] == [{"nosuchattribute": None}]


@pytest.fixture(scope="module")
def hiding_app(condor_config):
    with made_app({"_CONDOR_RESTD_HIDE_JOB_ATTRS": "Environment, Machine"}) as app:
        yield app


#: Slot ads no startd would send, as anyone allowed to advertise one can:
#: amounts whose sum is infinite or beyond 64 bits, negative, not numbers.
ABSURD_SLOTS = {f"slot{number}@absurd": f'State = "Claimed"\nCpus = 1e308\nMemory = {2**63 - 1}\nDisk = -5\n'
                                        'GPUs = "many"' for number in range(2)}


def test_absurd_amounts_count_as_none(app):
    with advertised_slots(ABSURD_SLOTS):
        answer = app.get("/v1/summary/status?by=Name").json
    groups = [group for group in answer["groups"] if group["key"]["name"].endswith("@absurd")]
    assert len(groups) == 2 and all(group[resource]["total"] == 0 for group in groups
                                    for resource in ("cpus", "memory", "disk", "gpus"))


def test_counting_slots_by_a_hidden_attribute_is_400(hiding_app):
    hiding_app.get("/v1/summary/status?by=State,Machine", status=400)


def test_a_slot_constraint_naming_a_hidden_attribute_is_400(hiding_app):
    hiding_app.get("/v1/summary/status", params={"constraint": 'Machine == "x"'}, status=400)


def test_a_slot_constraint_judged_in_the_worker_counts_the_same(hiding_app, running_job):
    sent = hiding_app.get("/v1/summary/status", params={"by": "State"}).json
    judged = hiding_app.get("/v1/summary/status", params={"by": "State", "constraint": "Cpus >= 0"}).json
    assert judged == sent


def test_priorities_are_the_negotiators(app, running_job):
    import htcondor2

    def priorities() -> dict:
        return {ad["Name"]: ad for ad in htcondor2.Negotiator().getPriorities() if not ad.get("IsAccountingGroup")}

    # the negotiator records alice's usage once her job is matched (the answer is compared either way)
    wait_until(lambda: "alice@htcondor.test" in priorities(), interval=1)
    ads = priorities()
    answer = {submitter["name"]: submitter for submitter in app.get("/v1/summary/priorities").json["submitters"]}
    assert set(answer) == set(ads)
    alice, ad = answer["alice@htcondor.test"], ads["alice@htcondor.test"]
    assert alice["priority_factor"] == ad["PriorityFactor"]
    assert alice["real_priority"] == pytest.approx(alice["effective_priority"] / ad["PriorityFactor"])
    assert alice["begin_usage_time"] == ad["BeginUsageTime"]


def test_priorities_leave_accounting_groups_out(app):
    names = [submitter["name"] for submitter in app.get("/v1/summary/priorities").json["submitters"]]
    assert "<none>" not in names


@pytest.mark.disruptive
def test_a_frozen_negotiator_is_503_within_the_timeout(app_with):
    restore_pool()
    app = app_with(**{"restd.gateway.timeout": "2"})
    with frozen("condor_negotiator"):
        answer = app.get("/v1/summary/priorities", status=503)
    assert answer.headers["Retry-After"] and answer.json["errno"] == 202
