"""The archive of finished jobs (plugin ``archive``), on SQLite and on a
real PostgreSQL: every job that leaves a queue is archived once, whatever
stops the ingester; a history window the archive covers is answered from it
as the schedd would answer it; its summary's numbers are the sums of the
schedd's own history; a hidden attribute's value is in no row."""
from __future__ import annotations

import math
import sqlite3
import statistics
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import orjson
import pytest
import webtest
from sqlalchemy import Engine, event, select, text
from sqlalchemy.exc import OperationalError

from restd_plugins.archive import store
from restd_plugins.archive.history import ArchiveHistory
from restd_plugins.archive.ingester import Ingester
from restd_plugins.archive.lock import IngestLock

from .conftest import close_app, made_app, make_app
from .pool import pool_root, pool_sh, reconfigured
from .postgresql_server import LocalPostgreSQL
from .test_pool_outages import restore_pool
from .waiting import eventually
from .wsgi_servers import Server

#: A job's Environment holds this word, RESTD_HIDE_JOB_ATTRS hides it.
SECRET = f"archived-secret-{uuid.uuid4().hex[:12]}"
HIDE = {"_CONDOR_RESTD_HIDE_JOB_ATTRS": "Environment"}
#: An archive read often, from the jobs recorded once it starts, a few jobs a batch.
ARCHIVE_SETTINGS = {"restd.archive.interval": "0.3", "restd.archive.settle": "0", "restd.archive.backfill": "false",
                    "restd.archive.batch": "3", "restd.gateway.workers": "3"}


@dataclass
class Backend:
    """An archive's URL, and every byte its database keeps (``contents``)."""

    url: str
    contents: Callable[[], bytes]
    server: LocalPostgreSQL | None = None


#: The archive's backends: every test of an archive runs on each.
BACKENDS = ("sqlite", "postgresql")


def _backend(kind: str, request, tmp_path_factory) -> Backend:
    """A fresh, empty archive of this kind."""
    if kind == "sqlite":
        path = tmp_path_factory.mktemp("archive") / "archive.sqlite3"
        return Backend(f"sqlite:///{path}", lambda: b"".join(
            file.read_bytes() for file in Path(path).parent.glob(f"{path.name}*")))
    server: LocalPostgreSQL = request.getfixturevalue("local_postgresql")
    server.start()
    server.empty()
    return Backend(server.url, lambda: server.dump().encode(), server)


@dataclass
class Archived:
    """An app with an archive, one without, and jobs that left the queue once it ran."""

    app: webtest.TestApp
    plain: webtest.TestApp
    archive: ArchiveHistory
    backend: Backend
    schedd: str
    run: str  # the RestdArchiveRun of this module's jobs
    clusters: dict[str, int]  # done, failed, removed
    after: int
    before: int

    answered: dict[str, list]  # the schedd's answers (without the archive), by URL: the same for every backend

    def of_schedd(self, url: str) -> list:
        """The app without an archive's answer (the schedd's; asked once for every backend)."""
        if url not in self.answered:
            answer = self.plain.get(url)
            assert answer.headers["X-History-Source"] == "schedd"
            self.answered[url] = answer.json
        return self.answered[url]

    def another_app(self, app_with, env: dict[str, str] | None = None, **settings: str) -> webtest.TestApp:
        """Another app on this archive, with these ``settings`` (it ingests nothing: its rounds are an hour apart)."""
        return app_with(env=env, **{**ARCHIVE_SETTINGS, "restd.archive": self.archive.settings.url,
                                    "restd.archive.interval": "3600", **settings})

    def rows(self, *clusters: int) -> list[tuple[int, int]]:
        """The archived (ClusterId, ProcId) of these clusters, every row."""
        return archived_ids(self.archive.engine, self.schedd, clusters)


def archived_ids(engine: Engine, schedd: str, clusters: tuple[int, ...]) -> list[tuple[int, int]]:
    with engine.connect() as connection:
        return sorted(tuple(row) for row in connection.execute(
            select(store.jobs.c.cluster, store.jobs.c.proc).where(
                store.jobs.c.schedd == schedd, store.jobs.c.cluster.in_(clusters))))


def submit(client, run: str, count: int = 1, **more: str) -> int:
    import htcondor2

    return client.submit(htcondor2.Submit({
        "executable": "/bin/true", "initialdir": str(pool_root() / "tmp" / "jobs"), "request_memory": "16",
        "environment": f"SECRET={SECRET}", "My.RestdArchiveRun": f'"{run}"', **more}), count=count).cluster()


