"""One table of settings: declared once, parsed once, documented as declared
(the ini's, and the RESTD_* knobs of HTCondor's configuration)."""
from __future__ import annotations

import logging
import re
from pathlib import Path

import pytest

from restd_core.assembly.condor_settings import RestdSettings, knobs_of
from restd_core.assembly.settings import ServerSettings, SettingError, declared, parse
from restd_core.gateway.kinds import DEFAULT_HIDE_CONFIG_PARAMS
from restd_plugins.archive.settings import ArchiveSettings
from restd_plugins.auth.kbase import KBaseSettings
from restd_plugins.auth.oidc import OIDCSettings
from restd_plugins.auth.static_token import StaticTokenSettings
from restd_plugins.summary.settings import SummarySettings
from restd_plugins.watch.settings import WatchSettings
from restd_plugins.why.idle_settings import IdleSettings
from restd_plugins.why.settings import WhySettings

from .conftest import make_app

#: The manual's pages: each settings table is on the page of what it sets.
MANUAL = Path(__file__).resolve().parent.parent / "docs"
TABLES = (ServerSettings, KBaseSettings, OIDCSettings, StaticTokenSettings, SummarySettings, WatchSettings,
          WhySettings, IdleSettings, ArchiveSettings)
ROW = re.compile(r"^\s*\| `(restd\.[\w.]+)` \| (.*?) \| (.*) \|$", re.M)
KNOB_ROW = re.compile(r"^\s*\| `(RESTD_\w+)` \| (.*?) \| (.*) \|$", re.M)


def test_the_manual_lists_every_declared_setting_as_declared():
    rows = [row for page in sorted(MANUAL.rglob("*.md")) for row in ROW.findall(page.read_text())]
    documented = {name: (default, meaning) for name, default, meaning in rows}
    assert len(documented) == len(rows), "a setting is listed twice"
    expected = {d.name: (d.default, d.meaning) for table in TABLES for d in declared(table)}
    assert documented == expected


def test_the_manual_lists_every_restd_knob_as_declared():
    rows = [row for page in sorted(MANUAL.rglob("*.md")) for row in KNOB_ROW.findall(page.read_text())]
    documented = {name: (default, meaning) for name, default, meaning in rows}
    assert len(documented) == len(rows), "a knob is listed twice"
    assert documented == {d.name: (d.default, d.meaning) for d in declared(RestdSettings)}


def test_knobs_are_parsed_as_settings_are():
    knobs = knobs_of({"RESTD_MAX_JOBS": "7", "RESTD_HIDE_JOB_ATTRS": "Environment, Args", "RESTD_CACHE_TTL": None})
    assert (knobs.max_jobs, knobs.hide_job_attrs, knobs.cache_ttl) == (7, ("Environment", "Args"), 2.0)


def test_hidden_config_params_given_add_to_the_default_ones():
    knobs = knobs_of({"RESTD_HIDE_CONFIG_PARAMS": "MY_DB_URL"})
    assert knobs.hide_config_params == (*DEFAULT_HIDE_CONFIG_PARAMS, "MY_DB_URL")


@pytest.mark.parametrize(("name", "value"), [
    ("RESTD_MAX_JOBS", "many"), ("RESTD_MAX_JOBS", "0"), ("RESTD_CACHE_TTL", "soon"), ("RESTD_CACHE_TTL", "-1"),
])
def test_a_knob_that_does_not_fit_is_an_error_naming_it(name, value):
    with pytest.raises(SettingError, match=name):
        knobs_of({name: value})


def test_an_absent_or_empty_setting_takes_its_default():
    assert parse(ServerSettings, {"restd.gateway.workers": ""}) == ServerSettings()


def test_settings_are_typed():
    server = parse(ServerSettings, {"restd.gateway.workers": "5", "restd.metrics": "off",
                                    "restd.cors.origins": "https://a.example, https://b.example"})
    assert (server.gateway_workers, server.metrics) == (5, False)
    assert server.cors_origins == ("https://a.example", "https://b.example")


@pytest.mark.parametrize(("name", "value"), [
    ("restd.gateway.workers", "many"), ("restd.gateway.workers", "0"), ("restd.gateway.timeout", "soon"),
    ("restd.metrics", "perhaps"), ("restd.access_log.format", "xml"), ("restd.cache.max_bytes", "-1"),
    ("restd.limits.queued_calls", "0"),
])
def test_a_bad_value_stops_the_start_up_naming_the_setting(condor_config, name, value):
    with pytest.raises(SettingError, match=re.escape(name)):
        make_app(**{name: value})


def test_the_deprecated_limit_of_calls_per_caller_is_only_warned_about(condor_config, caplog):
    with caplog.at_level(logging.WARNING, logger="restd_core.pipeline.limits"):
        make_app(**{"restd.limits.concurrent_calls": "2"})
    assert "restd.limits.concurrent_calls is deprecated and has no effect" in caplog.text


def test_a_setting_s_environment_variable_comes_first_when_set():
    ini = {"restd.shared": "redis://from-the-ini:6379/0", "restd.condor_jwt_token": "from-the-ini"}
    server = parse(ServerSettings, ini, environ={"RESTD_SHARED": "redis://from-env:6379/0", "CONDOR_JWT_TOKEN": ""})
    assert (server.shared, server.condor_jwt_token) == ("redis://from-env:6379/0", "from-the-ini")
