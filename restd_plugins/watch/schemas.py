"""Query and path parameters of the jobs watch: the listing's own nodes
(the status watch takes the status listing's whole query)."""
from __future__ import annotations

import colander

from restd_core.plugin_api.web import constraint_node, path_schema, projection_node


class WatchJobsQuery(colander.MappingSchema):
    projection = projection_node()
    constraint = constraint_node()


def jobs_request_schema() -> colander.MappingSchema:
    schema = colander.MappingSchema()
    schema.add(WatchJobsQuery(name="querystring"))
    schema.add(path_schema())
    return schema
