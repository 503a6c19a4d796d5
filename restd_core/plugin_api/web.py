"""The plugin toolkit's request-process half (``restd_core.plugin_api``):
what a plugin's ``includeme``, schemas and views use. Never imports
HTCondor's bindings."""
from __future__ import annotations

from ..every_schedd import EVERY_SCHEDD, ask_every_schedd, every_schedd_answer, refuse_every_schedd
from ..gateway import time_left
from ..gateway.errors import BadQuery, NotFound, Unavailable
from ..listings import stream_listing
from ..responses import json_bytes_response, json_response, listing_response, public_url
from ..schemas import (
    FullMatch,
    attribute_node,
    constraint_node,
    limit_node,
    name_node,
    path_schema,
    projection_node,
    request_schema,
)
from ..services import capped_limit, known_query, read_service, refuse_hidden_keys, stream_service
from . import VERSION

__all__ = [
    "VERSION",
    # services
    "read_service", "stream_service",
    # request schemas: shared fields (colander)
    "projection_node", "constraint_node", "limit_node", "name_node", "attribute_node", "path_schema",
    "request_schema", "FullMatch",
    # reading a request
    "capped_limit", "known_query", "refuse_hidden_keys", "refuse_every_schedd", "EVERY_SCHEDD",
    # asking the gateway
    "stream_listing", "ask_every_schedd", "every_schedd_answer", "time_left",
    # answers
    "json_response", "json_bytes_response", "listing_response", "public_url",
    # errors a view may raise (400, 404, 503)
    "BadQuery", "NotFound", "Unavailable",
]
