"""Query and path parameters of the jobs and history endpoints."""
from __future__ import annotations

import colander

from restd_core.plugin_api.web import (
    MAX_JOB_ID,
    FullMatch,
    constraint_node,
    limit_node,
    path_schema,
    projection_node,
    request_schema,
)

from .windows import LATEST, instant_node

__all__ = ["HistoryListQuery", "JobQuery", "NoQuery", "QueueListQuery", "path_schema", "request_schema"]


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
    limit = limit_node()


class QueueListQuery(ListQuery):
    after = _job_id_cursor("Only jobs after this job id in queue order (the cursor of the Link rel=next header)")


def _one_cursor(node: colander.SchemaNode, value: dict) -> None:
    if "since" in value and "before" in value:
        raise colander.Invalid(node, "since and before cannot be given together")
    if value.get("completed_after", 0) > value.get("completed_before", LATEST):
        raise colander.Invalid(node, "completed_after is after completed_before")


class HistoryListQuery(ListQuery):
    since = _job_id_cursor("Only jobs recorded in the history after this job id (newer ones)")
    before = _job_id_cursor("Only jobs recorded in the history before this job id (older ones: the cursor of "
                            "the Link rel=next header)")
    completed_after = instant_node("Only jobs that completed at or after this instant (Unix seconds or ISO 8601; "
                                   "a removed job: when it left the queue)")
    completed_before = instant_node("Only jobs that completed before this instant (Unix seconds or ISO 8601); "
                                    "a window the archive covers is answered from it (X-History-Source)")

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, validator=_one_cursor, **kwargs)


class JobQuery(colander.MappingSchema):
    projection = projection_node()


class NoQuery(colander.MappingSchema):
    pass
