"""The store replicas share (``restd.shared``, a real Redis): what the
response cache, the kbase plugin and the rate limit keep there, how it is
namespaced and versioned, and how a replica goes on without it. Several
``RedisStore``s on one Redis stand for several replicas; the same with real
server processes and the real pool is ``test_replicas.py``."""
from __future__ import annotations

import logging
import subprocess
import sys
import threading
import time
from collections.abc import Iterator

import pytest
from limits import parse
from pyramid.response import Response

from restd_core.assembly.settings import SettingError
from restd_core.gateway import Timeout, deadline
from restd_core.pipeline.response_cache import SNAPSHOTS, ResponseCache
from restd_core.shared.redis_store import RETRY_SECONDS, RedisStore

from .conftest import made_app, make_app
from .waiting import wait_until

PREFIX = "test:"
#: Nothing listens there: connections are refused at once.
NO_REDIS = "redis://127.0.0.1:1/0"


#: The stores a test made, closed after it (an open Redis connection
#: collected later would warn in whatever test runs then).
_made: list[RedisStore] = []


def replica(url: str, timeout: float = 1.0) -> RedisStore:
    _made.append(RedisStore(url, PREFIX, timeout=timeout))
    return _made[-1]


@pytest.fixture(autouse=True)
def close_stores() -> Iterator[None]:
    yield
    while _made:
        _made.pop().close()


def answer(body: bytes = b"[1]") -> Response:
    return Response(body=body, status=200, content_type="application/json", charset=None)


def counting(body: bytes = b"[1]"):
    calls = []

    def compute() -> Response:
        calls.append(1)
        return answer(body)

    return compute, calls


# --------------------------------------------------------- the response cache --

def test_an_answer_one_replica_stored_is_served_by_another(redis_url):
    first, second = ResponseCache(store=replica(redis_url)), ResponseCache(store=replica(redis_url))
    compute, calls = counting()
    first.fetch(("k",), 60.0, compute)
    served = second.fetch(("k",), 60.0, compute)
    assert len(calls) == 1 and served.body == b"[1]"


def test_an_answer_from_another_replica_keeps_its_etag(redis_url):
    first, second = ResponseCache(store=replica(redis_url)), ResponseCache(store=replica(redis_url))
    made = first.fetch(("k",), 60.0, counting()[0])
    assert second.fetch(("k",), 60.0, counting()[0]).etag == made.etag


def test_concurrent_identical_requests_on_three_replicas_compute_once(redis_url):
    caches = [ResponseCache(store=replica(redis_url)) for _ in range(3)]
    release, calls, results = threading.Event(), [], []

    def compute() -> Response:
        calls.append(1)
        release.wait(10)
        return answer()

    threads = [threading.Thread(target=lambda cache=cache: results.append(cache.fetch(("k",), 60.0, compute).body))
               for cache in caches for _ in range(4)]
    for thread in threads:
        thread.start()
    assert wait_until(lambda: calls)
    time.sleep(0.3)  # every other replica is polling by now (a wider test if not)
    release.set()
    for thread in threads:
        thread.join()
    assert len(calls) == 1 and results == [b"[1]"] * 12


CLAIM_AND_DIE = """
import os, signal, sys
from restd_core.pipeline.response_cache import SNAPSHOTS
from restd_core.shared.redis_store import RedisStore
table = RedisStore(sys.argv[1], sys.argv[2], 1.0).table("cache", SNAPSHOTS)
assert table.claim(("k",)) is not None
os.kill(os.getpid(), signal.SIGKILL)
"""


def test_a_claim_whose_holder_was_killed_lapses_and_a_waiter_takes_over(redis_url):
    died = subprocess.run([sys.executable, "-c", CLAIM_AND_DIE, redis_url, PREFIX])
    assert died.returncode == -9
    compute, calls = counting()
    with deadline(20):
        served = ResponseCache(store=replica(redis_url)).fetch(("k",), 60.0, compute)
    assert len(calls) == 1 and served.body == b"[1]"


def test_a_waiter_never_waits_past_its_requests_budget(redis_url):
    holder = replica(redis_url).table("cache", SNAPSHOTS).claim(("k",))
    compute, calls = counting()
    try:
        with deadline(0.3), pytest.raises(Timeout):
            ResponseCache(store=replica(redis_url)).fetch(("k",), 60.0, compute)
    finally:
        holder.__exit__(None, None, None)
    assert calls == []


def test_entries_are_namespaced_and_versioned_and_their_keys_hashed(redis_url):
    ResponseCache(store=replica(redis_url)).fetch(("GET", "/v1/jobs/DEFAULT", (), "alice"), 60.0, counting()[0])
    client = replica(redis_url).client
    keys = client.keys("*")
    assert keys and all(key.startswith(b"test:cache:") for key in keys)
    assert not any(b"alice" in key or b"jobs" in key for key in keys)
    assert all(client.get(key).startswith(b"%d\n" % SNAPSHOTS.version) for key in keys)


def test_a_value_of_another_format_version_is_a_miss(redis_url):
    store = replica(redis_url)
    ResponseCache(store=store).fetch(("k",), 60.0, counting()[0])
    (key,) = store.client.keys("*")
    version = b"%d\n" % SNAPSHOTS.version
    store.client.set(key, b"%d\n" % (SNAPSHOTS.version + 1) + store.client.get(key)[len(version):], px=60_000)
    compute, calls = counting()
    ResponseCache(store=store).fetch(("k",), 60.0, compute)
    assert len(calls) == 1


