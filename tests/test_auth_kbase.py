"""The kbase auth plugin against a stand-in for KBase auth2 over real HTTP."""
from __future__ import annotations

import hashlib
import logging
import math
import threading
import time
import uuid

import pytest
import redis
from pyramid.request import Request

from restd_core.assembly.plugins import PluginError
from restd_core.pipeline.security import REFUSALS_LOG_SECONDS
from restd_core.reuse import single_flight
from restd_plugins.auth import kbase

from . import fake_auth2
from .conftest import bearer, logged, make_app
from .waiting import wait_until
from .wsgi_servers import free_port

PROTECTED = "/v1/jobs/DEFAULT/999999"
FLOOD_PATH = "/v1/jobs/DEFAULT/999998"  # the flood's refusals, told apart in the log


@pytest.fixture
def kbase_app(app_with, auth2, monkeypatch):
    """``kbase_app(**settings)``: an app with the kbase plugin asking ``auth2``
    (slow or held checks end by auth2's answer, not the plugin's timeout,
    unless a test sets one)."""
    monkeypatch.delenv("AUTH_URL", raising=False)
    auth2.calls.clear()
    return lambda **settings: app_with(**{"restd.auth": "kbase", "restd.kbase.auth_url": auth2.url,
                                          "restd.kbase.timeout": "30", "restd.gateway.workers": "1", **settings})


# ----------------------------------------------------------------- 401 / 403 --

def test_no_token_is_401_with_www_authenticate(kbase_app):
    answer = kbase_app().get(PROTECTED, status=401)
    assert answer.json["errno"] == 104
    assert answer.headers["WWW-Authenticate"].startswith("Bearer")


def test_a_token_that_auth2_rejects_is_401_invalid_token(kbase_app):
    answer = kbase_app().get(PROTECTED, headers=bearer("stolen-token"), status=401)
    assert answer.json["errno"] == 105
    assert "WWW-Authenticate" in answer.headers


def test_a_valid_token_without_an_admin_role_is_403(kbase_app):
    answer = kbase_app().get(PROTECTED, headers=bearer("other-role-token"), status=403)
    assert answer.json["errno"] == 121


def test_an_answer_without_customroles_is_403(kbase_app):
    kbase_app().get(PROTECTED, headers=bearer("no-customroles-token"), status=403)


# -------------------------------------------------------------- who may read --

def test_ee2_admin_in_the_kbase_session_cookie_may_read(kbase_app):
    app = kbase_app()
    app.set_cookie("kbase_session", "admin-token")
    assert app.get(PROTECTED).json == []


def test_ee2_admin_ro_may_read(kbase_app):
    kbase_app().get(PROTECTED, headers=bearer("readonly-token"), status=200)


def test_the_authorization_header_works_with_and_without_bearer(kbase_app, auth2):
    app = kbase_app(**{"restd.kbase.cache_seconds": "0"})
    app.get(PROTECTED, headers={"Authorization": "admin-token"}, status=200)
    app.get(PROTECTED, headers={"Authorization": "Bearer admin-token"}, status=200)
    assert auth2.headers_seen[-2:] == ["admin-token", "admin-token"]  # auth2 gets the bare token


def test_the_roles_that_may_read_come_from_the_settings(kbase_app):
    app = kbase_app(**{"restd.kbase.read_roles": "KBASE_STAFF"})
    app.get(PROTECTED, headers=bearer("other-role-token"), status=200)
    app.get(PROTECTED, headers=bearer("admin-token"), status=403)


def test_auth_url_in_the_environment_overrides_the_ini(kbase_app, auth2, monkeypatch):
    monkeypatch.setenv("AUTH_URL", auth2.url)
    app = kbase_app(**{"restd.kbase.auth_url": f"http://127.0.0.1:{free_port()}"})
    app.get(PROTECTED, headers=bearer("admin-token"), status=200)


def test_without_an_auth_url_the_server_does_not_start(condor_config, monkeypatch):
    monkeypatch.delenv("AUTH_URL", raising=False)
    with pytest.raises(PluginError, match="'kbase'.*AUTH_URL"):
        make_app(**{"restd.auth": "kbase"})


# ----------------------------------------------------- never an open door --

