"""Typed reading of the ini's ``restd.*`` settings."""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def as_int(settings: Mapping[str, Any], key: str, default: int) -> int:
    return _convert(settings, key, default, int)


def as_float(settings: Mapping[str, Any], key: str, default: float) -> float:
    return _convert(settings, key, default, float)


def as_bool(settings: Mapping[str, Any], key: str, default: bool) -> bool:
    value = settings.get(key)
    if value is None or value == "":
        return default
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("1", "true", "yes", "on"):
        return True
    if text in ("0", "false", "no", "off"):
        return False
    raise ValueError(f"setting {key} must be true or false, not {value!r}")


def _convert(settings: Mapping[str, Any], key: str, default, kind):
    value = settings.get(key)
    if value is None or value == "":
        return default
    try:
        return kind(value)
    except (TypeError, ValueError):
        raise ValueError(f"setting {key} must be a number, not {value!r}") from None
