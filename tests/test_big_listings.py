"""Big listings: streamed from the worker in pieces, spooled (not held
whole) in the request process, bounded in total, and the same answer."""
from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import orjson
import pytest

from restd_core.gateway.spool import SPOOL_MEMORY, AnswersInFlight, Spool

from .pool import children, pool_root

#: Enough whole job ads for several pieces (500 ads each) and more than a spool keeps in memory.
MANY = 1_200


@pytest.fixture(scope="module")
def many_jobs(condor_config, test_jobs) -> Iterator[int]:
    """A cluster of MANY held jobs, removed when this module is done: later
    tests (a dashboard's job table shows a few hundred rows) see the queue
    as the run's own jobs left it."""
    import htcondor2

    schedd = htcondor2.Schedd()
    cluster = schedd.submit(htcondor2.Submit({
        "executable": "/bin/sleep", "arguments": "600", "initialdir": str(pool_root() / "tmp" / "jobs"),
        "hold": "true", "batch_name": "restd-many",
    }), count=MANY).cluster()
    test_jobs.all_clusters.append(cluster)  # removed at the run's end should this module be cut short
    yield cluster
    schedd.act(htcondor2.JobAction.Remove, f"ClusterId == {cluster}", reason="restd test module ended")


class Counted(Spool):
    """A spool that counts the pieces it is given."""

    def __init__(self) -> None:
        super().__init__(AnswersInFlight(0))
        self.pieces = 0

    def __call__(self, piece: bytes) -> None:
        self.pieces += 1
        super().__call__(piece)


def test_a_listing_comes_from_the_worker_in_pieces_and_goes_to_a_file(app, many_jobs):
    spool = Counted()
    try:
        received = app.app.registry.restd.gateway.call(
            "query_jobs", schedd="DEFAULT", source="queue", cluster=many_jobs, sink=spool)
        assert spool.pieces > 2 and received.size == spool.size > SPOOL_MEMORY
        assert spool.in_memory == 0  # past SPOOL_MEMORY, all of it went to a temporary file
        assert len(received.keys) == MANY
    finally:
        spool.close()


def test_a_streamed_listing_is_the_whole_listing_in_job_id_order(app, many_jobs):
    jobs = app.get(f"/v1/jobs/DEFAULT/{many_jobs}").json
    assert [job["jobid"] for job in jobs] == [f"{many_jobs}.{proc}" for proc in range(MANY)]
    assert all(job["classad"]["clusterid"] == many_jobs for job in jobs)


def test_a_split_streamed_listing_is_the_same_listing(app_with, many_jobs):
    split = app_with(**{"restd.gateway.workers": "3"})
    split.get("/healthz")
    url = f"/v1/jobs/DEFAULT?constraint=ClusterId%3D%3D{many_jobs}&projection=ProcId"
    assert [job["classad"]["procid"] for job in split.get(url).json] == list(range(MANY))


def test_listings_beyond_the_bytes_in_flight_are_503_and_the_server_goes_on(app_with, many_jobs, test_jobs):
    app = app_with(**{"restd.gateway.answers_in_flight_bytes": "100000"})
    answer = app.get(f"/v1/jobs/DEFAULT/{many_jobs}", status=503)
    assert answer.json["errno"] == 201 and answer.headers["Retry-After"].isdigit()
    assert app.app.registry.restd.answers_in_flight.held == 0
    assert len(app.get(f"/v1/jobs/DEFAULT/{test_jobs.held}?projection=Owner").json) == 3


def test_a_listing_too_large_for_the_cache_is_answered_and_not_kept(app_with, many_jobs):
    app = app_with(**{"restd.cache.ttl": "60", "restd.cache.max_entry_bytes": "100000"})
    # Attributes that stay put: a whole ad carries the schedd's ServerTime,
    # so two whole listings a second apart are two answers.
    url = f"/v1/jobs/DEFAULT/{many_jobs}?projection=Owner,Cmd,Args,JobStatus,HoldReason,JobBatchName"
    first = app.get(url)
    assert len(first.body) > 100000 and len(orjson.loads(first.body)) == MANY
    assert app.app.registry.restd.response_cache.size == 0
    assert app.get(url, headers={"If-None-Match": first.headers["ETag"]}, status=304).body == b""


def test_gateway_workers_keep_two_malloc_arenas_whatever_started_the_server(app_with, monkeypatch):
    monkeypatch.delenv("MALLOC_ARENA_MAX", raising=False)
    app_with().get("/v1/config")  # its workers are up
    workers = [pid for pid in children(os.getpid())
               if b"restd_core.gateway.worker" in Path(f"/proc/{pid}/cmdline").read_bytes()]
    assert workers
    for pid in workers:
        assert b"MALLOC_ARENA_MAX=2" in Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
