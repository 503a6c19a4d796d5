"""Callers share the gateway's workers (restd_core.gateway.scheduler): a
caller's calls beyond the free workers wait their turn, a freed worker goes
to the caller with the fewest calls in flight, a request refused (429 with
Retry-After) only past its caller's queue; a request whose client left is
dropped. And an optional request rate (restd_core.pipeline.limits)."""
from __future__ import annotations

import hashlib
import socket
import threading
from collections.abc import Callable
from contextlib import ExitStack

import pytest
import requests
import webtest

from .live_server import serve
from .wsgi_servers import wait_until

TOKENS = {"flooder": "token-of-a-flooder", "other": "token-of-another-caller"}
#: A running daemon's whole configuration: about 1,200 round trips, a slow call.
SLOW = "/v1/config?daemon=master"
#: An uncached listing of the queue (a long call).
LISTING = "/v1/jobs/DEFAULT?projection=Owner"
FLOODER, OTHER = {"REMOTE_ADDR": "127.0.0.1"}, {"REMOTE_ADDR": "127.0.0.2"}


def bearer(who: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {TOKENS[who]}"}


@pytest.fixture
def limited_app(app_with, tmp_path):
    """``limited_app(**settings)``: static-token auth with two callers."""
    token_file = tmp_path / "tokens"
    token_file.write_text("".join(f"{hashlib.sha256(t.encode()).hexdigest()} {who}\n" for who, t in TOKENS.items()))
    return lambda **settings: app_with(**{"restd.auth": "static-token", "restd.static_token.file": str(token_file),
                                          **settings})


class Sent:
    """Requests sent at once, each in a thread of its own; ``ended`` has
    their names in the order their answers came."""

    def __init__(self, app: webtest.TestApp) -> None:
        self._app = app
        self._threads: list[threading.Thread] = []
        self.answers: dict[str, webtest.TestResponse] = {}
        self.ended: list[str] = []

    def send(self, name: str, url: str, **kwargs) -> threading.Thread:
        def get() -> None:
            self.answers[name] = self._app.get(url, status="*", **kwargs)
            self.ended.append(name)

        self._threads.append(threading.Thread(target=get))
        self._threads[-1].start()
        return self._threads[-1]

    def join(self) -> dict[str, webtest.TestResponse]:
        for thread in self._threads:
            thread.join()
        return self.answers

    def statuses(self, prefix: str) -> list[int]:
        return [answer.status_int for name, answer in self.answers.items() if name.startswith(prefix)]


def flood(app: webtest.TestApp, count: int, url: str = SLOW, **kwargs) -> Sent:
    sent = Sent(app)
    for number in range(count):
        sent.send(f"flood-{number}", url, **kwargs)
    return sent


def queued(app: webtest.TestApp, count: int) -> None:
    """Wait until ``count`` calls wait for a worker."""
    assert wait_until(lambda: app.app.registry.restd.gateway.queued_calls >= count), f"{count} calls never queued"


def other_caller_served_while(testapp, first: str, second: str) -> tuple[bool, list[int]]:
    """One caller's two slow requests (``first`` holding its workers before
    ``second`` comes and waits; the pool frozen), then another caller's
    cheap one: whether that was answered while ``first`` went on, and the
    statuses of the two (in order)."""
    sent = Sent(testapp)
    slow = sent.send("first", first, extra_environ=FLOODER)
    gateway = testapp.app.registry.restd.gateway
    assert wait_until(lambda: gateway.idle_workers <= 1), "the first never held its workers"
    sent.send("second", second, extra_environ=FLOODER)
    queued(testapp, 1)  # the second waits: the first holds every worker a long call may take
    testapp.get("/v1/config/condor_version", extra_environ=OTHER, status=200)
    served = slow.is_alive()
    answers = sent.join()
    return served, [answers["first"].status_int, answers["second"].status_int]


def test_one_callers_sixteen_concurrent_lookups_are_all_answered(app_with, test_jobs):
    app = app_with(**{"restd.gateway.workers": "3"})
    sent = Sent(app)
    for number in range(16):
        sent.send(f"lookup-{number}", f"/v1/jobs/DEFAULT/{test_jobs.held}/{number % 3}", extra_environ=FLOODER)
    sent.join()
    assert sent.statuses("lookup") == [200] * 16


def test_forty_concurrent_uncached_listings_of_one_caller_are_all_answered(app_with, test_jobs):
    app = app_with(**{"restd.gateway.workers": "2", "restd.gateway.timeout": "120"})
    sent = flood(app, 40, LISTING, extra_environ=FLOODER)
    sent.join()
    assert sent.statuses("flood") == [200] * 40


@pytest.mark.parametrize("url", ["/v1/jobs/DEFAULT?projection=Cmd", "one job"], ids=["listing", "one-job"])
def test_during_one_callers_flood_anothers_request_is_served_by_the_next_free_worker(app_with, test_jobs, url):
    app = app_with(**{"restd.gateway.workers": "3", "restd.gateway.timeout": "120",
                      "restd.config_reload_seconds": "60"})
    app.get(LISTING)  # the workers are up, the settings read
    sent = flood(app, 40, LISTING, extra_environ=FLOODER)
    queued(app, 10)
    sent.send("other", f"/v1/jobs/DEFAULT/{test_jobs.held}/0" if url == "one job" else url, extra_environ=OTHER)
    sent.join()
    assert sent.statuses("flood") == [200] * 40 and sent.answers["other"].status_int == 200
    assert sent.ended.index("other") < len(sent.ended) - 5, "the other caller waited behind the flood"


#: Two workers, the flooder's queue at most two calls.
QUEUE_OF_TWO = {"restd.gateway.workers": "2", "restd.gateway.timeout": "120", "restd.limits.queued_calls": "2"}


def fill_the_flooders_queue(app: webtest.TestApp) -> Sent:
    """One slow call of the flooder's running and two queued (``QUEUE_OF_TWO``):
    its next request is refused."""
    app.get("/v1/config/condor_version")  # the workers are up
    sent = Sent(app)
    sent.send("flood-running", SLOW, extra_environ=FLOODER)
    sent.send("flood-queued-1", SLOW, extra_environ=FLOODER)
    queued(app, 1)  # one slow call holds the one worker a long call may take
    sent.send("flood-queued-2", SLOW, extra_environ=FLOODER)
    queued(app, 2)
    return sent


def test_past_its_queues_bound_a_callers_request_is_429_with_retry_after_and_anothers_waits(app_with):
    app = app_with(**QUEUE_OF_TWO)
    sent = fill_the_flooders_queue(app)
    refused = app.get(SLOW, extra_environ=FLOODER, status=429)
    sent.send("other", SLOW, extra_environ=OTHER)
    queued(app, 3)
    sent.join()
    assert refused.json["errno"] == 117 and refused.headers["Retry-After"].isdigit()
    assert sent.statuses("flood") == [200] * 3 and sent.answers["other"].status_int == 200


def test_a_callers_turns_are_given_back_when_its_requests_end(app_with):
    app = app_with(**{"restd.gateway.workers": "2", "restd.limits.queued_calls": "1"})
    for _ in range(3):
        app.get(SLOW, extra_environ=FLOODER, status=200)
    gateway = app.app.registry.restd.gateway
    assert (gateway.idle_workers, gateway.queued_calls) == (2, 0)


def test_answers_from_the_cache_take_no_worker(app_with, test_jobs):
    app = app_with(**{"restd.gateway.workers": "1", "restd.cache.ttl": "60", "restd.config_reload_seconds": "60"})
    job = f"/v1/jobs/DEFAULT/{test_jobs.held}/0"
    app.get(job, extra_environ=FLOODER)
    sent = flood(app, 1, extra_environ=FLOODER)
    assert wait_until(lambda: app.app.registry.restd.gateway.idle_workers == 0)
    assert app.get(job, extra_environ=FLOODER).status_int == 200
    assert sent.ended == [], "the cached answer waited for the worker"
    assert sent.join()["flood-0"].status_int == 200


def test_requests_waiting_for_another_ones_answer_take_no_place_in_the_queue(app_with):
    # Twelve identical slow requests: one query, eleven waiting for its answer.
    app = app_with(**{"restd.gateway.workers": "2", "restd.limits.queued_calls": "1", "restd.cache.ttl": "60",
                      "restd.config_reload_seconds": "60"})
    calls = calls_of(app, "read_config")
    sent = flood(app, 12, extra_environ=FLOODER)
    sent.join()
    assert sent.statuses("flood") == [200] * 12 and calls == ["read_config"]


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


def test_an_invented_forwarded_for_is_no_caller_of_its_own(app_with):
    # gunicorn and uWSGI pass X-Forwarded-For on (waitress drops it); callers
    # of `none` go by the connection's address: six slow requests of one
    # address fill its queue of one, whatever they say they forward.
    app = app_with(**{"restd.gateway.workers": "2", "restd.limits.queued_calls": "1"})
    app.get("/v1/config/condor_version")  # the workers are up
    sent = Sent(app)
    for number in range(6):
        sent.send(f"flood-{number}", SLOW, headers={"X-Forwarded-For": f"10.0.0.{number}"}, extra_environ=FLOODER)
    sent.join()
    assert 429 in sent.statuses("flood") and 200 in sent.statuses("flood")


def calls_of(app: webtest.TestApp, operation: str) -> list[str]:
    """The gateway's calls of ``operation`` from now on, as they end."""
    calls: list[str] = []
    app.app.registry.restd.gateway.observers.append(lambda op, *_: op == operation and calls.append(op))
    return calls


def failures_of(app: webtest.TestApp, kind: str) -> list[str]:
    """The operations of the gateway's calls that fail with ``kind`` from now on."""
    failed: list[str] = []
    app.app.registry.restd.gateway.observers.append(
        lambda op, daemon, seconds, error: error is not None and error.kind == kind and failed.append(op))
    return failed


def sent_and_left(url: str, path: str) -> Callable[[], None]:
    """A client that sends ``GET path`` to the server at ``url`` and, when
    told (the function answered), closes its connection unanswered."""
    host, port = url.removeprefix("http://").split(":")
    connection = socket.create_connection((host, int(port)))
    connection.sendall(f"GET {path} HTTP/1.1\r\nHost: {host}\r\n\r\n".encode())
    return connection.close


@pytest.fixture
def served_app(app_with):
    """``served_app(**settings)``: (the app, its URL), served by waitress as
    the ini files serve it (a connection read while its request runs, so
    that a client's going is seen)."""
    with ExitStack() as servers:

        def start(**settings: str) -> tuple[webtest.TestApp, str]:
            app = app_with(**{"restd.gateway.timeout": "120", "restd.config_reload_seconds": "60", **settings})
            return app, servers.enter_context(serve(app.app, threads=8, channel_request_lookahead=1))

        yield start


def test_a_request_whose_client_left_while_it_waited_for_a_worker_is_dropped_from_the_queue(served_app):
    app, url = served_app(**{"restd.gateway.workers": "1"})
    requests.get(f"{url}/v1/config/condor_version", timeout=60)  # the worker is up
    gone = failures_of(app, "client_gone")
    holding = threading.Thread(target=requests.get, args=(f"{url}{SLOW}",), kwargs={"timeout": 120})
    holding.start()
    assert wait_until(lambda: app.app.registry.restd.gateway.idle_workers == 0)
    leave = sent_and_left(url, SLOW)
    queued(app, 1)
    leave()
    assert wait_until(lambda: app.app.registry.restd.gateway.queued_calls == 0)
    holding.join()
    assert gone == ["read_config"] and app.app.registry.restd.gateway.worker_replacements == 0


def test_a_long_call_whose_client_left_is_abandoned_and_its_worker_replaced(served_app):
    app, url = served_app(**{"restd.gateway.workers": "2"})
    requests.get(f"{url}/v1/config/condor_version", timeout=60)  # the workers are up, the settings read
    gone = failures_of(app, "client_gone")
    leave = sent_and_left(url, SLOW)
    assert wait_until(lambda: app.app.registry.restd.gateway.idle_workers == 1)  # its one call runs
    leave()
    assert wait_until(lambda: app.app.registry.restd.gateway.worker_replacements == 1)
    assert gone == ["read_config"]
    assert requests.get(f"{url}/v1/config/condor_version", timeout=60).status_code == 200
