"""A real Redis for the tests of the shared store (``scripts/redis.sh``), one
per test session on a free port, in a directory of its own."""
from __future__ import annotations

import os
import signal
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
import redis

from .scripted_server import ScriptedServer


@dataclass(frozen=True)
class LocalRedis(ScriptedServer):
    """The session's Redis."""

    script = "redis.sh"
    root_variable = "REDIS_ROOT"

    @contextmanager
    def frozen(self) -> Iterator[None]:
        """Redis stopped (SIGSTOP) within: it accepts connections and answers nothing."""
        pid = int((self.root / "redis.pid").read_text())
        os.kill(pid, signal.SIGSTOP)
        try:
            yield
        finally:
            os.kill(pid, signal.SIGCONT)

    def client(self) -> redis.Redis:
        return redis.Redis.from_url(self.url)


@contextmanager
def running(root: Path) -> Iterator[LocalRedis]:
    """A local Redis in ``root``, started within and stopped after."""
    server = LocalRedis(root)
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def local_redis(tmp_path_factory) -> Iterator[LocalRedis]:
    with running(tmp_path_factory.mktemp("redis")) as server:
        yield server


@pytest.fixture
def redis_url(local_redis: LocalRedis) -> str:
    """The session's Redis, running and empty."""
    local_redis.start()
    with local_redis.client() as client:
        client.flushall()
    return local_redis.url
