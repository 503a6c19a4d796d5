"""grouped_status against the real pool."""
from __future__ import annotations

import pytest


@pytest.fixture(scope="module")
def slots(app) -> list[dict]:
    return app.get("/v1/status?query=startd").json


def test_grouped_status_is_keyed_by_the_attribute_value(app):
    answer = app.get("/v1/grouped_status/MyType").json
    assert {"Machine", "Scheduler", "DaemonMaster", "Collector", "Negotiator"} <= set(answer)
    assert all(ad["type"] == mytype for mytype, ads in answer.items() for ad in ads)


def test_grouping_slots_by_a_slot_attribute_keys_numbers_by_their_json_text(app, slots):
    answer = app.get("/v1/grouped_status/Cpus?query=startd").json
    assert answer == {str(cpus): [slot for slot in slots if slot["classad"]["cpus"] == cpus]
                      for cpus in {slot["classad"]["cpus"] for slot in slots}}


def test_ads_without_the_attribute_are_left_out(app):
    answer = app.get("/v1/grouped_status/Cpus").json
    grouped = {ad["type"] for ads in answer.values() for ad in ads}
    assert "Machine" in grouped
    assert not grouped & {"Scheduler", "Negotiator", "Collector"}


def test_grouped_status_of_one_name(app, slots):
    name = slots[0]["name"]
    answer = app.get(f"/v1/grouped_status/MyType/{name}").json
    assert list(answer) == ["Machine"]
    assert [ad["name"] for ad in answer["Machine"]] == [name]


def test_the_groupby_attribute_is_in_each_projected_classad(app, test_jobs):
    answer = app.get(f"/v1/grouped_status/MyType/{test_jobs.schedd_name}?query=schedd&projection=Name").json
    assert answer == {
        "Scheduler": [{"name": test_jobs.schedd_name, "type": "Scheduler",
                       "classad": {"name": test_jobs.schedd_name, "mytype": "Scheduler"}}]
    }


def test_grouping_nothing_is_an_empty_object(app):
    assert app.get("/v1/grouped_status/MyType/no-such-host").json == {}


def test_a_groupby_that_is_not_an_attribute_name_is_400(app):
    app.get("/v1/grouped_status/not-an-attr", status=400)


def test_an_unknown_query_is_400(app):
    answer = app.get("/v1/grouped_status/MyType?query=nope", status=400).json
    assert "startd" in answer["message"]
