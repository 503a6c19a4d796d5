"""Fixtures for the whole suite: a real pool with known jobs, and the app."""
from __future__ import annotations

import contextlib
import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import webtest

from restd_core.assembly.app import main
from restd_plugins.archive.history import ArchiveHistory
from restd_plugins.watch.hub import Hub

from . import fake_auth2, fake_issuer
from .pool import (
    IDLE_JOBS,
    WHY_SLOT_ADS,
    SubmittedJobs,
    advertised_slots,
    autocluster,
    pool_root,
    pool_sh,
    remove_test_jobs,
    start_pool,
    submit_held_for_reasons,
    submit_idle,
    submit_leaky_jobs,
    submit_test_jobs,
    why_slot_ad,
)
from .waiting import eventually

os.environ.setdefault("CONDOR_POOL_ROOT", "/var/tmp/condor-restd-pool")

#: Fixtures of a real Redis (``local_redis``, ``redis_url``) for the shared store's tests, and of a real
#: PostgreSQL (``local_postgresql``) for the archive's.
pytest_plugins = ("tests.redis_server", "tests.postgresql_server")

#: Settings of the app under test; tests that need others make their own app.
TEST_SETTINGS = {
    "restd.gateway.workers": "2",
    "restd.gateway.timeout": "20",
    "restd.config_reload_seconds": "0",
    "restd.cache.ttl": "0",  # tests of the cache turn it on
}


#: Third parties' plugins, packages of their own (not imported from our tree):
#: the pool's submitters, and a job history listing written from docs/plugins.md.
THIRD_PARTY_PLUGINS = {"restd-submitters": Path(__file__).resolve().parent / "plugins" / "restd_submitters",
                       "restd-joblog": Path(__file__).resolve().parent / "plugins" / "restd_joblog"}


@pytest.fixture(scope="session", autouse=True)
def third_party_plugin() -> Iterator[str]:
    """The third parties' plugins built and pip-installed into this venv for
    the whole run, as a site installs a plugin beside condor-restd: every app
    with ``restd.endpoints = *`` serves them (their routes are walked, fuzzed
    and documented with ours); uninstalled at the end."""
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check", "-q"]
    subprocess.run([*pip, "install", "--no-deps", "--no-build-isolation", "--no-index",
                    *map(str, THIRD_PARTY_PLUGINS.values())], check=True, capture_output=True)
    yield "submitters"
    subprocess.run([*pip, "uninstall", "-y", *THIRD_PARTY_PLUGINS], check=True, capture_output=True)


@pytest.fixture(scope="session")
def condor_config() -> str:
    """The real pool: the one CONDOR_CONFIG names, or the project's own."""
    if not os.environ.get("CONDOR_CONFIG"):
        os.environ["CONDOR_CONFIG"] = start_pool()
    return os.environ["CONDOR_CONFIG"]


@pytest.fixture(scope="session")
def test_jobs(condor_config: str) -> Iterator[SubmittedJobs]:
    jobs = submit_test_jobs()
    yield jobs
    remove_test_jobs(jobs)


@pytest.fixture(scope="session")
def leaky_jobs(test_jobs: SubmittedJobs) -> int:
    """The cluster of two jobs whose attributes read their hidden Environment
    (``pool.LEAKS``); removed with the run's other jobs."""
    cluster = submit_leaky_jobs()
    test_jobs.all_clusters.append(cluster)
    return cluster


#: Jobs of a padded cluster, and the bytes of padding each carries: a whole
#: listing of it is about 10 MB.
PADDED_JOBS = 320
PADDING_BYTES = 32_000


@pytest.fixture(scope="module")
def held_for_reasons(condor_config: str) -> Iterator[dict[int, int]]:
    """``submit_held_for_reasons``' clusters (by HoldReasonCode), removed after the module."""
    import htcondor2

    clusters = submit_held_for_reasons()
    yield clusters
    htcondor2.Schedd().act(htcondor2.JobAction.Remove, " || ".join(f"ClusterId == {c}" for c in clusters.values()),
                           reason="restd test ended")


@pytest.fixture(scope="module")
def why_slots(condor_config: str) -> Iterator[None]:
    """WHY_SLOT_ADS slot ads of different shapes in the collector for the module (``why_slot_ad``)."""
    with advertised_slots({f"slot1@restd-why-{i}": why_slot_ad(i) for i in range(WHY_SLOT_ADS)}):
        eventually(lambda: len(pool_sh("exec", "condor_status", "-const", "RestdWhySlot =?= true", "-af",
                                       "Name").stdout.split()) == WHY_SLOT_ADS, what="the slot ads in the collector")
        yield