@pytest.mark.parametrize("token", ["not-json-token", "no-user-token", "json-list-token", "server-error-token"])
def test_a_broken_answer_from_auth2_is_503(kbase_app, token):
    answer = kbase_app().get(PROTECTED, headers=bearer(token), status=503)
    assert answer.json["errno"] == 203
    assert "Retry-After" in answer.headers


def test_auth2_slower_than_the_timeout_is_503(kbase_app, auth2):
    answer = kbase_app(**{"restd.kbase.timeout": "0.3"}).get(PROTECTED, headers=bearer("slow-token"), status=503)
    auth2.release.set()
    assert "did not answer" in answer.json["message"]


def test_auth2_down_is_503(kbase_app):
    app = kbase_app(**{"restd.kbase.auth_url": f"http://127.0.0.1:{free_port()}"})
    app.get(PROTECTED, headers=bearer("admin-token"), status=503)


def test_public_routes_answer_while_auth2_is_down(kbase_app):
    app = kbase_app(**{"restd.kbase.auth_url": f"http://127.0.0.1:{free_port()}"})
    app.get("/healthz", headers=bearer("admin-token"), status=200)
    app.get("/", status=200)


def test_tokens_are_never_logged(kbase_app, caplog):
    caplog.set_level(logging.DEBUG)
    app = kbase_app()
    for token in ("server-error-token", "stolen-token", "other-role-token"):
        app.get(PROTECTED, headers=bearer(token), status="*")
    assert "-token" not in caplog.text


# -------------------------------------------------------------------- cache --

def test_requests_with_one_token_within_the_ttl_make_one_auth2_call(kbase_app, auth2):
    app = kbase_app()
    for _ in range(5):
        app.get(PROTECTED, headers=bearer("admin-token"), status=200)
    assert auth2.calls["admin-token"] == 1


def test_a_rejected_token_is_remembered_too(kbase_app, auth2):
    app = kbase_app()
    for _ in range(3):
        app.get(PROTECTED, headers=bearer("stolen-token"), status=401)
    assert auth2.calls["stolen-token"] == 1


def test_after_the_ttl_auth2_is_asked_again(kbase_app, auth2):
    app = kbase_app(**{"restd.kbase.cache_seconds": "30"})
    now = [1000.0]
    app.app.registry.restd.auth.identities.clock = lambda: now[0]
    app.get(PROTECTED, headers=bearer("admin-token"), status=200)
    now[0] += 29
    app.get(PROTECTED, headers=bearer("admin-token"), status=200)
    now[0] += 2
    app.get(PROTECTED, headers=bearer("admin-token"), status=200)
    assert auth2.calls["admin-token"] == 2


def test_auth2_failures_are_not_remembered(kbase_app, auth2):
    app = kbase_app()
    for _ in range(2):
        app.get(PROTECTED, headers=bearer("server-error-token"), status=503)
    assert auth2.calls["server-error-token"] == 2


def test_the_cache_is_keyed_by_a_hash_of_the_token(kbase_app):
    app = kbase_app()
    app.get(PROTECTED, headers=bearer("admin-token"), status=200)
    plugin = app.app.registry.restd.auth
    assert "admin-token" not in repr(plugin.identities._entries) + repr(plugin.known._entries)
    assert len(plugin.known._entries) == 1


def test_rejected_tokens_do_not_push_known_callers_out_of_the_cache(kbase_app, auth2):
    app = kbase_app()
    app.app.registry.restd.auth.rejections.max_items = 5
    app.get(PROTECTED, headers=bearer("admin-token"), status=200)
    for number in range(20):
        app.get(PROTECTED, headers=bearer(f"invented-{number}"), status=401)
    app.get(PROTECTED, headers=bearer("admin-token"), status=200)
    assert auth2.calls["admin-token"] == 1


