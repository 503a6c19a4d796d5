"""Endpoint plugins are found through the restd.endpoints entry points."""
from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from restd_core.assembly.plugins import PluginError

from .conftest import made_app, make_app
from .test_security import install_plugin

PLUGIN_SOURCE = '''
from cornice import Service

hello = Service(name="thirdparty_hello", path="/v1/hello", description="A third party's endpoint")


@hello.get(permission="read")
def say_hello(request):
    return {"hello": "from a third-party plugin"}


def includeme(config):
    config.add_cornice_service(hello)
'''

BROKEN_SOURCE = "raise ImportError('this plugin is broken on purpose')\n"


def install_package(tmp_path: Path, name: str, module_source: str, endpoint: str) -> Path:
    """pip-install a one-module package declaring a restd.endpoints entry point."""
    source = tmp_path / f"{name}-src"
    source.mkdir()
    (source / f"{name}.py").write_text(module_source)
    (source / "setup.py").write_text(textwrap.dedent(f"""
        from setuptools import setup
        setup(name="{name}", version="1.0", py_modules=["{name}"],
              entry_points={{"restd.endpoints": ["{endpoint} = {name}"]}})
    """))
    target = tmp_path / "site"
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--no-build-isolation", "--no-index",
         "--target", str(target), str(source)],
        check=True,
    )
    return target


@pytest.fixture
def installed(tmp_path, monkeypatch):
    def install(name: str, module_source: str, endpoint: str) -> None:
        monkeypatch.syspath_prepend(str(install_package(tmp_path, name, module_source, endpoint)))

    return install


def test_a_third_party_endpoint_plugin_answers_once_installed(installed, condor_config, test_jobs):
    installed("restd_hello_plugin", PLUGIN_SOURCE, "hello")
    with made_app() as app:
        assert app.get("/v1/hello").json == {"hello": "from a third-party plugin"}
        assert "hello" in app.get("/").json["endpoints"]


def test_the_ini_chooses_which_plugins_are_on(installed, condor_config):
    installed("restd_hello_plugin", PLUGIN_SOURCE, "hello")
    with made_app(**{"restd.endpoints": "hello"}) as app:
        app.get("/v1/hello", status=200)
        app.get("/v1/jobs/DEFAULT", status=404)


def test_a_plugin_that_fails_to_import_stops_the_start_up_naming_it(installed, condor_config):
    installed("restd_broken_plugin", BROKEN_SOURCE, "broken")
    with pytest.raises(PluginError, match="'broken'.*broken on purpose"):
        make_app()


def test_a_plugin_that_is_not_installed_stops_the_start_up_naming_it(condor_config):
    with pytest.raises(PluginError, match="nosuchplugin"):
        make_app(**{"restd.endpoints": "jobs nosuchplugin"})


def test_the_watch_plugin_alone_stops_the_start_up_naming_the_operations_it_needs(condor_config):
    with pytest.raises(PluginError, match="restd_plugins.watch needs the gateway operation 'query_jobs', which no "
                                          "included plugin registers"):
        make_app(**{"restd.endpoints": "watch"})


def test_the_dashboard_alone_stops_the_start_up_naming_the_plugins_it_needs(condor_config):
    with pytest.raises(PluginError, match="restd_plugins.ui needs the endpoint plugin 'jobs'"):
        make_app(**{"restd.endpoints": "ui"})


def test_with_what_it_needs_turned_on_a_plugin_starts(condor_config):
    with made_app(**{"restd.endpoints": "jobs status watch ui"}) as app:
        assert app.get("/").json["endpoints"] == ["jobs", "status", "watch", "ui"]


def test_a_third_party_plugin_that_needs_a_plugin_not_turned_on_stops_the_start_up_naming_both(
        condor_config, tmp_path, monkeypatch):
    install_plugin(tmp_path, monkeypatch, "needy", """
        def includeme(config):
            config.require_plugins("summary")
            config.require_gateway_operations("summary_job_counts")
    """, "restd.endpoints", "needy = needy")
    with pytest.raises(PluginError, match=r"needy needs the endpoint plugin 'summary', which restd.endpoints does "
                                          r"not turn on \(jobs, needy\); needy needs the gateway operation "
                                          r"'summary_job_counts'"):
        make_app(**{"restd.endpoints": "jobs needy"})
