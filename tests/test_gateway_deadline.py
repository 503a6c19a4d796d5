"""One time budget for all the HTCondor calls of a request (``deadline``)."""
from __future__ import annotations

import pytest

from restd_core.gateway import Gateway, Timeout, deadline

FAULTY = "tests.fakes.faulty_bindings"
SHAPE = "restd_plugins.jobs.shaping:job_objects"


@pytest.fixture
def gateway():
    """One worker, started before the test (a first call waits for it)."""
    made = Gateway(workers=1, timeout=60, ops_module=FAULTY)
    made.query_jobs("pid", "queue", shape=SHAPE)
    yield made
    made.close()


def test_a_call_within_a_deadline_times_out_at_the_deadline_not_at_the_gateway_timeout(gateway):
    with deadline(0.5), pytest.raises(Timeout):
        gateway.query_jobs("slow-60", "queue", shape=SHAPE)


def test_a_call_after_the_deadline_passed_is_a_timeout_without_asking_a_worker(gateway):
    with deadline(0), pytest.raises(Timeout):
        gateway.query_jobs("pid", "queue", shape=SHAPE)
    assert gateway.worker_replacements == 0


def test_a_deadline_does_not_outlive_its_block(gateway):
    with deadline(0), pytest.raises(Timeout):
        gateway.read_params(["X"])
    assert gateway.read_params(["X"]) == {"X": None}