def test_kbase_answers_are_shared_by_replicas_and_no_token_is_stored(kbase_app, auth2, redis_url):
    shared = {"restd.shared": redis_url, "restd.shared.prefix": "test:"}
    first, second = kbase_app(**shared), kbase_app(**shared)
    first.get(PROTECTED, headers=bearer("admin-token"), status=200)
    second.get(PROTECTED, headers=bearer("admin-token"), status=200)
    second.get(PROTECTED, headers=bearer("stolen-token"), status=401)
    first.get(PROTECTED, headers=bearer("stolen-token"), status=401)
    assert auth2.calls["admin-token"] == 1 and auth2.calls["stolen-token"] == 1
    with redis.Redis.from_url(redis_url) as client:
        stored = b"".join(key + (client.get(key) or b"") for key in client.keys("test:kbase*"))
    secrets = [b"admin-token", b"stolen-token", hashlib.sha256(b"admin-token").hexdigest().encode()]
    assert stored and not any(secret in stored for secret in secrets)


# ------------------------------------------------------------ single flight --

def test_concurrent_requests_with_one_token_make_one_auth2_call(kbase_app, auth2, monkeypatch):
    """Auth2 holds its answer until every other request waits for that one
    call; then all are answered from it."""
    followers = 7
    waiting = threading.Semaphore(0)

    class CountingEvent(threading.Event):
        def wait(self, timeout=None):
            waiting.release()
            return super().wait(timeout)

    class CountedFlight(single_flight._Flight):
        def __init__(self, *args) -> None:
            super().__init__(*args)
            self.done = CountingEvent()

    monkeypatch.setattr(single_flight, "_Flight", CountedFlight)
    auth2.gate.clear()
    app = kbase_app(**{"restd.kbase.max_waiting_per_address": str(followers + 1)})
    statuses = []

    def call() -> None:
        statuses.append(app.get(PROTECTED, headers=bearer("gated-token"), status="*").status_int)

    threads = [threading.Thread(target=call) for _ in range(followers + 1)]
    for thread in threads:
        thread.start()
    for _ in range(followers):
        assert waiting.acquire(timeout=fake_auth2.HOLD_SECONDS)
    auth2.gate.set()
    for thread in threads:
        thread.join()
    assert statuses == [200] * (followers + 1)
    assert auth2.calls["gated-token"] == 1


@pytest.mark.parametrize("path", ["/healthz", "/readyz", "/openapi.json", "/no/such/url", "/v1/jobs/%ff"])
def test_the_access_log_does_not_ask_auth2_about_public_routes_or_unknown_urls(kbase_app, auth2, path):
    kbase_app().get(path, headers=bearer("random-token-for-log"), status="*")
    assert auth2.calls["random-token-for-log"] == 0


def test_bearer_without_a_token_is_no_credentials(kbase_app, auth2):
    assert kbase_app().get(PROTECTED, headers={"Authorization": "Bearer"}, status=401).json["errno"] == 104
    assert auth2.calls["Bearer"] == 0


def test_a_token_with_spaces_is_refused_without_asking_auth2(kbase_app, auth2):
    assert kbase_app().get(PROTECTED, headers={"Authorization": "Basic YTpi"}, status=401).json["errno"] == 105
    assert auth2.calls["Basic YTpi"] == 0


def hold_slow_checks(app, auth2, addresses: list[str]) -> list[threading.Thread]:
    """One request with a new token (``slow-<n>``) from each address, each
    held by auth2 (until ``auth2.release``) once it has called."""
    auth2.release.clear()
    held = [threading.Thread(target=app.get, args=(PROTECTED,), kwargs={
        "headers": bearer(f"slow-{n}"), "extra_environ": {"REMOTE_ADDR": address}, "status": "*"})
        for n, address in enumerate(addresses)]
    for thread in held:
        thread.start()
    assert wait_until(lambda: sum(auth2.calls[f"slow-{n}"] for n in range(len(addresses))) == len(addresses),
                      interval=0.01)
    return held


def release(auth2, held: list[threading.Thread]) -> None:
    auth2.release.set()
    for thread in held:
        thread.join()


def test_new_tokens_beyond_the_checks_at_once_are_503_at_once(kbase_app, auth2):
    app = kbase_app(**{"restd.kbase.max_concurrent_checks": "2"})
    held = hold_slow_checks(app, auth2, ["10.0.0.1", "10.0.0.2"])
    try:
        answer = app.get(PROTECTED, headers=bearer("slow-third"), extra_environ={"REMOTE_ADDR": "10.0.0.3"},
                         status=503)
        assert answer.json["errno"] == 203 and auth2.calls["slow-third"] == 0
    finally:
        release(auth2, held)


