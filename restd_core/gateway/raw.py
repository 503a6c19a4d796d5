"""Answers that a worker encodes to JSON itself.

Large job listings are shaped and encoded once, in the worker process, and
the request process passes the bytes through: decoding them there only to
encode them again cost about as much as the query itself (bench/README.md).
"""
from __future__ import annotations

import importlib
from typing import Any, NamedTuple

import orjson


class RawJson(NamedTuple):
    """``body``: the answer's JSON text; ``count``: how many items its
    array holds; ``last``: the last of them (a paging cursor), or None."""

    body: bytes
    count: int
    last: Any


def shaped(items: list[Any], shape: str, options: dict[str, Any] | None) -> RawJson:
    """``function(items, **options)`` (``shape`` names it: ``"module:function"``;
    it answers a list) as a ``RawJson``."""
    module, function = shape.split(":")
    answer = getattr(importlib.import_module(module), function)(items, **(options or {}))
    return RawJson(orjson.dumps(answer), len(answer), answer[-1] if answer else None)
