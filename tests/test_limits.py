"""Cost bounds per caller (restd_core.limits): requests in HTCondor calls at
once, and an optional request rate; both 429 with Retry-After, and neither
touches another caller."""
from __future__ import annotations

import hashlib
import threading
import time

import pytest

TOKENS = {"flooder": "token-of-a-flooder", "other": "token-of-another-caller"}
#: A running daemon's whole configuration: about 1,200 round trips, a slow call.
SLOW = "/v1/config?daemon=master"


def bearer(who: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {TOKENS[who]}"}


@pytest.fixture
def limited_app(app_with, tmp_path):
    """``limited_app(**settings)``: static-token auth with two callers."""
    token_file = tmp_path / "tokens"
    token_file.write_text("".join(f"{hashlib.sha256(t.encode()).hexdigest()} {who}\n" for who, t in TOKENS.items()))
    return lambda **settings: app_with(**{"restd.auth": "static-token", "restd.static_token.file": str(token_file),
                                          **settings})


def flood(app, count: int) -> tuple[list[threading.Thread], list]:
    answers: list = []
    threads = [threading.Thread(target=lambda: answers.append(app.get(SLOW, headers=bearer("flooder"), status="*")))
               for _ in range(count)]
    for thread in threads:
        thread.start()
    return threads, answers


def other_caller_served_while(testapp, first: str, second: str, timeout: float) -> tuple[bool, list[int]]:
    """One caller's two slow requests (``first`` holding its workers before
    ``second`` comes; the pool frozen), then another caller's cheap one:
    whether that was answered while ``first`` went on, and the statuses of
    the two (in order)."""
    gateway = testapp.app.registry.gateway
    answers: dict[str, int] = {}

    def send(url: str) -> threading.Thread:
        thread = threading.Thread(target=lambda: answers.update({url: testapp.get(url, status="*").status_int}))
        thread.start()
        return thread

    slow = send(first)
    while gateway.idle_workers > 1 and slow.is_alive():
        time.sleep(0.01)  # it holds two workers
    send(second).join(timeout=timeout / 2)
    testapp.get("/v1/config/condor_version", extra_environ={"REMOTE_ADDR": "127.0.0.2"}, status=200)
    served = slow.is_alive()
    slow.join()
    return served, [answers.get(first), answers.get(second)]


def test_a_caller_beyond_its_calls_in_flight_is_429_at_once_and_others_are_served(limited_app):
    app = limited_app(**{"restd.gateway.workers": "3", "restd.limits.concurrent_calls": ""})  # the default: 2
    app.get("/v1/config/condor_version", headers=bearer("other"))  # the workers are up
    threads, answers = flood(app, 20)
    while app.app.registry.gateway.idle_workers > 1 and any(t.is_alive() for t in threads):
        time.sleep(0.01)  # the flooder holds two workers
    assert app.get("/v1/config/condor_version", headers=bearer("other")).status_int == 200
    assert any(t.is_alive() for t in threads), "the flood ended before the other caller was served"
    for thread in threads:
        thread.join()
    refused = [answer for answer in answers if answer.status_int == 429]
    assert len(refused) >= 10 and {answer.json["errno"] for answer in refused} == {117}
    assert all(answer.headers["Retry-After"].isdigit() for answer in refused)
    assert sorted({answer.status_int for answer in answers}) == [200, 429]


def test_a_caller_gets_its_slots_back_when_its_requests_end(limited_app):
    app = limited_app(**{"restd.gateway.workers": "2", "restd.limits.concurrent_calls": "1"})
    for _ in range(3):
        app.get("/v1/config/condor_version", headers=bearer("flooder"), status=200)


def test_answers_from_the_cache_take_no_slot(limited_app):
    app = limited_app(**{"restd.limits.concurrent_calls": "1", "restd.cache.ttl": "60"})
    app.get("/v1/config/condor_version", headers=bearer("flooder"))
    threads, answers = flood(app, 1)
    while not app.app.registry.gateway.idle_workers < 2 and threads[0].is_alive():
        time.sleep(0.01)
    assert app.get("/v1/config/condor_version", headers=bearer("flooder")).status_int == 200
    threads[0].join()


def test_a_caller_over_its_rate_is_429_with_retry_after_and_others_are_not(limited_app):
    app = limited_app(**{"restd.limits.rate": "3/minute"})
    for _ in range(3):
        app.get("/v1/jobs/DEFAULT/999999", headers=bearer("flooder"), status=200)
    answer = app.get("/v1/jobs/DEFAULT/999999", headers=bearer("flooder"), status=429)
    assert answer.json["errno"] == 117 and 1 <= int(answer.headers["Retry-After"]) <= 60
    app.get("/v1/jobs/DEFAULT/999999", headers=bearer("other"), status=200)
    app.get("/healthz", status=200)  # public routes are not counted


def test_a_rate_that_cannot_be_read_stops_the_start_up_naming_the_setting(limited_app):
    with pytest.raises(ValueError, match="restd.limits.rate"):
        limited_app(**{"restd.limits.rate": "lots"})


def test_requests_waiting_for_another_ones_answer_take_slots_too(limited_app):
    # Each waiter holds a server thread as long as the one answer it waits for.
    app = limited_app(**{"restd.limits.concurrent_calls": "2", "restd.cache.ttl": "60"})
    threads, answers = flood(app, 12)  # twelve identical slow requests: one query, eleven waiters
    for thread in threads:
        thread.join()
    statuses = sorted(answer.status_int for answer in answers)
    assert statuses.count(429) >= 6 and 200 in statuses


def test_an_invented_forwarded_for_is_no_caller_of_its_own(app_with):
    # gunicorn and uWSGI pass X-Forwarded-For on (waitress drops it); the
    # limits of `none` go by the connection's address.
    app = app_with(**{"restd.gateway.workers": "3", "restd.limits.concurrent_calls": "1"})
    app.get("/v1/config/condor_version")  # the workers are up
    answers: list = []
    threads = [threading.Thread(target=lambda number=number: answers.append(app.get(
        SLOW, headers={"X-Forwarded-For": f"10.0.0.{number}"}, extra_environ={"REMOTE_ADDR": "127.0.0.1"},
        status="*").status_int)) for number in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert 429 in answers and 200 in answers
