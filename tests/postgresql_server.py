"""A real PostgreSQL for the archive's tests (``scripts/postgresql.sh``),
one per test session on a free port, in a directory of its own (under
/var/tmp: as root, the server runs as the user postgres, who must reach it)."""
from __future__ import annotations

import shutil
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, create_engine, text

from .scripted_server import ScriptedServer


@dataclass(frozen=True)
class LocalPostgreSQL(ScriptedServer):
    """The session's PostgreSQL."""

    script = "postgresql.sh"
    root_variable = "PG_ROOT"

    def dump(self) -> str:
        """``pg_dump`` of its database: every row, as text."""
        return self.run("dump")

    def engine(self, **options: Any) -> Engine:
        """An engine on its database (psycopg 3)."""
        return create_engine(self.url.replace("postgresql://", "postgresql+psycopg://"), **options)

    def empty(self) -> None:
        """Its database without a table (a fresh archive)."""
        engine = self.engine()
        with engine.begin() as connection:
            connection.execute(text("DROP SCHEMA public CASCADE"))
            connection.execute(text("CREATE SCHEMA public"))
        engine.dispose()

    @contextmanager
    def apart(self) -> Iterator[str]:
        """The URL of a database of its own on this server, dropped after: an
        archive apart from the one at ``url`` (its own tables and lock)."""
        name = f"restd_apart_{uuid.uuid4().hex[:12]}"
        admin = self.engine(isolation_level="AUTOCOMMIT")
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
