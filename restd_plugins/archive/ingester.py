"""The ingester: every ``restd.archive.interval`` seconds, the one process
that holds the archive's lock (``lock``) asks every schedd the collector
lists for the jobs its history recorded since the last one archived from
it, a batch at a time through the gateway's workers (a long call: never the
last idle worker), and writes each batch with its schedd's new cursor in
one transaction (``store.archive_batch``). Whatever stops a round (a schedd
down, the database down, the process killed) leaves the cursor at the last
batch written: the next round reads on from there, and a job written twice
is written once. Then the jobs older than ``restd.archive.keep_days`` go."""
from __future__ import annotations

import logging
import os
import threading
import time
import weakref
from collections import Counter

from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

from restd_core.plugin_api.web import Gateway, GatewayError

from . import store
from .lock import IngestLock
from .settings import ArchiveSettings

log = logging.getLogger(__name__)

#: Batches one schedd is read in at most per round (the rest wait for the next).
MAX_BATCHES_PER_ROUND = 20


class Ingester:
    """The ingester thread of this process (it ingests only while it holds the lock)."""

    def __init__(self, engine: Engine, gateway: Gateway, settings: ArchiveSettings) -> None:
        self._engine, self._gateway, self._settings = engine, gateway, settings
        self._lock = IngestLock(engine)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        #: Jobs this process archived, and its rounds' failures by where (``schedd``, ``database``).
        self.archived = 0
        self.errors: Counter[str] = Counter({"schedd": 0, "database": 0})
        self._migrated = False
        reference = weakref.ref(self)  # the hook outlives an app whose ingester is gone

        def forked() -> None:
            ingester = reference()
            if ingester is not None:
                ingester._forked()

        os.register_at_fork(after_in_child=forked)

    @property
    def holding(self) -> bool:
        return self._lock.held

    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="restd-archive-ingester", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=self._gateway.timeout + 5)
        self._lock.release()

    def _forked(self) -> None:
        """A forked server process has no thread of its parent's: its own
        ingester starts (the parent's lock and connections are not its)."""
        self._lock = IngestLock(self._engine)
        self._engine.dispose(close=False)
        if self._thread is not None and not self._stop.is_set():
            self._thread = None
            self.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.round()
            except Exception:  # a bug: logged, and the next round comes all the same
                log.exception("archive: the ingester's round failed")
            self._stop.wait(self._settings.interval)

    def migrate(self) -> None:
        """The schema brought to this release's, once per process (every
        process: a new release's readers need its schema); ``SQLAlchemyError``
        while the database does not answer (the next round tries again)."""
        if not self._migrated:
            store.migrate(self._engine)
            self._migrated = True

    def round(self) -> None:
        """One round: the schema migrated if it is not yet; then, if this
        process holds the lock, every schedd read up to its end (or
        ``MAX_BATCHES_PER_ROUND`` batches) and the old jobs forgotten."""
        try:
            self.migrate()
            if not self._lock.acquire():
                return
            known = store.cursors(self._engine)
        except SQLAlchemyError as exc:
            self._failed("database", "the archive", exc)
            return
        try:
            names = self._gateway.call("schedd_names")
        except GatewayError as exc:
            self._failed("schedd", "the collector", exc)
            return
        for name in names:
            if self._stop.is_set():
                return
            try:
                self._ingest(name, known.get(name), name not in known)
            except GatewayError as exc:
                self._failed("schedd", name, exc)
            except SQLAlchemyError as exc:
                self._failed("database", "the archive", exc)
                return
        if self._settings.keep_days > 0:
            try:
                store.forget_before(self._engine, int(time.time() - self._settings.keep_days * 86400))
            except SQLAlchemyError as exc:
                self._failed("database", "the archive", exc)

    def _ingest(self, schedd: str, cursor: str | None, first: bool) -> None:
        """Read ``schedd``'s history on from ``cursor`` (``first``: it was never read)."""
        for _ in range(MAX_BATCHES_PER_ROUND):
            began = int(time.time())
            start_now = first and not self._settings.backfill
            got = self._gateway.call("archive_history_since", schedd=schedd, cursor=cursor,
                                     batch=self._settings.batch, start_now=start_now)
            self.archived += store.archive_batch(self._engine, schedd, got["ads"], got["cursor"],
                                                 None if got["more"] else began, began if start_now else 0)
            first = False
            cursor = got["cursor"]
            if not got["more"] or self._stop.is_set():
                return

    def _failed(self, where: str, what: str, exc: Exception) -> None:
        self.errors[where] += 1
        log.warning("archive: the ingester's round stopped at %s: %s", what, str(exc).splitlines()[0][:300])
