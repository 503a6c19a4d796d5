"""The event streams, described for the OpenAPI document."""
from __future__ import annotations

from restd_core.plugin_api.web import Schema, lower_cased_object

_ATTRIBUTES = lower_cased_object("An item's attributes (lower-cased names; values as the listing gives them)")
_ID = {"type": "string", "description": 'The item: a job\'s "ClusterId.ProcId", an ad\'s Name '
                                       '("<MyType>/<Name>" for query=any)'}

#: Each event's ``data`` (JSON), by event name.
EVENT_DATA: dict[str, Schema] = {
    "snapshot": {"type": "object", "required": ["items", "resumed"], "properties": {
        "items": {"type": "object", "additionalProperties": _ATTRIBUTES, "description": "Every item, by id"},
        "resumed": {"const": False, "description": "A fresh state: what came before it is replaced"}}},
    "added": {"type": "object", "required": ["id", "attrs"], "properties": {"id": _ID, "attrs": _ATTRIBUTES}},
    "changed": {"type": "object", "required": ["id", "attrs"], "properties": {
        "id": _ID, "attrs": lower_cased_object("The attributes that changed, with their new values (null: gone)")}},
    "removed": {"type": "object", "required": ["id"], "properties": {"id": _ID}},
    "error": {"$ref": "#/components/schemas/Error"},
    "recovered": {"type": "object", "maxProperties": 0},
}



def _event(name: str, data: Schema) -> Schema:
    """One event as an SSE parser gives it (OpenAPI 3.2's form): its name,
    its id and its ``data`` line, JSON of the schema ``data``."""
    return {
        "type": "object",
        "title": name,
        "required": ["event", "id", "data"],
        "properties": {
            "event": {"const": name},
            "id": {"type": "string", "pattern": r"^\d+-\d+$", "description": "<epoch>-<seq>"},
            "data": {"type": "string", "contentMediaType": "application/json", "contentSchema": data},
        },
    }


#: Each event of a stream: ``itemSchema`` of its media type in the OpenAPI document.
EVENTS: Schema = {
    "description": (
        "Server-Sent Events, each `event: <name>`, `id: <epoch>-<seq>` and one `data:` line of JSON: first a "
        "`snapshot` of every item (or, with a `Last-Event-ID` header this query's poller still has the events "
        "after, exactly those), then `added`, `changed` and `removed` as HTCondor's answer changes, `error` while "
        "HTCondor cannot be asked (the stream goes on) and `recovered` when it can again; `: hb` comment lines "
        "when nothing else was sent for a while. An `error` with a 4xx code ends the stream (the caller is no "
        "longer allowed, or the query no longer is)."
    ),
    "oneOf": [_event(name, data) for name, data in EVENT_DATA.items()],
}