def removed_jobs(client, run: str, count: int) -> int:
    """A held cluster of ``count`` jobs, removed: in the history at once."""
    import htcondor2

    cluster = submit(client, run, count, hold="true")
    client.act(htcondor2.JobAction.Remove, f"ClusterId == {cluster}", reason="restd archive test")
    in_history(client, cluster, count)
    return cluster


def schedd():
    """The default schedd (the bindings are imported once the pool's config is known)."""
    import htcondor2

    return htcondor2.Schedd()


def in_history(client, cluster: int, count: int) -> list:
    return eventually(lambda: len(ads := client.history(f"ClusterId == {cluster}", [], match=count)) == count and ads,
                      what=f"cluster {cluster} in the history", interval=0.2)


def ingesting(app: webtest.TestApp, *schedds: str) -> ArchiveHistory:
    """The app's archive, once its ingester has read these schedds once."""
    archive = app.app.registry.restd.kept(ArchiveHistory)
    eventually(lambda: set(schedds) <= set(store.coverage(archive.engine)), what="the ingester's first round")
    return archive


def synced_past(archive: ArchiveHistory, schedd: str, instant: int) -> None:
    eventually(lambda: (store.coverage(archive.engine).get(schedd, (0, None))[1] or 0) >= instant,
               what=f"{schedd}'s history read past {instant}", interval=0.2)


@pytest.fixture(scope="module")
def archives(request, tmp_path_factory, test_jobs) -> Iterator[dict[str, Archived]]:
    """An app with an archive of each backend (started before the jobs came),
    one without, and jobs that completed, failed or were removed meanwhile."""
    import htcondor2

    with pytest.MonkeyPatch.context() as patch:
        for name, value in HIDE.items():
            patch.setenv(name, value)
        backends = {kind: _backend(kind, request, tmp_path_factory) for kind in BACKENDS}
        apps = {kind: make_app(**ARCHIVE_SETTINGS, **{"restd.archive": backend.url})
                for kind, backend in backends.items()}
        plain = make_app(**{"restd.endpoints": "jobs"})
        try:
            client = htcondor2.Schedd()
            archives = {kind: ingesting(app, test_jobs.schedd_name) for kind, app in apps.items()}
            run = uuid.uuid4().hex
            clusters = {"done": submit(client, run, 2), "failed": submit(client, run, 1, executable="/bin/false"),
                        "removed": removed_jobs(client, run, 2)}
            ads = [ad for name, count in (("done", 2), ("failed", 1)) for ad in in_history(client, clusters[name], count)]
            ads += client.history(f"ClusterId == {clusters['removed']}", [])
            ends = [store.completed_at({name.lower(): value for name, value in ad.items()}) for ad in ads]
            after, before = min(ends), max(ends) + 1
            answered: dict[str, list] = {}
            for archive in archives.values():
                synced_past(archive, test_jobs.schedd_name, before)
            yield {kind: Archived(apps[kind], plain, archives[kind], backends[kind], test_jobs.schedd_name, run,
                                  clusters, after, before, answered) for kind in BACKENDS}
        finally:
            for app in [*apps.values(), plain]:
                close_app(app)


@pytest.fixture(params=BACKENDS)
def archived(request, archives: dict[str, Archived]) -> Archived:
    return archives[request.param]


def test_jobs_that_complete_fail_or_are_removed_are_archived_once(archived: Archived):
    done, failed, removed = archived.clusters.values()
    assert archived.rows(done, failed, removed) == [(done, 0), (done, 1), (failed, 0), (removed, 0), (removed, 1)]


def _window(archived: Archived, **more: str) -> str:
    query = "&".join(f"{name}={value}" for name, value in {
        "completed_after": archived.after, "completed_before": archived.before,
        "constraint": f'RestdArchiveRun == "{archived.run}"', "limit": "5", **more}.items())
    return f"/v1/history/{archived.schedd}?{query}"


def test_a_covered_window_is_answered_from_the_archive_as_the_schedd_answers_it(archived: Archived):
    url = _window(archived)
    from_archive = archived.app.get(url)
    assert from_archive.headers["X-History-Source"] == "archive"
    assert len(archived.of_schedd(url)) == 5
    assert from_archive.json == archived.of_schedd(url)


