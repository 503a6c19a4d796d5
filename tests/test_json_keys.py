"""Lowering the keys of JSON text without parsing it (large listings)."""
from __future__ import annotations

import orjson

from restd_core.json_keys import lower_keys


def lowered(value) -> tuple[bool, object]:
    text = bytearray(orjson.dumps(value, option=orjson.OPT_INDENT_2))
    return lower_keys(text), orjson.loads(text)


def test_keys_are_lowered_at_every_depth():
    assert lowered({"ClusterId": 1, "Nested": {"InnerKey": [{"DeepKey": True}]}}) == (
        True, {"clusterid": 1, "nested": {"innerkey": [{"deepkey": True}]}},
    )


def test_values_keep_their_case_even_when_they_look_like_keys():
    assert lowered({"Cmd": "/Bin/Sleep", "Args": ["A", "B: C"], "Env": "X=Y"}) == (
        True, {"cmd": "/Bin/Sleep", "args": ["A", "B: C"], "env": "X=Y"},
    )


def test_an_escaped_quote_before_a_colon_is_left_to_the_parser():
    text = bytearray(orjson.dumps({"Args": 'say "Hi": now'}))
    assert lower_keys(text) is False
    assert orjson.loads(text) == {"Args": 'say "Hi": now'}


def test_a_key_with_an_escaped_quote_is_left_to_the_parser():
    text = bytearray(orjson.dumps({'Odd"Name': 1}))
    assert lower_keys(text) is False


def test_a_key_ending_in_a_backslash_is_left_to_the_parser():
    text = bytearray(orjson.dumps({"Odd\\": 1}))
    assert lower_keys(text) is False


def test_text_without_keys_is_unchanged():
    assert lowered(["A", 1, None]) == (True, ["A", 1, None])
    assert lower_keys(bytearray()) is True
