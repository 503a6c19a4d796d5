"""JSON Schemas of the summary plugin's answers, for the OpenAPI document."""
from __future__ import annotations

from restd_core.jsonschema import Schema

from .counting import JOB_STATUS_NAMES, STATUS_NAME_KEY

COUNT: Schema = {"type": "integer", "minimum": 0}

BY: Schema = {"type": "array", "items": {"type": "string", "pattern": "^[a-z_][a-z0-9_]*$"},
              "description": "The by attributes, lower-cased (each once)"}

GROUP_KEY: Schema = {
    "type": "object",
    "description": "Each by attribute's value as HTCondor's JSON form gives it (null when a job lacks it); with "
                   f"jobstatus, also {STATUS_NAME_KEY} (its name, null for an unknown number)",
    "propertyNames": {"pattern": "^[a-z_][a-z0-9_]*$"},
}

JOB_TOTALS: Schema = {
    "type": "object",
    "description": "condor_q's summary line: all matching jobs, and how many of them in each JobStatus",
    "required": ["jobs", *JOB_STATUS_NAMES.values()],
    "properties": {name: COUNT for name in ["jobs", *JOB_STATUS_NAMES.values()]},
    "additionalProperties": False,
}

JOB_COUNTS: Schema = {
    "type": "object",
    "required": ["schedd", "by", "totals", "groups"],
    "properties": {
        "schedd": {"type": "string", "description": "The schedd's name (DEFAULT's real name)"},
        "by": BY,
        "totals": JOB_TOTALS,
        "groups": {
            "type": "array",
            "description": "One per combination of the by attributes' values among the matching jobs, in the order "
                           "of their keys",
            "items": {
                "type": "object",
                "required": ["key", "count"],
                "properties": {"key": GROUP_KEY, "count": COUNT},
                "additionalProperties": False,
            },
        },
    },
    "additionalProperties": False,
}