def test_a_window_of_the_archive_takes_projections_and_pages_like_the_schedd(archived: Archived):
    url = _window(archived, projection="ClusterId,ProcId,JobStatus,Environment", limit="2")
    pages = []
    while url:
        answer = archived.app.get(url)
        assert answer.headers["X-History-Source"] == "archive"
        pages.append(answer.json)
        url = answer.headers.get("Link", "").partition("<")[2].partition(">")[0]
    assert [len(page) for page in pages] == [2, 2, 1]
    assert [job for page in pages for job in page] == archived.of_schedd(_window(
        archived, projection="ClusterId,ProcId,JobStatus,Environment"))
    assert {job["classad"]["environment"] for page in pages for job in page} == {"<REDACTED>"}


def test_a_window_of_every_schedd_is_answered_from_the_archive(archived: Archived):
    url = _window(archived).replace(f"/v1/history/{archived.schedd}?", "/v1/history/*?")
    answer = archived.app.get(url)
    assert answer.headers["X-History-Source"] == "archive"
    assert [{**job, "schedd": None} for job in answer.json["jobs"]] == [
        {**job, "schedd": None} for job in archived.app.get(_window(archived)).json]
    assert {job["schedd"] for job in answer.json["jobs"]} == {archived.schedd}


def test_a_window_past_what_the_archive_read_is_asked_of_the_schedd(archives: dict[str, Archived]):
    archived = archives["sqlite"]  # which answers is decided alike for every backend
    answer = archived.app.get(_window(archived, completed_before="4102444800"))
    assert answer.headers["X-History-Source"] == "schedd"
    assert len(answer.json) == 5


def test_the_summary_is_the_sums_of_the_schedds_own_history(archived: Archived):
    ads = schedd().history(" || ".join(f"ClusterId == {cluster}" for cluster in archived.clusters.values()), [],
                           match=5)
    answer = archived.app.get(f"/v1/summary/history?by=Owner&from={archived.after}&to={archived.before}"
                              f"&bucket={max(archived.before - archived.after, 60)}").json
    groups = [group for bucket in answer["buckets"] for group in bucket["groups"]]
    assert [group["key"] for group in groups] == [{"owner": ads[0]["Owner"]}]
    group = groups[0]
    done = [ad for ad in ads if ad["JobStatus"] == 4]
    waits = sorted(ad["JobStartDate"] - ad["QDate"] for ad in ads if ad.get("JobStartDate", 0) > 0)
    wall = sum(ad.get("RemoteWallClockTime", 0) for ad in ads)
    cpu = sum(ad.get("RemoteUserCpu", 0) + ad.get("RemoteSysCpu", 0) for ad in ads)
    measured = [ad for ad in ads if ad.get("RemoteWallClockTime", 0) > 0 and "RemoteUserCpu" in ad]
    capacity = sum(ad["RemoteWallClockTime"] * ad["RequestCpus"] for ad in measured)
    assert (group["jobs"], group["completed"], group["removed"], group["exited_nonzero"]) == (5, 3, 2, 1)
    assert group["restarted"] == sum(1 for ad in ads if ad.get("NumJobStarts", 0) > 1)
    assert group["wall_hours"] == pytest.approx(wall / 3600)
    assert group["cpu_hours"] == pytest.approx(cpu / 3600)
    efficiency = sum(ad["RemoteUserCpu"] + ad["RemoteSysCpu"] for ad in measured) / capacity if capacity else None
    assert group["cpu_efficiency"] == pytest.approx(efficiency)
    assert group["memory_requested_mib"] == pytest.approx(16)
    peaks = [ad.get("ResidentSetSize_RAW", ad.get("ResidentSetSize")) / 1024 for ad in ads
             if "ResidentSetSize_RAW" in ad or "ResidentSetSize" in ad]
    assert group["memory_peak_mib"] == pytest.approx(statistics.mean(peaks) if peaks else None)
    assert group["gpu_hours"] == 0
    assert len(done) == 3 and len(waits) == 3
    assert group["wait_median_seconds"] == statistics.median(waits)
    assert group["wait_p95_seconds"] == waits[math.ceil(0.95 * len(waits)) - 1]


def test_the_summary_is_grouped_by_no_hidden_attribute(archived: Archived, app_with):
    hidden_owner = archived.another_app(app_with, env={"_CONDOR_RESTD_HIDE_JOB_ATTRS": "Owner"})
    assert "hidden" in hidden_owner.get("/v1/summary/history?by=Owner", status=400).json["message"]
    assert archived.app.get("/v1/summary/history?by=Environment", status=400).json["code"] == 400


