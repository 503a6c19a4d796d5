"""The why endpoints' parameters (colander) and answers (JSON Schema)."""
from __future__ import annotations

import colander

from restd_core.plugin_api.web import Schema, constraint_node, every_schedd_answer
from restd_plugins.summary.responses import BY, COUNT, GROUP_KEY
from restd_plugins.summary.schemas import NoQuery, by_node

from .grouping import MAX_EXAMPLES
from .hold_codes import CODE_NAME_KEY

#: What held jobs are counted by unless the caller says otherwise.
DEFAULT_HELD_BY = ["HoldReasonCode", "HoldReasonSubCode", "Owner"]
#: Example jobs per group unless the caller says otherwise.
DEFAULT_EXAMPLES = 3


class HeldQuery(colander.MappingSchema):
    by = by_node("job")
    constraint = constraint_node()
    examples = colander.SchemaNode(
        colander.Integer(), missing=DEFAULT_EXAMPLES, validator=colander.Range(min=0, max=MAX_EXAMPLES),
        description=f"Example jobs (id and HoldReason) of each of the largest groups, 0 to {MAX_EXAMPLES} "
                    f"(default {DEFAULT_EXAMPLES})")


_TIME: Schema = {"type": ["number", "null"],
                 "description": "EnteredCurrentStatus (Unix seconds) of the group's job held longest / latest; null "
                                "when none has one to show"}

EXAMPLE: Schema = {
    "type": "object",
    "required": ["jobid", "hold_reason"],
    "properties": {
        "jobid": {"type": "string", "description": "ClusterId.ProcId"},
        "hold_reason": {"description": "The job's HoldReason text (\"<REDACTED>\" when hidden; null when absent)"},
        "schedd": {"type": "string", "description": "The job's schedd (the schedd * only)"},
    },
    "additionalProperties": False,
}

HELD_GROUPS: Schema = {
    "type": "array",
    "description": "One per combination of the by attributes' values among the held jobs, largest first",
    "items": {
        "type": "object",
        "required": ["key", "count", "oldest_entered", "newest_entered"],
        "properties": {
            "key": {**GROUP_KEY, "description": f"{GROUP_KEY['description']}; with holdreasoncode, also "
                                                f"{CODE_NAME_KEY} (HTCondor's name of the code, null if none)"},
            "count": COUNT, "oldest_entered": _TIME, "newest_entered": _TIME,
            "examples": {"type": "array", "items": EXAMPLE, "maxItems": MAX_EXAMPLES,
                         "description": "A few of the group's jobs (the largest groups only)"},
        },
        "additionalProperties": False,
    },
}

HELD: Schema = {
    "type": "object",
    "required": ["schedd", "by", "held", "groups"],
    "properties": {
        "schedd": {"type": "string", "description": "The schedd's name (DEFAULT's real name)"},
        "by": BY, "held": {**COUNT, "description": "Held jobs in the queue"}, "groups": HELD_GROUPS,
    },
    "additionalProperties": False,
}

#: One schedd's held jobs, or every schedd's (``*``) merged.
EVERY_SCHEDDS_HELD: Schema = {"oneOf": [HELD, every_schedd_answer(
    {"by": BY, "held": HELD["properties"]["held"], "groups": HELD_GROUPS},
    "Every schedd's held jobs (the schedd *), merged over the schedds that answered",
)]}


class HealthRequest(colander.MappingSchema):
    querystring = NoQuery()


_VERDICT: Schema = {"enum": ["ok", "warning", "critical"]}
_MAYBE_NUMBER: Schema = {"type": ["number", "null"]}


def _daemons(checks: tuple[str, ...], numbers: list[str], what: str) -> Schema:
    return {
        "type": "array",
        "description": f"Each {what} the collector knows, by name",
        "items": {
            "type": "object",
            "required": ["name", "verdict", "numbers", "checks"],
            "properties": {
                "name": {"type": "string"},
                "verdict": {**_VERDICT, "description": "Its worst check's verdict"},
                "numbers": {"type": "object", "description": "What its ad says (null where it says nothing)",
                            "required": numbers, "properties": {name: {} for name in numbers},
                            "additionalProperties": False},
                "checks": {"type": "object", "required": list(checks), "additionalProperties": False,
                           "properties": {name: {"type": "object", "required": ["value", "verdict"],
                                                 "properties": {"value": {"type": ["number", "boolean", "null"]},
                                                                "verdict": _VERDICT},
                                                 "additionalProperties": False} for name in checks}},
            },
            "additionalProperties": False,
        },
    }


def health_schema(checks: dict[str, tuple[str, ...]]) -> Schema:
    common = ["ad_age_seconds", "duty_cycle"]
    return {
        "type": "object",
        "required": ["verdict", "schedds", "negotiators", "collectors"],
        "properties": {
            "verdict": {**_VERDICT, "description": "The worst daemon's verdict"},
            "schedds": _daemons(checks["schedds"], [*common, "running_jobs", "max_jobs_running", "shadows",
                                                    "transfer_waiting", "curb_matchmaking"], "schedd"),
            "negotiators": _daemons(checks["negotiators"], [*common, "interval_seconds", "last_cycle_seconds",
                                                            "last_cycle_age_seconds"], "negotiator"),
            "collectors": _daemons(checks["collectors"], [*common, "dropped_queries", "pending_queries",
                                                          "updates_lost"], "collector"),
        },
        "additionalProperties": False,
    }
