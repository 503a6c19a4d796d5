"""The config endpoint against the real pool (v1 contract)."""
from __future__ import annotations

import os
from collections.abc import Callable
from functools import cache

import pytest

DAEMONS = ["collector", "master", "negotiator", "schedd", "startd"]
REDACTED = "<REDACTED>"


@pytest.fixture(scope="module")
def listing(app) -> Callable[[str | None], dict]:
    """The full listing of the server's (None) or a daemon's config, fetched
    once per module: a daemon's takes a round trip per knob."""
    return cache(lambda daemon=None: app.get("/v1/config", params={"daemon": daemon} if daemon else {}).json)


def test_config_lists_the_servers_own_knobs_with_lower_cased_names(app):
    config = app.get("/v1/config").json
    assert config["collector_host"] == f"127.0.0.1:{os.environ.get('CONDOR_POOL_PORT', '9618')}"
    assert all(name == name.lower() for name in config)


def test_values_from_the_files_are_typed_where_htcondor_knows_the_type(app):
    config = app.get("/v1/config").json
    assert config["abort_on_exception"] is False
    assert isinstance(config["collector_port"], int)
    assert config["uid_domain"] == "htcondor.test"


def test_one_knob_is_its_bare_json_value(app):
    assert app.get("/v1/config/UID_DOMAIN").json == "htcondor.test"
    assert isinstance(app.get("/v1/config/COLLECTOR_PORT").json, int)


def test_knob_names_are_case_insensitive(app):
    assert {app.get(f"/v1/config/{name}").json for name in ("UID_DOMAIN", "uid_domain", "Uid_Domain")} == {"htcondor.test"}


def test_knobs_from_the_environment_are_served(app_with):
    assert app_with(env={"_CONDOR_RESTD_TEST_KNOB": "hello"}).get("/v1/config/RESTD_TEST_KNOB").json == "hello"


def test_an_undefined_knob_is_404(app):
    answer = app.get("/v1/config/NO_SUCH_KNOB", status=404).json
    assert answer["details"] == {"attribute": "NO_SUCH_KNOB"}


@pytest.mark.parametrize("daemon", DAEMONS)
def test_a_running_daemons_config_is_its_own_in_strings(listing, daemon):
    config = listing(daemon)
    assert "SCHEDD" in config["daemon_list"].split()
    assert all(isinstance(value, str) for value in config.values())
    assert all(name == name.lower() for name in config)


@pytest.mark.parametrize("daemon", DAEMONS)
def test_one_knob_of_a_running_daemon(app, daemon):
    assert "STARTD" in app.get(f"/v1/config/daemon_list?daemon={daemon}").json.split()


def test_a_daemons_undefined_knob_is_404(app):
    app.get("/v1/config/NO_SUCH_KNOB?daemon=schedd", status=404)
    app.get("/v1/config/ACCOUNTANT_HOST?daemon=schedd", status=404)


def test_a_daemons_undefined_knobs_are_not_listed(listing):
    assert "accountant_host" not in listing("negotiator")


def test_an_unknown_daemon_is_400_listing_the_valid_ones(app):
    answer = app.get("/v1/config?daemon=credd", status=400).json
    assert answer["details"]["errors"][0]["name"] == "daemon"
    assert all(daemon in answer["message"] for daemon in DAEMONS)
    app.get("/v1/config/UID_DOMAIN?daemon=nope", status=400)


def test_a_knob_name_that_is_not_valid_is_400(app):
    app.get("/v1/config/bad-name", status=400)


def test_a_daemon_is_503_when_it_cannot_be_found(app_with):
    down = app_with(env={"_CONDOR_COLLECTOR_HOST": "127.0.0.1:9"})
    assert down.get("/v1/config?daemon=schedd", status=503).json["details"] == {"daemon": "schedd"}
    down.get("/v1/config/DAEMON_LIST?daemon=master", status=503)


@pytest.mark.parametrize("daemon", [None, *DAEMONS])
def test_secret_knobs_are_redacted_in_the_listing(listing, daemon):
    config = listing(daemon)
    assert config["sec_password_file"] == REDACTED
    assert config["sec_token_pool_signing_key_file"] == REDACTED
    assert config["trust_domain_cakey"] == REDACTED


@pytest.mark.parametrize("daemon", [None, "schedd"])
def test_a_secret_knob_asked_for_by_name_is_redacted(app, daemon):
    params = {"daemon": daemon} if daemon else {}
    assert app.get("/v1/config/SEC_PASSWORD_FILE", params=params).json == REDACTED
    assert app.get("/v1/config/sec_password_file", params=params).json == REDACTED


def test_a_secret_value_is_never_in_any_answer(app_with):
    leaky = app_with(env={"_CONDOR_MY_DB_PASSWORD": "hunter2", "_CONDOR_API_TOKEN": "hunter2"})
    assert "hunter2" not in leaky.get("/v1/config").text
    assert leaky.get("/v1/config/my_db_password").json == REDACTED
    assert leaky.get("/v1/config/API_TOKEN").json == REDACTED


def test_hidden_knobs_from_the_config_add_to_the_defaults(app_with):
    hiding = app_with(env={"_CONDOR_RESTD_HIDE_CONFIG_PARAMS": "UID_DOMAIN, daemon_*"})
    config = hiding.get("/v1/config").json
    assert config["uid_domain"] == config["daemon_list"] == config["sec_password_file"] == REDACTED
    assert hiding.get("/v1/config/DAEMON_LIST?daemon=schedd").json == REDACTED
    assert hiding.get("/v1/config?daemon=master").json["uid_domain"] == REDACTED


def test_an_undefined_secret_knob_is_404_not_redacted(app):
    app.get("/v1/config/NO_SUCH_PASSWORD", status=404)


def test_a_site_pattern_also_hides_the_knob_under_a_subsystem_prefix(app_with):
    app = app_with(env={"_CONDOR_RESTD_HIDE_CONFIG_PARAMS": "MY_DB_URL", "_CONDOR_SCHEDD.MY_DB_URL": "postgres://u:pw@db"})
    assert app.get("/v1/config/SCHEDD.MY_DB_URL").json == REDACTED
    assert app.get("/v1/config").json["schedd.my_db_url"] == REDACTED
