"""Query and path parameters of the jobs and history endpoints."""
from __future__ import annotations

import colander

from restd_core.every_schedd import EVERY_SCHEDD
from restd_core.schemas import FullMatch, attribute_node, constraint_node, name_node, projection_node


#: HTCondor's job ids are C ints; ClassAds read a larger literal as 0, so
#: a larger id in a URL would silently be job 0 of cluster 0.
MAX_JOB_ID = 2**31 - 1


def _id_node(name: str) -> colander.SchemaNode:
    return colander.SchemaNode(colander.Integer(), name=name, validator=colander.Range(min=0, max=MAX_JOB_ID))


JOB_ID_PATTERN = r"^[0-9]{1,10}\.[0-9]{1,10}$"


class JobId(FullMatch):
    """A job id ``cluster.proc``, each part at most ``MAX_JOB_ID``."""

    def __init__(self) -> None:
        super().__init__(JOB_ID_PATTERN, msg="not a job id (cluster.proc)")

    def __call__(self, node: colander.SchemaNode, value: str) -> None:
        super().__call__(node, value)
        if any(int(part) > MAX_JOB_ID for part in value.split(".")):
            raise colander.Invalid(node, f"job ids go up to {MAX_JOB_ID}")


def _job_id_cursor(description: str) -> colander.SchemaNode:
    return colander.SchemaNode(
        colander.String(),
        missing=colander.drop,
        validator=JobId(),
        description=description,
    )


class ListQuery(colander.MappingSchema):
    projection = projection_node()
    constraint = constraint_node()
    limit = colander.SchemaNode(
        colander.Integer(),
        missing=colander.drop,
        validator=colander.Range(min=1),
        description="At most this many jobs (never more than RESTD_MAX_JOBS)",
    )


class QueueListQuery(ListQuery):
    after = _job_id_cursor("Only jobs after this job id in queue order (the cursor of the Link rel=next header)")


def _one_cursor(node: colander.SchemaNode, value: dict) -> None:
    if "since" in value and "before" in value:
        raise colander.Invalid(node, "since and before cannot be given together")


class HistoryListQuery(ListQuery):
    since = _job_id_cursor("Only jobs recorded in the history after this job id (newer ones)")
    before = _job_id_cursor("Only jobs recorded in the history before this job id (older ones: the cursor of "
                            "the Link rel=next header)")

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, validator=_one_cursor, **kwargs)


class JobQuery(colander.MappingSchema):
    projection = projection_node()


class NoQuery(colander.MappingSchema):
    pass


def path_schema(*fields: str) -> colander.MappingSchema:
    """The path parameters of one URL form, typed."""
    schema = colander.MappingSchema(name="path")
    schema.add(name_node(name="schedd", examples=["DEFAULT", EVERY_SCHEDD],
                         description=f"A schedd's name; DEFAULT: the local one; {EVERY_SCHEDD}: every schedd the "
                                     "collector knows (whole listings of jobs and history only)"))
    for field in fields:
        if field in ("clusterid", "procid"):
            schema.add(_id_node(field))
        else:
            schema.add(attribute_node(name=field))
    return schema


def request_schema(query: type[colander.MappingSchema], *path_fields: str) -> colander.MappingSchema:
    schema = colander.MappingSchema()
    schema.add(query(name="querystring"))
    schema.add(path_schema(*path_fields))
    return schema
