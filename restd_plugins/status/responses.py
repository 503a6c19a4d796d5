"""JSON Schemas of the status plugin's answers, for the OpenAPI document."""
from __future__ import annotations

from restd_core.plugin_api.web import Schema, grouped_by_value, lower_cased_object

STATUS_OBJECT: Schema = {
    "type": "object",
    "required": ["name", "type", "classad"],
    "properties": {
        "name": {"type": ["string", "null"], "description": "The ad's Name"},
        "type": {"type": ["string", "null"], "description": "The ad's MyType (Machine, Scheduler, ...)"},
        "classad": lower_cased_object("The ad with lower-cased keys, values as HTCondor's JSON form"),
    },
    "additionalProperties": False,
}

STATUS_LIST: Schema = {"type": "array", "items": STATUS_OBJECT}

GROUPED_STATUS: Schema = grouped_by_value(STATUS_LIST, "Status objects")
