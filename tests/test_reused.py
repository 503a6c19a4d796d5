"""One way to keep a value fresh (restd_core.reuse.reused): the RESTD_* knobs,
/readyz's answer and the pool gauges."""
from __future__ import annotations

import threading

import pytest

from restd_core.reuse.reused import Reused


class Maker:
    """``make`` answers how many times it was called; the ``hold``-th call
    waits for ``release``; ``fail`` makes the calls raise."""

    def __init__(self, hold: int = 0) -> None:
        self.calls = 0
        self.hold = hold
        self.started = threading.Event()
        self.release = threading.Event()
        self.fail = False

    def make(self) -> int:
        self.calls += 1
        if self.calls == self.hold:
            self.started.set()
            assert self.release.wait(10)
        if self.fail:
            raise RuntimeError("the daemon did not answer")
        return self.calls


def test_a_value_is_made_once_per_ttl():
    now = [0.0]
    maker = Maker()
    reused = Reused(maker.make, ttl=10, clock=lambda: now[0])
    assert [reused.get() for _ in range(3)] == [1, 1, 1]
    now[0] = 10
    assert reused.get() == 2


def test_while_a_value_is_made_the_others_get_the_previous_one():
    now = [0.0]
    maker = Maker(hold=2)
    reused = Reused(maker.make, ttl=10, clock=lambda: now[0])
    assert reused.get() == 1
    now[0] = 11
    making = threading.Thread(target=reused.get)
    making.start()
    maker.started.wait(10)
    assert [reused.get() for _ in range(3)] == [1, 1, 1]  # the one being made is not waited for
    maker.release.set()
    making.join()
    assert reused.get() == 2 and maker.calls == 2


def test_with_wait_the_others_wait_for_the_value_being_made():
    now = [0.0]
    maker = Maker(hold=2)
    reused = Reused(maker.make, ttl=10, wait=True, clock=lambda: now[0])
    assert reused.get() == 1
    now[0] = 11
    making = threading.Thread(target=reused.get)
    making.start()
    maker.started.wait(10)
    answers: list[int] = []
    waiting = threading.Thread(target=lambda: answers.append(reused.get()))
    waiting.start()
    maker.release.set()
    making.join()
    waiting.join()
    assert answers == [2] and maker.calls == 2


def test_behind_the_caller_that_finds_the_value_old_takes_the_previous_one():
    now = [0.0]
    maker = Maker(hold=2)
    reused = Reused(maker.make, ttl=10, behind=True, clock=lambda: now[0])
    assert reused.get() == 1  # the first value: made by its caller
    now[0] = 11
    assert reused.get() == 1  # made again in a thread of its own, which waits: the caller does not
    maker.started.wait(10)
    assert reused.get() == 1
    maker.release.set()
    while reused.get() != 2:
        maker.started.wait(0.01)
    assert maker.calls == 2


def test_a_failure_keeps_the_previous_value_and_is_tried_again_after_the_ttl():
    now = [0.0]
    maker = Maker()
    reused = Reused(maker.make, ttl=10, clock=lambda: now[0])
    assert reused.get() == 1
    now[0] = 10
    maker.fail = True
    with pytest.raises(RuntimeError):
        reused.get()  # its maker is told
    assert [reused.get() for _ in range(3)] == [1, 1, 1] and maker.calls == 2  # one try per ttl
    maker.fail = False
    now[0] = 20
    assert reused.get() == 3


def test_before_there_is_a_value_a_failure_goes_to_the_caller():
    maker = Maker()
    maker.fail = True
    reused = Reused(maker.make, ttl=10, behind=True, clock=lambda: 0.0)
    with pytest.raises(RuntimeError):
        reused.get()
    maker.fail = False
    assert reused.get() == 2
