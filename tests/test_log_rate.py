"""Floods of refusals are logged as a count per interval, not a line each."""
from __future__ import annotations

import logging

from restd_core.pipeline.log_rate import MAX_KINDS, RateLog

from .conftest import logged
from .waiting import wait_until


def test_a_flood_is_one_line_then_one_line_saying_how_many(caplog):
    caplog.set_level(logging.INFO, logger="test.rate")
    rate = RateLog(logging.getLogger("test.rate"), 1)
    for number in range(1000):
        rate.log(logging.ERROR, "refused", f"refused #{number}")
    assert wait_until(lambda: len(logged(caplog, "test.rate")) >= 2, interval=0.01)
    assert logged(caplog, "test.rate") == ["refused #0", "999 more like it in 1 s (the last: refused #999)"]


def test_each_kind_has_its_first_line_and_invented_kinds_are_counted_together(caplog):
    caplog.set_level(logging.INFO, logger="test.rate")
    rate = RateLog(logging.getLogger("test.rate"), 60)
    for number in range(MAX_KINDS * 10):
        rate.log(logging.ERROR, f"kind {number}", f"line {number}")
    assert len(logged(caplog, "test.rate")) == MAX_KINDS + 1
