"""The response cache: expiry, single flight, size bound, per-identity keys,
ETag/304 — as a unit, and in front of the real pool; against each store
(in-process and Redis: ``backend``, ``shared``) but where a test is about
the in-process store's own bounds."""
from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Iterator

import pytest
from pyramid.response import Response

from restd_core.pipeline.response_cache import ResponseCache
from restd_core.shared.memory import MemoryStore
from restd_core.shared.redis_store import RedisStore

from .conftest import close_app, make_app
from .pool import SECRET


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


class InProcess:
    """Caches over the in-process store, on a clock the test moves."""

    def __init__(self) -> None:
        self.clock = FakeClock()

    def cache(self, **bounds: int) -> ResponseCache:
        return ResponseCache(**bounds, store=MemoryStore(self.clock))

    def advance(self, seconds: float) -> None:
        self.clock.now += seconds


class InRedis:
    """Caches over one real Redis (each a replica of the others), whose
    entries expire in real time."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.stores: list[RedisStore] = []

    def cache(self, **bounds: int) -> ResponseCache:
        self.stores.append(RedisStore(self.url, "test:", timeout=1.0))
        return ResponseCache(**bounds, store=self.stores[-1])

    def advance(self, seconds: float) -> None:
        time.sleep(seconds)


@pytest.fixture(params=["in-process", "redis"])
def backend(request) -> Iterator[InProcess | InRedis]:
    if request.param == "in-process":
        yield InProcess()
        return
    redis = InRedis(request.getfixturevalue("redis_url"))
    yield redis
    for store in redis.stores:  # now: a connection collected later would warn in another test
        store.close()


def answer(body: bytes, status: int = 200) -> Response:
    return Response(body=body, status=status, content_type="application/json", charset=None)


def counting(body: bytes = b"[]", status: int = 200):
    calls = []

    def compute() -> Response:
        calls.append(1)
        return answer(body, status)

    return compute, calls


def test_an_answer_is_reused_within_its_ttl(backend):
    cache = backend.cache()
    compute, calls = counting()
    cache.fetch(("k",), 2.0, compute)
    cache.fetch(("k",), 2.0, compute)
    assert len(calls) == 1


def test_an_answer_expires_after_its_ttl(backend):
    cache = backend.cache()
    compute, calls = counting()
    cache.fetch(("k",), 0.2, compute)
    backend.advance(0.3)
    cache.fetch(("k",), 0.2, compute)
    assert len(calls) == 2


def test_errors_are_not_stored(backend):
    cache = backend.cache()
    compute, calls = counting(b'{"code": 503}', status=503)
    cache.fetch(("k",), 60.0, compute)
    cache.fetch(("k",), 60.0, compute)
    assert len(calls) == 2


def fetch_concurrently(cache: ResponseCache, outcome, callers: int = 8) -> tuple[list, int]:
    """``callers`` threads fetch one key at once while the first computation
    (``outcome()``) is held back; their results (or exceptions), and how
    many computations there were."""
    release = threading.Event()
    calls = []

    def compute() -> Response:
        calls.append(1)
        release.wait(10)
        return outcome()

    results = []

    def ask() -> None:
        try:
            results.append(cache.fetch(("k",), 60.0, compute))
        except Exception as exc:
            results.append(exc)

    threads = [threading.Thread(target=ask) for _ in range(callers)]
    for thread in threads:
        thread.start()
    while not calls:
        threading.Event().wait(0.01)
    release.set()
    for thread in threads:
        thread.join()
    return results, len(calls)


def test_concurrent_identical_requests_compute_once(backend):
    results, computations = fetch_concurrently(backend.cache(), lambda: answer(b"[1]"))
    assert computations == 1
    assert {snapshot.body for snapshot in results} == {b"[1]"}


def test_waiting_requests_share_the_first_ones_failure(backend):
    def failing() -> Response:
        raise TimeoutError("HTCondor did not answer")

    results, computations = fetch_concurrently(backend.cache(), failing, callers=4)
    assert computations == 1
    assert len(results) == 4 and all(isinstance(result, TimeoutError) for result in results)


def test_the_cache_stays_within_its_byte_bound_dropping_the_oldest():
    entry = cache_entry_bytes(("a",), b"x" * 100)  # its body, its key and the rest
    cache = ResponseCache(max_bytes=entry * 5 // 2)
    for key in "abc":
        cache.fetch((key,), 60.0, counting(b"x" * 100)[0])
    assert cache.size <= entry * 5 // 2
    compute, calls = counting(b"x" * 100)
    cache.fetch(("a",), 60.0, compute)
    assert len(calls) == 1  # "a", the oldest, was dropped
    compute, calls = counting(b"x" * 100)
    cache.fetch(("c",), 60.0, compute)
    assert calls == []


def test_an_answer_larger_than_the_bound_is_not_stored(backend):
    cache = backend.cache(max_bytes=10)
    compute, calls = counting(b"x" * 11)
    cache.fetch(("k",), 60.0, compute)
    cache.fetch(("k",), 60.0, compute)
    assert len(calls) == 2 and cache.size == 0


# ------------------------------------------------------------ real pool --

@pytest.fixture(params=["in-process", "redis"])
def shared(request) -> dict[str, str]:
    """The settings of the app's store: its own (the default), or Redis."""
    return {} if request.param == "in-process" else {"restd.shared": request.getfixturevalue("redis_url")}


