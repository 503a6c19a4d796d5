"""Query and path parameters of the status endpoints."""
from __future__ import annotations

import colander

from restd_core.plugin_api.web import AD_TYPES, attribute_node, constraint_node, name_node, projection_node


class StatusQuery(colander.MappingSchema):
    projection = projection_node()
    constraint = constraint_node()
    query = colander.SchemaNode(
        colander.String(),
        missing="any",
        validator=colander.OneOf(list(AD_TYPES)),
        description="The ad type, as in condor_status's query options (default: any)",
    )


def request_schema(*path_fields: str) -> colander.MappingSchema:
    """The query and the path parameters (``groupby``, ``name``) of one URL form."""
    path = colander.MappingSchema(name="path")
    for field in path_fields:
        path.add(attribute_node(name=field) if field == "groupby" else name_node(name=field))
    schema = colander.MappingSchema()
    schema.add(StatusQuery(name="querystring"))
    schema.add(path)
    return schema
