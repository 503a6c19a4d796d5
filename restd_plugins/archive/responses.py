"""The JSON Schema of ``/v1/summary/history``'s answer, for the OpenAPI document."""
from __future__ import annotations

from restd_core.plugin_api.web import Schema

_NUMBER_OR_NULL: Schema = {"type": ["number", "null"]}
_COUNT: Schema = {"type": "integer", "minimum": 0}

GROUP: Schema = {
    "type": "object",
    "required": ["key", "jobs", "completed", "removed", "exited_nonzero", "restarted", "wall_hours", "cpu_hours",
                 "cpu_efficiency", "memory_requested_mib", "memory_peak_mib", "gpu_hours", "wait_median_seconds",
                 "wait_p95_seconds"],
    "properties": {
        "key": {"type": "object", "description": "The group's value of the by attribute (lower-cased name); {} "
                "without by; the value null for the groups summed under other"},
        "other": {"type": "boolean", "description": "The groups past the largest ones, summed (only there, true)"},
        "jobs": _COUNT, "completed": _COUNT, "removed": _COUNT, "exited_nonzero": _COUNT, "restarted": _COUNT,
        "wall_hours": {"type": "number"}, "cpu_hours": {"type": "number"}, "cpu_efficiency": _NUMBER_OR_NULL,
        "memory_requested_mib": _NUMBER_OR_NULL, "memory_peak_mib": _NUMBER_OR_NULL, "gpu_hours": {"type": "number"},
        "wait_median_seconds": _NUMBER_OR_NULL, "wait_p95_seconds": _NUMBER_OR_NULL,
    },
}

HISTORY_SUMMARY: Schema = {
    "type": "object",
    "required": ["from", "to", "bucket", "by", "buckets"],
    "properties": {
        "from": {"type": "integer"}, "to": {"type": "integer"},
        "bucket": {"type": "integer", "description": "Each bucket's length (seconds)"},
        "by": {"type": "array", "items": {"type": "string"}},
        "buckets": {"type": "array", "items": {
            "type": "object", "required": ["start", "groups"],
            "properties": {"start": {"type": "integer"}, "groups": {"type": "array", "items": GROUP}}}},
    },
}