def test_new_tokens_of_one_address_beyond_its_checks_at_once_are_429_and_others_go_on(kbase_app, auth2):
    app = kbase_app(**{"restd.kbase.max_checks_per_address": "2"})
    held = hold_slow_checks(app, auth2, ["10.0.0.1", "10.0.0.1"])
    try:
        answer = app.get(PROTECTED, headers=bearer("slow-third"), extra_environ={"REMOTE_ADDR": "10.0.0.1"},
                         status=429)
        assert answer.json["errno"] == 117 and answer.headers["Retry-After"] == "1"
        assert auth2.calls["slow-third"] == 0
        app.get(PROTECTED, headers=bearer("admin-token"), extra_environ={"REMOTE_ADDR": "10.0.0.2"}, status=200)
    finally:
        release(auth2, held)


def test_a_known_tokens_check_waits_behind_no_new_token(kbase_app, auth2):
    """Valid before (its cache entry gone: cache_seconds 0), a token is checked
    even while every check of new tokens is taken, from its caller's address too."""
    app = kbase_app(**{"restd.kbase.cache_seconds": "0", "restd.kbase.max_concurrent_checks": "1",
                       "restd.kbase.max_checks_per_address": "1"})
    app.get(PROTECTED, headers=bearer("admin-token"), extra_environ={"REMOTE_ADDR": "10.0.0.1"}, status=200)
    held = hold_slow_checks(app, auth2, ["10.0.0.1"])
    try:
        app.get(PROTECTED, headers=bearer("admin-token"), extra_environ={"REMOTE_ADDR": "10.0.0.1"}, status=200)
        app.get(PROTECTED, headers=bearer("admin-token"), extra_environ={"REMOTE_ADDR": "10.0.0.2"}, status=200)
    finally:
        release(auth2, held)


def test_a_token_known_on_one_replica_waits_behind_no_new_token_on_another(kbase_app, auth2, redis_url):
    shared = {"restd.shared": redis_url, "restd.shared.prefix": f"test-{uuid.uuid4().hex}:",
              "restd.kbase.cache_seconds": "0", "restd.kbase.max_concurrent_checks": "1"}
    first, second = kbase_app(**shared), kbase_app(**shared)
    first.get(PROTECTED, headers=bearer("admin-token"), status=200)
    held = hold_slow_checks(second, auth2, ["10.0.0.1"])
    try:
        second.get(PROTECTED, headers=bearer("admin-token"), extra_environ={"REMOTE_ADDR": "10.0.0.2"}, status=200)
    finally:
        release(auth2, held)


def test_a_valid_token_without_a_read_role_is_not_known(kbase_app, auth2):
    """Any KBase user can make tokens: only those of users who may read skip the bounds."""
    app = kbase_app(**{"restd.kbase.cache_seconds": "0", "restd.kbase.max_concurrent_checks": "1"})
    app.get(PROTECTED, headers=bearer("other-role-token"), extra_environ={"REMOTE_ADDR": "10.0.0.1"}, status=403)
    held = hold_slow_checks(app, auth2, ["10.0.0.2"])
    try:
        app.get(PROTECTED, headers=bearer("other-role-token"), extra_environ={"REMOTE_ADDR": "10.0.0.1"}, status=503)
    finally:
        release(auth2, held)


def test_requests_waiting_for_one_new_tokens_check_take_one_check_of_their_address(kbase_app, auth2):
    """A page that sends several requests with a fresh token at once: one check."""
    app = kbase_app(**{"restd.kbase.max_checks_per_address": "1", "restd.kbase.max_waiting_per_address": "6"})
    auth2.release.clear()
    statuses = []
    threads = [threading.Thread(target=lambda: statuses.append(app.get(
        PROTECTED, headers=bearer("slow-token"), extra_environ={"REMOTE_ADDR": "10.0.0.1"}, status="*").status_int))
        for _ in range(6)]
    for thread in threads:
        thread.start()
    assert wait_until(lambda: auth2.calls["slow-token"], interval=0.01)
    release(auth2, threads)
    assert statuses == [200] * 6 and auth2.calls["slow-token"] == 1


