"""One poller per distinct watched query, shared by all its watchers.

A poller's thread asks HTCondor once per ``restd.watch.interval`` (through
the gateway, like any request: the worker processes, the timeout) and
turns each answer into the events that changed the last good one into it.
Events are numbered ``<epoch>-<seq>``: the epoch is the poller's start (a
number no other poller of this process has), the sequence counts its
events from 1. The last ``restd.watch.replay_events`` events are kept, as
SSE frames encoded once, for watchers that resume or fell behind.

A failed poll is one ``error`` event (the JSON error body, without
HTCondor's text) while the failure lasts; the next good answer is a
``recovered`` event, then the diff against the last good answer, so
nothing that changed meanwhile is lost. A query the workers refuse
(400/404: a constraint that now names a hidden attribute, a schedd that
left the pool) ends the poller after its ``error`` event.
"""
from __future__ import annotations

import itertools
import logging
import re
import threading
import time
from collections import deque
from collections.abc import Callable
from typing import Any

from restd_core.plugin_api.web import (
    INTERNAL_MESSAGE,
    BadQuery,
    GatewayError,
    NotFound,
    Timeout,
    Unavailable,
    errno_of,
    error_body,
)

from .diff import changes, frame, snapshot
from .query import Items
from .settings import WatchSettings

log = logging.getLogger(__name__)

_EVENT_ID = re.compile(r"([0-9]{1,20})-([0-9]{1,20})")


def event_error(exc: BaseException) -> dict[str, Any]:
    """What an ``error`` event carries: the JSON error body a listing would
    answer, without the daemon's own text (a stream's watchers are many)."""
    if isinstance(exc, Unavailable):
        daemon = exc.details.get("daemon")
        timed_out = exc.kind in ("timeout", "busy")
        message = ("HTCondor did not answer in time" if timed_out
                   else f"the {daemon} did not answer" if daemon in ("schedd", "collector") else "HTCondor did not answer")
        details = {key: exc.details[key] for key in ("daemon", "schedd") if key in exc.details}
        return error_body(503, message, errno_of(exc), details)
    if isinstance(exc, (BadQuery, NotFound)):
        return error_body(exc.status, exc.message, None, exc.details)
    return error_body(500, INTERNAL_MESSAGE)


