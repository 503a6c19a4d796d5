"""JSON Schemas of the jobs plugin's answers, for the OpenAPI document."""
from __future__ import annotations

from restd_core.jsonschema import Schema, grouped_by_value, lower_cased_object

CLASSAD: Schema = lower_cased_object(
    "The job's ClassAd as HTCondor's JSON form gives it, with lower-cased keys; "
    'an expression that is not a literal is "/Expr(<expression>)/", UNDEFINED is null'
)

JOB: Schema = {
    "type": "object",
    "required": ["jobid", "classad"],
    "properties": {
        "jobid": {"type": "string", "pattern": r"^[0-9]+\.[0-9]+$", "description": "ClusterId.ProcId"},
        "classad": CLASSAD,
    },
    "additionalProperties": False,
}

JOBS: Schema = {"type": "array", "items": JOB}

GROUPED_JOBS: Schema = grouped_by_value(JOBS, "Jobs")

ATTRIBUTE_VALUE: Schema = {
    "description": "The attribute's bare JSON value (never null: an undefined attribute is 404)",
    "not": {"type": "null"},
}
