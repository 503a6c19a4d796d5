"""Pool gauges in /metrics (restd_plugins.summary.gauges): jobs by schedd x
owner x state and slots by state from the real pool, made at most once per
time-to-live, bounded labels, a frozen schedd leaving only its own gauges out."""
from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from restd_core.assembly.settings import SettingError
from restd_plugins.summary.counting import JOB_STATUS_NAMES
from restd_plugins.summary.gauges import OTHER, capped

from .conftest import make_app
from .pool import advertised_slots, frozen
from .test_summary_pool import ABSURD_SLOTS

GAUGES = {"restd.summary.gauges.ttl": "3600"}


def samples(app, name: str) -> dict[frozenset, float]:
    """The samples of metric ``name`` that /metrics answers, by their labels."""
    return {frozenset(sample.labels.items()): sample.value
            for family in text_string_to_metric_families(app.get("/metrics").text)
            for sample in family.samples if sample.name == name}


def job_gauge(app, **labels: str) -> float:
    return samples(app, "restd_pool_jobs").get(frozenset(labels.items()), 0.0)


def test_job_gauges_are_the_queues_counts_by_schedd_owner_and_state(app_with, test_jobs):
    import htcondor2

    app = app_with(**GAUGES)
    by_hand = Counter((ad["Owner"], ad["JobStatus"]) for ad in htcondor2.Schedd().query("true", ["Owner", "JobStatus"]))
    gauges = samples(app, "restd_pool_jobs")
    for (owner, status), count in by_hand.items():
        state = {1: "idle", 2: "running", 5: "held"}.get(status)
        if state:
            assert gauges[frozenset({"schedd": test_jobs.schedd_name, "owner": owner, "state": state}.items())] == count


def test_every_state_of_an_owner_has_a_gauge_zero_included(app_with, test_jobs):
    app = app_with(**GAUGES)
    assert job_gauge(app, schedd=test_jobs.schedd_name, owner="alice", state="suspended") == 0
    assert frozenset({"schedd": test_jobs.schedd_name, "owner": "alice", "state": "suspended"}.items()) in samples(
        app, "restd_pool_jobs")


def test_slot_gauges_count_the_slots_and_their_resources(app_with, test_jobs):
    app = app_with(**GAUGES)
    answer = app.get("/v1/summary/status?by=State").json
    slots = samples(app, "restd_pool_slots")
    assert slots == {frozenset({"state": group["key"]["state"]}.items()): group["slots"] for group in answer["groups"]}
    assert sum(samples(app, "restd_pool_slot_cpus").values()) == answer["totals"]["cpus"]["total"]


def test_slot_memory_and_disk_are_in_bytes_one_metric_each(app_with, test_jobs):
    app = app_with(**GAUGES)
    totals = app.get("/v1/summary/status").json["totals"]
    assert sum(samples(app, "restd_pool_slot_memory_bytes").values()) == totals["memory"]["total"] * 2**20
    assert sum(samples(app, "restd_pool_slot_disk_bytes").values()) == totals["disk"]["total"] * 2**10
    assert not samples(app, "restd_pool_slot_resources")


def test_a_schedd_with_no_jobs_has_a_zero_for_every_state(app_with, test_jobs):
    app = app_with(**GAUGES)
    empty = f"schedd2@{test_jobs.schedd_name}"  # pool/pool.sh's second schedd, which the tests leave empty
    states = {dict(labels)["state"]: value for labels, value in samples(app, "restd_pool_jobs").items()
              if ("schedd", empty) in labels}
    assert states == dict.fromkeys(JOB_STATUS_NAMES.values(), 0)


def test_a_machine_label_labels_the_slot_gauges(app_with, test_jobs):
    app = app_with(**GAUGES, **{"restd.summary.gauges.label": "Machine"})
    assert {dict(labels)["machine"] for labels in samples(app, "restd_pool_slots")} == {
        group["key"]["machine"] for group in app.get("/v1/summary/status?by=Machine").json["groups"]}


