"""A queue listing split between idle gateway workers answers exactly what
one query answers; a split leaves one worker idle; a cached listing is never
split (one schedd query per time-to-live)."""
from __future__ import annotations

import orjson
import pytest

from restd_core.gateway.wire import EncodedItems, merged
from restd_core.gateway.worker.encoding import encoded_items


def part(*jobs: tuple[int, int]) -> EncodedItems:
    texts = [b'"%d.%d"' % job for job in jobs]
    return EncodedItems(list(jobs), list(map(len, texts)), [b",".join(texts)])


def test_parts_are_merged_in_key_order():
    listing = merged([part((1, 0), (1, 2), (3, 0)), part((1, 1), (2, 0))])
    assert orjson.loads(listing.body) == ["1.0", "1.1", "1.2", "2.0", "3.0"]
    assert (listing.count, listing.last_key, listing.size) == (5, (3, 0), len(listing.body))


def test_many_merged_items_make_one_valid_array():
    jobs = [(cluster, proc) for cluster in range(1, 11) for proc in range(30)]
    listing = merged([part(*jobs[0::2]), part(*jobs[1::2])])
    assert orjson.loads(listing.body) == [f"{cluster}.{proc}" for cluster, proc in jobs]
    assert listing.size == len(listing.body)


def test_merged_parts_stop_at_the_limit():
    listing = merged([part((1, 0), (1, 2)), part((1, 1), (2, 0))], limit=3)
    assert orjson.loads(listing.body) == ["1.0", "1.1", "1.2"]
    assert listing.last_key == (1, 2)


def test_a_single_part_keeps_its_own_order_up_to_the_limit():
    listing = merged([part((5, 0), (2, 0), (9, 1))], limit=2)
    assert orjson.loads(listing.body) == ["5.0", "2.0"]
    assert (listing.count, listing.last_key) == (2, (2, 0))


def test_empty_parts_make_an_empty_array():
    assert merged([part(), part()]).body == b"[]"
    assert merged([part()]).body == b"[]"


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
    app.app.registry.gateway.observers.append(lambda op, *_: op == "query_jobs" and calls.append(op))
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