class Poller:
    """The shared state of one watched query (``fetch()``: its items now).

    ``retire(poller)`` is asked after every poll whether to stop (the hub
    knows whether anyone still watches); ``poll_slots`` bounds the polls of
    all pollers at once, so that they never take every gateway worker.
    """

    def __init__(self, fetch: Callable[[], Items], settings: WatchSettings, epoch: int,
                 poll_slots: threading.Semaphore, retire: Callable[[Poller], bool]) -> None:
        self._fetch = fetch
        self._settings = settings
        self.epoch = epoch
        self._poll_slots = poll_slots
        self._retire = retire
        self._changed = threading.Condition()
        self._stopping = threading.Event()
        self.seq = 0
        self._events: deque[bytes] = deque(maxlen=settings.replay_events)
        self.items: Items | None = None  # the last good answer
        self.first_error: GatewayError | None = None  # while there was none
        self.failure: dict[str, Any] | None = None  # the error event's body while polls fail
        self.ended = False
        self.polls = 0
        #: Kept by the hub, under its lock: who watches, and since when nobody.
        self.watchers = 0
        self.idle_since = time.monotonic()
        self._snapshot: tuple[int, bytes] | None = None
        self._thread = threading.Thread(target=self._run, name=f"restd-watch-{epoch}", daemon=True)

    # ------------------------------------------------------------ polling --

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        """End the poller and its watchers' streams (the app closes)."""
        self._stopping.set()
        self._end()

    def join(self, timeout: float) -> None:
        if self._thread.is_alive() and self._thread is not threading.current_thread():
            self._thread.join(timeout)

    def _run(self) -> None:
        while not self._stopping.is_set():
            self._poll()
            if self._retire(self):
                self._end()
                return
            self._stopping.wait(self._settings.interval)

    def _poll(self) -> None:
        try:
            with self._poll_slots:
                items = self._fetch()
        except GatewayError as exc:
            self._failed(exc)
        except Exception as exc:  # a bug: the watchers get a 500 event, the log the traceback
            log.exception("a watched query's poll failed")
            self._failed(exc)
        else:
            self._succeeded(items)
        finally:
            self.polls += 1

    def _succeeded(self, items: Items) -> None:
        with self._changed:
            if self.items is None:
                self.items, self.first_error = items, None
            else:
                if self.failure is not None:
                    self._append("recovered", {})
                    self.failure = None
                for event, data in changes(self.items, items):
                    self._append(event, data)
                self.items = items
            self._changed.notify_all()

    def _failed(self, exc: Exception) -> None:
        final = isinstance(exc, (BadQuery, NotFound))
        with self._changed:
            if self.items is None:
                self.first_error = exc if isinstance(exc, GatewayError) else GatewayError("the watch failed")
                if final:
                    self.ended = True
            else:
                body = event_error(exc)
                if body != self.failure:
                    self._append("error", body)
                    self.failure = body
                self.ended = self.ended or final
            self._changed.notify_all()

    def _append(self, event: str, data: Any) -> None:
        self.seq += 1
        self._events.append(frame(event, self.event_id(self.seq), data))

    def _end(self) -> None:
        with self._changed:
            self.ended = True
            self._changed.notify_all()

    # ----------------------------------------------------------- watchers --

    def event_id(self, seq: int) -> str:
        return f"{self.epoch}-{seq}"

    def wait_ready(self, timeout: float) -> None:
        """Until the first answer: a ``GatewayError`` if the last poll failed
        and there is no good answer yet (the view answers it as a listing would)."""
        with self._changed:
            self._changed.wait_for(lambda: self.items is not None or self.first_error is not None or self.ended,
                                   timeout)
            if self.items is not None:
                return
            if self.first_error is not None:
                raise self.first_error
            raise Timeout(f"HTCondor did not answer within {timeout:g} s", {"timeout": timeout})

    def opening(self, last_event_id: str | None) -> tuple[bytes, int]:
        """A new watcher's first frames and the sequence number they bring it
        to: the events after ``last_event_id`` when it is this poller's and
        they are all still kept, else a snapshot."""
        with self._changed:
            cursor = self._resumable(last_event_id)
            if cursor is None:
                return self._snapshot_frames(), self.seq
            return self._frames_after(cursor), self.seq

    def _resumable(self, last_event_id: str | None) -> int | None:
        matched = _EVENT_ID.fullmatch(last_event_id.strip()) if last_event_id else None
        if matched is None or int(matched[1]) != self.epoch:
            return None
        cursor = int(matched[2])
        return cursor if self.seq - len(self._events) <= cursor <= self.seq else None

    def next_frames(self, cursor: int, timeout: float) -> tuple[bytes, int, bool]:
        """What came after ``cursor`` (waiting up to ``timeout`` for it), the
        new cursor, and whether the poller ended; a watcher that fell behind
        the replay buffer gets a fresh snapshot."""
        with self._changed:
            self._changed.wait_for(lambda: self.seq > cursor or self.ended, timeout)
            if self.seq == cursor:
                return b"", cursor, self.ended
            if cursor < self.seq - len(self._events):
                return self._snapshot_frames(), self.seq, self.ended
            return self._frames_after(cursor), self.seq, self.ended

    def _frames_after(self, cursor: int) -> bytes:
        count = self.seq - cursor
        return b"".join(itertools.islice(self._events, len(self._events) - count, None)) if count else b""

    def _snapshot_frames(self) -> bytes:
        """The last good answer as one ``snapshot`` event (encoded once per
        sequence number, however many watchers start from it); while polls
        fail, the ``error`` event follows it under the same id."""
        if self._snapshot is None or self._snapshot[0] != self.seq:
            assert self.items is not None, "a watcher opens once there is an answer (wait_ready)"
            self._snapshot = (self.seq, frame("snapshot", self.event_id(self.seq), snapshot(self.items)))
        frames = self._snapshot[1]
        if self.failure is not None:
            frames += frame("error", self.event_id(self.seq), self.failure)
        return frames