def test_a_value_that_cannot_be_read_is_a_miss(redis_url):
    store = replica(redis_url)
    ResponseCache(store=store).fetch(("k",), 60.0, counting()[0])
    (key,) = store.client.keys("*")
    store.client.set(key, b"%d\nnot json\n[1]" % SNAPSHOTS.version, px=60_000)
    compute, calls = counting()
    assert ResponseCache(store=store).fetch(("k",), 60.0, compute).body == b"[1]"
    assert len(calls) == 1


def test_entries_expire_in_redis_with_their_ttl(redis_url):
    store = replica(redis_url)
    ResponseCache(store=store).fetch(("k",), 30.0, counting()[0])
    (key,) = store.client.keys("*")
    assert 0 < store.client.pttl(key) <= 30_000


# ------------------------------------------------------------------ rates --

def test_a_rate_holds_across_replicas(redis_url):
    rate, replicas = parse("3/minute"), [replica(redis_url) for _ in range(3)]
    answers = [replicas[number % 3].retry_after(rate, "alice") for number in range(4)]
    assert answers[:3] == [None] * 3 and answers[3] >= 1


def test_rate_keys_do_not_name_the_caller(redis_url):
    store = replica(redis_url)
    store.retry_after(parse("3/minute"), "alice")
    keys = store.client.keys("*")
    assert keys and all(key.startswith(b"test:limits") and b"alice" not in key for key in keys)


# ------------------------------------------------------- Redis not answering --

def test_without_redis_the_cache_works_in_process(caplog):
    cache = ResponseCache(store=replica(NO_REDIS))
    compute, calls = counting()
    for _ in range(3):
        assert cache.fetch(("k",), 60.0, compute).body == b"[1]"
    assert len(calls) == 1


def test_without_redis_a_rate_holds_in_process():
    store, rate = replica(NO_REDIS), parse("2/minute")
    assert [store.retry_after(rate, "alice") is None for _ in range(3)] == [True, True, False]


def test_an_outage_is_logged_once(caplog):
    store = replica(NO_REDIS)
    cache = ResponseCache(store=store)
    with caplog.at_level(logging.WARNING, "restd_core.shared.redis_store"):
        for number in range(3):
            cache.fetch((number,), 60.0, counting()[0])
            time.sleep(RETRY_SECONDS / 2)  # tried again meanwhile
    assert len(caplog.records) == 1 and "does not answer" in caplog.records[0].getMessage()
    assert store.health.outages == 1


def test_a_url_with_a_password_is_not_logged(caplog):
    store = replica("redis://:hunter2@127.0.0.1:1/0")
    with caplog.at_level(logging.WARNING, "restd_core.shared.redis_store"):
        store.state()
    assert caplog.records and "hunter2" not in caplog.text


def test_a_replica_shares_again_once_redis_is_back(local_redis, redis_url):
    store = replica(redis_url)
    cache = ResponseCache(store=store)
    local_redis.stop()
    try:
        cache.fetch(("during",), 60.0, counting()[0])
        assert store.state()["state"] == "unreachable"
    finally:
        local_redis.start()
    assert wait_until(lambda: store.state()["state"] == "connected")
    cache.fetch(("after",), 60.0, counting()[0])
    compute, calls = counting()
    ResponseCache(store=replica(redis_url)).fetch(("after",), 60.0, compute)
    assert calls == []


def test_a_frozen_redis_is_left_for_the_fallback_after_its_socket_timeout(local_redis, redis_url):
    store = replica(redis_url, timeout=0.2)
    cache = ResponseCache(store=store)
    cache.fetch(("before",), 60.0, counting()[0])
    with local_redis.frozen():
        compute, calls = counting()
        assert [cache.fetch(("during",), 60.0, compute).body for _ in range(2)] == [b"[1]"] * 2
        assert len(calls) == 1 and not store.health.up
    assert wait_until(lambda: store.state()["state"] == "connected")


def test_nothing_is_served_past_its_ttl_from_the_fallback():
    cache = ResponseCache(store=replica(NO_REDIS))
    compute, calls = counting()
    cache.fetch(("k",), 0.2, compute)
    time.sleep(0.3)
    cache.fetch(("k",), 0.2, compute)
    assert len(calls) == 2


# -------------------------------------------------------------- the app --

def test_readyz_says_the_shared_store_is_connected(condor_config, test_jobs, redis_url):
    with made_app(**{"restd.shared": redis_url}) as app:
        assert app.get("/readyz").json["shared"] == {"backend": "redis", "state": "connected"}


def test_readyz_stays_200_and_says_so_when_redis_does_not_answer(condor_config, test_jobs):
    with made_app(**{"restd.shared": NO_REDIS}) as app:
        shared = app.get("/readyz", status=200).json["shared"]
        assert shared == {"backend": "redis", "state": "unreachable", "fallback": "in-process"}
        assert "restd_shared_store_up 0.0" in app.get("/metrics").text


def test_readyz_says_nothing_of_a_store_without_restd_shared(app):
    assert "shared" not in app.get("/readyz").json


def test_restd_shared_in_the_environment_comes_first(condor_config, test_jobs, monkeypatch):
    monkeypatch.setenv("RESTD_SHARED", NO_REDIS)
    with made_app() as app:
        assert app.get("/readyz").json["shared"]["backend"] == "redis"


def test_restd_shared_must_be_a_redis_url(condor_config):
    with pytest.raises(SettingError, match="restd.shared"):
        make_app(**{"restd.shared": "http://127.0.0.1:6379"})
