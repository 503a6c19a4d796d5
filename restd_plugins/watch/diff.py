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
    answer's own order, the removed ones last. Only an item whose text
    changed is decoded."""
    for item, text in new.items():
        before = old.get(item)
        if before is None:
            yield "added", {"id": item, "attrs": orjson.Fragment(text)}
        elif before != text:
            changed = changed_attributes(orjson.loads(before), orjson.loads(text))
            if changed:  # not only the order of the attributes
                yield "changed", {"id": item, "attrs": changed}
    for item in old:
        if item not in new:
            yield "removed", {"id": item}


def changed_attributes(before: dict[str, Any], after: dict[str, Any]) -> dict[str, Any]:
    changed = {name: value for name, value in after.items() if before.get(name) != value}
    changed.update({name: None for name in before if name not in after})
    return changed


def snapshot(items: Items) -> dict[str, Any]:
    """A ``snapshot`` event's data, the items' texts embedded as they are."""
    return {"items": {item: orjson.Fragment(text) for item, text in items.items()}, "resumed": False}


def frame(event: str, event_id: str, data: Any) -> bytes:
    """One SSE event, its data on one line: the items' texts embedded as the
    workers made them may have line breaks between their tokens (a raw one
    is never inside a JSON string), which SSE would read as line ends."""
    payload = orjson.dumps(data).replace(b"\r", b"").replace(b"\n", b"")
    return b"event: %s\nid: %s\ndata: %s\n\n" % (event.encode(), event_id.encode(), payload)
