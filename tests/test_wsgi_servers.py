"""condor-restd under the WSGI servers a site already runs, against the real
pool: gunicorn with and without ``--preload`` and uWSGI with and without
``lazy-apps`` (2 processes x 2 gateway workers each), and ``pserve --reload``.

``--preload`` and uWSGI's default load the app in the master, then fork the
processes that serve: each must have gateway workers of its own, started
after the fork. The tests of a server follow its life in this file's order
(it answers, it loses gateway workers, it is reloaded, it is stopped); each
holds on its own too.
"""
from __future__ import annotations

import os
import signal
import threading
from contextlib import suppress

import pytest
import requests

from .conftest import PADDED_JOBS
from .pool import SubmittedJobs
from .wsgi_servers import GATEWAY_WORKERS, PROCESSES, Server, gone, port_is_free, sigkill, started, wait_until

SERVERS = ["gunicorn", "gunicorn-preload", "uwsgi", "uwsgi-lazy-apps"]


@pytest.fixture(scope="module")
def servers(condor_config: str, test_jobs: SubmittedJobs, tmp_path_factory) -> dict[str, Server]:
    with started(SERVERS, tmp_path_factory.mktemp("wsgi-servers")) as running:
        yield dict(zip(SERVERS, running))


def endpoints(jobs: SubmittedJobs) -> dict[str, int]:
    """A path of every endpoint (bad input too), and the status it must answer."""
    return {
        "/": 200, "/healthz": 200, "/readyz": 200, "/metrics": 200, "/openapi.json": 200, "/docs": 200,
        "/v1/jobs/DEFAULT?projection=Owner,JobStatus": 200,
        f"/v1/jobs/DEFAULT/{jobs.held}": 200,
        f"/v1/jobs/DEFAULT/{jobs.held}/0": 200,
        f"/v1/jobs/DEFAULT/{jobs.held}/0/Cmd": 200,
        "/v1/grouped_jobs/DEFAULT/Owner": 200,
        "/v1/history/DEFAULT?limit=5": 200,
        f"/v1/history/DEFAULT/{jobs.removed}/0": 200,
        "/v1/grouped_history/DEFAULT/Owner?limit=5": 200,
        "/v1/status?query=startd": 200,
        "/v1/grouped_status/State?query=startd": 200,
        "/v1/config/COLLECTOR_HOST": 200,
        "/v1/config": 200,
        "/v1/jobs/DEFAULT/999999/0": 404,
        "/v1/jobs/DEFAULT?limit=lots": 400,
        "/v1/status?query=nonsense": 400,
    }


@pytest.mark.parametrize("name", SERVERS)
def test_every_endpoint_answers_under(servers: dict[str, Server], test_jobs: SubmittedJobs, name: str):
    server = servers[name]
    answered = {path: {answer.status_code for answer in server.get_all(path)} for path in endpoints(test_jobs)}
    assert answered == {path: {status} for path, status in endpoints(test_jobs).items()}


def padded_listing_is_whole(answer: requests.Response) -> bool:
    """The padded cluster's listing, every job of it, as long as it said
    (compressed or not: the bytes that came over the wire)."""
    jobs = answer.json()
    return (answer.status_code == 200 and int(answer.headers["Content-Length"]) == answer.raw.tell()
            and [job["classad"]["procid"] for job in jobs] == list(range(PADDED_JOBS)))


@pytest.mark.parametrize("name", SERVERS)
def test_a_large_listing_lent_to_the_server_is_sent_whole_under(servers: dict[str, Server], padded_jobs, name: str):
    """A spooled listing goes through the server's ``wsgi.file_wrapper``:
    gunicorn's and uWSGI's read it as a file (it has no fileno to send)."""
    assert all(map(padded_listing_is_whole, servers[name].get_all(f"/v1/jobs/DEFAULT/{padded_jobs}")))


@pytest.mark.parametrize("name", ["gunicorn", "uwsgi"])
def test_a_large_cached_answer_lent_to_the_server_is_sent_whole_under(padded_jobs, tmp_path, name: str):
    """A cached answer's bytes (more than 256 KiB) go through the server's ``wsgi.file_wrapper`` too."""
    server = Server(name, tmp_path, settings={"restd.cache.ttl": "60"})
    try:
        listing = f"/v1/jobs/DEFAULT/{padded_jobs}?projection=ProcId,Padding"
        made, cached = server.get_all(listing), server.get_all(listing)
        assert all(map(padded_listing_is_whole, made + cached))
    finally:
        server.kill()


@pytest.mark.parametrize("name", SERVERS)
def test_each_serving_process_has_gateway_workers_of_its_own_and_the_master_none(servers: dict[str, Server], name: str):
    server = servers[name]
    assert [len(workers) for workers in server.gateways().values()] == [GATEWAY_WORKERS] * PROCESSES
    assert len(server.gateway_workers()) == PROCESSES * GATEWAY_WORKERS


