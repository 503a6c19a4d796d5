"""The gateway's worker processes under faults the real pool cannot produce
on demand (a call that never returns, a worker that dies), injected with a
fake bindings module. The real-pool behaviour is tested elsewhere."""
from __future__ import annotations

import threading

import pytest
import requests

from restd_core.assembly.app import main

from .conftest import TEST_SETTINGS
from .live_server import serve
from .waiting import wait_until

FAULTY = {**TEST_SETTINGS, "restd.includes": "tests.fakes.faulty_plugin", "restd.endpoints": "jobs"}


@pytest.fixture
def faulty_app():
    apps = []

    def factory(**settings: str):
        import webtest

        apps.append(webtest.TestApp(main({}, **{**FAULTY, **settings})))
        return apps[-1]

    yield factory
    for app in apps:
        app.app.registry.restd.gateway.close()


def worker_pid(app) -> int:
    return app.get("/faulty/pid").json


def test_a_call_past_the_timeout_is_503_with_retry_after(faulty_app):
    app = faulty_app(**{"restd.gateway.timeout": "0.5"})
    answer = app.get("/faulty/slow-30", status=503)
    assert answer.json["errno"] == 202
    assert answer.headers["Retry-After"].isdigit()


def test_a_timed_out_worker_is_replaced_and_the_next_call_succeeds(faulty_app):
    app = faulty_app(**{"restd.gateway.timeout": "0.5", "restd.gateway.workers": "1"})
    before = worker_pid(app)
    app.get("/faulty/slow-30", status=503)
    assert worker_pid(app) != before


def test_a_worker_that_dies_is_503_and_then_replaced(faulty_app):
    app = faulty_app(**{"restd.gateway.workers": "1"})
    before = worker_pid(app)
    assert app.get("/faulty/crash", status=503).json["errno"] == 201
    assert worker_pid(app) != before


def test_when_every_worker_stays_busy_the_next_call_is_503(faulty_app):
    app = faulty_app(**{"restd.gateway.timeout": "10", "restd.gateway.workers": "1"})
    app.get("/faulty/fast")  # the worker is up
    slow = threading.Thread(target=app.get, args=("/faulty/slow-8",))
    slow.start()
    assert wait_until(lambda: not app.app.registry.restd.gateway.idle_workers or not slow.is_alive(), interval=0.01)
    try:
        # It may wait half a second for the one worker, which stays busy for eight.
        assert app.get("/faulty/fast?timeout=0.5", status=503).json["errno"] == 202
    finally:
        slow.join()


@pytest.mark.parametrize("workers", ["2", "3"], ids=["unsplit", "split-listing"])
def test_a_cheap_request_is_answered_while_a_slow_listing_is_in_flight(faulty_app, workers):
    app = faulty_app(**{"restd.gateway.timeout": "10", "restd.gateway.workers": workers})
    app.get("/faulty/fast")  # every worker started and idle: the slow call may be split
    with serve(app.app) as base:
        slow = threading.Thread(target=requests.get, args=(f"{base}/faulty/split/slow-8",), kwargs={"timeout": 30})
        slow.start()
        # the slow listing has its worker(s)
        assert wait_until(lambda: app.app.registry.restd.gateway.idle_workers != int(workers) or not slow.is_alive(),
                          interval=0.01)
        assert requests.get(f"{base}/healthz", timeout=30).status_code == 200
        assert requests.get(f"{base}/faulty/fast?short", timeout=30).json() == "ok"
        assert slow.is_alive(), "the cheap requests were answered before the slow one ended"
        slow.join()


def test_an_allocation_past_the_workers_memory_cap_is_400_and_the_worker_replaced(faulty_app):
    app = faulty_app(**{"restd.gateway.workers": "1", "restd.gateway.worker_memory": str(512 * 2**20)})
    before = worker_pid(app)
    answer = app.get(f"/faulty/hog-{2**30}", status=400).json
    assert "too costly" in answer["message"]
    assert worker_pid(app) != before


def test_a_daemon_call_through_ask_is_made_once_more_after_a_failure(faulty_app):
    assert faulty_app().get("/flaky/1").json == 2


def test_a_daemon_call_that_fails_twice_is_503_naming_its_daemon(faulty_app):
    answer = faulty_app().get("/flaky/2", status=503).json
    assert answer["errno"] == 201 and answer["details"]["daemon"] == "startd"


def test_a_worker_that_cannot_start_is_503_not_an_internal_error(faulty_app):
    # Its memory cap is too low for the worker to import its operations: it ends before it is ready.
    app = faulty_app(**{"restd.gateway.workers": "1", "restd.gateway.worker_memory": "1000000"})
    assert app.get("/faulty/pid", status=503).json["message"].startswith("an HTCondor worker process failed to start")