@pytest.fixture(scope="module")
def idle_jobs(why_slots: None) -> Iterator[dict[str, int]]:
    """Each of IDLE_JOBS as a cluster of two idle jobs in its autocluster, by name; removed after the module."""
    import htcondor2

    clusters = {name: submit_idle(description, count=2) for name, description in IDLE_JOBS.items()}
    for cluster in clusters.values():
        autocluster(cluster)
    yield clusters
    htcondor2.Schedd().act(htcondor2.JobAction.Remove, " || ".join(f"ClusterId == {c}" for c in clusters.values()),
                           reason="restd test ended")


@pytest.fixture(scope="module")
def padded_jobs(condor_config: str, test_jobs: SubmittedJobs) -> Iterator[int]:
    """A cluster of PADDED_JOBS held jobs with a large attribute each, for
    a module's large listings; removed when the module is done (other
    modules' listings of the whole queue stay small)."""
    import htcondor2

    schedd = htcondor2.Schedd()
    cluster = schedd.submit(htcondor2.Submit({
        "executable": "/bin/sleep", "arguments": "600", "initialdir": str(pool_root() / "tmp" / "jobs"),
        "hold": "true", "batch_name": "restd-padded", "My.Padding": f'"{"x" * PADDING_BYTES}"',
    }), count=PADDED_JOBS).cluster()
    test_jobs.all_clusters.append(cluster)  # removed at the run's end should the module be cut short
    yield cluster
    schedd.act(htcondor2.JobAction.Remove, f"ClusterId == {cluster}", reason="restd test module ended")


@pytest.fixture(scope="module")
def auth2():
    """A server on 127.0.0.1 that answers like KBase's auth2 (``fake_auth2``)."""
    server = fake_auth2.start()
    yield server
    fake_auth2.stop(server)


@pytest.fixture
def issuer():
    """An OpenID Connect issuer on 127.0.0.1 (``fake_issuer``), its own for one test."""
    server = fake_issuer.FakeIssuer()
    yield server
    server.stop()


def make_app(**settings: str) -> webtest.TestApp:
    app = main({}, **{**TEST_SETTINGS, **settings})
    return webtest.TestApp(app)


def close_app(app: webtest.TestApp) -> None:
    restd = app.app.registry.restd
    if "watch" in restd.endpoints:  # its pollers and open streams end first: they call the gateway
        restd.kept(Hub).close()
    if "archive" in restd.endpoints:
        with contextlib.suppress(LookupError):  # restd.archive unset
            restd.kept(ArchiveHistory).close()  # its ingester ends first: it calls the gateway
    app.app.registry.restd.gateway.close()
    app.app.registry.restd.shared.close()


@contextmanager
def made_app(env: dict[str, str] | None = None, **settings: str) -> Iterator[webtest.TestApp]:
    """An app of its own (``make_app``), closed after: for a fixture of a
    wider scope than ``app_with``'s. ``env`` sets ``_CONDOR_*`` knobs for
    its worker processes (they take the environment the app was made in)."""
    with pytest.MonkeyPatch.context() as patch:
        for name, value in (env or {}).items():
            patch.setenv(name, value)
        testapp = make_app(**settings)
    try:
        yield testapp
    finally:
        close_app(testapp)


def bearer(token: str) -> dict[str, str]:
    """The headers that send ``token`` as a bearer token."""
    return {"Authorization": f"Bearer {token}"}


def logged(caplog: pytest.LogCaptureFixture, logger: str) -> list[str]:
    """The lines ``caplog`` took from ``logger`` (not another's: a line of
    an earlier test's timer may come meanwhile)."""
    return [record.getMessage() for record in caplog.records if record.name == logger]


@pytest.fixture(scope="session")
def app(condor_config: str, test_jobs: SubmittedJobs) -> Iterator[webtest.TestApp]:
    testapp = make_app()
    yield testapp
    close_app(testapp)


@pytest.fixture
def app_with(condor_config: str, monkeypatch):
    """An app of its own for one test: ``app_with(env={...}, **settings)``;
    ``env`` sets ``_CONDOR_*`` knobs for its worker processes."""
    made = []

    def factory(env: dict[str, str] | None = None, **settings: str) -> webtest.TestApp:
        for name, value in (env or {}).items():
            monkeypatch.setenv(name, value)
        made.append(make_app(**settings))
        return made[-1]

    yield factory
    for testapp in made:
        close_app(testapp)


def pytest_collection_modifyitems(config, items: list) -> None:
    """Tests marked ``disruptive`` (they stop, reconfigure or freeze the
    pool, and restore it) run after all others."""
    items.sort(key=lambda item: item.get_closest_marker("disruptive") is not None)
