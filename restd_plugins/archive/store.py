"""The archive's one schema and query layer, for SQLite and PostgreSQL alike
(SQLAlchemy Core; PostgreSQL through psycopg 3).

A row per job that left a schedd's queue: its ad as the output filter gave
it (JSON text, keys lower-cased, hidden attributes ``"<REDACTED>"``), and
the columns the time windows and the summary read, each taken from that
same redacted ad (a hidden attribute's column holds nothing). Rows are
unique by schedd, ClusterId, ProcId and QDate (a schedd whose queue was
wiped numbers jobs again), so writing a job twice writes it once. A row's
``id`` grows with the order jobs were archived in, which is the order each
schedd recorded them (the ingester writes them oldest first).

Each schedd's ingest state (``schedds``): the job id it was read up to
(``cursor``), when its history was last read to its end (``synced_at``),
and since when the archive has its jobs (``covered_from``: 0 when its whole
history was read, else when its first read began).

The schema has a version (``versions``); ``migrate`` brings a database to
``MIGRATIONS``' last one when the server starts, one server at a time.
"""
from __future__ import annotations

import fcntl
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import orjson
from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    ColumnElement,
    Connection,
    Engine,
    Float,
    Index,
    Integer,
    MetaData,
    Table,
    Text,
    UniqueConstraint,
    create_engine,
    event,
    func,
    select,
    text,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import make_url

metadata = MetaData()

#: Archived jobs, one row each.
jobs = Table(
    "restd_archive_jobs", metadata,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True),
    Column("schedd", Text, nullable=False),
    Column("cluster", BigInteger, nullable=False),
    Column("proc", BigInteger, nullable=False),
    Column("qdate", BigInteger, nullable=False),
    Column("completed", BigInteger, nullable=False),  # CompletionDate, or when a job that never completed left
    Column("job_status", Integer),
    Column("owner", Text),
    Column("acct_group", Text),
    Column("started", BigInteger),  # JobStartDate: its first start
    Column("exit_code", Integer),
    Column("by_signal", Boolean),
    Column("starts", Integer),  # NumJobStarts
    Column("wall", Float),  # RemoteWallClockTime (s)
    Column("cpu", Float),  # RemoteUserCpu + RemoteSysCpu (s)
    Column("request_cpus", Float),
    Column("request_memory", Float),  # MiB
    Column("memory_peak", Float),  # ResidentSetSize_RAW (or ResidentSetSize) in MiB
    Column("request_gpus", Float),
    Column("ad", Text, nullable=False),
    UniqueConstraint("schedd", "cluster", "proc", "qdate", name="restd_archive_job"),
    Index("restd_archive_schedd_completed", "schedd", "completed"),
    # A wide window's pages read along a schedd's rows newest first, the window checked on the index (window_rows).
    Index("restd_archive_schedd_id", "schedd", "id", "completed"),
    # The summary reads only this index (its rows hold the ads: a 24-hour window of a million jobs would read
    # every page of their rows otherwise, bench/archive.py).
    Index("restd_archive_summary", "completed", "schedd", "owner", "acct_group", "job_status", "exit_code",
          "by_signal", "starts", "wall", "cpu", "request_cpus", "request_memory", "memory_peak", "request_gpus",
          "started", "qdate"),
)

#: Each schedd's ingest state.
schedds = Table(
    "restd_archive_schedds", metadata,
    Column("schedd", Text, primary_key=True),
    Column("cursor", Text),  # "C.P": the newest job of its history archived
    Column("synced_at", BigInteger),  # when its history was last read to its end (Unix seconds)
    Column("covered_from", BigInteger, nullable=False),  # the archive has its jobs that completed since (0: all)
)

#: The schema's version: one row.
versions = Table("restd_archive_version", metadata, Column("version", Integer, nullable=False))


def _version_1(connection: Connection) -> None:
    metadata.create_all(connection, tables=[jobs, schedds])


def _version_2(connection: Connection) -> None:
    """The index a wide window's pages are read along (version 1 made every other; a new archive has it already)."""
    next(index for index in jobs.indexes if index.name == "restd_archive_schedd_id").create(connection, checkfirst=True)


#: The schema's migrations, in order: a database at version N runs the ones after the Nth.
MIGRATIONS: tuple[Callable[[Connection], None], ...] = (_version_1, _version_2)

#: PostgreSQL's advisory lock keys: migrations, and the one ingester.
MIGRATION_LOCK, INGEST_LOCK = 0x72657374_64000001, 0x72657374_64000002


