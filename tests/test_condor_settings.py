"""The RESTD_* knobs in the request process (restd_core.assembly.condor_settings):
read through a worker, and read again behind the requests, so that a
request (one the response cache answers too) never waits for a worker."""
from __future__ import annotations

import threading

import pytest

from restd_core.assembly.condor_settings import KNOBS, CondorSettings
from restd_core.gateway import GatewayError

from .waiting import wait_until


class BlockingGateway:
    """A gateway whose ``read_params`` answers ``values``; while ``block``
    is set, a call waits until ``release`` (a worker stuck in a daemon:
    what the real pool cannot be made to do on cue)."""

    def __init__(self, values: dict[str, object]) -> None:
        self.values = values
        self.calls = 0
        self.block = False
        self.blocked = threading.Event()
        self.release = threading.Event()

    def call(self, op: str, **arguments: object) -> dict[str, object]:
        assert op == "read_params" and arguments == {"names": list(KNOBS.values())}
        self.calls += 1
        if self.block:
            self.blocked.set()
            assert self.release.wait(30)
        return dict(self.values)


def knobs_over(gateway: BlockingGateway, refresh_seconds: float, now: list[float]) -> CondorSettings:
    return CondorSettings(gateway, refresh_seconds, clock=lambda: now[0])


def test_old_knobs_are_answered_while_a_blocked_worker_reads_them_again():
    now = [0.0]
    gateway = BlockingGateway({"RESTD_MAX_JOBS": "10"})
    knobs = knobs_over(gateway, 5, now)
    assert knobs.get().max_jobs == 10
    gateway.values, gateway.block = {"RESTD_MAX_JOBS": "20"}, True
    now[0] = 6  # older than refresh_seconds: read again, behind
    assert knobs.get().max_jobs == 10
    assert gateway.blocked.wait(30)
    assert [knobs.get().max_jobs for _ in range(3)] == [10, 10, 10]  # the read is stuck: nobody waits for it
    assert gateway.calls == 2  # one read at a time
    gateway.release.set()
    assert wait_until(lambda: knobs.get().max_jobs == 20)


def test_a_knob_that_does_not_fit_keeps_the_last_good_values(caplog):
    now = [0.0]
    gateway = BlockingGateway({"RESTD_MAX_JOBS": "10"})
    knobs = knobs_over(gateway, 5, now)
    assert knobs.get().max_jobs == 10
    gateway.values = {"RESTD_MAX_JOBS": "many"}
    now[0] = 6
    assert knobs.get().max_jobs == 10
    assert wait_until(lambda: "RESTD_MAX_JOBS must be an integer" in caplog.text)  # read behind, logged
    assert knobs.get().max_jobs == 10 and gateway.calls == 2


def test_without_good_values_yet_a_knob_that_does_not_fit_is_the_request_s_error():
    knobs = knobs_over(BlockingGateway({"RESTD_CACHE_TTL": "soon"}), 5, [0.0])
    with pytest.raises(GatewayError, match="RESTD_CACHE_TTL"):
        knobs.get()
