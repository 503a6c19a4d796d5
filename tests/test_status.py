"""The status endpoint against the real pool (v1 contract)."""
from __future__ import annotations

import pytest

#: condor_status's query options the pool has ads for, and their MyType.
POOL_AD_TYPES = {
    "startd": "Machine",
    "schedd": "Scheduler",
    "master": "DaemonMaster",
    "collector": "Collector",
    "negotiator": "Negotiator",
    "submitter": "Submitter",
    "accounting": "Accounting",
}


def types(answer: list[dict]) -> set[str]:
    return {ad["type"] for ad in answer}


@pytest.fixture(scope="module")
def slot_name(app) -> str:
    return app.get("/v1/status?query=startd").json[0]["name"]


def test_status_lists_every_ad_of_the_pool_by_default(app):
    assert set(POOL_AD_TYPES.values()) <= types(app.get("/v1/status").json)


def test_a_status_object_has_name_type_and_a_classad_with_lower_cased_keys(app):
    ad = app.get("/v1/status?query=schedd").json[0]
    assert set(ad) == {"name", "type", "classad"}
    assert (ad["name"], ad["type"]) == (ad["classad"]["name"], ad["classad"]["mytype"])
    assert all(key == key.lower() for key in ad["classad"])


@pytest.mark.parametrize("query, mytype", POOL_AD_TYPES.items())
def test_query_selects_the_ad_type(app, query, mytype):
    answer = app.get(f"/v1/status?query={query}").json
    assert answer and types(answer) == {mytype}


def test_query_any_is_the_default(app):
    assert types(app.get("/v1/status?query=any").json) == types(app.get("/v1/status").json)


def test_an_ad_type_the_pool_has_none_of_is_an_empty_list(app):
    assert app.get("/v1/status?query=credd").json == []


def test_a_slot_by_name(app, slot_name):
    answer = app.get(f"/v1/status/{slot_name}").json
    assert [(ad["name"], ad["type"]) for ad in answer] == [(slot_name, "Machine")]


def test_a_host_name_matches_each_daemon_of_that_host(app, test_jobs):
    answer = app.get(f"/v1/status/{test_jobs.schedd_name}").json
    assert {"DaemonMaster", "Scheduler", "Negotiator"} <= types(answer)
    assert {ad["name"] for ad in answer} == {test_jobs.schedd_name}


def test_a_name_and_a_query_together(app, test_jobs):
    answer = app.get(f"/v1/status/{test_jobs.schedd_name}?query=master").json
    assert [(ad["name"], ad["type"]) for ad in answer] == [(test_jobs.schedd_name, "DaemonMaster")]


def test_an_unknown_name_is_an_empty_list(app):
    assert app.get("/v1/status/no-such-host").json == []


def test_a_name_with_quotes_is_matched_literally(app):
    assert app.get('/v1/status/x" || true || "').json == []


def test_projection_shows_only_the_asked_attributes_with_name_and_type_right(app, slot_name):
    answer = app.get(f"/v1/status/{slot_name}?projection=Cpus").json
    assert answer == [{"name": slot_name, "type": "Machine", "classad": {"cpus": answer[0]["classad"]["cpus"]}}]
    assert isinstance(answer[0]["classad"]["cpus"], int)


def test_constraint_filters_ads(app):
    answer = app.get("/v1/status", params={"constraint": 'MyType == "Negotiator"'}).json
    assert types(answer) == {"Negotiator"}


def test_constraint_is_combined_with_the_name_as_a_whole_expression(app, slot_name):
    answer = app.get(f"/v1/status/{slot_name}", params={"constraint": "true || false"}).json
    assert [ad["name"] for ad in answer] == [slot_name]


def test_a_constraint_that_closes_the_parenthesis_is_refused(app, slot_name):
    answer = app.get(f"/v1/status/{slot_name}", params={"constraint": "true) || (true"}, status=400).json
    assert answer["details"]["parameter"] == "constraint"


def test_a_constraint_that_does_not_parse_is_400_with_the_reason(app):
    answer = app.get("/v1/status", params={"constraint": "MyType =="}, status=400).json
    assert answer["errno"] == 107
    assert "constraint" in answer["message"]


def test_an_unknown_query_is_400_listing_the_valid_ones(app):
    answer = app.get("/v1/status?query=slots", status=400).json
    assert answer["details"]["errors"][0]["name"] == "query"
    for valid in ("any", "startd", "schedd", "master", "collector", "negotiator", "submitter", "accounting",
                  "credd", "defrag", "generic", "grid", "had", "license"):
        assert valid in answer["message"]


def test_a_projection_with_an_invalid_attribute_name_is_400(app):
    answer = app.get("/v1/status", params={"projection": "Cpus,bad-name"}, status=400).json
    assert answer["details"]["errors"][0]["name"] == "projection"


def test_status_is_503_when_the_collector_does_not_answer(app_with):
    answer = app_with(env={"_CONDOR_COLLECTOR_HOST": "127.0.0.1:9"}).get("/v1/status", status=503).json
    assert answer["details"] == {"daemon": "collector"}


def test_a_name_ending_in_a_backslash_is_400_not_503(app):
    assert app.get("/v1/status/slot1%5C", status=400).json["details"] == {"parameter": "name"}
