"""Operations registered by plugins: the only functions a gateway worker
loads and runs, checked when the app is made."""
from __future__ import annotations

import logging
from pathlib import Path

import pytest

from restd_core.assembly.plugins import PluginError
from restd_core.gateway import GatewayError, OperationError
from restd_core.pipeline.errors import INTERNAL_MESSAGE

from .conftest import make_app
from .test_security import install_plugin

NAIVE = {"restd.includes": "tests.fakes.naive_plugin"}


def test_a_request_cannot_name_an_operation_that_was_not_registered(app_with, caplog):
    app = app_with(**NAIVE)
    calls = []
    app.app.registry.restd.gateway.observers.append(lambda *call: calls.append(call))
    for name in ("os.system", "restd_core.gateway.worker.loop:serve", "query_jobz"):
        with caplog.at_level(logging.ERROR, logger="restd_core.pipeline.errors"):
            answer = app.get(f"/naive/{name}", status=500).json
        # The client is told nothing of the server's inside; the log says what went wrong.
        assert answer["message"] == INTERNAL_MESSAGE and "details" not in answer
        assert f"no HTCondor operation named {name!r} is registered" in caplog.text
    assert calls == []


def test_a_worker_runs_nothing_but_the_registered_operations(app_with):
    app = app_with()
    pool = app.app.registry.restd.gateway._pool  # past the gateway's own check: the worker's
    with pytest.raises(GatewayError) as refused:
        pool.call("os:system", command="touch /tmp/restd-ran-it")
    assert refused.value.status == 500 and not Path("/tmp/restd-ran-it").exists()


def test_an_operation_whose_target_cannot_be_loaded_stops_the_start_up_naming_its_plugin(
        condor_config, tmp_path, monkeypatch):
    install_plugin(tmp_path, monkeypatch, "broken_ops", """
        def includeme(config):
            config.add_gateway_operation("broken", "broken_ops_missing.module:nothing", daemon="schedd")
    """, "restd.endpoints", "broken = broken_ops")
    with pytest.raises(OperationError, match=r"broken_ops: operation 'broken' cannot be loaded: .*broken_ops_missing"):
        make_app(**{"restd.endpoints": "broken"})


def test_two_plugins_cannot_register_one_name(condor_config, tmp_path, monkeypatch):
    install_plugin(tmp_path, monkeypatch, "twin_ops", """
        def includeme(config):
            config.add_gateway_operation("query_jobs", "twin_ops:query_jobs", daemon="schedd")
    """, "restd.endpoints", "twin = twin_ops")
    with pytest.raises(OperationError, match="already registered by restd_plugins.jobs"):
        make_app(**{"restd.endpoints": "jobs twin"})


def test_an_endpoint_plugin_without_includeme_stops_the_start_up_naming_it(condor_config, tmp_path, monkeypatch):
    install_plugin(tmp_path, monkeypatch, "no_includeme", "VALUE = 1\n", "restd.endpoints", "bare = no_includeme")
    with pytest.raises(PluginError, match="'bare'.*includeme"):
        make_app(**{"restd.endpoints": "bare"})


def test_an_auth_plugin_without_what_the_policy_calls_stops_the_start_up_naming_it(
        condor_config, tmp_path, monkeypatch):
    install_plugin(tmp_path, monkeypatch, "half_auth", """
        class HalfAuth:
            challenge = 42

            def __init__(self, settings):
                pass

            def identity(self, request):
                return None
    """, "restd.auth", "half = half_auth:HalfAuth")
    with pytest.raises(PluginError, match=r"'half'.*permits\(request, identity, permission\).*challenge"):
        make_app(**{"restd.auth": "half"})


def test_a_worker_imports_what_it_runs_and_not_the_web_framework(app_with, test_jobs):
    app = app_with(**{"restd.includes": "tests.fakes.faulty_plugin"})
    app.get(f"/v1/jobs/DEFAULT/{test_jobs.held}")  # the worker has run the jobs query
    modules = app.app.registry.restd.gateway.call("imported",
                                                  names=["htcondor2", "pyramid", "cornice", "webob", "colander"])
    assert modules == {"htcondor2": True, "pyramid": False, "cornice": False, "webob": False, "colander": False}
