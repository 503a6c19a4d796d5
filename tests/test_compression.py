"""Compression negotiated with ``Accept-Encoding`` (restd_core.pipeline.compression),
over real HTTP (waitress, as deployed; WebTest would decode gzip itself)
against the real pool: gzip, zstd and brotli decode to the very bytes of
the identity answer; a spooled listing is compressed into a spool of its
own and lent to waitress; a cached answer is compressed once; every
compressible answer says ``Vary: Accept-Encoding``; each coding has its own
ETag and its 304s; tiny answers go as they are; HEAD says what GET does."""
from __future__ import annotations

import hashlib
import http.client
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass

import orjson
import pytest

from restd_core.pipeline.response_cache import SNAPSHOTS, Snapshot
from restd_core.pipeline.server_time import without_server_time
from restd_plugins.watch.hub import Hub

from .conftest import close_app, make_app
from .decoding import DECODERS, decoded
from .live_server import serve
from .sse import Stream
from .test_watch import WATCH
from .waiting import PATIENCE, wait_until

#: Every coding the server has, offered in this order of preference.
ALL_CODINGS = {"restd.compression.codings": "zstd br gzip"}
CACHED = {"restd.cache.ttl": "60"}




def alike(listing: bytes, other: bytes) -> bool:
    """Two answers of the same jobs asked at different moments: the same
    bytes but the schedd's clock (``ServerTime``) in each whole ad."""
    return without_server_time(listing) == without_server_time(other)


@dataclass
class Answer:
    status: int
    headers: http.client.HTTPMessage
    body: bytes  # as sent: not decoded

    def header(self, name: str) -> str | None:
        return self.headers[name]

    def decoded(self) -> bytes:
        return decoded(self.headers["Content-Encoding"], self.body)

    def json(self):
        return orjson.loads(self.decoded())


@dataclass
class Served:
    """An app over real HTTP: ``ask(path, **headers)`` its answer as sent."""

    app: object
    url: str

    def ask(self, path: str, method: str = "GET", **headers: str) -> Answer:
        connection = http.client.HTTPConnection(self.url.removeprefix("http://"), timeout=PATIENCE)
        try:
            connection.request(method, path, headers={name.replace("_", "-"): value for name, value in headers.items()})
            answer = connection.getresponse()
            return Answer(answer.status, answer.headers, answer.read())
        finally:
            connection.close()

    @property
    def restd(self):
        return self.app.registry.restd

    def compressed_bodies(self, coding: str) -> float:
        """How many bodies the app has compressed in ``coding`` (its metric)."""
        return self.restd.metrics.registry.get_sample_value("restd_compression_bodies_total", {"coding": coding}) or 0.0


@pytest.fixture(scope="module")
def coded(condor_config, test_jobs) -> Iterator[Served]:
    """An app that offers every coding, without the response cache, served."""
    app = make_app(**ALL_CODINGS)
    with serve(app.app) as url:
        yield Served(app.app, url)
    close_app(app)


@pytest.fixture
def served(app_with) -> Iterator[Callable[..., Served]]:
    """``served(**settings)``: an app of its own, served for one test."""
    with ExitStack() as stack:
        def factory(**settings: str) -> Served:
            app = app_with(**settings)
            return Served(app.app, stack.enter_context(serve(app.app)))

        yield factory


@pytest.fixture
def listing(test_jobs) -> str:
    """A small listing, more than a KiB: three whole held jobs."""
    return f"/v1/jobs/DEFAULT/{test_jobs.held}"


TINY = "/v1/config/condor_version"


@pytest.mark.parametrize("coding", DECODERS)
def test_each_coding_decodes_to_exactly_the_identity_body(coded, listing, coding):
    plain = coded.ask(listing)
    answer = coded.ask(listing, Accept_Encoding=coding)
    assert answer.status == 200 and answer.header("Content-Encoding") == coding
    assert int(answer.header("Content-Length")) == len(answer.body) < len(plain.body)
    assert alike(answer.decoded(), plain.body)


def test_a_cut_listing_decodes_to_the_identity_body(coded, listing):
    cut = listing + "?limit=2"
    plain = coded.ask(cut)
    answer = coded.ask(cut, Accept_Encoding="gzip")
    assert answer.header("Content-Encoding") == "gzip" and alike(answer.decoded(), plain.body)
    assert len(plain.json()) == 2


def test_a_pool_wide_listing_decodes_to_the_identity_body(coded):
    every = "/v1/jobs/*"  # every schedd's whole ads (past the threshold however few), spooled under one object
    plain = coded.ask(every)
    answer = coded.ask(every, Accept_Encoding="zstd")
    assert answer.header("Content-Encoding") == "zstd" and answer.decoded() == plain.body
    assert plain.json()["schedds"]


def test_no_accept_encoding_is_the_identity_and_varies(coded, listing):
    answer = coded.ask(listing)
    assert answer.header("Content-Encoding") is None and answer.header("Vary") == "Accept-Encoding"