@pytest.mark.parametrize("name", SERVERS)
def test_a_serving_process_killed_with_sigkill_takes_its_gateway_workers_along(servers: dict[str, Server], name: str):
    server = servers[name]
    gateways = server.warm()
    sigkill(list(gateways))  # what gunicorn does to a worker past its timeout
    assert gone([worker for workers in gateways.values() for worker in workers]), "gateway workers outlived their server"


@pytest.mark.parametrize("name", SERVERS)
def test_a_graceful_reload_leaves_as_many_gateway_workers_and_none_of_the_old(servers: dict[str, Server], name: str):
    server = servers[name]
    before = server.warm()
    old = [*before, *(worker for workers in before.values() for worker in workers)]
    server.signal(signal.SIGHUP)
    assert gone(old), "old processes left after the reload"
    after = server.warm()
    assert not set(after) & set(before)
    assert len(server.gateway_workers()) == PROCESSES * GATEWAY_WORKERS


@pytest.mark.parametrize("name", SERVERS)
def test_killed_gateway_workers_are_replaced_and_no_request_fails(servers: dict[str, Server], name: str):
    server = servers[name]
    killed = server.gateway_workers()
    sigkill(killed)
    assert gone(killed)
    for _ in range(3):
        assert {answer.status_code for answer in server.get_all("/v1/jobs/DEFAULT?limit=1")} == {200}
    assert server.gateway_workers()
    assert not set(server.gateway_workers()) & set(killed)


@pytest.mark.parametrize("name", SERVERS)
def test_sigterm_ends_every_process_of_the_server_and_frees_its_port(servers: dict[str, Server], name: str):
    server = servers[name]
    assert server.gateway_workers()
    server.signal(signal.SIGTERM)
    assert server.ended()
    assert wait_until(lambda: not server.left_behind()), f"left behind: {server.left_behind()}"
    assert port_is_free(server.port)


#: uWSGI with die-on-term takes SIGQUIT (Ctrl-\) for a reload, as it says.
TERMINAL_SIGNALS = [("gunicorn-preload", signal.SIGINT), ("gunicorn-preload", signal.SIGQUIT), ("uwsgi", signal.SIGINT)]


@pytest.fixture(scope="module")
def doomed(condor_config: str, tmp_path_factory) -> dict[tuple[str, int], Server]:
    """A server for each test that ends one (one gateway worker a process)."""
    with started([name for name, _ in TERMINAL_SIGNALS], tmp_path_factory.mktemp("wsgi-doomed"), 1) as running:
        yield dict(zip(TERMINAL_SIGNALS, running))


@pytest.mark.parametrize(("name", "signum"), TERMINAL_SIGNALS, ids=[f"{n}-{signal.Signals(s).name}" for n, s in TERMINAL_SIGNALS])
def test_a_terminals_ctrl_c_or_ctrl_backslash_ends_every_process_of_the_server(doomed, name: str, signum: int):
    server = doomed[name, signum]
    assert server.gateway_workers()
    server.signal(signum, group=True)
    assert server.ended()
    assert wait_until(lambda: not server.left_behind()), f"left behind: {server.left_behind()}"
    assert port_is_free(server.port)


def never_answered(server: Server, path: str) -> None:
    """GET ``path`` of a server that is killed meanwhile."""
    with suppress(requests.ConnectionError):
        server.get(path)


def test_a_worker_busy_in_a_call_ends_when_its_server_is_killed(condor_config: str, tmp_path):
    """It reads no EOF while busy: Linux's SIGTERM on its server's death ends it."""
    fake = {"restd.includes": "tests.fakes.faulty_plugin", "restd.gateway.timeout": "600"}
    server = Server("gunicorn", tmp_path, 1, fake)
    try:
        server.warm("/faulty/fast")
        gateways = server.gateways()
        orphans = [worker for workers in gateways.values() for worker in workers]
        threading.Thread(target=never_answered, args=(server, "/faulty/slow-600"), daemon=True).start()
        assert wait_until(lambda: any(worker.waiting_in() == "hrtimer_nanosleep" for worker in orphans))  # the fake's sleep
        sigkill(list(gateways))
        assert gone(orphans), "a busy worker outlived its server"
    finally:
        server.kill()


def test_pserve_reload_leaves_one_gateway_and_none_of_the_old(condor_config: str, tmp_path):
    with started(["pserve-reload"], tmp_path) as (server,):
        before = server.warm()
        old = [*before, *(worker for workers in before.values() for worker in workers)]

        def changed_and_gone() -> bool:
            # hupper restarts the server when its ini file changes; it learns
            # of the file from the server and watches it from its first look
            # on, so a change made before that look is none: the change is
            # made again until the old server is gone. The file is written,
            # as an editor does: with watchdog installed (mkdocs brings it),
            # hupper hears of writes through inotify, not of a touched mtime.
            with server.ini.open("a") as ini:
                ini.write("# changed\n")
            later = server.ini.stat().st_mtime + 5  # and a later mtime, for hupper's polling monitor
            os.utime(server.ini, (later, later))
            return gone(old, patience=3)

        assert wait_until(changed_and_gone), "old processes left after the reload"
        assert [len(workers) for workers in server.warm().values()] == [GATEWAY_WORKERS]
