"""JSON Schemas of the jobs plugin's answers, for the OpenAPI document."""
from __future__ import annotations

from restd_core.plugin_api.web import Schema, every_schedd_answer, grouped_by_value, lower_cased_object

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

#: A job object of a pool-wide listing (the schedd ``*``): it names its schedd.
SCHEDDS_JOB: Schema = {
    **JOB,
    "required": [*JOB["required"], "schedd"],
    "properties": {**JOB["properties"], "schedd": {"type": "string", "description": "The schedd it is from"}},
}

#: A listing of one schedd (an array), or of every schedd (``*``: an object).
LISTING: Schema = {"oneOf": [JOBS, every_schedd_answer(
    {"jobs": {"type": "array", "items": SCHEDDS_JOB}},
    "Every schedd's jobs (the schedd *), each schedd's one after the other, in the order of their names",
)]}

GROUPED_JOBS: Schema = grouped_by_value(JOBS, "Jobs")

ATTRIBUTE_VALUE: Schema = {
    "description": "The attribute's bare JSON value (never null: an undefined attribute is 404)",
    "not": {"type": "null"},
}
