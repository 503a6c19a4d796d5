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


class Waiting:
    """A call waiting for its turn in a thread of its own; once it has it,
    it says so (``got``, its name in ``order``) and holds it until ``finish``."""

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


class Calls:
    """One scheduler's calls in a test: ``hold`` takes turns at once (each
    must find a worker free) until its ``stack`` closes, ``wait`` sends a
    call that waits (``Waiting``); ``order``: the names of those that got
    their turns, in that order."""

    def __init__(self, scheduler: Scheduler) -> None:
        self.scheduler = scheduler
        self.order: list[str] = []
        self._waiting: list[Waiting] = []

    def hold(self, stack: ExitStack, *claims: Claim) -> None:
        for claim in claims:
            stack.enter_context(self.scheduler.turn(claim, 0))

    def wait(self, claim: Claim, name: str) -> Waiting:
        """A call that waits: back once it is in the queue."""
        self._waiting.append(Waiting(self.scheduler, claim, self.order, name))
        while self.scheduler.queued < sum(not call.got.is_set() and call.error is None for call in self._waiting):
            threading.Event().wait(0.005)
        return self._waiting[-1]

    def finish(self) -> None:
        for call in self._waiting:
            call.finish()


@pytest.fixture
def calls() -> Iterator[Callable[..., Calls]]:
    made: list[Calls] = []

    def of(workers: int, queue_depth: int = 64) -> Calls:
        made.append(Calls(Scheduler(workers, queue_depth)))
        return made[-1]

    yield of
    for each in made:
        each.finish()


def test_one_caller_alone_may_take_every_worker_with_short_calls(calls):
    three = calls(3)
    with ExitStack() as stack:
        three.hold(stack, *[Claim("alice", short=True)] * 3)
        assert three.scheduler.free == 0
    assert three.scheduler.free == 3


def test_a_long_call_never_takes_the_last_idle_worker_but_a_short_one_does(calls):
    three = calls(3)
    with ExitStack() as stack:
        three.hold(stack, Claim("alice"), Claim("alice"))
        with pytest.raises(Busy), three.scheduler.turn(Claim("bob"), 0):
            pass
        three.hold(stack, Claim("bob", short=True))


def test_with_one_worker_a_long_call_takes_it(calls):
    one = calls(1)
    with ExitStack() as stack:
        one.hold(stack, Claim("alice"))
        assert one.scheduler.free == 0


def test_a_freed_worker_goes_to_the_caller_with_the_fewest_calls_in_flight(calls):
    two = calls(2)
    with ExitStack() as first, ExitStack() as second:
        two.hold(first, Claim("alice", short=True))
        two.hold(second, Claim("alice", short=True))
        two.wait(Claim("alice", short=True), "alice's third")
        bob = two.wait(Claim("bob", short=True), "bob's first")
        first.close()  # one of alice's calls ends: bob has none in flight, alice one
        bob.got.wait()
        assert two.order == ["bob's first"] and two.scheduler.queued == 1


def test_a_short_call_passes_long_ones_that_wait_for_more_than_the_last_worker(calls):
    two = calls(2)
    with ExitStack() as stack:
        two.hold(stack, Claim("alice"))
        two.wait(Claim("alice"), "alice's listing")
        two.hold(stack, Claim("bob", short=True))  # the last idle worker, at once
        assert two.order == [] and two.scheduler.queued == 1


def test_past_its_queues_bound_a_callers_call_is_refused_and_anothers_still_waits(calls):
    one = calls(1, queue_depth=1)
    with ExitStack() as stack:
        one.hold(stack, Claim("alice"))
        one.wait(Claim("alice"), "alice's second")
        with pytest.raises(Throttled), one.scheduler.turn(Claim("alice"), FOREVER):
            pass
        one.wait(Claim("bob"), "bob's first")
        assert one.scheduler.queued == 2


def test_a_call_whose_client_has_gone_leaves_the_queue(calls):
    one = calls(1)
    gone = threading.Event()
    with ExitStack() as stack:
        one.hold(stack, Claim("alice"))
        bob = one.wait(Claim("bob", gone=gone.is_set), "bob's")
        gone.set()
        assert isinstance(bob.ended(), ClientGone) and one.scheduler.queued == 0
    assert one.order == [] and one.scheduler.free == 1
