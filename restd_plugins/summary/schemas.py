"""Query and path parameters of the summary endpoints."""
from __future__ import annotations

import colander

from restd_core.plugin_api.web import EVERY_SCHEDD, CommaList, Each, attribute_name, constraint_node, name_node

#: Attributes one summary may be grouped by at most.
MAX_BY = 4


def by_node(what: str) -> colander.SchemaNode:
    """``by``: up to ``MAX_BY`` comma-separated attribute names."""
    return colander.SchemaNode(
        CommaList(),
        missing=colander.drop,
        validator=colander.All(Each(attribute_name, "not valid ClassAd attribute names"), colander.Length(max=MAX_BY)),
        description=f"Comma-separated {what} attributes (at most {MAX_BY}) to count by; their lower-cased names "
                    "key the groups",
    )


class JobCountsQuery(colander.MappingSchema):
    by = by_node("job")
    constraint = constraint_node()


class JobCountsPath(colander.MappingSchema):
    schedd = name_node(description=f"A schedd's name; DEFAULT: the local one; {EVERY_SCHEDD}: every schedd the "
                                   "collector knows, their counts summed", examples=["DEFAULT", EVERY_SCHEDD])


class JobCountsRequest(colander.MappingSchema):
    querystring = JobCountsQuery()
    path = JobCountsPath()


class SlotUtilizationQuery(colander.MappingSchema):
    by = by_node("machine (slot) ad")
    constraint = constraint_node()


class SlotUtilizationRequest(colander.MappingSchema):
    querystring = SlotUtilizationQuery()


class NoQuery(colander.MappingSchema):
    pass


class PrioritiesRequest(colander.MappingSchema):
    querystring = NoQuery()