@pytest.mark.parametrize(("accepted", "coding"), [
    ("gzip, zstd, br", "zstd"),  # equal: the server's order
    ("gzip;q=1, zstd;q=0.5", "gzip"),  # the caller's q-values first
    ("br;q=0.9, gzip;q=0.1", "br"),
    ("gzip;q=0.5", "gzip"),  # identity unnamed: a coding accepted at all wins
    ("*", "zstd"),
    ("*;q=0.1, zstd;q=0", "br"),  # a refused coding, whatever * says
    ("gzip;q=0.5, identity", None),  # identity named, and preferred
    ("deflate, compress", None),  # none of the server's: as it is
    ("", None),  # RFC 9110: no coding wanted
    ("gzip;q=abc", None),  # a header that does not parse: as if absent
])
def test_q_values_choose_the_coding(coded, listing, accepted, coding):
    answer = coded.ask(listing, Accept_Encoding=accepted)
    assert answer.status == 200 and answer.header("Content-Encoding") == coding


def test_a_caller_that_refuses_identity_gets_even_a_tiny_answer_compressed(coded):
    plain = coded.ask(TINY)
    assert len(plain.body) < 1024
    answer = coded.ask(TINY, Accept_Encoding="gzip, identity;q=0")
    assert answer.header("Content-Encoding") == "gzip" and answer.decoded() == plain.body


@pytest.mark.parametrize("accepted", ["identity;q=0", "*;q=0", "identity;q=0, deflate"])
def test_a_caller_that_refuses_identity_and_every_coding_is_406(coded, listing, accepted):
    answer = coded.ask(listing, Accept_Encoding=accepted)
    assert answer.status == 406 and answer.json()["errno"] == 118 and "identity" in answer.json()["message"]


def test_an_answer_under_the_threshold_goes_as_it_is_but_varies(coded):
    answer = coded.ask(TINY, Accept_Encoding="gzip")
    assert answer.header("Content-Encoding") is None and answer.header("Vary") == "Accept-Encoding"


def test_the_threshold_is_a_setting(served):
    answer = served(**{"restd.compression.min_bytes": "0"}).ask(TINY, Accept_Encoding="gzip")
    assert answer.header("Content-Encoding") == "gzip"


def test_compression_off_sends_every_answer_as_it_is(served, listing):
    answer = served(**{"restd.compression": "false"}).ask(listing, Accept_Encoding="gzip")
    assert answer.header("Content-Encoding") is None and answer.header("Vary") is None


def test_vary_is_merged_with_the_credentials_headers(served, listing, tmp_path):
    token = "compression-test-token"
    tokens = tmp_path / "tokens"
    tokens.write_text(f"{hashlib.sha256(token.encode()).hexdigest()} reader\n")
    server = served(**{"restd.auth": "static-token", "restd.static_token.file": str(tokens)})
    answer = server.ask(listing, Authorization=f"Bearer {token}", Accept_Encoding="gzip")
    assert answer.header("Content-Encoding") == "gzip"
    assert {"Accept-Encoding", "Authorization"} <= {name.strip() for name in answer.header("Vary").split(",")}


@pytest.mark.parametrize("settings", [{}, CACHED], ids=["uncached", "cached"])
def test_each_coding_has_its_own_etag_and_its_own_304(served, listing, settings):
    server = served(**ALL_CODINGS, **settings)
    tags = {coding: server.ask(listing, Accept_Encoding=coding).header("ETag") for coding in ("identity", "gzip", "zstd")}
    assert len(set(tags.values())) == 3 and all(tag.startswith('W/"') for tag in tags.values())
    assert tags["gzip"] == tags["identity"][:-1] + '-gzip"'
    revalidated = server.ask(listing, Accept_Encoding="gzip", If_None_Match=tags["gzip"])
    assert revalidated.status == 304 and revalidated.body == b""
    assert revalidated.header("ETag") == tags["gzip"] and revalidated.header("Vary") == "Accept-Encoding"
    # Another coding's tag is another representation: the answer is sent.
    other = server.ask(listing, Accept_Encoding="zstd", If_None_Match=tags["gzip"])
    assert other.status == 200 and other.header("Content-Encoding") == "zstd"
    assert server.ask(listing, If_None_Match=tags["identity"]).status == 304


def test_a_304_compresses_nothing(served, listing):
    server = served()
    tag = server.ask(listing, Accept_Encoding="gzip").header("ETag")
    before = server.compressed_bodies("gzip")
    for _ in range(3):
        assert server.ask(listing, Accept_Encoding="gzip", If_None_Match=tag).status == 304
        assert server.ask(listing, Accept_Encoding="gzip", If_None_Match="*").status == 304
    assert server.compressed_bodies("gzip") == before


