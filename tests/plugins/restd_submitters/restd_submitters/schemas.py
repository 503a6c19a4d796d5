"""The plugin's request schema (colander: checked before the view runs, a
400 in the server's error schema otherwise) and answer schema (JSON Schema,
for /openapi.json)."""
from __future__ import annotations

import colander

from restd_core.plugin_api.web import name_node


class SubmittersQuery(colander.MappingSchema):
    name = name_node(missing=colander.drop, description="Only this submitter (user@domain)")


class SubmittersRequest(colander.MappingSchema):
    querystring = SubmittersQuery()


SUBMITTER_LIST = {
    "type": "array",
    "items": {
        "type": "object",
        "required": ["name", "schedd", "idle", "running", "held"],
        "properties": {
            "name": {"type": ["string", "null"]},
            "schedd": {"type": ["string", "null"]},
            "idle": {"type": "integer"},
            "running": {"type": "integer"},
            "held": {"type": "integer"},
        },
        "additionalProperties": False,
    },
}