def test_the_summary_has_a_bounded_number_of_buckets(archived: Archived):
    answer = archived.app.get("/v1/summary/history?bucket=60&from=0&to=86400000", status=400).json
    assert answer["details"]["limit"] == 1000


def test_a_summary_the_database_keeps_waiting_is_a_503_and_the_next_one_answers(archives: dict[str, Archived],
                                                                                app_with):
    archived = archives["postgresql"]  # SQLite's readers never wait for a lock (WAL)
    stuck = archived.another_app(app_with, **{"restd.gateway.timeout": "2"})
    with archived.archive.engine.connect() as connection:
        connection.exec_driver_sql("LOCK TABLE restd_archive_jobs IN ACCESS EXCLUSIVE MODE")
        assert stuck.get("/v1/summary/history", status=503).json["errno"] == 202  # past the gateway's timeout
        connection.rollback()
    eventually(lambda: stuck.get("/v1/summary/history", expect_errors=True).status_int == 200,
               what="a summary answered once the lock is gone")


def test_a_hidden_attributes_value_is_in_no_row(archived: Archived):
    contents = archived.backend.contents()
    assert b"<REDACTED>" in contents
    assert SECRET.encode() not in contents


def test_readyz_and_metrics_say_how_the_archive_is(archived: Archived):
    assert archived.app.get("/readyz").json["archive"]["up"] is True
    metrics = archived.app.get("/metrics").text
    assert "restd_archive_up 1.0" in metrics
    assert "restd_archive_ingesting 1.0" in metrics


@dataclass
class Rounds:
    """The rounds an ingester began and ended since ``counted_rounds``."""

    began: int = 0
    ended: int = 0


def counted_rounds(ingester: Ingester, monkeypatch) -> Rounds:
    """``ingester``'s rounds from its next one on, counted."""
    rounds, round_ = Rounds(), ingester.round

    def counted() -> None:
        rounds.began += 1
        try:
            round_()
        finally:
            rounds.ended += 1

    monkeypatch.setattr(ingester, "round", counted)
    return rounds


def test_two_apps_on_one_archive_ingest_once(archived: Archived, monkeypatch):
    other = make_app(**ARCHIVE_SETTINGS, **{"restd.archive": archived.archive.settings.url})
    try:
        second = other.app.registry.restd.kept(ArchiveHistory).ingester
        rounds = counted_rounds(second, monkeypatch)
        cluster = removed_jobs(schedd(), archived.run, 2)
        eventually(lambda: len(archived.rows(cluster)) == 2, what="the removed jobs archived")
        began = rounds.began
        eventually(lambda: rounds.ended > began, what="a round of the second app after they were archived")
        assert archived.rows(cluster) == [(cluster, 0), (cluster, 1)]
        assert [archived.archive.ingester.holding, second.holding, second.archived] == [True, False, 0]
    finally:
        close_app(other)


def test_a_batch_that_fails_midway_leaves_no_gap_and_no_duplicate(archived: Archived):
    engine, failures = archived.archive.engine, []

    def fail_once(connection, cursor, statement, *_):
        if not failures and statement.lstrip().upper().startswith("INSERT INTO RESTD_ARCHIVE_JOBS"):
            failures.append(statement)
            raise OperationalError(statement, None, RuntimeError("restd test: the ingester dies mid-batch"))

    errors = archived.archive.ingester.errors["database"]
    event.listen(engine, "after_cursor_execute", fail_once)
    try:
        cluster = removed_jobs(schedd(), archived.run, 5)  # two batches
        eventually(lambda: len(archived.rows(cluster)) == 5, what="the removed jobs archived")
    finally:
        event.remove(engine, "after_cursor_execute", fail_once)
    assert failures and archived.archive.ingester.errors["database"] > errors
    assert archived.rows(cluster) == [(cluster, proc) for proc in range(5)]


@pytest.fixture(params=BACKENDS)
def empty_archive(request, tmp_path: Path) -> Iterator[str]:
    """The URL of an empty archive of each backend, this test's alone (on
    PostgreSQL, a database of its own: ``archives`` has the session's)."""
    server = request.getfixturevalue("local_postgresql") if request.param == "postgresql" else None
    if server is not None:
        server.start()
    with archive_apart(server, tmp_path) as url:
        yield url