def engine_for(url: str, statement_timeout: float = 20.0) -> Engine:
    """An engine for the archive at ``url`` (``sqlite:///file`` or
    ``postgresql://...``): SQLite in WAL mode (readers never wait for the
    ingester) with a busy timeout, its directory made if missing;
    PostgreSQL through psycopg 3, each statement bounded by
    ``statement_timeout`` seconds and a connection by a few seconds."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        Path(parsed.database or "").parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(parsed, connect_args={"timeout": statement_timeout})

        @event.listens_for(engine, "connect")
        def _pragmas(connection: Any, _record: Any) -> None:
            cursor = connection.cursor()
            cursor.execute("PRAGMA page_size=8192")  # a new file's (an ad of ~4 KB fills a page of 4 KiB and the next)
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.close()

        return engine
    return create_engine(
        parsed.set(drivername="postgresql+psycopg"), pool_pre_ping=True, pool_size=2, max_overflow=4,
        connect_args={"connect_timeout": 3, "options": f"-c statement_timeout={int(statement_timeout * 1000)} "
                      # The server gives up on a connection whose host vanished in about two minutes (and frees the
                      # ingest lock it held): keepalive probes after 60 s of silence, every 10 s, 6 times.
                      "-c tcp_keepalives_idle=60 -c tcp_keepalives_interval=10 -c tcp_keepalives_count=6"})


def is_postgresql(engine: Engine) -> bool:
    return engine.dialect.name == "postgresql"


@contextmanager
def _migrating(engine: Engine) -> Iterator[None]:
    """SQLite's migrations one process at a time: a lock file beside the
    database (PostgreSQL's take an advisory lock in their transaction)."""
    if is_postgresql(engine):
        yield
        return
    with open(f"{engine.url.database}.migrate.lock", "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield


def migrate(engine: Engine) -> int:
    """Bring the archive's schema to the last version (one process at a
    time: an advisory lock, or a lock file); answers its version (a newer
    release's stays)."""
    with _migrating(engine), engine.begin() as connection:
        if is_postgresql(engine):
            connection.execute(text("SET LOCAL statement_timeout = 0"))  # an index built over millions of jobs
            connection.execute(select(func.pg_advisory_xact_lock(MIGRATION_LOCK)))
        metadata.create_all(connection, tables=[versions])
        current = connection.execute(select(versions.c.version)).scalar()
        if current is None:
            connection.execute(versions.insert().values(version=0))
            current = 0
        for migration in MIGRATIONS[current:]:
            migration(connection)
        version = max(current, len(MIGRATIONS))
        connection.execute(versions.update().values(version=version))
    return version


def _number(ad: dict[str, Any], name: str) -> float | None:
    value = ad.get(name)
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def _integer(ad: dict[str, Any], name: str) -> int | None:
    value = _number(ad, name)
    return None if value is None else int(value)


def _string(ad: dict[str, Any], name: str) -> str | None:
    value = ad.get(name)
    return value if isinstance(value, str) else None


def completed_at(ad: dict[str, Any]) -> int:
    """When a job left: its CompletionDate, or (one that never completed,
    such as a removed job) its EnteredCurrentStatus. The same as
    ``COMPLETED_EXPRESSION`` says in ClassAd language."""
    completion = _integer(ad, "completiondate") or 0
    return completion if completion > 0 else (_integer(ad, "enteredcurrentstatus") or 0)


def row_of(schedd: str, ad: dict[str, Any]) -> dict[str, Any]:
    """The row of a job's ad (lower-cased keys, redacted) from ``schedd``."""
    user, system = _number(ad, "remoteusercpu"), _number(ad, "remotesyscpu")
    rss = _number(ad, "residentsetsize_raw")
    rss = _number(ad, "residentsetsize") if rss is None else rss
    return {
        "schedd": schedd, "cluster": _integer(ad, "clusterid"), "proc": _integer(ad, "procid"),
        "qdate": _integer(ad, "qdate") or 0, "completed": completed_at(ad), "job_status": _integer(ad, "jobstatus"),
        "owner": _string(ad, "owner"), "acct_group": _string(ad, "acctgroup"), "started": _integer(ad, "jobstartdate"),
        "exit_code": _integer(ad, "exitcode"), "by_signal": ad.get("exitbysignal") is True,
        "starts": _integer(ad, "numjobstarts"), "wall": _number(ad, "remotewallclocktime"),
        "cpu": None if user is None and system is None else (user or 0.0) + (system or 0.0),
        "request_cpus": _number(ad, "requestcpus"), "request_memory": _number(ad, "requestmemory"),
        "memory_peak": None if rss is None else rss / 1024, "request_gpus": _number(ad, "requestgpus"),
        "ad": orjson.dumps(ad).decode(),
    }


def _insert(engine: Engine):
    return (postgresql.insert if is_postgresql(engine) else sqlite.insert)(jobs)


def archive_batch(engine: Engine, schedd: str, ads: list[dict[str, Any]], cursor: str | None,
                  synced_at: int | None, covered_from: int = 0) -> int:
    """Write ``ads`` (oldest first) and move the schedd's ``cursor`` in one
    transaction: a batch is archived whole or not at all, and a job already
    archived is skipped. ``synced_at``: when the read that reached the end
    of its history began (None: it did not); ``covered_from``: a new
    schedd's (kept after). Answers how many rows are new."""
    rows = [row_of(schedd, ad) for ad in ads if isinstance(ad.get("clusterid"), int)]
    with engine.begin() as connection:
        added = 0
        if rows:
            added = len(connection.execute(_insert(engine).on_conflict_do_nothing(
                index_elements=["schedd", "cluster", "proc", "qdate"]).returning(jobs.c.id), rows).all())
        state = {"cursor": cursor, **({"synced_at": synced_at} if synced_at is not None else {})}
        insert = (postgresql.insert if is_postgresql(engine) else sqlite.insert)(schedds)
        connection.execute(insert.values(schedd=schedd, covered_from=covered_from, **state).on_conflict_do_update(
            index_elements=["schedd"], set_=state))
    return added


def cursors(engine: Engine) -> dict[str, str | None]:
    """Each schedd's cursor (the newest job of its history archived)."""
    with engine.connect() as connection:
        return dict(connection.execute(select(schedds.c.schedd, schedds.c.cursor)).all())


def coverage(engine: Engine) -> dict[str, tuple[int, int | None]]:
    """Each schedd's ``(covered_from, synced_at)``."""
    with engine.connect() as connection:
        rows = connection.execute(select(schedds.c.schedd, schedds.c.covered_from, schedds.c.synced_at)).all()
    return {str(row[0]): (int(row[1]), None if row[2] is None else int(row[2])) for row in rows}


def forget_before(engine: Engine, cut: int) -> int:
    """Delete the jobs that completed before ``cut``; answers how many."""
    with engine.begin() as connection:
        return connection.execute(jobs.delete().where(jobs.c.completed < cut)).rowcount


def count(engine: Engine) -> int:
    with engine.connect() as connection:
        return connection.execute(select(func.count()).select_from(jobs)).scalar_one()


#: A window holding more archived rows than this is read along the schedd's rows newest first (the index
#: ``restd_archive_schedd_id``), each checked against the window on the index, instead of all of them gathered
#: by completion time and sorted: a page of a month costs what a page of an hour does (bench/archive.py).
WIDE_WINDOW_ROWS = 20_000


class WindowTooLarge(Exception):
    """A window holds more rows than a read may go through (``window_rows``' ``scanned``)."""


def window_rows(engine: Engine, schedd: str, after: int | None, before: int | None, cluster: int | None,
                below: int | None, chunk: int, where: Sequence[ColumnElement[bool]] = (), most: int | None = None,
                scanned: int | None = None) -> Iterator[list[tuple[int, int, int, str]]]:
    """The schedd's archived jobs that completed in ``[after, before)``
    (either end open), of one ``cluster`` if given, that meet the conditions
    ``where`` (on columns no index need hold), newest archived first and
    below the row id ``below`` if given: chunks of ``(id, cluster, proc,
    ad)``, each read in its own short query. With ``most``, the ids of the
    ``most`` newest are read first, in one query (one pass over the window,
    not one a chunk), then their rows a chunk at a time; and with
    ``scanned``, among the window's newest ``scanned`` rows only (its
    schedd, times and ``below``: found on an index), ``WindowTooLarge``
    after the last chunk if the window has older ones."""
    completed: ColumnElement[Any] = jobs.c.completed
    if most is not None:
        floor: int | None = None  # the newest row id past the ``scanned`` newest of the window
        with engine.connect() as connection:
            if scanned is not None and _count_at_most(
                    connection, _window(completed, schedd, after, before, cluster, below), scanned + 1) > scanned:
                completed = completed + 0  # read along the schedd's ids, as a wide window is
                below = _walk_start(connection, schedd, after, before, cluster, below)
                floor = connection.execute(select(jobs.c.id).where(
                    *_window(completed, schedd, after, before, cluster, below)).order_by(jobs.c.id.desc())
                    .offset(scanned).limit(1)).scalar()  # None: jobs forgotten meanwhile (keep_days)
            ids: list[int] = list(connection.execute(
                select(jobs.c.id).where(*_window(completed, schedd, after, before, cluster, below), *where,
                                        *([jobs.c.id > floor] if floor is not None else []))
                .order_by(jobs.c.id.desc()).limit(most)).scalars())
        for first in range(0, len(ids), chunk):
            with engine.connect() as connection:
                yield _job_rows(connection, [jobs.c.id.in_(ids[first:first + chunk])])
        if floor is not None and len(ids) < most:
            raise WindowTooLarge(scanned)
        return
    with engine.connect() as connection:
        if _count_at_most(connection, _window(completed, schedd, after, before, cluster, below),
                          WIDE_WINDOW_ROWS + 1) > WIDE_WINDOW_ROWS:
            completed = completed + 0  # the window's bounds then cannot choose the index: the rows are read by id
            below = _walk_start(connection, schedd, after, before, cluster, below)
    conditions = [*_window(completed, schedd, after, before, cluster, None), *where]
    while True:
        bound = [jobs.c.id < below] if below is not None else []
        with engine.connect() as connection:
            rows = _job_rows(connection, [*conditions, *bound], chunk)
        if not rows:
            return
        yield rows
        if len(rows) < chunk:
            return
        below = rows[-1][0]


def _job_rows(connection: Connection, where: list[Any], most: int | None = None) -> list[tuple[int, int, int, str]]:
    """The ``(id, cluster, proc, ad)`` of the rows ``where`` holds, newest archived first (``most`` of them)."""
    return [(int(row[0]), int(row[1]), int(row[2]), str(row[3])) for row in connection.execute(
        select(jobs.c.id, jobs.c.cluster, jobs.c.proc, jobs.c.ad).where(*where).order_by(jobs.c.id.desc())
        .limit(most))]


def _walk_start(connection: Connection, schedd: str, after: int | None, before: int | None, cluster: int | None,
                below: int | None) -> int | None:
    """Where a read along the schedd's ids begins (the ``below`` it takes):
    ``below`` itself, or, when more than ``WIDE_WINDOW_ROWS`` of its jobs
    below it completed after the window (an old window), just above the
    window's newest job: the read then goes through the window's jobs, not
    through every newer one."""
    if before is None or _count_at_most(connection, [
            jobs.c.schedd == schedd, jobs.c.completed >= before, *([jobs.c.id < below] if below is not None else [])],
            WIDE_WINDOW_ROWS + 1) <= WIDE_WINDOW_ROWS:
        return below
    newest = connection.execute(select(func.max(jobs.c.id + 0)).where(  # + 0: the window's index, not the ids'
        *_window(jobs.c.completed, schedd, after, before, cluster, below))).scalar()
    return 0 if newest is None else int(newest) + 1


def _window(completed: ColumnElement[Any], schedd: str, after: int | None, before: int | None, cluster: int | None,
            below: int | None) -> list[Any]:
    return [jobs.c.schedd == schedd, *([completed >= after] if after is not None else []),
            *([completed < before] if before is not None else []),
            *([jobs.c.cluster == cluster] if cluster is not None else []),
            *([jobs.c.id < below] if below is not None else [])]


def _count_at_most(connection: Connection, where: list[Any], most: int) -> int:
    """How many rows ``where`` holds, counted up to ``most`` (on the index alone)."""
    return connection.execute(select(func.count()).select_from(
        select(jobs.c.id).where(*where).limit(most).subquery())).scalar_one()


def row_id(engine: Engine, schedd: str, cluster: int, proc: int) -> int | None:
    """The row id of the schedd's newest archived job ``cluster.proc``."""
    with engine.connect() as connection:
        return connection.execute(select(func.max(jobs.c.id)).where(
            jobs.c.schedd == schedd, jobs.c.cluster == cluster, jobs.c.proc == proc)).scalar()


def ping(engine: Engine) -> None:
    with engine.connect() as connection:
        connection.execute(text("SELECT 1"))

