"""One time budget for all the HTCondor calls of a request (``deadline``)."""
from __future__ import annotations

import pytest

from restd_core.gateway import Gateway, Operation, Operations, Timeout, deadline


@pytest.fixture
def gateway():
    """One worker, started before the test (a first call waits for it)."""
    operations = Operations()
    operations.add(Operation("faulty", "tests.fakes.faulty_operations:faulty", "schedd", "tests"))
    operations.freeze()
    made = Gateway(operations, workers=1, timeout=60)
    made.call("faulty", what="pid")
    yield made
    made.close()


def test_a_call_within_a_deadline_times_out_at_the_deadline_not_at_the_gateway_timeout(gateway):
    with deadline(0.5), pytest.raises(Timeout):
        gateway.call("faulty", what="slow-60")


def test_a_call_after_the_deadline_passed_is_a_timeout_without_asking_a_worker(gateway):
    with deadline(0), pytest.raises(Timeout):
        gateway.call("faulty", what="pid")
    assert gateway.worker_replacements == 0


def test_a_deadline_does_not_outlive_its_block(gateway):
    with deadline(0), pytest.raises(Timeout):
        gateway.call("faulty", what="fast")
    assert gateway.call("faulty", what="fast") == "ok"
