"""The plugin's request schemas (colander, from the toolkit's shared
fields) and answer schemas (JSON Schema, for /openapi.json)."""
from __future__ import annotations

import colander

from restd_core.plugin_api.web import attribute_node, constraint_node, limit_node, projection_node, request_schema


class HistoryQuery(colander.MappingSchema):
    projection = projection_node()
    constraint = constraint_node()
    limit = limit_node()


class CountsQuery(colander.MappingSchema):
    by = attribute_node(description="The attribute whose values are counted")
    constraint = constraint_node()
    limit = limit_node()


HISTORY_REQUEST = request_schema(HistoryQuery, every_schedd=True)
COUNTS_REQUEST = request_schema(CountsQuery)

JOB = {
    "type": "object",
    "required": ["jobid", "classad"],
    "properties": {"jobid": {"type": "string"}, "schedd": {"type": "string"}, "classad": {"type": "object"}},
}
HISTORY = {"oneOf": [
    {"type": "array", "items": JOB},
    {"type": "object", "required": ["schedds", "failed", "jobs"],
     "properties": {"schedds": {"type": "array", "items": {"type": "string"}},
                    "failed": {"type": "array", "items": {"type": "object"}},
                    "jobs": {"type": "array", "items": JOB}}},
]}
COUNTS = {
    "type": "object",
    "required": ["by", "total", "counts"],
    "properties": {
        "by": {"type": "string"},
        "total": {"type": "integer"},
        "counts": {"type": "array", "items": {"type": "object", "required": ["value", "count"]}},
    },
}
