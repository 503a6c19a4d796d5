"""The watch plugin's settings, and how many watchers a server allows.

waitress holds one of its ``threads`` for every open response, so every
watcher holds one for as long as it watches. The cap on watchers is
therefore, unless set, the ``threads`` of the ini's ``[server:main]``
(waitress's default 4 when unset there) less ``restd.watch.reserved_threads``
kept for ordinary requests. One caller may hold only a share of those
places, never all of them.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

from restd_core.plugin_api.web import parse, server_section, setting

#: waitress's own default number of threads.
WAITRESS_THREADS = 4


@dataclass(frozen=True)
class WatchSettings:
    """The watch plugin's settings."""

    interval: float = setting(
        "restd.watch.interval", 5.0, "seconds between two polls of HTCondor for one watched query (one poll per "
        "interval however many watch it)", minimum=0.05)
    heartbeat: float = setting(
        "restd.watch.heartbeat", 15.0, "seconds of silence after which a watcher is sent a heartbeat comment "
        "(`: hb`), for proxies that close quiet connections", minimum=0.05)
    replay_events: int = setting(
        "restd.watch.replay_events", 1000, "events each watched query keeps for clients that resume with "
        "`Last-Event-ID` (older: a fresh snapshot)", minimum=0)
    linger: float = setting(
        "restd.watch.linger", 60.0, "seconds a watched query is still polled after its last watcher left (a "
        "reconnecting client resumes from its buffer)", minimum=0)
    max_watchers: int | None = setting(
        "restd.watch.max_watchers", None, "watchers at once, all queries together (each holds a server thread); "
        "beyond it 503 with `Retry-After`", minimum=0,
        shown="waitress `threads` - `restd.watch.reserved_threads`")
    reserved_threads: int = setting(
        "restd.watch.reserved_threads", 4, "waitress threads never given to watchers (for ordinary requests), "
        "when `restd.watch.max_watchers` is not set", minimum=0)
    caller_share: float = setting(
        "restd.watch.caller_share", 0.5, "the fraction of the watcher places one caller may hold at once (rounded "
        "down; at least one, and never every place when there are two or more); beyond it 429", minimum=0)
    max_watchers_per_caller: int = setting(
        "restd.watch.max_watchers_per_caller", 4, "watchers of one caller at once, at most, whatever its share; "
        "beyond it 429 (0: only the share limits)", minimum=0)
    max_seconds: float = setting(
        "restd.watch.max_seconds", 3600.0, "seconds after which a stream ends (the client reconnects with "
        "`Last-Event-ID` and loses nothing)", minimum=0.05)
    recheck_seconds: float = setting(
        "restd.watch.recheck_seconds", 5.0, "how often a watcher's credentials are checked again (answered from "
        "the auth plugin's cache: a revoked KBase token ends the stream within `restd.kbase.cache_seconds` and "
        "this)", minimum=0.05)


def read(settings: dict) -> WatchSettings:
    return parse(WatchSettings, settings)


def watcher_cap(watch: WatchSettings, ini_file: str) -> int:
    """``restd.watch.max_watchers``, else the ini's waitress ``threads``
    less the reserve (0 when that leaves none)."""
    if watch.max_watchers is not None:
        return watch.max_watchers
    section = server_section(ini_file)
    threads = WAITRESS_THREADS
    if section is not None and section.get("threads", "").strip().isdigit():
        threads = int(section["threads"])
    return max(threads - watch.reserved_threads, 0)


def caller_cap(watch: WatchSettings, cap: int) -> int:
    """The places one caller may hold of ``cap``: its ``caller_share``
    (rounded down, at least one) and at most ``max_watchers_per_caller``;
    one place fewer than all when there are two or more, so that one
    caller never locks out every other."""
    places = max(math.floor(cap * watch.caller_share + 1e-9), 1)
    if watch.max_watchers_per_caller:
        places = min(places, watch.max_watchers_per_caller)
    return min(places, cap - 1) if cap >= 2 else cap
