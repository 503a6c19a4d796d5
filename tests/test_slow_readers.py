"""Slow readers: an answer the server has is sent by waitress's own I/O, so
a client that reads nothing holds no thread; one that reads nothing for
``channel_timeout`` is cut off, and its answer's bytes are given back.

The server is waitress as ``egg:condor-restd#waitress`` runs it, on the
real pool, with an output high watermark of 64 KiB instead of 16 MiB: it is
where waitress stops a thread that sends a body itself, so listings of
10 MB (``padded_jobs``: more than the kernel's send buffer takes, up to
4 MB a connection) stand for the 45 MB ones of production.
"""
from __future__ import annotations

import itertools
from collections.abc import Callable

import pytest
import requests
from waitress.buffers import ReadOnlyFileBasedBuffer

from restd_core.gateway.spool import AnswersInFlight
from restd_core.pipeline.server_io import BodyFile

from .live_server import serve
from .slow_clients import read_to_end, stalled_reader
from .wsgi_servers import PATIENCE, wait_until

#: Server threads, and the slow readers that ask more listings than that.
THREADS = 4
SLOW_READERS = THREADS + 2
#: What waitress buffers for a thread's own body before it stops the thread.
HIGH_WATERMARK = 64 * 1024
#: Seconds a client may read nothing (channel_timeout) in the cut-off test.
CUT_OFF = 3
#: Listings made at once (a long call never takes the last idle worker):
#: the readers' answers are made together, not each after the other's.
LISTINGS_AT_ONCE = 2


def answers_held(in_flight: AnswersInFlight, url: str) -> Callable[[], int]:
    """How many answers like ``url``'s (asked once here) the server holds
    now: their bytes in flight, in answers (each is its body but the brackets)."""
    size = len(requests.get(url, timeout=PATIENCE).content)
    return lambda: round(in_flight.held / size)


@pytest.mark.parametrize("cache_ttl", ["0", "60"], ids=["spooled", "cached"])
def test_slow_readers_hold_no_thread_and_another_caller_is_answered_meanwhile(app_with, padded_jobs, cache_ttl):
    # cached: each reader is lent the cache's bytes, and counted
    app = app_with(**{"restd.cache.ttl": cache_ttl, "restd.gateway.workers": str(LISTINGS_AT_ONCE + 1)})
    in_flight = app.app.registry.restd.answers_in_flight
    listing = f"/v1/jobs/DEFAULT/{padded_jobs}"
    with serve(app.app, threads=THREADS, outbuf_high_watermark=HIGH_WATERMARK) as url:
        held = answers_held(in_flight, url + listing)
        readers = [stalled_reader(url, listing) for _ in range(SLOW_READERS)]
        try:
            # As many listings as the server has threads are answered and waiting for their readers...
            assert wait_until(lambda: held() >= THREADS)
            # ... and another caller is answered meanwhile ...
            assert requests.get(url + "/healthz", timeout=PATIENCE).status_code == 200
            assert requests.get(url + "/v1/config/condor_version", timeout=PATIENCE).status_code == 200
            # ... while the readers are still stalled: no answer of theirs was sent, or given back.
            assert held() >= THREADS
            # Every slow reader got a thread for as long as its answer took to make.
            assert wait_until(lambda: held() == SLOW_READERS)
        finally:
            for reader in readers:
                reader.close()
        # Readers that go mid-answer: the server closes their answers, whose bytes are given back.
        assert wait_until(lambda: in_flight.held == 0)


def test_a_client_that_reads_nothing_is_cut_off_and_its_answer_given_back(app_with, padded_jobs):
    app = app_with(**{"restd.gateway.workers": str(LISTINGS_AT_ONCE + 1)})
    in_flight = app.app.registry.restd.answers_in_flight
    listing = f"/v1/jobs/DEFAULT/{padded_jobs}"
    with serve(app.app, threads=THREADS, outbuf_high_watermark=HIGH_WATERMARK,
               channel_timeout=CUT_OFF, cleanup_interval=1) as url:
        size = len(requests.get(url + listing, timeout=PATIENCE).content)
        held = answers_held(in_flight, url + listing)
        readers = [stalled_reader(url, listing) for _ in range(2)]
        try:
            assert wait_until(lambda: held() == 2)  # the answers wait for their readers
            assert wait_until(lambda: in_flight.held == 0)  # the readers read nothing: cut off
            for reader in readers:
                received = read_to_end(reader, PATIENCE)  # what the kernel had taken for it, then the end
                assert received.startswith(b"HTTP/1.1 200 ") and len(received) < size
        finally:
            for reader in readers:
                reader.close()


def test_what_slow_readers_hold_is_bounded_by_the_answers_in_flight(app_with, padded_jobs):
    listing = f"/v1/jobs/DEFAULT/{padded_jobs}"
    size = len(app_with().get(listing).body)
    app = app_with(**{"restd.gateway.answers_in_flight_bytes": str(size * 3 // 2)})
    in_flight = app.app.registry.restd.answers_in_flight
    with serve(app.app, threads=THREADS) as url:
        reader = stalled_reader(url, listing)
        try:
            assert wait_until(lambda: in_flight.held >= size - 2)  # one answer waits for its reader
            refused = requests.get(url + listing, timeout=PATIENCE)
            assert refused.status_code == 503 and refused.headers["Retry-After"].isdigit()
        finally:
            reader.close()
        assert wait_until(lambda: in_flight.held == 0)
        assert len(requests.get(url + listing, timeout=PATIENCE).content) == size


def test_a_lent_answer_is_sent_whole_whatever_range_is_asked(app_with, padded_jobs):
    """A range would be read by the thread, which a slow reader would hold again."""
    app = app_with(**{"restd.cache.ttl": "60"})  # cached answers honour ETags and (but for this) ranges
    listing = f"/v1/jobs/DEFAULT/{padded_jobs}"
    with serve(app.app, threads=THREADS) as url:
        whole = requests.get(url + listing, timeout=PATIENCE)
        ranged = requests.get(url + listing, headers={"Range": "bytes=0-9"}, timeout=PATIENCE)
    assert ranged.status_code == 200 and ranged.content == whole.content


def test_a_lent_body_reads_as_waitress_reads_it_and_closes_once():
    """waitress learns the size (to the end and back), then reads what it
    may send and goes back past what the socket took, again and again."""
    body = bytes(range(256)) * 5000
    closed = []
    chunks = (body[start:start + 777] for start in range(0, len(body), 777))
    lent = ReadOnlyFileBasedBuffer(BodyFile(chunks, len(body), lambda: closed.append(True)))
    assert lent.prepare(len(body)) == len(body)
    sent = bytearray()
    for asked in itertools.cycle([1000, 70_000, 5]):
        chunk = lent.get(asked)
        if not chunk:
            break
        taken = len(chunk) // 2 or len(chunk)  # the socket takes part of it
        sent += chunk[:taken]
        lent.skip(taken, True)
    lent.close()
    lent.close()
    assert sent == body and closed == [True]