@pytest.fixture
def caching_app(condor_config, test_jobs, shared):
    app = make_app(**{"restd.cache.ttl": "60", **shared})
    yield app
    close_app(app)


def count_job_queries(app) -> list[str]:
    calls: list[str] = []
    app.app.registry.restd.gateway.observers.append(lambda op, *rest: calls.append(op) if op == "query_jobs" else None)
    return calls


def test_identical_requests_make_one_schedd_query(caching_app, test_jobs):
    queries = count_job_queries(caching_app)
    first = caching_app.get(f"/v1/jobs/DEFAULT/{test_jobs.held}")
    second = caching_app.get(f"/v1/jobs/DEFAULT/{test_jobs.held}")
    assert first.body == second.body
    assert queries == ["query_jobs"]


def test_concurrent_identical_requests_make_one_schedd_query(caching_app, test_jobs):
    queries = count_job_queries(caching_app)
    threads = [threading.Thread(target=caching_app.get, args=(f"/v1/jobs/DEFAULT/{test_jobs.idle}",)) for _ in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert queries == ["query_jobs"]


def test_different_queries_are_different_entries(caching_app, test_jobs):
    queries = count_job_queries(caching_app)
    caching_app.get(f"/v1/jobs/DEFAULT/{test_jobs.held}?projection=Owner")
    caching_app.get(f"/v1/jobs/DEFAULT/{test_jobs.held}?projection=Cmd")
    assert len(queries) == 2


def test_the_cache_ttl_comes_from_the_htcondor_config(app_with, test_jobs, shared):
    app = app_with(env={"_CONDOR_RESTD_CACHE_TTL": "60"}, **{"restd.cache.ttl": "", **shared})
    queries = count_job_queries(app)
    app.get(f"/v1/jobs/DEFAULT/{test_jobs.held}")
    app.get(f"/v1/jobs/DEFAULT/{test_jobs.held}")
    assert queries == ["query_jobs"]


def test_a_cache_ttl_of_zero_turns_the_cache_off(app, test_jobs):
    queries = count_job_queries(app)
    app.get(f"/v1/jobs/DEFAULT/{test_jobs.held}")
    app.get(f"/v1/jobs/DEFAULT/{test_jobs.held}")
    assert queries == ["query_jobs", "query_jobs"]


def test_different_identities_do_not_share_entries(app_with, test_jobs, tmp_path, shared):
    tokens = {"alice-token": "alice", "bob-token": "bob"}
    token_file = tmp_path / "tokens"
    token_file.write_text("".join(f"{hashlib.sha256(t.encode()).hexdigest()} {n}\n" for t, n in tokens.items()))
    app = app_with(**{"restd.cache.ttl": "60", "restd.auth": "static-token", "restd.static_token.file": str(token_file),
                      **shared})
    queries = count_job_queries(app)
    for token in tokens:
        app.get(f"/v1/jobs/DEFAULT/{test_jobs.held}", headers={"Authorization": f"Bearer {token}"})
    app.get(f"/v1/jobs/DEFAULT/{test_jobs.held}", headers={"Authorization": "Bearer alice-token"})
    assert len(queries) == 2


def test_answers_carry_an_etag_and_a_matching_if_none_match_is_304(app, test_jobs):
    # Whole ads carry the schedd's ServerTime, which changes every second:
    # two uncached answers are the same only without it.
    url = f"/v1/jobs/DEFAULT/{test_jobs.held}?projection=Owner,JobStatus"
    first = app.get(url)
    assert first.headers["ETag"]
    again = app.get(url, headers={"If-None-Match": first.headers["ETag"]}, status=304)
    assert again.body == b""


def test_a_cached_answer_honours_if_none_match_too(caching_app, test_jobs):
    first = caching_app.get(f"/v1/jobs/DEFAULT/{test_jobs.held}")
    caching_app.get(f"/v1/jobs/DEFAULT/{test_jobs.held}", headers={"If-None-Match": first.headers["ETag"]}, status=304)


def test_a_stale_etag_gets_the_full_answer(app, test_jobs):
    app.get(f"/v1/jobs/DEFAULT/{test_jobs.held}", headers={"If-None-Match": '"not-the-etag"'}, status=200)


def test_expired_entries_are_dropped_when_another_is_stored():
    clock = FakeClock()
    cache = ResponseCache(clock=clock)
    for number in range(10):
        cache.fetch((number,), 1.0, counting()[0])
    clock.now = 5.0
    cache.fetch(("new",), 1.0, counting()[0])
    assert cache.size == cache_entry_bytes(("new",), b"[]")


def cache_entry_bytes(key, body: bytes) -> int:
    from restd_core.pipeline.response_cache import Snapshot, entry_bytes

    return entry_bytes(key, Snapshot(200, body, (), ""))


def test_an_entry_is_counted_with_its_key():
    cache = ResponseCache(max_bytes=10_000)
    cache.fetch(("k" * 5_000,), 60.0, counting()[0])
    cache.fetch(("j" * 5_000,), 60.0, counting()[0])  # pushes the first one out
    compute, calls = counting()
    cache.fetch(("k" * 5_000,), 60.0, compute)
    assert len(calls) == 1


def test_invented_query_parameters_share_the_entry_of_the_answer(app_with, test_jobs, shared):
    app = app_with(**{"restd.cache.ttl": "60", **shared})
    for number in range(5):
        app.get(f"/v1/jobs/DEFAULT/{test_jobs.held}?projection=Owner&junk{number}={'x' * 1000}")
    assert app.app.registry.restd.response_cache.misses == 1


def test_replicas_hiding_different_attributes_do_not_share_entries(app_with, test_jobs, redis_url):
    # A replica whose HTCondor config hides Environment (say, the first one
    # given a new config) never serves another replica's answer showing it.
    url = f"/v1/jobs/DEFAULT/{test_jobs.held}?projection=Environment"
    settings = {"restd.cache.ttl": "60", "restd.shared": redis_url}
    showing = app_with(**settings)
    assert SECRET in showing.get(url).text
    hiding = app_with(env={"_CONDOR_RESTD_HIDE_JOB_ATTRS": "Environment"}, **settings)
    assert {job["classad"]["environment"] for job in hiding.get(url).json} == {"<REDACTED>"}


def test_a_cache_hit_never_waits_for_a_worker(app_with, test_jobs):
    # The RESTD_* knobs (part of the cache key) are read again behind the requests.
    app = app_with(**{"restd.cache.ttl": "60", "restd.config_reload_seconds": "0.1", "restd.gateway.workers": "1",
                      "restd.includes": "tests.fakes.faulty_plugin"})
    url = f"/v1/jobs/DEFAULT/{test_jobs.held}"
    cached = app.get(url).body
    time.sleep(0.2)  # the knobs are now older than restd.config_reload_seconds
    slow = threading.Thread(target=app.get, args=("/faulty/slow-10",))
    slow.start()
    while app.app.registry.restd.gateway.idle_workers and slow.is_alive():
        time.sleep(0.01)
    try:
        assert app.get(url).body == cached
        assert slow.is_alive()  # answered while the only worker was busy
    finally:
        slow.join()
