"""The one ingester of an archive: a lock every process and replica that
shares it respects. PostgreSQL: a session-level advisory lock, held on a
connection of its own (it goes with the connection: a database restart or
a dead holder frees it); SQLite: ``flock`` of a file beside the database
(the kernel frees it with the holder)."""
from __future__ import annotations

import contextlib
import fcntl
import logging
from typing import IO

from sqlalchemy import Connection, Engine, func, select, text
from sqlalchemy.exc import SQLAlchemyError

from .store import INGEST_LOCK, is_postgresql

log = logging.getLogger(__name__)


class IngestLock:
    """Held by at most one of the processes that share ``engine``'s archive."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._connection: Connection | None = None
        self._file: IO[str] | None = None

    @property
    def held(self) -> bool:
        return self._connection is not None or self._file is not None

    def acquire(self) -> bool:
        """Whether this process holds the lock now (it tries once, without
        waiting; a lock whose connection died is given up first);
        ``SQLAlchemyError`` while the database does not answer."""
        if is_postgresql(self._engine):
            return self._acquire_advisory()
        if self._file is None:
            lock = open(f"{self._engine.url.database}.ingest.lock", "a")  # noqa: SIM115 (held until release)
            try:
                fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                lock.close()
                return False
            self._file = lock
        return True

    def _acquire_advisory(self) -> bool:
        if self._connection is not None:
            try:
                self._connection.execute(text("SELECT 1"))
                return True
            except SQLAlchemyError:
                log.warning("archive: the connection holding the ingest lock is gone")
                self._close_connection()
        connection = self._engine.connect().execution_options(isolation_level="AUTOCOMMIT")
        try:
            if connection.execute(select(func.pg_try_advisory_lock(INGEST_LOCK))).scalar():
                self._connection = connection
                return True
        except BaseException:
            connection.close()
            raise
        connection.close()
        return False

    def _close_connection(self) -> None:
        connection, self._connection = self._connection, None
        if connection is not None:
            with contextlib.suppress(SQLAlchemyError):
                connection.invalidate()  # its session ends, and the lock with it

    def release(self) -> None:
        self._close_connection()
        lock, self._file = self._file, None
        if lock is not None:
            lock.close()
