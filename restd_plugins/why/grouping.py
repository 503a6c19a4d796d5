"""Held jobs' groups folded from the schedd's counts: pure functions on
plain data, used in the workers (one schedd) and the request process
(every schedd's answers merged)."""
from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import orjson

from .hold_codes import CODE_NAME_KEY, code_name

#: Example jobs one group keeps at most, whatever a caller asks.
MAX_EXAMPLES = 5


def held_groups(counted: Iterable[dict[str, Any]], keys: list[str], entered: str) -> list[dict[str, Any]]:
    """Groups of ``keys`` from counts keyed by ``keys`` and ``entered``
    (their time): each with its count, oldest and newest time (None when
    no job has a number there, a hidden one included); largest first."""
    merged: dict[bytes, dict[str, Any]] = {}
    for group in counted:
        key = {name: group["key"].get(name) for name in keys}
        when = group["key"].get(entered)
        when = when if type(when) in (int, float) else None
        text = orjson.dumps(key, option=orjson.OPT_SORT_KEYS)
        known = merged.setdefault(text, {"key": key, "count": 0, "oldest_entered": None, "newest_entered": None})
        known["count"] += group["count"]
        _widen(known, when)
    return ordered(merged.values())


def merged_groups(answers: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    """Several schedds' groups (by name) as one list: counts added, times
    widened, examples (each tagged with its schedd) kept up to MAX_EXAMPLES."""
    merged: dict[bytes, dict[str, Any]] = {}
    for schedd, answer in answers.items():
        for group in answer["groups"]:
            text = orjson.dumps(group["key"], option=orjson.OPT_SORT_KEYS)
            known = merged.setdefault(text, {"key": group["key"], "count": 0, "oldest_entered": None,
                                             "newest_entered": None})
            known["count"] += group["count"]
            for when in (group["oldest_entered"], group["newest_entered"]):
                _widen(known, when)
            if "examples" in group:
                tagged = [{**example, "schedd": schedd} for example in group["examples"]]
                known["examples"] = [*known.get("examples", []), *tagged][:MAX_EXAMPLES]
    return ordered(merged.values())


def ordered(groups: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """Largest group first, ties in the order of their keys' JSON text;
    each key with its HoldReasonCode's name when it has the code."""
    for group in groups:
        if "holdreasoncode" in group["key"]:
            group["key"][CODE_NAME_KEY] = code_name(group["key"]["holdreasoncode"])
    return sorted(groups, key=lambda group: (-group["count"], orjson.dumps(group["key"],
                                                                          option=orjson.OPT_SORT_KEYS)))


def _widen(group: dict[str, Any], when: Any) -> None:
    """The group's oldest and newest times widened to hold ``when``."""
    if when is None:
        return
    if group["oldest_entered"] is None or when < group["oldest_entered"]:
        group["oldest_entered"] = when
    if group["newest_entered"] is None or when > group["newest_entered"]:
        group["newest_entered"] = when
