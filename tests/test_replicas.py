"""Replicas sharing one Redis (``restd.shared``): real server processes
(``pserve``) in front of the real pool, counted by their own ``/metrics``.

Each replica is a process of its own with its own gateway; what they share
is only Redis. Every wait here is bounded and never an assertion about time.
"""
from __future__ import annotations

import itertools
import re
import threading
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

import pytest
import requests

from .pool import frozen
from .redis_server import LocalRedis, running
from .wsgi_servers import PATIENCE, Server, wait_until

#: The HTCondor operations that ask a schedd for jobs.
SCHEDD_QUERIES = ("query_job", "query_jobs")
_CALLS = re.compile(r'^restd_htcondor_call_duration_seconds_count\{daemon="schedd",operation="(\w+)"\} (\S+)$', re.M)


@contextmanager
def replicas(count: int, directory: Path, **settings: str) -> Iterator[list[Server]]:
    """``count`` pserve processes with these settings, started at once; killed at the end."""
    with ThreadPoolExecutor(count) as threads:
        futures = [threads.submit(Server, "pserve", directory, 2, settings) for _ in range(count)]
    started = [future.result() for future in futures if future.exception() is None]
    try:
        for future in futures:
            future.result()  # the first that failed to start, raised
        yield started
    finally:
        for server in started:
            server.kill()


def schedd_queries(servers: list[Server]) -> int:
    """Job queries the replicas made, all together (each counts its own)."""
    total = 0.0
    for server in servers:
        text = server.get("/metrics").text
        total += sum(float(value) for operation, value in _CALLS.findall(text) if operation in SCHEDD_QUERIES)
    return int(total)


def unique_query(job: str) -> str:
    """A one-job URL nobody asked before (its projection names an attribute no job has)."""
    return f"/v1/jobs/DEFAULT/{job}?projection=Owner,Absent{uuid.uuid4().hex}"


@pytest.fixture(scope="module")
def shared_redis(tmp_path_factory) -> Iterator[LocalRedis]:
    """A Redis of this module's own: its tests stop and start it."""
    with running(tmp_path_factory.mktemp("replicas-redis")) as server:
        yield server


@pytest.fixture(scope="module")
def three(shared_redis, test_jobs, tmp_path_factory) -> Iterator[list[Server]]:
    with replicas(3, tmp_path_factory.mktemp("replicas"), **{
            "restd.shared": shared_redis.url, "restd.cache.ttl": "60"}) as servers:
        yield servers


def ask_spread(servers: list[Server], path: str, count: int) -> list[requests.Response]:
    """``count`` identical requests at once, spread over the replicas in turn."""
    with ThreadPoolExecutor(count) as threads:
        return list(threads.map(lambda server: server.get(path), itertools.islice(itertools.cycle(servers), count)))


def test_concurrent_identical_requests_over_the_replicas_make_one_schedd_query(three, test_jobs):
    before = schedd_queries(three)
    answers = ask_spread(three, unique_query(test_jobs.idle), 12)
    assert [answer.status_code for answer in answers] == [200] * 12
    assert len({answer.content for answer in answers}) == 1
    assert schedd_queries(three) - before == 1


def test_an_answer_one_replica_made_is_served_by_the_others_with_its_etag(three, test_jobs):
    path = unique_query(test_jobs.held)
    first = three[0].get(path)
    before = schedd_queries(three)
    others = [server.get(path) for server in three[1:]]
    assert schedd_queries(three) == before
    assert {answer.headers["ETag"] for answer in others} == {first.headers["ETag"]}


def test_the_processes_of_a_preloading_gunicorn_use_redis(shared_redis, test_jobs, tmp_path):
    """The app is made in gunicorn's master, whose store has no connection
    yet; each forked process opens its own."""
    with shared_redis.client() as client:
        client.flushall()
    server = Server("gunicorn-preload", tmp_path, 1, {"restd.shared": shared_redis.url, "restd.cache.ttl": "60"})
    try:
        answers = server.get_all(unique_query(test_jobs.held))
        ready = [server.get("/readyz").json()["shared"]["state"] for _ in range(4)]
    finally:
        server.kill()
    assert [answer.status_code for answer in answers] == [200] * len(answers)
    assert len({answer.content for answer in answers}) == 1
    assert set(ready) == {"connected"}
    with shared_redis.client() as client:
        assert len([key for key in client.keys("restd:cache:*") if b":claim:" not in key]) == 1


def test_a_rate_limit_holds_across_replicas(shared_redis, test_jobs, tmp_path):
    with replicas(3, tmp_path, **{"restd.shared": shared_redis.url, "restd.limits.rate": "6/minute"}) as servers:
        statuses = [server.get("/v1/config/COLLECTOR_HOST").status_code
                    for server in itertools.islice(itertools.cycle(servers), 9)]
    assert statuses == [200] * 6 + [429] * 3


@pytest.mark.disruptive
def test_a_replica_killed_holding_a_flight_does_not_stall_the_others(three, shared_redis, test_jobs):
    path, answers = unique_query(test_jobs.idle), {}

    def claimed() -> bool:
        with shared_redis.client() as client:
            return bool(client.keys("restd:cache:claim:*"))

    def ask(server: Server) -> None:
        try:
            answers[server.port] = server.get(path).status_code
        except requests.RequestException as exc:
            answers[server.port] = type(exc).__name__

    leader, *others = three
    try:
        with frozen("condor_schedd"):
            threading.Thread(target=ask, args=(leader,), daemon=True).start()
            assert wait_until(claimed, PATIENCE), "the leader never claimed"
            waiters = [threading.Thread(target=ask, args=(server,)) for server in others]
            for waiter in waiters:
                waiter.start()
            leader.kill()  # SIGKILL to its whole process group, claim held
        for waiter in waiters:
            waiter.join(PATIENCE)
        assert [answers.get(server.port) for server in others] == [200, 200]
    finally:
        three[0] = Server("pserve", leader.ini.parent, 2, {"restd.shared": shared_redis.url, "restd.cache.ttl": "60"})


def test_redis_stopped_and_started_under_load_costs_no_error_and_recovers(three, shared_redis, test_jobs):
    statuses: list[int] = []
    stop = threading.Event()

    def poll(server: Server) -> None:
        for number in itertools.count():
            if stop.is_set():
                return
            statuses.append(server.get(f"/v1/jobs/DEFAULT/{test_jobs.idle}?projection=Owner,N{number % 5}").status_code)

    pollers = [threading.Thread(target=poll, args=(server,)) for server in three for _ in range(2)]
    for poller in pollers:
        poller.start()
    try:
        assert wait_until(lambda: len(statuses) > 20)
        shared_redis.stop()
        seen = len(statuses)
        assert wait_until(lambda: len(statuses) > seen + 40)  # answered meanwhile, without Redis
        down = [server.get("/readyz") for server in three]
        shared_redis.start()
        seen = len(statuses)
        assert wait_until(lambda: len(statuses) > seen + 40)
    finally:
        stop.set()
        for poller in pollers:
            poller.join(PATIENCE)
        shared_redis.start()
    assert {answer.status_code for answer in down} == {200}
    assert {answer.json()["shared"]["state"] for answer in down} == {"unreachable"}
    assert set(statuses) <= {200, 503} and statuses.count(503) == 0
    assert [server.log.read_text().count("does not answer") for server in three] == [1, 1, 1]  # logged once
    assert wait_until(lambda: all(server.get("/readyz").json()["shared"]["state"] == "connected" for server in three))
    before = schedd_queries(three)
    ask_spread(three, unique_query(test_jobs.idle), 6)
    assert schedd_queries(three) - before == 1
