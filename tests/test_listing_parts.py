"""A queue listing split between idle gateway workers answers exactly what
one query answers; a split leaves one worker idle; a cached listing is never
split (one schedd query per time-to-live)."""
from __future__ import annotations

import hashlib

import orjson
import pytest

from restd_core.gateway.spool import SPOOL_MEMORY, AnswersInFlight, Spool, SpooledListing
from restd_core.gateway.wire import Received
from restd_core.gateway.worker.encoding import encoded_items

from .pool import frozen, restore_pool
from .test_limits import other_caller_served_while


def part(*jobs: tuple[int, int]) -> tuple[Received, Spool]:
    """A spooled part of a listing whose items are the jobs' ids as JSON strings."""
    texts = [b'"%d.%d"' % job for job in jobs]
    body = b",".join(texts)
    spool = Spool(AnswersInFlight(0))
    spool(body)
    return Received([list(job) for job in jobs], list(map(len, texts)), len(body), hashlib.sha256(body).hexdigest()), spool


def body(listing: SpooledListing) -> bytes:
    """The listing's body, as a server reads it (and then closes it)."""
    try:
        text = b"".join(listing)
    finally:
        listing.close()
    assert len(text) == listing.size
    return text


def test_parts_are_merged_in_key_order():
    listing = SpooledListing([part((1, 0), (1, 2), (3, 0)), part((1, 1), (2, 0))])
    assert (listing.count, listing.last_key) == (5, (3, 0))
    assert orjson.loads(body(listing)) == ["1.0", "1.1", "1.2", "2.0", "3.0"]


def test_many_merged_items_make_one_valid_array():
    jobs = [(cluster, proc) for cluster in range(1, 11) for proc in range(30)]
    listing = SpooledListing([part(*jobs[0::2]), part(*jobs[1::2])])
    assert orjson.loads(body(listing)) == [f"{cluster}.{proc}" for cluster, proc in jobs]


def test_merged_parts_stop_at_the_limit():
    listing = SpooledListing([part((1, 0), (1, 2)), part((1, 1), (2, 0))], limit=3)
    assert listing.last_key == (1, 2)
    assert orjson.loads(body(listing)) == ["1.0", "1.1", "1.2"]


def test_a_single_part_keeps_its_own_order_up_to_the_limit():
    listing = SpooledListing([part((5, 0), (2, 0), (9, 1))], limit=2)
    assert (listing.count, listing.last_key) == (2, (2, 0))
    assert orjson.loads(body(listing)) == ["5.0", "2.0"]


def test_empty_parts_make_an_empty_array():
    assert body(SpooledListing([part(), part()])) == b"[]"
    assert body(SpooledListing([part()])) == b"[]"


def test_a_spool_past_its_memory_reads_back_from_its_file():
    big = [(1, proc) for proc in range(SPOOL_MEMORY // 4)]  # more than SPOOL_MEMORY of items
    listing = SpooledListing([part(*big[0::2]), part(*big[1::2])])
    assert orjson.loads(body(listing))[-1] == f"1.{len(big) - 1}"


def test_closing_a_listing_gives_its_bytes_back():
    in_flight = AnswersInFlight(0)
    spool = Spool(in_flight)
    spool(b'"1.0"')
    listing = SpooledListing([(Received([[1, 0]], [5], 5, "x"), spool)])
    assert in_flight.held == 5
    listing.close()
    assert in_flight.held == 0


def test_every_key_of_a_long_listing_is_lowered_even_where_a_pass_needs_parsing():
    texts = [orjson.dumps({"Id": n, "Args": 'say "Hi": now' if n == 700 else "Keep Case"}).decode() for n in range(1200)]
    items = encoded_items(list(range(1200)), texts)
    body = b"".join(items.pieces)
    assert orjson.loads(b"[" + body + b"]")[699:701] == [
        {"id": 699, "args": "Keep Case"}, {"id": 700, "args": 'say "Hi": now'},
    ]
    assert len(body) == sum(items.lengths) + 1199


def without_server_time(jobs: list[dict]) -> list[dict]:
    return [{**job, "classad": {k: v for k, v in job["classad"].items() if k != "servertime"}} for job in jobs]


def test_a_split_listing_equals_a_single_query(app_with, test_jobs):
    split = app_with(**{"restd.gateway.workers": "3", "restd.gateway.listing_parts": "2"})  # two parts, one idle
    single = app_with(**{"restd.gateway.listing_parts": "1"})
    # Held jobs: an idle job's negotiation attributes (LastRejMatchTime) change every second.
    url = f"/v1/jobs/DEFAULT?constraint=ClusterId%3D%3D{test_jobs.held}"
    for app in (split, single):  # workers started and idle: the split one splits
        app.get("/v1/jobs/DEFAULT?limit=1")
    split_jobs, single_jobs = split.get(url).json, single.get(url).json
    assert len(single_jobs) == 3
    assert without_server_time(split_jobs) == without_server_time(single_jobs)


def query_calls(app) -> list[str]:
    """The gateway's job queries from now on."""
    calls: list[str] = []
    app.app.registry.restd.gateway.observers.append(lambda op, *_: op == "query_jobs" and calls.append(op))
    return calls


@pytest.mark.parametrize(
    ("workers", "queries"), [("3", 2), ("2", 1)], ids=["three-workers-split-in-two", "two-workers-not-split"]
)
def test_an_uncached_listing_is_split_between_idle_workers_but_one(app_with, test_jobs, workers, queries):
    app = app_with(**{"restd.gateway.workers": workers, "restd.gateway.listing_parts": "2"})
    app.get("/v1/jobs/DEFAULT?projection=Owner")  # workers started, settings read
    calls = query_calls(app)
    app.get("/v1/jobs/DEFAULT?projection=Owner")
    assert calls == ["query_jobs"] * queries


def test_a_cached_listing_is_one_query(app_with, test_jobs):
    app = app_with(**{"restd.cache.ttl": "60"})
    app.get("/v1/jobs/DEFAULT?projection=Cmd")  # workers started, settings read
    calls = query_calls(app)
    app.get("/v1/jobs/DEFAULT?projection=Owner")
    assert calls == ["query_jobs"]


@pytest.mark.disruptive
def test_one_callers_split_listings_leave_a_worker_for_other_callers(app_with, test_jobs):
    # A listing's parts are long calls: the first listing's two hold every
    # worker but the last, and the second listing waits for them.
    restore_pool()
    timeout = 3
    app = app_with(**{"restd.gateway.workers": "3", "restd.gateway.listing_parts": "2",
                      "restd.gateway.timeout": str(timeout)})
    app.get("/v1/jobs/DEFAULT?limit=1")  # workers started, settings read
    with frozen("condor_schedd"):
        served, statuses = other_caller_served_while(app, "/v1/jobs/DEFAULT?projection=Owner",
                                                     "/v1/jobs/DEFAULT?projection=Cmd")
    assert served and statuses == [503, 503]
