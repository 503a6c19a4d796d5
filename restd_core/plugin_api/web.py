"""The plugin toolkit's request-process half (``restd_core.plugin_api``):
what a plugin's ``includeme``, schemas and views use. Never imports
HTCondor's bindings."""
from __future__ import annotations

from restd_core.assembly.condor_settings import CondorSettings, RestdSettings
from restd_core.assembly.settings import SettingError, parse, setting
from restd_core.assembly.wiring import wiring
from restd_core.gateway import EncodedItems, Gateway, GatewayError, JsonBody, Timeout, time_left
from restd_core.gateway.errors import BadQuery, NotFound, Unavailable
from restd_core.gateway.kinds import AD_TYPES, DAEMON_TYPES
from restd_core.gateway.spool import SpooledListing, SpooledObject
from restd_core.openapi.jsonschema import Schema, grouped_by_value, lower_cased_object
from restd_core.pipeline.disconnect import gone_probe
from restd_core.pipeline.errors import (
    INTERNAL_MESSAGE,
    RETRY_AFTER_SECONDS,
    Errno,
    errno_of,
    error_body,
    error_response,
)
from restd_core.pipeline.limits import caller_key
from restd_core.pipeline.security import AuthError, server_section
from restd_core.pipeline.server_time import without_server_time
from restd_core.plugin_api import VERSION
from restd_core.plugin_api.every_schedd import (
    EVERY_SCHEDD,
    ask_every_schedd,
    every_schedd_answer,
    refuse_every_schedd,
)
from restd_core.plugin_api.listings import stream_listing
from restd_core.plugin_api.responses import json_bytes_response, json_response, listing_response, public_url
from restd_core.plugin_api.schemas import (
    MAX_JOB_ID,
    CommaList,
    Each,
    FullMatch,
    attribute_name,
    attribute_node,
    constraint_node,
    limit_node,
    name_node,
    path_schema,
    projection_node,
    request_schema,
)
from restd_core.plugin_api.services import (
    capped_limit,
    known_query,
    read_service,
    refuse_hidden_groupby,
    refuse_hidden_keys,
    stream_service,
)
from restd_core.reuse.reused import Reused

__all__ = [
    "VERSION",
    # declaring endpoints
    "read_service", "stream_service",
    # a plugin's own settings (ini) and objects (the app's wiring: its gateway, the server's RESTD_* knobs)
    "setting", "parse", "SettingError", "wiring", "CondorSettings", "RestdSettings",
    # request schemas: shared fields (colander)
    "projection_node", "constraint_node", "limit_node", "name_node", "attribute_node", "attribute_name",
    "path_schema", "request_schema", "FullMatch", "CommaList", "Each", "MAX_JOB_ID", "AD_TYPES", "DAEMON_TYPES",
    # answer schemas (JSON Schema, for the OpenAPI document)
    "Schema", "lower_cased_object", "grouped_by_value",
    # reading a request
    "capped_limit", "known_query", "refuse_hidden_keys", "refuse_hidden_groupby", "refuse_every_schedd",
    "EVERY_SCHEDD", "caller_key", "gone_probe",
    # asking the gateway
    "stream_listing", "ask_every_schedd", "every_schedd_answer", "time_left", "Gateway", "EncodedItems", "JsonBody",
    "SpooledListing", "SpooledObject", "without_server_time", "Reused",
    # answers
    "json_response", "json_bytes_response", "listing_response", "public_url",
    "error_body", "error_response", "Errno", "errno_of", "INTERNAL_MESSAGE", "RETRY_AFTER_SECONDS",
    "server_section",
    # errors a view may raise or meet (400, 404, 503, 504; AuthError from the security policy)
    "BadQuery", "NotFound", "Unavailable", "Timeout", "GatewayError", "AuthError",
]
