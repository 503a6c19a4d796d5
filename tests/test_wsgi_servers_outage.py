"""A pool outage under gunicorn and uWSGI (2 processes x 2 gateway workers):
every serving process answers 503 while the real pool is stopped, and 200
again once it is started."""
from __future__ import annotations

import pytest

from .pool import pool_stopped, restore_pool
from .wsgi_servers import Server, started

pytestmark = pytest.mark.disruptive

SERVERS = ["gunicorn", "gunicorn-preload", "uwsgi", "uwsgi-lazy-apps"]
JOBS = "/v1/jobs/DEFAULT?limit=1"


@pytest.fixture(scope="module")
def servers(condor_config: str, tmp_path_factory) -> dict[str, Server]:
    restore_pool()  # another disruptive test may have just stopped it
    with started(SERVERS, tmp_path_factory.mktemp("wsgi-outage")) as running:
        yield dict(zip(SERVERS, running))


@pytest.fixture(scope="class")
def stopped_pool(servers: dict[str, Server]):
    with pool_stopped():
        yield


@pytest.mark.usefixtures("stopped_pool")
class TestWhileThePoolIsStopped:
    @pytest.mark.parametrize("name", SERVERS)
    def test_every_process_answers_503_with_retry_after(self, servers: dict[str, Server], name: str):
        answers = servers[name].get_all(JOBS)
        assert {(answer.status_code, answer.json()["errno"]) for answer in answers} == {(503, 201)}
        assert all(answer.headers["Retry-After"].isdigit() for answer in answers)


@pytest.mark.parametrize("name", SERVERS)
def test_every_process_answers_again_once_the_pool_is_started(servers: dict[str, Server], name: str):
    restore_pool()  # already running after the class above: waits until ready
    for _ in range(3):
        assert {answer.status_code for answer in servers[name].get_all(JOBS)} == {200}
