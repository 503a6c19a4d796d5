"""Answer-shaping rules that operations share: redaction (of hidden job
attributes and config knobs) and grouping. Pure functions, no I/O."""
from __future__ import annotations

import fnmatch
import re
from collections.abc import Iterable
from functools import lru_cache
from typing import Any

import orjson

REDACTED = "<REDACTED>"


def matches_any(name: str, patterns: Iterable[str]) -> bool:
    """Whether ``name`` matches one of the fnmatch-style ``patterns``,
    ignoring case (HTCondor's names are case-insensitive)."""
    return _any_of(tuple(patterns)).fullmatch(name) is not None


@lru_cache(maxsize=64)
def _any_of(patterns: tuple[str, ...]) -> re.Pattern[str]:
    """One regular expression for all the fnmatch-style ``patterns`` (a
    full config listing tests every knob against every pattern)."""
    return re.compile("|".join(f"(?:{fnmatch.translate(pattern)})" for pattern in patterns) or "(?!)", re.IGNORECASE)


def is_hidden_knob(name: str, patterns: Iterable[str]) -> bool:
    """Whether a configuration knob is hidden: its name, or its name after
    any ``SUBSYS.`` / ``LOCALNAME.`` prefix (``SCHEDD.MY_DB_URL`` is
    ``MY_DB_URL`` for the schedd), matches one of the ``patterns``."""
    parts = name.split(".")
    return any(matches_any(".".join(parts[first:]), patterns) for first in range(len(parts)))


def group_key(value: Any) -> str:
    """The JSON object key for a group: a string as itself, anything else
    as its JSON text (``5``, ``true``, ``1.5``)."""
    return value if isinstance(value, str) else orjson.dumps(value).decode()


def group_by_attribute(objects: Iterable[dict[str, Any]], attribute: str) -> dict[str, list[dict[str, Any]]]:
    """Objects with a ``classad`` (jobs, status ads) grouped by the value of
    ``attribute`` (lower-cased); those without it (or with it UNDEFINED)
    are left out."""
    groups: dict[str, list[dict[str, Any]]] = {}
    for item in objects:
        value = item["classad"].get(attribute)
        if value is not None:
            groups.setdefault(group_key(value), []).append(item)
    return groups