def test_requests_of_one_address_waiting_for_new_tokens_beyond_its_bound_are_429(kbase_app, auth2):
    """One invented token sent many times while auth2 is slow must not hold every thread."""
    app = kbase_app(**{"restd.kbase.max_waiting_per_address": "2"})
    held = hold_slow_checks(app, auth2, ["10.0.0.1"])
    follower = threading.Thread(target=app.get, args=(PROTECTED,), kwargs={
        "headers": bearer("slow-0"), "extra_environ": {"REMOTE_ADDR": "10.0.0.1"}, "status": "*"})
    follower.start()
    plugin = app.app.registry.restd.auth
    assert wait_until(lambda: plugin._waiting_from["10.0.0.1"] >= 2, interval=0.01)
    try:
        app.get(PROTECTED, headers=bearer("slow-0"), extra_environ={"REMOTE_ADDR": "10.0.0.1"}, status=429)
    finally:
        release(auth2, [*held, follower])


@pytest.mark.parametrize(("first", "second", "same"), [
    ("2001:db8::1", "2001:db8::ffff:2", True),
    ("2001:db8:0:1::1", "2001:db8:0:2::1", False),
    ("::ffff:10.0.0.1", "10.0.0.1", True),
    ("10.0.0.1", "10.0.0.2", False),
])
def test_new_tokens_are_bounded_per_address_and_an_ipv6_host_by_its_64(first, second, same):
    def source(address: str) -> str:
        return kbase.source_of(Request.blank("/", remote_addr=address, headers={"X-Forwarded-For": "10.9.9.9"}))

    assert (source(first) == source(second)) is same


def test_a_flood_of_invented_tokens_denies_no_known_user_and_no_other_address(kbase_app, auth2, monkeypatch, caplog):
    """16 threads send invented tokens from one address to an auth2 that takes
    0.2 s an answer; meanwhile 20 known users (their earlier-valid tokens, each
    cache entry expired) and new users from another address are all answered,
    and the refusals make no log line each: two lines (the first refusal, then
    how many more) for each interval of the flood's, however long it lasts."""
    app = kbase_app(**{"restd.kbase.cache_seconds": "0"})
    known = {f"user-known-{n}": f"10.0.1.{n}" for n in range(20)}
    for token, address in known.items():
        app.get(PROTECTED, headers=bearer(token), extra_environ={"REMOTE_ADDR": address}, status=200)
    monkeypatch.setattr(auth2, "delay", 0.2)
    caplog.set_level(logging.INFO, logger="restd_core.pipeline.security")
    flooding = threading.Event()
    flood_statuses: list[int] = []

    def flood() -> None:
        while not flooding.is_set():
            flood_statuses.append(app.get(FLOOD_PATH, headers=bearer(uuid.uuid4().hex),
                                          extra_environ={"REMOTE_ADDR": "10.6.6.6"}, status="*").status_int)

    honest_statuses: list[int] = []

    def honest(tokens: list[str], address: str) -> None:
        for token in tokens:
            honest_statuses.append(app.get(PROTECTED, headers=bearer(token), extra_environ={"REMOTE_ADDR": address},
                                           status="*").status_int)

    flooders = [threading.Thread(target=flood) for _ in range(16)]
    flood_started = time.monotonic()
    for thread in flooders:
        thread.start()
    assert wait_until(lambda: len(flood_statuses) >= 50, interval=0.01)
    users = [threading.Thread(target=honest, args=([token] * 3, address)) for token, address in known.items()]
    users += [threading.Thread(target=honest, args=([f"user-new-{n}-{k}" for k in range(3)], "10.0.2.1"))
              for n in range(2)]
    for thread in users:
        thread.start()
    for thread in users:
        thread.join()
    flooding.set()
    for thread in flooders:
        thread.join()
    intervals = math.ceil((time.monotonic() - flood_started) / REFUSALS_LOG_SECONDS)
    assert honest_statuses == [200] * (20 * 3 + 2 * 3)
    assert flood_statuses.count(429) > 50
    # Lines of earlier tests' refusals may still come (each counted at its interval's end): they name PROTECTED.
    flood_lines = [line for line in logged(caplog, "restd_core.pipeline.security") if FLOOD_PATH in line]
    assert 1 <= len(flood_lines) <= 2 * intervals
