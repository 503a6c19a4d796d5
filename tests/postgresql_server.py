"""A real PostgreSQL for the archive's tests (``scripts/postgresql.sh``),
one per test session on a free port, in a directory of its own (under
/var/tmp: as root, the server runs as the user postgres, who must reach it)."""
from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

SCRIPT = Path(__file__).resolve().parent.parent / "scripts" / "postgresql.sh"


@dataclass(frozen=True)
class LocalPostgreSQL:
    """The session's PostgreSQL: stopped and started again on the same port."""

    root: Path

    def _run(self, command: str) -> str:
        env = {**os.environ, "PG_ROOT": str(self.root)}
        return subprocess.run([str(SCRIPT), command], env=env, check=True, capture_output=True, text=True).stdout

    def start(self) -> str:
        return self._run("start").strip()

    def stop(self) -> None:
        self._run("stop")

    @property
    def url(self) -> str:
        return self._run("url").strip()

    def dump(self) -> str:
        """``pg_dump`` of its database: every row, as text."""
        return self._run("dump")

    def empty(self) -> None:
        """Its database without a table (a fresh archive)."""
        engine = create_engine(self.url.replace("postgresql://", "postgresql+psycopg://"))
        with engine.begin() as connection:
            connection.execute(text("DROP SCHEMA public CASCADE"))
            connection.execute(text("CREATE SCHEMA public"))
        engine.dispose()

    @contextmanager
    def apart(self) -> Iterator[str]:
        """The URL of a database of its own on this server, dropped after: an
        archive apart from the one at ``url`` (its own tables and lock)."""
        name = f"restd_apart_{uuid.uuid4().hex[:12]}"
        admin = create_engine(self.url.replace("postgresql://", "postgresql+psycopg://"), isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            connection.execute(text(f"CREATE DATABASE {name}"))
        try:
            yield f"{self.url.rpartition('/')[0]}/{name}"
        finally:
            with admin.connect() as connection:
                connection.execute(text(f"DROP DATABASE {name} WITH (FORCE)"))
            admin.dispose()


@pytest.fixture(scope="session")
def local_postgresql() -> Iterator[LocalPostgreSQL]:
    root = Path(tempfile.mkdtemp(prefix="restd-postgresql-", dir="/var/tmp"))
    server = LocalPostgreSQL(root)
    server.start()
    try:
        yield server
    finally:
        server.stop()
        shutil.rmtree(root, ignore_errors=True)
