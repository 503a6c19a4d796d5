"""How the watch turns successive answers into events (``restd_plugins.watch.diff``)."""
from __future__ import annotations

import orjson

from restd_core.pipeline.server_time import without_server_time
from restd_plugins.watch.diff import changes, frame, snapshot


def events(old: dict[str, bytes], new: dict[str, bytes]) -> list[tuple[str, dict]]:
    return [(name, orjson.loads(orjson.dumps(data))) for name, data in changes(old, new)]


def test_a_new_item_is_added_with_its_attributes():
    assert events({}, {"1.0": b'{"jobstatus":1}'}) == [("added", {"id": "1.0", "attrs": {"jobstatus": 1}})]


def test_a_changed_item_names_only_the_attributes_that_changed_with_their_new_values():
    old = {"1.0": b'{"jobstatus":1,"owner":"alice","gone":2}'}
    new = {"1.0": b'{"jobstatus":5,"owner":"alice"}'}
    assert events(old, new) == [("changed", {"id": "1.0", "attrs": {"jobstatus": 5, "gone": None}})]


def test_the_same_attributes_in_another_order_are_no_change():
    assert events({"1.0": b'{"a":1,"b":2}'}, {"1.0": b'{"b":2,"a":1}'}) == []


def test_an_item_no_longer_in_the_answer_is_removed_after_the_others():
    assert [name for name, _ in events({"1.0": b"{}", "2.0": b"{}"}, {"2.0": b'{"a":1}', "3.0": b"{}"})] == [
        "changed", "added", "removed"]


def test_an_event_is_one_data_line_even_when_an_items_text_has_line_breaks():
    text = frame("snapshot", "7-3", snapshot({"1.0": b'{\n  "cmd": "a\\nb",\r\n  "x": 1\n}'}))
    lines = text.decode().split("\n")
    assert lines[:2] == ["event: snapshot", "id: 7-3"] and lines[3:] == ["", ""]
    assert orjson.loads(lines[2].removeprefix("data: ")) == {"items": {"1.0": {"cmd": "a\nb", "x": 1}},
                                                             "resumed": False}


def test_the_schedds_clock_is_cut_from_whole_ads_wherever_it_stands():
    assert without_server_time(b'{\n  "a": 1,\n  "servertime": 17,\n  "b": 2\n}') == b'{\n  "a": 1,\n  "b": 2\n}'
    assert orjson.loads(without_server_time(b'{"a":1,"servertime":17}')) == {"a": 1}
    assert orjson.loads(without_server_time(b'{ "servertime": 17, "a": 1}')) == {"a": 1}


def test_a_string_or_a_key_that_spells_the_schedds_clock_stays():
    for text in (rb'{"x":"\",\"servertime\": 1,"}', rb'{"a\"servertime": 1, "b": 2}', rb'{"x": "{\"servertime\": 1,"}'):
        orjson.loads(text)  # valid JSON
        assert without_server_time(text) == text