def test_a_cached_answer_is_compressed_once_in_each_coding(served, listing):
    server = served(**CACHED)
    before = {coding: server.compressed_bodies(coding) for coding in ("zstd", "gzip")}
    plain = server.ask(listing)  # stored: compressed once in zstd and gzip
    counts = {coding: server.compressed_bodies(coding) for coding in ("zstd", "gzip")}
    assert counts == {coding: count + 1 for coding, count in before.items()}
    for _ in range(5):
        for coding in ("zstd", "gzip"):
            answer = server.ask(listing, Accept_Encoding=coding)
            assert answer.header("Content-Encoding") == coding and answer.decoded() == plain.body
    assert {coding: server.compressed_bodies(coding) for coding in ("zstd", "gzip")} == counts


def test_a_cached_answers_variants_count_in_its_bytes(served, listing):
    server = served(**CACHED)
    bodies = [server.ask(listing, Accept_Encoding=coding).body for coding in ("identity", "zstd", "gzip")]
    assert server.restd.response_cache.size >= sum(map(len, bodies))


def test_a_cached_answers_variants_go_through_a_shared_store_whole():
    snapshot = Snapshot(200, b"[1]" * 500, (("Content-Type", "application/json"),), "tag",
                        (("zstd", b"\x28\xb5\x2f\xfd\n"), ("gzip", b"\x1f\x8b\n\n")))
    assert SNAPSHOTS.decode(SNAPSHOTS.encode(snapshot)) == snapshot


@pytest.mark.parametrize("settings", [{}, CACHED], ids=["uncached", "cached"])
def test_head_says_what_get_says(served, listing, settings):
    server = served(**settings)
    got, head = server.ask(listing, Accept_Encoding="gzip"), server.ask(listing, "HEAD", Accept_Encoding="gzip")
    assert head.status == 200 and head.body == b""
    for name in ("Content-Encoding", "Content-Length", "ETag", "Vary", "Content-Type"):
        assert head.header(name) == got.header(name), name


def test_the_openapi_document_is_compressed_once(coded):
    before = coded.compressed_bodies("gzip")
    plain = coded.ask("/openapi.json")
    for _ in range(3):
        answer = coded.ask("/openapi.json", Accept_Encoding="gzip")
        assert answer.header("Content-Encoding") == "gzip" and answer.decoded() == plain.body
    assert coded.compressed_bodies("gzip") == before  # when the app was made


def test_metrics_are_compressed(coded):
    plain = coded.ask("/metrics")
    answer = coded.ask("/metrics", Accept_Encoding="gzip")
    assert answer.header("Content-Encoding") == "gzip" and answer.decoded().startswith(b"# HELP")
    assert len(answer.body) < len(plain.body) / 3


def test_an_event_stream_is_never_compressed(served):
    server = served(**WATCH)
    try:
        with Stream(server.url + "/v1/watch/jobs/DEFAULT?projection=JobStatus",
                    headers={"Accept-Encoding": "gzip, zstd, identity;q=0"}) as stream:
            assert stream.status == 200 and stream.next() is not None
            assert stream.headers["Content-Encoding"] is None
    finally:
        server.restd.kept(Hub).close()


# --- a spooled listing (no cache, about 10 MB) ---------------------------------------------------------------------

def padded_listing(cluster: int) -> str:
    """The padded jobs' listing, of attributes that do not change between two queries."""
    return f"/v1/jobs/DEFAULT/{cluster}?projection=Padding,ProcId,JobStatus"


@pytest.mark.parametrize("coding", ["zstd", "gzip"])
def test_a_spooled_listing_decodes_to_the_identity_body(served, padded_jobs, coding):
    server = served()
    listing = padded_listing(padded_jobs)
    plain = server.ask(listing)
    answer = server.ask(listing, Accept_Encoding=coding)
    assert answer.header("Content-Encoding") == coding
    assert int(answer.header("Content-Length")) == len(answer.body) < len(plain.body) / 20
    assert answer.decoded() == plain.body
    assert wait_until(lambda: server.restd.answers_in_flight.held == 0)


def test_a_spooled_listing_is_compressed_into_a_spool_and_lent_to_the_server(app_with, padded_jobs):
    """What waitress is lent (``wsgi.file_wrapper``) is the compressed
    spool, of the size the answer says; the listing's spools are given back."""
    app = app_with()
    lent: list[int] = []

    def recording(environ, start_response):
        server_wrapper = environ["wsgi.file_wrapper"]

        def file_wrapper(file, block_size):
            lent.append(file.size)
            return server_wrapper(file, block_size)

        return app.app({**environ, "wsgi.file_wrapper": file_wrapper}, start_response)

    with serve(recording) as url:
        answer = Served(app.app, url).ask(padded_listing(padded_jobs), Accept_Encoding="zstd")
    assert answer.header("Content-Encoding") == "zstd" and lent == [len(answer.body)]
    assert wait_until(lambda: app.app.registry.restd.answers_in_flight.held == 0)
