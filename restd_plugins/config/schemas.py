"""Query and path parameters of the config endpoints."""
from __future__ import annotations

import colander

from restd_core.plugin_api.web import DAEMON_TYPES, FullMatch

#: A configuration knob's name; a dot for subsystem- or local-name-prefixed
#: knobs (``SCHEDD.SCHEDD_DEBUG``).
KNOB_NAME_PATTERN = r"^[A-Za-z_][A-Za-z0-9_.]*$"


class ConfigQuery(colander.MappingSchema):
    daemon = colander.SchemaNode(
        colander.String(),
        missing=colander.drop,
        validator=colander.OneOf(list(DAEMON_TYPES)),
        description="Ask this running daemon; without it, the server's own configuration",
    )


def request_schema(*path_fields: str) -> colander.MappingSchema:
    path = colander.MappingSchema(name="path")
    for field in path_fields:
        path.add(colander.SchemaNode(
            colander.String(), name=field, validator=FullMatch(KNOB_NAME_PATTERN, msg="not a valid configuration knob name")
        ))
    schema = colander.MappingSchema()
    schema.add(ConfigQuery(name="querystring"))
    schema.add(path)
    return schema