@pytest.mark.parametrize("label", ["State", "owner", "not-an-attribute"])
def test_a_machine_label_that_is_not_an_attribute_or_is_taken_stops_the_start_up(condor_config, label):
    with pytest.raises(SettingError, match="restd.summary.gauges.label"):
        make_app(**{"restd.summary.gauges.label": label})


def calls(app, operation: str) -> float:
    return sum(value for labels, value in samples(app, "restd_htcondor_call_duration_seconds_count").items()
               if ("operation", operation) in labels)


def test_the_pool_is_asked_once_per_time_to_live_however_many_scrape(app_with, test_jobs):
    import htcondor2

    app = app_with(**GAUGES)
    for _ in range(5):
        app.get("/metrics")
    assert calls(app, "summary_job_counts") == len(htcondor2.Collector().query(htcondor2.AdTypes.Schedd))
    assert calls(app, "schedd_names") == 1


def test_no_time_to_live_is_no_pool_gauges(app_with):
    app = app_with(**{"restd.summary.gauges.ttl": "0"})
    assert not samples(app, "restd_pool_up")
    assert calls(app, "schedd_names") == 0


def test_a_hidden_owner_labels_no_job_gauge(app_with, test_jobs):
    app = app_with(env={"_CONDOR_RESTD_HIDE_JOB_ATTRS": "Owner"}, **GAUGES)
    gauges = samples(app, "restd_pool_jobs")
    assert gauges and {dict(labels)["owner"] for labels in gauges} == {""}


def test_schedds_beyond_the_cap_are_summed_as_other(app_with, test_jobs):
    app = app_with(**GAUGES, **{"restd.summary.gauges.max_label_values": "1"})
    assert {dict(labels)["name"] for labels in samples(app, "restd_pool_up") if ("part", "jobs") in labels} == {
        test_jobs.schedd_name, OTHER}


def test_slot_states_beyond_the_cap_are_summed_as_other(app_with):
    # Any host the collector lets advertise a startd can invent States.
    app = app_with(**GAUGES, **{"restd.summary.gauges.max_label_values": "2"})
    invented = {f"slot{number}@invented": f'State = "Invented-{number}"\nCpus = 1' for number in range(3)}
    with advertised_slots(invented):
        for metric in ("restd_pool_slots", "restd_pool_slot_cpus", "restd_pool_slot_memory_bytes"):
            states = {dict(labels)["state"] for labels in samples(app, metric)}
            assert len(states) == 3 and OTHER in states, metric


def test_slots_advertising_absurd_amounts_do_not_break_metrics(app_with):
    app = app_with(**GAUGES)
    with advertised_slots(ABSURD_SLOTS):
        app.get("/metrics", status=200)


def test_a_label_keeps_its_largest_values_and_sums_the_rest_as_other():
    invented = Counter({("s", f"owner{number}", "held"): number for number in range(1000)})
    kept = capped(invented, 1, 3)
    assert kept == {("s", "owner999", "held"): 999, ("s", "owner998", "held"): 998, ("s", "owner997", "held"): 997,
                    ("s", OTHER, "held"): sum(range(997))}


# ------------------------------------------------------- a frozen schedd --

def is_second_schedd(pid: int) -> bool:
    return b"schedd2" in Path(f"/proc/{pid}/cmdline").read_bytes()


@pytest.mark.disruptive
def test_a_frozen_schedd_leaves_out_only_its_gauges_and_says_so(app_with, test_jobs):
    app = app_with(**GAUGES, **{"restd.summary.gauges.timeout": "3", "restd.gateway.workers": "3"})
    second = f"schedd2@{test_jobs.schedd_name}"  # pool/pool.sh's name of its second schedd
    with frozen("condor_schedd", only=is_second_schedd):
        up = {dict(labels)["name"]: value for labels, value in samples(app, "restd_pool_up").items()
              if ("part", "jobs") in labels}
        assert up == {test_jobs.schedd_name: 1, second: 0}
        assert job_gauge(app, schedd=test_jobs.schedd_name, owner="alice", state="held") >= 3
        assert not [labels for labels in samples(app, "restd_pool_jobs") if ("schedd", second) in labels]