@contextmanager
def archive_apart(server: LocalPostgreSQL | None, tmp_path: Path) -> Iterator[str]:
    """A fresh archive apart from the module's (its own tables and lock): a
    file, or a database of its own on ``server``."""
    if server is None:
        yield f"sqlite:///{tmp_path / 'apart.sqlite3'}"
    else:
        with server.apart() as url:
            yield url


def writing_into_jobs(engine: Engine) -> bool:
    """Whether another connection is in a transaction that wrote to the
    archive and did not end (PostgreSQL: it has a transaction id, and its
    last statement was an INSERT of jobs; SQLite: it holds the write lock)."""
    if store.is_postgresql(engine):
        with engine.connect() as connection:
            return connection.execute(text(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND pid <> "
                "pg_backend_pid() AND state = 'idle in transaction' AND backend_xid IS NOT NULL AND query ILIKE "
                "'INSERT INTO restd_archive_jobs%'")).scalar_one() == 1
    with closing(sqlite3.connect(engine.url.database or "", timeout=0, isolation_level=None)) as connection:
        try:
            connection.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as exc:
            return "locked" in str(exc)
        connection.execute("ROLLBACK")
        return False


def lock_taken(engine: Engine) -> bool:
    """Whether some process holds the archive's ingest lock (this one tries it)."""
    lock = IngestLock(engine)
    try:
        return not lock.acquire()
    finally:
        lock.release()


def test_an_ingester_killed_mid_batch_leaves_no_gap_no_duplicate_and_no_lock(empty_archive: str, test_jobs,
                                                                               tmp_path: Path):
    settings = {**ARCHIVE_SETTINGS, "restd.archive": empty_archive}
    name = test_jobs.schedd_name
    with made_app(**settings) as first:  # it reads the schedd once, and stops: then jobs leave with no ingester
        ingesting(first, name)
    backlog = removed_jobs(schedd(), uuid.uuid4().hex, 7)  # four batches of 2
    # The server stops for good just after its 2nd INSERT of jobs: its transaction wrote and never ends.
    ready = tmp_path / "stalled"
    stall = {"restd.includes": "tests.fakes.stalling_plugin", "stall.statement": "INSERT INTO restd_archive_jobs",
             "stall.nth": "2", "stall.ready": str(ready)}
    engine = store.engine_for(empty_archive)
    server = Server("pserve", tmp_path, settings={**settings, "restd.archive.batch": "2", **stall})
    try:
        eventually(lambda: ready.exists() or server.process.poll() is not None, what="the server in its 2nd batch")
        assert server.process.poll() is None, server.log.read_text()
        assert writing_into_jobs(engine) and lock_taken(engine)
        committed = archived_ids(engine, name, (backlog,))
        assert len(committed) < 7  # the kill comes with the backlog not all archived
        server.kill()
        assert archived_ids(engine, name, (backlog,)) == committed  # nothing of the batch killed midway
        with made_app(**settings) as after:
            archive = after.app.registry.restd.kept(ArchiveHistory)
            eventually(lambda: len(archived_ids(engine, name, (backlog,))) == 7, what="the backlog archived")
            assert archived_ids(engine, name, (backlog,)) == [(backlog, proc) for proc in range(7)]
            assert archive.ingester.holding
        if not store.is_postgresql(engine):
            with closing(sqlite3.connect(engine.url.database or "")) as connection:
                assert connection.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
    finally:
        server.kill()
        engine.dispose()


def test_the_database_stopped_and_started_leaves_no_gap_and_no_duplicate(archives: dict[str, Archived]):
    archived = archives["postgresql"]  # an embedded SQLite file has no server to stop
    errors = archived.archive.ingester.errors["database"]
    archived.backend.server.stop()
    try:
        cluster = removed_jobs(schedd(), archived.run, 3)
        eventually(lambda: archived.archive.ingester.errors["database"] > errors, what="an ingest round failing")
        eventually(lambda: archived.app.get("/readyz").json["archive"]["up"] is False, what="/readyz saying so")
        assert archived.app.get("/v1/summary/history", status=503).json["errno"] == 201
    finally:
        archived.backend.server.start()
    eventually(lambda: len(archived.rows(cluster)) == 3, what="the jobs removed meanwhile archived")
    assert archived.rows(cluster) == [(cluster, proc) for proc in range(3)]


def second_schedd(name: str):
    """The pool's second schedd (``name``: schedd2@<host>)."""
    import htcondor2

    return htcondor2.Schedd(htcondor2.Collector().locate(htcondor2.DaemonType.Schedd, name))


