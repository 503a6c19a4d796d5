"""The server through real pool outages: a frozen schedd (SIGSTOP) and a
stopped pool. Each test restores the pool in its fixture's teardown."""
from __future__ import annotations

import os
import signal
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress

import pytest
import requests
import waitress

from .pool import daemon_pids, pool_root, pool_sh

pytestmark = pytest.mark.disruptive

TIMEOUT = 2  # restd.gateway.timeout of these tests' apps, in seconds
#: Bounded waits of the test itself (never an assertion about time).
PATIENCE = 30


def restore_pool(tries: int = 5) -> None:
    """Start the pool (or wait until it is ready), trying again while another
    engineer's test may be stopping or starting the shared pool right now."""
    for _ in range(tries - 1):
        if pool_sh("start", check=False).returncode == 0:
            return
        time.sleep(3)
    pool_sh("start")


@contextmanager
def frozen(comm: str, only: Callable[[int], bool] = lambda pid: True) -> Iterator[None]:
    """The pool's ``comm`` processes (those ``only`` picks) stopped (SIGSTOP) within."""
    pids = [pid for pid in daemon_pids(comm) if only(pid)]
    assert pids, f"no {comm} running in {pool_root()}"
    for pid in pids:
        os.kill(pid, signal.SIGSTOP)
    try:
        yield
    finally:
        for pid in pids:
            with suppress(ProcessLookupError):  # the shared pool was restarted meanwhile
                os.kill(pid, signal.SIGCONT)


@contextmanager
def serving(testapp) -> Iterator[str]:
    """The app over real HTTP (waitress in a thread): its base URL."""
    server = waitress.create_server(testapp.app, host="127.0.0.1", port=0, threads=4)
    thread = threading.Thread(target=server.run, name="outage-server", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.effective_port}"
    finally:
        server.close()
        thread.join(timeout=5)


@pytest.fixture
def ready_pool(condor_config: str) -> None:
    """The shared pool is up (another run may have just stopped it)."""
    restore_pool()


@pytest.fixture
def short_app(ready_pool, app_with):
    """One worker, a short gateway timeout."""
    return app_with(**{"restd.gateway.workers": "1", "restd.gateway.timeout": str(TIMEOUT)})


# ----------------------------------------------------------- frozen schedd --

def test_a_jobs_request_to_a_frozen_schedd_is_503_with_retry_after_within_the_timeout(short_app):
    short_app.get("/v1/jobs/DEFAULT?limit=1")  # the worker is up
    with frozen("condor_schedd"):
        answer = short_app.get("/v1/jobs/DEFAULT?limit=1", status=503)
    assert answer.json["errno"] == 202
    assert answer.headers["Retry-After"].isdigit()


def test_healthz_answers_while_a_frozen_schedd_call_is_in_flight(short_app):
    finished: list[str] = []
    registry = short_app.app.registry.restd.metrics.registry
    with serving(short_app) as url, frozen("condor_schedd"):
        slow = threading.Thread(target=lambda: (requests.get(f"{url}/v1/jobs/DEFAULT?limit=1", timeout=PATIENCE),
                                                finished.append("jobs")))
        slow.start()
        in_flight = threading.Event()
        for _ in range(PATIENCE * 20):  # until the slow request is being served
            if registry.get_sample_value("restd_http_requests_in_progress") >= 1 or not slow.is_alive():
                in_flight.set()
                break
            time.sleep(0.05)
        assert in_flight.is_set()
        assert requests.get(f"{url}/healthz", timeout=PATIENCE).status_code == 200
        finished.append("healthz")
        slow.join(PATIENCE)
    assert finished == ["healthz", "jobs"]


def test_after_a_frozen_schedd_thaws_the_next_request_succeeds_on_a_new_worker(short_app):
    short_app.get("/v1/jobs/DEFAULT?limit=1")
    with frozen("condor_schedd"):
        short_app.get("/v1/jobs/DEFAULT?limit=1", status=503)
    assert short_app.app.registry.restd.gateway.worker_replacements == 1
    short_app.get("/v1/jobs/DEFAULT?limit=1", status=200)


def test_readyz_is_503_naming_a_frozen_schedd(ready_pool, app_with):
    app = app_with(**{"restd.readyz.timeout": "1"})
    app.get("/v1/jobs/DEFAULT?limit=1")  # the worker is up
    with frozen("condor_schedd"):
        answer = app.get("/readyz", status=503)
    assert answer.json["details"] == {"daemon": "schedd"}
    assert answer.json["errno"] == 202


# ------------------------------------------------------------ stopped pool --

@pytest.fixture(scope="class")
def stopped_pool(condor_config: str) -> Iterator[None]:
    pool_sh("stop")
    try:
        yield
    finally:
        restore_pool()


@pytest.fixture
def still_stopped(stopped_pool) -> None:
    """Stopped again, should another run have started the shared pool meanwhile."""
    pool_sh("stop")


@pytest.mark.usefixtures("still_stopped")
class TestWhileThePoolIsStopped:
    def test_the_server_starts_and_answers_healthz(self, app_with):
        assert app_with().get("/healthz").json == {"status": "ok"}

    def test_readyz_is_503_naming_the_collector(self, app_with):
        answer = app_with().get("/readyz", status=503)
        assert answer.json["details"] == {"daemon": "collector"}
        assert answer.headers["Retry-After"].isdigit()

    def test_a_jobs_request_is_503_with_retry_after(self, app_with):
        answer = app_with().get("/v1/jobs/DEFAULT?limit=1", status=503)
        assert answer.json["errno"] == 201
        assert answer.headers["Retry-After"].isdigit()


def test_readyz_is_200_again_once_the_pool_is_started(app):
    restore_pool()  # already running after the class above: waits until ready
    assert app.get("/readyz").json["status"] == "ready"
