"""JSON Schemas of the summary plugin's answers, for the OpenAPI document."""
from __future__ import annotations

from restd_core.plugin_api.web import Schema, every_schedd_answer

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

#: One schedd's counts, or every schedd's (``*``) summed.
EVERY_SCHEDDS_JOB_COUNTS: Schema = {"oneOf": [JOB_COUNTS, every_schedd_answer(
    {
        **{name: JOB_COUNTS["properties"][name] for name in ("by", "totals", "groups")},
        "per_schedd": {"type": "object", "description": "Each schedd's own totals, by its name",
                       "additionalProperties": {"type": "object", "required": ["totals"],
                                                "properties": {"totals": JOB_TOTALS}, "additionalProperties": False}},
    },
    "Every schedd's job counts (the schedd *), summed over the schedds that answered",
)]}

AMOUNT: Schema = {"type": "number", "minimum": 0}

RESOURCE: Schema = {
    "type": "object",
    "description": "The slots' amount of the resource: all of it, what jobs hold (static slots claimed, dynamic "
                   "slots) and the rest (static slots not claimed, what partitionable slots have left)",
    "required": ["total", "claimed", "unclaimed"],
    "properties": {"total": AMOUNT, "claimed": AMOUNT, "unclaimed": AMOUNT},
    "additionalProperties": False,
}

SLOT_COUNTS: dict[str, Schema] = {
    "slots": {**COUNT, "description": "Slot ads (partitionable, dynamic and static slots, each once)"},
    "cpus": RESOURCE, "gpus": RESOURCE,
    "memory": {**RESOURCE, "description": f"{RESOURCE['description']}; MiB"},
    "disk": {**RESOURCE, "description": f"{RESOURCE['description']}; KiB"},
}

SLOT_UTILIZATION: Schema = {
    "type": "object",
    "required": ["by", "totals", "groups"],
    "properties": {
        "by": BY,
        "totals": {"type": "object", "required": list(SLOT_COUNTS), "properties": SLOT_COUNTS,
                   "additionalProperties": False},
        "groups": {
            "type": "array",
            "description": "One per combination of the by attributes' values among the slots, in the order of "
                           "their keys",
            "items": {"type": "object", "required": ["key", *SLOT_COUNTS],
                      "properties": {"key": GROUP_KEY, **SLOT_COUNTS}, "additionalProperties": False},
        },
    },
    "additionalProperties": False,
}

_NUMBER: Schema = {"type": "number"}
_TIME: Schema = {"type": "number", "description": "Unix seconds (0: never)"}

PRIORITIES: Schema = {
    "type": "object",
    "required": ["submitters"],
    "properties": {
        "submitters": {
            "type": "array",
            "description": "condor_userprio's columns for each submitter (accounting groups left out), lowest "
                           "effective priority first",
            "items": {
                "type": "object",
                "required": ["name", "effective_priority", "real_priority", "priority_factor", "resources_in_use",
                             "weighted_resources_in_use", "accumulated_usage", "weighted_accumulated_usage",
                             "begin_usage_time", "last_usage_time"],
                "properties": {
                    "name": {"type": "string", "description": "user@uid_domain"},
                    "effective_priority": _NUMBER,
                    "real_priority": {"type": ["number", "null"],
                                      "description": "effective_priority / priority_factor (null for a factor of 0)"},
                    "priority_factor": _NUMBER, "resources_in_use": _NUMBER, "weighted_resources_in_use": _NUMBER,
                    "accumulated_usage": _NUMBER, "weighted_accumulated_usage": _NUMBER,
                    "begin_usage_time": _TIME, "last_usage_time": _TIME,
                },
                "additionalProperties": False,
            },
        },
    },
    "additionalProperties": False,
}
