"""deploy/nginx.conf in front of a real server (waitress, as
``egg:condor-restd#waitress`` runs it, with development.ini's connection
limit of 100) on the real pool: TLS, clients that never finish a request,
slow readers, a cap per address, errors as JSON."""
from __future__ import annotations

import http.client
import ssl
from collections.abc import Iterator
from contextlib import ExitStack

import orjson
import pytest
import requests

from .front_proxy import FrontProxy, front_proxy
from .live_server import serve
from .slow_clients import connect, half_open, read_to_end, stalled_reader
from .wsgi_servers import PATIENCE, wait_until

#: Connections that never finish their headers: more than the server's connection_limit (100).
HALF_OPEN = 150
#: The listing route, as /metrics labels it.
CLUSTER_ROUTE = "/v1/jobs/{schedd}/{clusterid}"


@pytest.fixture(scope="module")
def upstream(app) -> Iterator[str]:
    """The suite's app served by waitress: its address."""
    with serve(app.app, threads=8, connection_limit=100) as url:
        yield url.removeprefix("http://")


@pytest.fixture(scope="module")
def proxy(upstream, tmp_path_factory) -> Iterator[FrontProxy]:
    with front_proxy(upstream, tmp_path_factory.mktemp("nginx")) as running:
        yield running


def get(proxy: FrontProxy, path: str) -> requests.Response:
    return requests.get(proxy.url + path, verify=proxy.certificate, timeout=PATIENCE)


def test_tls_terminates_at_the_proxy_and_plain_http_is_redirected(proxy):
    answer = get(proxy, "/v1/config/condor_version")
    assert answer.status_code == 200 and "Strict-Transport-Security" in answer.headers
    redirect = requests.get(proxy.http_url + "/v1/config?x=1", allow_redirects=False, timeout=PATIENCE)
    assert redirect.status_code == 308
    assert redirect.headers["Location"].startswith("https://") and redirect.headers["Location"].endswith("/v1/config?x=1")


def test_half_open_connections_leave_everyone_else_served_and_are_cut_off(proxy):
    with ExitStack() as stack:
        # Half of them never finish their headers, half never even finish TLS.
        stalled = [stack.enter_context(half_open(proxy.url)) for _ in range(HALF_OPEN // 2)]
        stalled += [stack.enter_context(connect(proxy.url.replace("https", "http"))) for _ in range(HALF_OPEN // 2)]
        assert get(proxy, "/healthz").status_code == 200
        assert get(proxy, "/v1/config/condor_version").status_code == 200
        for sock in stalled:  # the proxy ends them (client_header_timeout)
            assert not read_to_end(sock, PATIENCE).startswith(b"HTTP/1.1 200")


def test_a_slow_reader_holds_nothing_of_the_server_and_gets_its_whole_answer(app, proxy, padded_jobs):
    listing = f"/v1/jobs/DEFAULT/{padded_jobs}"
    whole = get(proxy, listing).content
    registry = app.app.registry
    answered = lambda: registry.restd.metrics.registry.get_sample_value(  # noqa: E731
        "restd_http_requests_total", {"method": "GET", "route": CLUSTER_ROUTE, "status": "200"}) or 0
    before = answered()
    with ExitStack() as stack:
        readers = [stack.enter_context(stalled_reader(proxy.url, listing)) for _ in range(2)]
        # The server made both answers and gave back their bytes: the proxy took them whole ...
        assert wait_until(lambda: answered() == before + 2 and registry.restd.answers_in_flight.held == 0)
        for reader in readers:  # ... while the readers read nothing; now they read it all.
            head, _, body = read_to_end(reader, PATIENCE).partition(b"\r\n\r\n")
            assert head.startswith(b"HTTP/1.1 200") and len(body) >= len(whole)


def test_one_address_has_a_few_requests_in_progress_at_most_and_others_are_served(upstream, padded_jobs, tmp_path):
    listing = f"/v1/jobs/DEFAULT/{padded_jobs}"
    limited = {"limit_conn per_address 64;": "limit_conn per_address 2;"}
    with front_proxy(upstream, tmp_path, **limited) as proxy, ExitStack() as stack:
        for _ in range(2):  # two answers in progress: slow readers
            stack.enter_context(stalled_reader(proxy.url, listing))
        refused = wait_until(lambda: get(proxy, "/healthz").status_code == 429)
        answer = get(proxy, "/healthz")
        assert refused and answer.status_code == 429 and answer.headers["Retry-After"] == "1"
        assert orjson.loads(answer.content) == {
            "code": 429, "errno": 117, "error": "Too Many Requests",
            "message": "too many requests from this address at once; ask again shortly"}
        assert get_from("127.0.0.2", proxy, "/healthz") == 200


def get_from(source: str, proxy: FrontProxy, path: str) -> int:
    """The status of ``GET path`` through the proxy from the address ``source``."""
    host, port = proxy.url.removeprefix("https://").split(":")
    context = ssl.create_default_context(cafile=str(proxy.certificate))
    connection = http.client.HTTPSConnection(host, int(port), timeout=PATIENCE, source_address=(source, 0),
                                             context=context)
    try:
        connection.request("GET", path)
        return connection.getresponse().status
    finally:
        connection.close()


def test_what_the_proxy_refuses_itself_is_json_in_the_error_schema(proxy):
    answer = get(proxy, "/v1/jobs/DEFAULT?constraint=" + "x" * 40_000)
    assert answer.status_code == 414 and answer.headers["Content-Type"] == "application/json"
    assert orjson.loads(answer.content)["errno"] == 107
    answer = requests.get(proxy.url + "/healthz", headers={"X-Large": "x" * 40_000}, verify=proxy.certificate,
                          timeout=PATIENCE)
    assert answer.status_code == 400 and orjson.loads(answer.content)["errno"] == 107


def test_a_server_that_does_not_answer_is_a_json_503_from_the_proxy(app, tmp_path):
    with ExitStack() as server:
        upstream = server.enter_context(serve(app.app)).removeprefix("http://")
        with front_proxy(upstream, tmp_path) as proxy:
            server.close()  # the server goes, the proxy stays
            answer = get(proxy, "/healthz")
    assert answer.status_code == 503 and answer.headers["Retry-After"] == "5"
    assert orjson.loads(answer.content) == {
        "code": 503, "errno": 999, "error": "Service Unavailable", "message": "no server answered; ask again shortly"}
