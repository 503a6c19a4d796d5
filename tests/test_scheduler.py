"""Who gets the next free gateway worker (restd_core.gateway.scheduler), on
its own: the decisions, without HTCondor (tests/test_limits.py has them
against the real pool)."""
from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import ExitStack

import pytest

from restd_core.gateway import Busy, ClientGone, Throttled
from restd_core.gateway.scheduler import Claim, Scheduler

#: Long enough never to end a test's wait (the tests end every wait themselves).
FOREVER = 600.0


def holding(scheduler: Scheduler, stack: ExitStack, *claims: Claim) -> None:
    """Take a turn for each of ``claims`` at once (each must find a worker free)."""
    for claim in claims:
        stack.enter_context(scheduler.turn(claim, 0))


class Waiting:
    """A call waiting for its turn in a thread of its own; it records when
    it got it (in ``order``) and holds it until ``done``."""

    def __init__(self, scheduler: Scheduler, claim: Claim, order: list[str], name: str) -> None:
        self.done = threading.Event()
        self.got = threading.Event()
        self.error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, args=(scheduler, claim, order, name))
        self._thread.start()

    def _run(self, scheduler: Scheduler, claim: Claim, order: list[str], name: str) -> None:
        try:
            with scheduler.turn(claim, FOREVER):
                order.append(name)
                self.got.set()
                self.done.wait()
        except BaseException as exc:  # noqa: BLE001 - what the test asserts
            self.error = exc

    def ended(self) -> BaseException | None:
        """Wait for the call to end by itself; what it raised."""
        self._thread.join()
        return self.error

    def finish(self) -> None:
        self.done.set()
        self._thread.join()


def queued(scheduler: Scheduler, count: int) -> None:
    """Wait until ``count`` calls wait (the threads that send them have started)."""
    while scheduler.queued < count:
        threading.Event().wait(0.005)


@pytest.fixture
def waiting() -> Iterator[Callable[..., Waiting]]:
    calls: list[Waiting] = []

    def start(scheduler: Scheduler, claim: Claim, order: list[str], name: str) -> Waiting:
        calls.append(Waiting(scheduler, claim, order, name))
        return calls[-1]

    yield start
    for call in calls:
        call.finish()


def test_one_caller_alone_may_take_every_worker_with_short_calls():
    scheduler = Scheduler(3, 64)
    with ExitStack() as stack:
        holding(scheduler, stack, *[Claim("alice", short=True)] * 3)
        assert scheduler.free == 0
    assert scheduler.free == 3


def test_a_long_call_never_takes_the_last_idle_worker_but_a_short_one_does():
    scheduler = Scheduler(3, 64)
    with ExitStack() as stack:
        holding(scheduler, stack, Claim("alice"), Claim("alice"))
        with pytest.raises(Busy), scheduler.turn(Claim("bob"), 0):
            pass
        holding(scheduler, stack, Claim("bob", short=True))


def test_with_one_worker_a_long_call_takes_it():
    scheduler = Scheduler(1, 64)
    with scheduler.turn(Claim("alice"), 0):
        assert scheduler.free == 0


def test_a_freed_worker_goes_to_the_caller_with_the_fewest_calls_in_flight(waiting):
    scheduler = Scheduler(2, 64)
    order: list[str] = []
    with ExitStack() as first, ExitStack() as second:
        holding(scheduler, first, Claim("alice", short=True))
        holding(scheduler, second, Claim("alice", short=True))
        waiting(scheduler, Claim("alice", short=True), order, "alice's third")
        queued(scheduler, 1)
        bob = waiting(scheduler, Claim("bob", short=True), order, "bob's first")
        queued(scheduler, 2)
        first.close()  # one of alice's calls ends: bob has none in flight, alice one
        bob.got.wait()
        assert order == ["bob's first"] and scheduler.queued == 1


def test_a_short_call_passes_long_ones_that_wait_for_more_than_the_last_worker(waiting):
    scheduler = Scheduler(2, 64)
    order: list[str] = []
    with ExitStack() as stack:
        holding(scheduler, stack, Claim("alice"))
        waiting(scheduler, Claim("alice"), order, "alice's listing")
        queued(scheduler, 1)
        holding(scheduler, stack, Claim("bob", short=True))  # the last idle worker, at once
        assert order == [] and scheduler.queued == 1


def test_past_its_queues_bound_a_callers_call_is_refused_and_anothers_still_waits(waiting):
    scheduler = Scheduler(1, 1)
    order: list[str] = []
    with ExitStack() as stack:
        holding(scheduler, stack, Claim("alice"))
        waiting(scheduler, Claim("alice"), order, "alice's second")
        queued(scheduler, 1)
        with pytest.raises(Throttled), scheduler.turn(Claim("alice"), FOREVER):
            pass
        waiting(scheduler, Claim("bob"), order, "bob's first")
        queued(scheduler, 2)


def test_a_call_whose_client_has_gone_leaves_the_queue(waiting):
    scheduler = Scheduler(1, 64)
    gone = threading.Event()
    order: list[str] = []
    with ExitStack() as stack:
        holding(scheduler, stack, Claim("alice"))
        call = waiting(scheduler, Claim("bob", gone=gone.is_set), order, "bob's")
        queued(scheduler, 1)
        gone.set()
        assert isinstance(call.ended(), ClientGone) and scheduler.queued == 0
    assert order == [] and scheduler.free == 1
