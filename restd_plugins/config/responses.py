"""JSON Schemas of the config plugin's answers, for the OpenAPI document."""
from __future__ import annotations

from restd_core.plugin_api.web import Schema, lower_cased_object

CONFIG: Schema = lower_cased_object(
    "Every defined knob by lower-cased name; typed values from the files, strings from a daemon; "
    'secrets as "<REDACTED>"'
)

CONFIG_VALUE: Schema = {
    "description": "The knob's value (typed from the files, a string from a daemon)",
    "type": ["string", "integer", "number", "boolean"],
}
