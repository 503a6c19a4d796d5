"""Constraints that would make a daemon build huge values are judged in the
worker, whose memory is capped: against the real pool, the daemon's CPU
measured from /proc."""
from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

import pytest

from .pool import daemon_cpu_seconds

T = TypeVar("T")


def joined(levels: int) -> str:
    """``J<levels>``: ``J0 = "xx"``, ``Jn = join(J(n-1), "a", ... ten items)``,
    a string about 9^levels times J0 (J(n-1) between each two items)."""
    built, items = '"xx"', ", ".join(['"a"'] * 10)
    for _ in range(levels):
        built = f"join({built}, {items})"
    return built


def join_constraint(levels: int) -> str:
    """470 bytes for 8 levels: a string of 100 MB per ad."""
    return f"true && size({joined(levels)}) > 0"


def record_constraint(levels: int) -> str:
    """A record whose attributes double each other: ``8 * 2^levels`` bytes per ad."""
    parts = ['a0 = "xxxxxxxx"', *(f"a{i} = strcat(a{i - 1}, a{i - 1})" for i in range(1, levels + 1))]
    return f"size([{'; '.join(parts)}].a{levels}) > 0"


#: Each cost the schedd and the collector seconds of CPU when sent to them
#: (before issue 21), with the test session's 7 jobs alone.
ATTACKS = {"join": join_constraint(8), "record": record_constraint(21)}
#: What the daemon may spend meanwhile (answering the query without the
#: constraint, its own periodic work): far below what the attacks cost.
DAEMON_CPU_BOUND = 0.5
#: A constraint judged in the worker before issue 21 too (a regular
#: expression), true for every ad.
JUDGED_IN_THE_WORKER_BEFORE = 'regexp("x", "x")'
#: Each endpoint, the daemon it asks, and what identifies its items.
ENDPOINTS = {"/v1/jobs/DEFAULT": ("condor_schedd", ("jobid",)), "/v1/status": ("condor_collector", ("type", "name"))}


@pytest.mark.parametrize("url", ENDPOINTS)
@pytest.mark.parametrize("attack", ATTACKS)
def test_a_constraint_building_huge_values_costs_the_daemon_little(app, test_jobs, url, attack):
    daemon, key = ENDPOINTS[url]
    answer, spent = with_daemon_cpu(daemon, lambda: app.get(url, params={"constraint": ATTACKS[attack]},
                                                            expect_errors=True))
    assert answer.status_int in (200, 400, 503) and answer.content_type == "application/json"
    if answer.status_int == 200:  # the constraint holds for every ad
        assert ids(answer.json, key) == ids(app.get(url).json, key)
    assert spent < DAEMON_CPU_BOUND


def ids(items: list[dict], key: tuple[str, ...]) -> set[tuple]:
    return {tuple(item[name] for name in key) for item in items}


def with_daemon_cpu(daemon: str, request: Callable[[], T]) -> tuple[T, float]:
    """What ``request()`` answers, and the CPU seconds the pool's daemons of
    that name spent meanwhile."""
    before = daemon_cpu_seconds(daemon)
    answer = request()
    return answer, daemon_cpu_seconds(daemon) - before


@pytest.mark.parametrize("url", ["/v1/history/DEFAULT", "/v1/grouped_jobs/DEFAULT/Owner", "/v1/summary/jobs/DEFAULT",
                                 "/v1/grouped_status/MyType", "/v1/summary/status"])
def test_every_other_operation_taking_a_constraint_keeps_a_costly_one_from_the_daemon(app_with, test_jobs, url):
    # One level more than ATTACKS (1 GB per ad: the pool has a single slot
    # ad to sum), within a short budget that the worker may not finish in;
    # the daemon spends what it does for any constraint judged in the
    # worker (the attributes of every ad), not the attack's.
    app = app_with(**{"restd.gateway.timeout": "3"})
    daemon = "condor_collector" if "status" in url else "condor_schedd"
    _, baseline = with_daemon_cpu(daemon, lambda: app.get(url, params={"constraint": JUDGED_IN_THE_WORKER_BEFORE},
                                                          expect_errors=True))
    answer, spent = with_daemon_cpu(daemon, lambda: app.get(url, params={"constraint": join_constraint(9)},
                                                            expect_errors=True))
    assert answer.status_int in (200, 503) and answer.content_type == "application/json"
    if answer.status_int == 200:  # the constraint holds for every ad
        assert answer.json == app.get(url).json
    assert spent < baseline + DAEMON_CPU_BOUND


#: A worker's memory cap for the tests below, and a constraint that needs
#: more than it per ad (a 1 GB string) when judged in the worker.
WORKER_MEMORY = 512 * 2**20
TOO_COSTLY_FOR_THE_WORKER = join_constraint(9)


@pytest.mark.parametrize("url", ENDPOINTS)
def test_a_constraint_needing_more_than_the_workers_memory_is_400_and_the_server_goes_on(app_with, test_jobs, url):
    app = app_with(**{"restd.gateway.worker_memory": str(WORKER_MEMORY)})
    answer = app.get(url, params={"constraint": TOO_COSTLY_FOR_THE_WORKER}, status=400).json
    assert "too costly" in answer["message"]
    assert app.get(url, params={"constraint": "true"}).json


@pytest.mark.parametrize("url", ENDPOINTS)
def test_a_record_too_large_for_the_classad_library_matches_nothing_and_is_no_error(app, test_jobs, url):
    assert app.get(url, params={"constraint": record_constraint(22)}).json == []