@pytest.mark.disruptive
def test_a_schedd_off_and_on_leaves_no_gap_and_no_duplicate(archived: Archived):
    import htcondor2

    name = f"schedd2@{archived.schedd}"
    ingesting(archived.app, name)
    before_off = removed_jobs(second_schedd(name), archived.run, 2)
    try:
        pool_sh("schedd2", "off")
        off_at = int(time.time())
        synced_past(archived.archive, archived.schedd, off_at)  # rounds went on without it
    finally:
        restore_pool()  # starts schedd2 again
    def answering():
        try:  # its first answers after a restart may refuse the client's old security session
            client = second_schedd(name)
            client.query("false", ["ClusterId"])
            return client
        except htcondor2.HTCondorException:
            return None

    after_on = removed_jobs(eventually(answering, what="schedd2 answering again", interval=0.5), archived.run, 2)
    engine = archived.archive.engine
    eventually(lambda: len(archived_ids(engine, name, (before_off, after_on))) == 4, what="schedd2's jobs archived")
    assert archived_ids(engine, name, (before_off, after_on)) == [
        (before_off, 0), (before_off, 1), (after_on, 0), (after_on, 1)]


@contextmanager
def rotating_history(rotations: int) -> Iterator[None]:
    """The second schedd's history rotated once it holds about 5 jobs (a
    test job's ad is ~2.5 KB: a cluster of 3 rotates it once at most),
    ``rotations`` rotated files kept (the oldest deleted)."""
    with reconfigured("99-restd-archive-rotation.config", "SCHEDD2.MAX_HISTORY_LOG = 12000\n"
                      f"SCHEDD2.MAX_HISTORY_ROTATIONS = {rotations}\n"):
        yield


def rotated_files() -> list[str]:
    """The second schedd's rotated history files (history.<time>), as its spool lists them."""
    spool = pool_sh("exec", "condor_config_val", "-local-name", "schedd2", "-subsystem", "SCHEDD", "SPOOL").stdout
    return [name for name in pool_sh("exec", "ls", spool.strip()).stdout.split() if name.startswith("history.")]


@pytest.mark.disruptive
def test_a_history_that_rotates_while_the_ingester_reads_is_archived_once(archived: Archived):
    name = f"schedd2@{archived.schedd}"
    ingesting(archived.app, name)
    client, engine, clusters = second_schedd(name), archived.archive.engine, []
    errors = archived.archive.ingester.errors["schedd"]
    with rotating_history(rotations=10):
        rotated = rotated_files()
        for _ in range(5):  # 15 jobs: rotated about every 5, the cursor's job then in a rotated file
            clusters.append(removed_jobs(client, archived.run, 3))
            eventually(lambda: len(archived_ids(engine, name, (clusters[-1],))) == 3, what="the cluster archived")
        # Rotated at least once (HTCondor names a rotated file to the second: two rotations in one second leave one).
        assert set(rotated_files()) - set(rotated)
    assert archived_ids(engine, name, tuple(clusters)) == [(cluster, proc) for cluster in clusters for proc in range(3)]
    assert archived.archive.ingester.errors["schedd"] == errors


@pytest.mark.disruptive
def test_a_cursor_rotated_away_loses_only_the_jobs_rotated_away_unread(archived: Archived, tmp_path: Path):
    """An archive whose ingester stopped after a job of the second schedd
    (its cursor) while that schedd's history rotated on past it and deleted
    the file that held it (one rotated file kept). The jobs of the deleted
    files are lost to the archive: nothing holds them any more (an archive
    keeps what it read before the schedd let it go). An app started on the
    archive archives every job the history still holds, once, and nothing
    worse: no round fails, and the cursor moves on to the newest job."""
    name = f"schedd2@{archived.schedd}"
    client = second_schedd(name)
    with archive_apart(archived.backend.server, tmp_path) as url, rotating_history(rotations=1):
        engine = store.engine_for(url)
        try:
            store.migrate(engine)
            read = removed_jobs(client, archived.run, 1)
            store.archive_batch(engine, name, [], f"{read}.0", None)  # as an ingester that stopped there leaves it
            clusters = tuple(removed_jobs(client, archived.run, 3) for _ in range(6))  # ~45 KB: 2 files kept of 4
            held = sorted((ad["ClusterId"], ad["ProcId"]) for ad in client.history(
                " || ".join(f"ClusterId == {cluster}" for cluster in (read, *clusters)), ["ClusterId", "ProcId"]))
            assert read not in {cluster for cluster, _ in held} and 0 < len(held) < 18
            app = make_app(**ARCHIVE_SETTINGS, **{"restd.archive": url})
            try:
                eventually(lambda: archived_ids(engine, name, clusters) == held, what="the history held archived")
                newest = client.history("true", ["ClusterId", "ProcId"], match=1)[0]
                assert store.cursors(engine)[name] == f"{newest['ClusterId']}.{newest['ProcId']}"
                assert app.app.registry.restd.kept(ArchiveHistory).ingester.errors == {"schedd": 0, "database": 0}
            finally:
                close_app(app)
        finally:
            engine.dispose()


