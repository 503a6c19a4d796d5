"""Successive answers of a query as events, and the events as SSE frames."""
from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import orjson

from .query import Items

#: A comment line: nothing for the client, something for the proxies between.
HEARTBEAT = b": hb\n\n"


def changes(old: Items, new: Items) -> Iterator[tuple[str, dict[str, Any]]]:
    """``(event, data)`` that turn ``old`` into ``new``: ``added`` (its
    attributes), ``changed`` (the attributes whose values changed, with
    their new values; one no longer there is null), ``removed``; in the
    answer's own order, the removed ones last."""
    for item, attributes in new.items():
        before = old.get(item)
        if before is None:
            yield "added", {"id": item, "attrs": attributes}
        elif before != attributes:
            changed = {name: value for name, value in attributes.items() if before.get(name, None) != value}
            changed.update({name: None for name in before if name not in attributes})
            yield "changed", {"id": item, "attrs": changed}
    for item in old:
        if item not in new:
            yield "removed", {"id": item}


def frame(event: str, event_id: str, data: Any) -> bytes:
    """One SSE event (orjson never writes a raw newline: one data line)."""
    return b"event: %s\nid: %s\ndata: %s\n\n" % (event.encode(), event_id.encode(), orjson.dumps(data))
