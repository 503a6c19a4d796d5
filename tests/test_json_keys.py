"""Lowering the keys of JSON text (whole listings at once)."""
from __future__ import annotations

import orjson
import pytest

from restd_core.gateway.worker.json_keys import lowered, lowered_by_parsing

AD = {"ClusterId": 1, "Nested": {"InnerKey": [{"DeepKey": True}]}, "Cmd": "/Bin/Sleep", "Args": ["A", "B: C"]}
AD_LOWERED = {"clusterid": 1, "nested": {"innerkey": [{"deepkey": True}]}, "cmd": "/Bin/Sleep", "args": ["A", "B: C"]}


@pytest.mark.parametrize("option", [0, orjson.OPT_INDENT_2], ids=["compact", "indented"])
def test_keys_are_lowered_at_every_depth_and_values_keep_their_case(option):
    assert orjson.loads(lowered(orjson.dumps(AD, option=option))) == AD_LOWERED


def test_text_without_keys_is_unchanged():
    assert bytes(lowered(b'["A", 1, null]')) == b'["A", 1, null]'
    assert bytes(lowered(b"")) == b""


@pytest.mark.parametrize("value", [
    {"Args": 'say "Hi": now'},  # an escaped quote before a colon, in a value
    {'Odd"Name': 1},  # a key holding a quote
    {"Odd\\": 1},  # a key ending in a backslash
], ids=["quote-colon-in-value", "quote-in-key", "backslash-ending-key"])
def test_what_is_ambiguous_to_find_without_parsing_is_declined(value):
    assert lowered(orjson.dumps(value)) is None


def test_parsing_lowers_every_key_too():
    assert orjson.loads(lowered_by_parsing(orjson.dumps({"Args": 'say "Hi": now', "N": {"K": 1}}).decode())) == {
        "args": 'say "Hi": now', "n": {"k": 1},
    }
