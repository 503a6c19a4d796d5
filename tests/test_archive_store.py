"""The archive's query layer (restd_plugins/archive/store.py) on both
backends, without a server: a window's rows come in the same order
whichever way the database is asked to read them, and an archive of an
earlier schema version is migrated to the last one."""
from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, inspect, select

from restd_plugins.archive import store

from .test_archive import BACKENDS, _backend

SCHEDD = "store@test"
#: Jobs recorded in this order, their completions out of it (a schedd records a job some time after it ends).
COMPLETIONS = [1000 + 10 * number + (25 if number % 4 == 0 else 0) for number in range(60)]


@pytest.fixture(params=BACKENDS)
def engine(request, tmp_path_factory) -> Iterator[Engine]:
    """A fresh, empty archive of each backend, migrated."""
    engine = store.engine_for(_backend(request.param, request, tmp_path_factory).url)
    store.migrate(engine)
    yield engine
    engine.dispose()


def archived_jobs(engine: Engine, completions: list[int]) -> None:
    ads = [{"clusterid": 7, "procid": proc, "qdate": 900, "jobstatus": 4, "completiondate": completed}
           for proc, completed in enumerate(completions)]
    store.archive_batch(engine, SCHEDD, ads, f"7.{len(ads) - 1}", 2000)


def read(engine: Engine, after: int | None, before: int | None, below: int | None, chunk: int) -> list[tuple]:
    return [(row[1], row[2]) for rows in store.window_rows(engine, SCHEDD, after, before, None, below, chunk)
            for row in rows]


@pytest.mark.parametrize(("after", "before", "below", "chunk"), [
    (None, None, None, 7), (1100, 1400, None, 5), (1100, 1400, 30, 4), (1500, None, None, 100), (None, 1050, None, 2),
    (1100, 1200, None, 3), (1000, 1200, 15, 2)])  # old windows: most jobs completed after them
def test_a_wide_window_is_read_in_the_same_rows_and_order_as_a_narrow_one(engine: Engine, monkeypatch, after,
                                                                          before, below, chunk):
    archived_jobs(engine, COMPLETIONS)
    narrow = read(engine, after, before, below, chunk)
    monkeypatch.setattr(store, "WIDE_WINDOW_ROWS", 3)
    assert read(engine, after, before, below, chunk) == narrow
    assert narrow == [(7, proc) for proc in reversed(range(60)) if (after is None or COMPLETIONS[proc] >= after)
                      and (before is None or COMPLETIONS[proc] < before) and (below is None or proc + 1 < below)]


def test_a_judged_read_goes_through_the_windows_newest_scanned_jobs_then_says_older_are_left(engine: Engine):
    archived_jobs(engine, COMPLETIONS)
    seen: list[tuple] = []
    with pytest.raises(store.WindowTooLarge):
        for rows in store.window_rows(engine, SCHEDD, None, None, 7, None, 4, most=100, scanned=10):
            seen += [(row[1], row[2]) for row in rows]
    assert seen == [(7, proc) for proc in reversed(range(50, 60))]


def test_a_judged_read_of_a_cluster_counts_that_clusters_jobs_only(engine: Engine):
    archived_jobs(engine, COMPLETIONS)
    assert list(store.window_rows(engine, SCHEDD, None, None, 8, None, 4, most=100, scanned=10)) == []


def version(engine: Engine) -> int:
    with engine.connect() as connection:
        return connection.execute(select(store.versions.c.version)).scalar_one()


def test_an_archive_of_version_1_is_migrated_to_the_last_version(engine: Engine):
    with engine.begin() as connection:
        connection.execute(store.versions.update().values(version=1))
        connection.exec_driver_sql("DROP INDEX restd_archive_schedd_id")
    store.migrate(engine)
    assert version(engine) == len(store.MIGRATIONS)
    assert "restd_archive_schedd_id" in {index["name"] for index in inspect(engine).get_indexes("restd_archive_jobs")}


def test_an_archive_a_newer_release_migrated_keeps_its_version(engine: Engine):
    with engine.begin() as connection:
        connection.execute(store.versions.update().values(version=len(store.MIGRATIONS) + 1))
    store.migrate(engine)  # an older replica starting
    assert version(engine) == len(store.MIGRATIONS) + 1


def test_a_new_sqlite_archive_has_pages_of_8_kib(tmp_path):
    engine = store.engine_for(f"sqlite:///{tmp_path}/archive.sqlite3")
    store.migrate(engine)
    with engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA page_size").scalar() == 8192
    engine.dispose()


def test_postgresql_probes_an_archive_connection_after_a_minute_of_silence(local_postgresql):
    engine = store.engine_for(local_postgresql.start())
    with engine.connect() as connection:  # a vanished replica's ingest lock is freed within about two minutes
        assert [connection.exec_driver_sql(f"SHOW tcp_keepalives_{name}").scalar()
                for name in ("idle", "interval", "count")] == ["60", "10", "6"]
    engine.dispose()


def test_a_constraint_of_many_comparisons_asks_the_database_a_bounded_number_of_them(condor_config):
    # condor_config: the worker half imports HTCondor's bindings, which read their config once, at import
    from restd_core.gateway.worker.expressions import parse_constraint
    from restd_plugins.archive.pushdown import MAX_CONDITIONS, pushed_down

    constraint = parse_constraint(" && ".join(f"ClusterId >= {number}" for number in range(3 * MAX_CONDITIONS)))
    assert len(pushed_down(constraint.comparisons(), ())) == MAX_CONDITIONS
