"""The idle endpoints' parameters (colander) and answers (JSON Schema)."""
from __future__ import annotations

import colander

from restd_core.plugin_api.web import EVERY_SCHEDD, Schema, every_schedd_answer, request_schema

from .causes import CAUSES

_COUNT: Schema = {"type": "integer", "minimum": 0}


class IdleQuery(colander.MappingSchema):
    groups = colander.SchemaNode(
        colander.Integer(), missing=colander.drop, validator=colander.Range(min=1),
        description="At most this many groups, the largest first (never more than restd.why.idle.max_groups, "
                    "which it is when not given)")


class OneJobQuery(colander.MappingSchema):
    pass


#: ``/v1/why/idle/{schedd}``: ``*`` for every schedd.
IdleRequest = request_schema(IdleQuery, every_schedd=True)
#: ``/v1/why/idle/{schedd}/{clusterid}/{procid}``: one job.
IdleJobRequest = request_schema(OneJobQuery, "clusterid", "procid")

SLOT_STAGES: Schema = {
    "type": "object",
    "description": "The pool's slots at each stage of matching, as condor_q -better-analyze counts them",
    "required": ["total", "match_job", "accept_job", "unclaimed", "if_drained"],
    "properties": {
        "total": {**_COUNT, "description": "Slot ads analysed (static and partitionable slots)"},
        "match_job": {**_COUNT, "description": "Of those, the slots the job's Requirements accept"},
        "accept_job": {**_COUNT, "description": "Of those, the slots whose own Requirements (START...) accept the "
                                                "job"},
        "unclaimed": {**_COUNT, "description": "Of those, the slots unclaimed now, with room for the job (condor_q's "
                                               "'willing to run your job')"},
        "if_drained": {**_COUNT, "description": "Of those accepting the job, unclaimed partitionable slots with room "
                                                "for it only once their dynamic slots are gone"},
    },
    "additionalProperties": False,
}

CLAUSES: Schema = {
    "type": "array",
    "description": "Each top-level clause (&&-conjunct) of the job's Requirements, in its order",
    "items": {
        "type": "object",
        "required": ["clause", "rejects"],
        "properties": {
            "clause": {"type": "string", "description": "The clause's text (\"<REDACTED>\" when Requirements is "
                                                        "hidden)"},
            "rejects": {**_COUNT, "description": "Slots this clause alone rejects (of slots.total)"},
        },
        "additionalProperties": False,
    },
}

CAUSE: Schema = {
    "type": "object",
    "description": "The most likely cause, in one line",
    "required": ["code", "text", "clause"],
    "properties": {
        "code": {"enum": list(CAUSES)},
        "text": {"type": "string"},
        "clause": {"type": ["string", "null"], "description": "no_slot_matches: the clause rejecting the most slots"},
    },
    "additionalProperties": False,
}

NEGOTIATOR: Schema = {
    "type": "object",
    "description": "What the negotiator last said of the jobs (LastRejMatchReason)",
    "required": ["rejected", "reason"],
    "properties": {
        "rejected": {**_COUNT, "description": "Jobs with a rejection recorded"},
        "reason": {"type": ["string", "null"], "description": "The most common recorded reason (\"<REDACTED>\" when "
                                                              "hidden)"},
    },
    "additionalProperties": False,
}

_ANALYSIS = {
    "requirements": {"type": ["string", "null"], "description": "The job's Requirements (\"<REDACTED>\" when "
                                                                "hidden)"},
    "slots": {"oneOf": [SLOT_STAGES, {"type": "null"}]}, "clauses": CLAUSES, "negotiator": NEGOTIATOR,
    "cause": CAUSE,
}

GROUPS: Schema = {
    "type": "array",
    "description": "One per autocluster of idle jobs (autoclusters alike but for hidden attributes: one), the "
                   "largest first; the jobs the schedd has not grouped yet last (autoclusterid null, slots null)",
    "items": {
        "type": "object",
        "required": ["autoclusterid", "idle", *_ANALYSIS],
        "properties": {
            "autoclusterid": {"type": ["integer", "null"], "description": "The schedd's AutoClusterId (the lowest "
                                                                          "of the group's)"},
            "idle": {**_COUNT, "description": "Idle jobs in the group"},
            "schedd": {"type": "string", "description": "The group's schedd (the schedd * only)"},
            **_ANALYSIS,
        },
        "additionalProperties": False,
    },
}

_LEFT_OUT = {
    "slots": {**_COUNT, "description": "Slot ads analysed"},
    "slots_left_out": {**_COUNT, "description": "Slot ads not analysed (beyond restd.why.idle.max_slots, or the "
                                                "time budget)"},
    "groups_left_out": {**_COUNT, "description": "Autoclusters of idle jobs not analysed (beyond the groups cap, "
                                                 "or the time budget)"},
}

IDLE: Schema = {
    "type": "object",
    "required": ["schedd", "idle", *_LEFT_OUT, "groups"],
    "properties": {
        "schedd": {"type": "string", "description": "The schedd's name (DEFAULT's real name)"},
        "idle": {**_COUNT, "description": "Idle jobs in the queue"},
        **_LEFT_OUT, "groups": GROUPS,
    },
    "additionalProperties": False,
}

#: One schedd's idle groups, or every schedd's (``*``) merged.
EVERY_SCHEDDS_IDLE: Schema = {"oneOf": [IDLE, every_schedd_answer(
    {"idle": IDLE["properties"]["idle"], **_LEFT_OUT, "groups": GROUPS},
    f"Every schedd's idle groups (the schedd {EVERY_SCHEDD}), merged over the schedds that answered",
)]}

IDLE_JOB: Schema = {
    "type": "object",
    "required": ["schedd", "jobid", "jobstatus", "autoclusterid", "slots_left_out", *_ANALYSIS],
    "properties": {
        "schedd": {"type": "string", "description": "The job's schedd"},
        "jobid": {"type": "string", "description": "ClusterId.ProcId"},
        "jobstatus": {"type": ["integer", "null"], "description": "Its JobStatus (1: idle)"},
        "autoclusterid": {"type": ["integer", "null"]},
        "slots_left_out": _LEFT_OUT["slots_left_out"],
        **_ANALYSIS,
    },
    "additionalProperties": False,
}
