"""History windows: jobs that completed between two instants
(``completed_after`` <= completion < ``completed_before``), as Unix seconds
or ISO 8601. A job's completion is its CompletionDate, or, for a job that
never completed (removed), its EnteredCurrentStatus when it left the queue:
``COMPLETED``, in ClassAd language for the schedds (the archive plugin's
rows keep the same instant)."""
from __future__ import annotations

import re
from datetime import UTC, datetime

import colander

#: A job's completion instant, as a ClassAd expression.
COMPLETED = "ifThenElse((CompletionDate > 0) =?= true, CompletionDate, EnteredCurrentStatus)"
#: The latest instant taken (year 9999): beyond it no job completes.
LATEST = 253402300799
#: What an instant looks like: Unix seconds, or an ISO 8601 date, time and offset (whether such a date is on the
#: calendar, February 30th not, no pattern says: a 400 that says so).
INSTANT_PATTERN = (r"^([0-9]{1,11}(\.[0-9]{1,9})?|[0-9]{4}-[0-9]{2}-[0-9]{2}"
                   r"([T ][0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]{1,6})?)?(Z|[+-][0-9]{2}:[0-9]{2})?)?)$")


class Instant(colander.String):
    """An instant as Unix seconds (``1767225600``, ``1767225600.5``) or
    ISO 8601 (``2026-01-01T00:00:00Z``; without an offset: UTC), to whole
    seconds (rounded down). A string of ``INSTANT_PATTERN`` to the OpenAPI document."""

    json_schema = {"type": "string", "pattern": INSTANT_PATTERN}

    def serialize(self, node, appstruct):
        return colander.null if appstruct is colander.null else str(appstruct)

    def deserialize(self, node, cstruct):
        if cstruct is colander.null:
            return colander.null
        text = str(cstruct)
        if re.fullmatch(INSTANT_PATTERN, text) is None:
            raise colander.Invalid(node, "not an instant (Unix seconds or ISO 8601)")
        try:
            seconds = float(text)
        except ValueError:
            try:
                moment = datetime.fromisoformat(text)
            except ValueError:
                raise colander.Invalid(node, "not an instant on the calendar") from None
            if moment.tzinfo is None:
                moment = moment.replace(tzinfo=UTC)
            seconds = moment.timestamp()
        if not 0 <= seconds <= LATEST:
            raise colander.Invalid(node, f"not an instant between 0 and {LATEST} (Unix seconds)")
        return int(seconds)


def instant_node(description: str) -> colander.SchemaNode:
    return colander.SchemaNode(Instant(), missing=colander.drop, description=description,
                               examples=["1767225600", "2026-01-01T00:00:00Z"])


def window_constraint(after: int | None, before: int | None) -> str | None:
    """The window as a constraint for a schedd (None: no window)."""
    parts = ([f"{COMPLETED} >= {after}"] if after is not None else []) + \
            ([f"{COMPLETED} < {before}"] if before is not None else [])
    return " && ".join(parts) or None
