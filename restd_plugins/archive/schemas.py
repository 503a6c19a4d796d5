"""Query parameters of ``/v1/summary/history``."""
from __future__ import annotations

import re

import colander

from restd_core.plugin_api.web import name_node
from restd_plugins.jobs.windows import instant_node

from .summary import GROUP_COLUMNS

#: A bucket's length: seconds, or a number of minutes, hours or days.
DURATION = re.compile(r"([0-9]{1,7})([smhd]?)")
UNITS = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400}
#: The shortest bucket (seconds).
MIN_BUCKET = 60
#: A bucket's length when none is given (seconds).
DEFAULT_BUCKET = 3600
#: The window when none is given: the last day (seconds).
DEFAULT_WINDOW = 86400


class Duration(colander.String):
    """A duration: ``3600``, ``90s``, ``15m``, ``1h``, ``7d`` -> seconds, at
    least ``MIN_BUCKET``. A string to the OpenAPI document."""

    def serialize(self, node, appstruct):
        return colander.null if appstruct is colander.null else str(appstruct)

    def deserialize(self, node, cstruct):
        if cstruct is colander.null:
            return colander.null
        matched = DURATION.fullmatch(str(cstruct).strip())
        if matched is None:
            raise colander.Invalid(node, "not a duration (seconds, or a number and s, m, h or d)")
        seconds = int(matched.group(1)) * UNITS[matched.group(2)]
        if seconds < MIN_BUCKET:
            raise colander.Invalid(node, f"a bucket is at least {MIN_BUCKET} s")
        return seconds


class HistorySummaryQuery(colander.MappingSchema):
    by = colander.SchemaNode(
        colander.String(), missing=colander.drop, preparer=lambda value: value.lower() if isinstance(value, str)
        else value, validator=colander.OneOf(sorted(GROUP_COLUMNS)),
        description=f"What to group by: one of {', '.join(sorted(GROUP_COLUMNS))} (any case); none: one group")
    schedd = name_node(missing=colander.drop, description="Only this schedd's jobs (its name)")
    bucket = colander.SchemaNode(
        Duration(), missing=colander.drop, examples=["1h", "15m", "1d"],
        description=f"Each bucket's length: seconds, or a number and s, m, h or d (at least {MIN_BUCKET} s; "
                    f"default: {DEFAULT_BUCKET} s)")


def history_summary_request() -> colander.MappingSchema:
    """The request schema: the query above and ``from``, ``to`` (Python keywords: added by name)."""
    query = HistorySummaryQuery(name="querystring")
    start = instant_node("The window's start (Unix seconds or ISO 8601; default: a day before its end)")
    start.name = "from"
    end = instant_node("The window's end, not included (default: now)")
    end.name = "to"
    query.add(start)
    query.add(end)
    request = colander.MappingSchema()
    request.add(query)
    return request
