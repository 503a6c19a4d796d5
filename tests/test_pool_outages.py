"""The server through real pool outages: a frozen schedd (SIGSTOP) and a
stopped pool. Each test restores the pool in its fixture's teardown."""
from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest
import requests

from .live_server import serve
from .pool import frozen, pool_sh, pool_stopped, restore_pool
from .waiting import wait_until

pytestmark = pytest.mark.disruptive

TIMEOUT = 2  # restd.gateway.timeout of these tests' apps, in seconds
#: Bounded waits of the test itself (never an assertion about time).
PATIENCE = 30


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
    with serve(short_app.app) as url, frozen("condor_schedd"):
        slow = threading.Thread(target=lambda: (requests.get(f"{url}/v1/jobs/DEFAULT?limit=1", timeout=PATIENCE),
                                                finished.append("jobs")))
        slow.start()
        # until the slow request is being served
        assert wait_until(lambda: registry.get_sample_value("restd_http_requests_in_progress") >= 1
                          or not slow.is_alive(), PATIENCE, interval=0.05)
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
    app = app_with(**{"restd.readyz.timeout": "3"})  # the collector (not frozen) answers well within it
    app.get("/v1/jobs/DEFAULT?limit=1")  # the worker is up
    with frozen("condor_schedd"):
        answer = app.get("/readyz", status=503)
    assert answer.json["details"] == {"daemon": "schedd"}
    assert answer.json["errno"] == 202


# ------------------------------------------------------------ stopped pool --

@pytest.fixture(scope="class")
def stopped_pool(condor_config: str) -> Iterator[None]:
    with pool_stopped():
        yield


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