def _constrained(archived: Archived, constraint: str, **more: str) -> str:
    """The module's window, its jobs that also meet ``constraint``."""
    return _window(archived, constraint=quote(f'RestdArchiveRun == "{archived.run}" && {constraint}'), **more)


def _owner(archived: Archived) -> str:
    return archived.of_schedd(_window(archived))[0]["classad"]["owner"]


#: Constraints whose comparisons of archived columns are pushed down into
#: SQL ({owner}: the jobs' Owner), and how many of the module's 5 jobs hold.
PUSHED_DOWN = {
    'Owner == "{OWNER}"': 5,  # == compares strings case-insensitively
    'MY.Owner =?= "{OWNER}"': 0,  # =?= does not
    '"{owner}" == Owner && JobStatus == 4 && ProcId >= 1': 1,
    '4 > JobStatus': 2,  # the removed ones
    'ExitCode == 1 && NumJobStarts <= 1': 1,
    'Owner != "{OWNER}"': 0,
    'AcctGroup == "{owner}"': 0,  # missing: undefined
    'AcctGroup isnt "{owner}" && Owner isnt "{OWNER}"': 5,  # missing is not identical to a string
    'RequestMemory >= 16.0 && RequestMemory < 16.5': 5,
    'QDate > 0 && JobStartDate > 0': 3,  # the removed ones never started
}


@pytest.mark.parametrize("constraint", PUSHED_DOWN)
def test_a_constraint_on_archived_columns_is_answered_as_the_schedd_answers_it(archived: Archived, constraint: str):
    owner = _owner(archived)
    url = _constrained(archived, constraint.format(owner=owner, OWNER=owner.upper()), limit="10")
    answer = archived.app.get(url)
    assert answer.headers["X-History-Source"] == "archive"
    assert len(archived.of_schedd(url)) == PUSHED_DOWN[constraint]
    assert answer.json == archived.of_schedd(url)


def test_a_constraint_naming_a_hidden_attribute_is_refused_as_the_schedd_refuses_it(archived: Archived):
    url = _constrained(archived, f'Environment == "SECRET={SECRET}" && ClusterId > 0')
    refused = archived.app.get(url, status=400).json
    assert refused == archived.plain.get(url, status=400).json
    assert "hidden" in refused["message"]


@pytest.fixture
def on_a_budget(archived: Archived, app_with) -> webtest.TestApp:
    """An app on the module's archive that judges a window's constraint on 2 archived jobs at most."""
    return archived.another_app(app_with, **{"restd.archive.max_judged": "2"})


def test_a_constraint_judged_false_on_more_jobs_than_the_budget_is_refused_and_the_server_goes_on(
        archived: Archived, on_a_budget: webtest.TestApp):
    refused = on_a_budget.get(_window(archived, constraint=quote('RestdArchiveRun == "another run"')), status=400).json
    assert (refused["errno"], refused["details"]) == (
        107, {"parameter": "constraint", "limit": 2, "setting": "restd.archive.max_judged"})
    assert "too costly" in refused["message"] and "narrow the window" in refused["message"]
    answer = on_a_budget.get(_window(archived))  # its 5 jobs: more than the budget, none judged in vain
    assert answer.headers["X-History-Source"] == "archive"
    assert answer.json == archived.of_schedd(_window(archived))


def test_a_constraint_goes_through_a_windows_newest_jobs_only(archived: Archived, app_with):
    narrow = archived.another_app(app_with, **{"restd.archive.max_scanned": "2"})
    refused = narrow.get(_constrained(archived, "ClusterId == 0"), status=400).json  # a page that never fills
    assert (refused["errno"], refused["details"]) == (
        107, {"parameter": "constraint", "limit": 2, "setting": "restd.archive.max_scanned"})
    assert "newest 2 archived jobs of the window" in refused["message"]
    newest = narrow.get(_window(archived, limit="1"))  # a page that fills among them
    assert newest.headers["X-History-Source"] == "archive"
    assert newest.json == archived.of_schedd(_window(archived, limit="1"))
    unconstrained = narrow.get(f"/v1/history/{archived.schedd}?completed_after={archived.after}"
                               f"&completed_before={archived.before}&limit=5")  # nothing to judge: no bound
    assert len(unconstrained.json) == 5


def test_a_pushed_down_constraint_is_judged_on_the_jobs_its_columns_leave(
        archived: Archived, on_a_budget: webtest.TestApp):
    url = _constrained(archived, f'ClusterId == {archived.clusters["removed"]} && Owner == "{_owner(archived).upper()}"')
    answer = on_a_budget.get(url)
    assert answer.headers["X-History-Source"] == "archive"
    assert [job["jobid"] for job in answer.json] == [job["jobid"] for job in archived.of_schedd(url)]
    assert len(answer.json) == 2


#: Stored ads that no real job has, but an archive may hold: an attribute a
#: real number in an integer column, an expression ("/Expr(...)/") where a
#: column expects a string or a number, a boolean, missing, case and non-ASCII
#: letters. Of a schedd of their own, completed ten days ago (within the
#: archive's keep_days: the ingester would delete them), a second apart.
ODD_ADS = [
    {"owner": "User03", "jobstatus": 4, "qdate": 10, "requestmemory": 16},
    {"owner": '/Expr(strcat("user", "03"))/', "jobstatus": 4.5, "qdate": "/Expr(1000 + 5)/"},
    {"owner": "user03", "jobstatus": True, "requestmemory": "/Expr(8 * 2)/", "exitcode": 1.0},
    {"owner": "usér03", "acctgroup": "Physics", "jobstatus": 3, "qdate": 2**62, "requestcpus": 0.30000000000000004},
    {"owner": "USER03", "numjobstarts": "/Expr(undefined)/", "qdate": 0, "jobstatus": "/Expr(2 + 2)/"},
]
ODD_CONSTRAINTS = [
    'Owner == "user03"', 'Owner =?= "user03"', 'Owner != "USER03"', 'Owner isnt "user03"', 'Owner == "USÉR03"',
    'JobStatus == 4', 'JobStatus >= 4.2', 'JobStatus < 4.7 && 4 <= JobStatus', 'JobStatus == 1', 'JobStatus is 4',
    'QDate > 1000', 'QDate <= 10', f"QDate == {2**62}", 'QDate >= 0', 'RequestMemory == 16', 'ExitCode == 1',
    'ExitCode < 1.5', 'RequestCpus <= 0.30000000000000004', 'RequestCpus >= 0.30000000000000004',
    'AcctGroup == "physics" && ProcId == 3', 'NumJobStarts isnt 1 && ClusterId >= 1',
]


def test_a_pushed_down_constraint_keeps_every_stored_job_it_holds_for(archived: Archived, monkeypatch):
    from restd_core.gateway.worker.expressions import parse_constraint
    from restd_plugins.archive import operations
    from restd_plugins.archive.pushdown import pushed_down

    schedd, completed = f"odd-{uuid.uuid4().hex[:8]}@test", int(time.time()) - 10 * 86400
    store.archive_batch(archived.archive.engine, schedd, [
        {"clusterid": 1, "procid": index, "completiondate": completed + index, **ad} for index, ad in enumerate(ODD_ADS)],
        None, None)

    def jobs(constraint: str) -> list[str]:
        answer = operations.archived_history(archived.archive.settings.url, schedd, completed, completed + 60,
                                             constraint)
        return [job["jobid"] for job in orjson.loads(b"[" + b"".join(answer.pieces) + b"]")]

    assert all(pushed_down(parse_constraint(constraint).comparisons(), frozenset()) for constraint in ODD_CONSTRAINTS)
    pushed = {constraint: jobs(constraint) for constraint in ODD_CONSTRAINTS}
    monkeypatch.setattr(operations, "pushed_down", lambda *_: [])
    assert pushed == {constraint: jobs(constraint) for constraint in ODD_CONSTRAINTS}
    assert pushed['Owner == "user03"'] == ["1.4", "1.2", "1.1", "1.0"]
