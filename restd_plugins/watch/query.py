"""What a watched query asks, and how its answer becomes items by id.

A watched query is the jobs or status plugin's own gateway operation
(``query_jobs``, ``query_status``) with the listing's parameters: the same
constraint checks, projection and redaction in the workers, nothing of the
query made here. Its parameters are normalized (a projection is a set of
lower-cased names: the answer's keys are lower-cased anyway), so that
watchers of one query share one poller.
"""
from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import orjson

from restd_core.plugin_api.web import EncodedItems, Gateway, RestdSettings, without_server_time

#: Items of an answer: id -> its attributes' JSON text (an object with
#: lower-cased names). Kept as text, not as Python objects: a poller of
#: 50,000 whole ads holds their 130 MB of JSON, not ten times that; only
#: items whose text changed are decoded (``diff``).
Items = dict[str, bytes]


@dataclass(frozen=True)
class Query:
    """One distinct watched query: the key its poller is shared by."""

    source: str  # a key of SOURCES
    arguments: tuple[tuple[str, Any], ...]

    def fetch(self, gateway: Gateway, condor: RestdSettings) -> Items:
        """The query's items now (a ``GatewayError`` when HTCondor cannot
        tell, or refuses the query), with the ``RESTD_*`` knobs of now."""
        return SOURCES[self.source](gateway, dict(self.arguments), condor)


def _projection(projection: list[str] | None) -> tuple[str, ...]:
    return tuple(sorted({name.lower() for name in projection or ()}))


def jobs_query(schedd: str, constraint: str | None, projection: list[str] | None) -> Query:
    return Query("jobs", (("schedd", schedd), ("constraint", constraint), ("projection", _projection(projection))))


def status_query(ad_type: str, constraint: str | None, projection: list[str] | None) -> Query:
    return Query("status", (("ad_type", ad_type), ("constraint", constraint), ("projection", _projection(projection))))


def _jobs(gateway: Gateway, arguments: dict[str, Any], condor: RestdSettings) -> Items:
    """The queue's jobs by "C.P", as ``/v1/jobs/{schedd}`` lists them (at
    most RESTD_MAX_JOBS, the lowest job ids)."""
    answer = gateway.call(
        "query_jobs", schedd=arguments["schedd"], source="queue", constraint=arguments["constraint"],
        projection=list(arguments["projection"]), limit=condor.max_jobs,
    )
    return dict(_classads(answer))


def _classads(answer: EncodedItems) -> Iterator[tuple[str, bytes]]:
    """Each job's id and its classad's JSON text, cut from the listing's
    encoded items (``{"jobid":"C.P","classad":{...}}``, joined by commas,
    each ``lengths`` long) without decoding them, ``ServerTime`` left out."""
    body = memoryview(answer.body)
    start = 0
    for (cluster, proc), length in zip(answer.keys, answer.lengths):
        job = f"{cluster}.{proc}"
        prefix = f'{{"jobid":"{job}","classad":'.encode()
        text = body[start:start + length]
        start += length + 1
        if text[:len(prefix)] != prefix or text[-1:] != b"}":
            raise ValueError(f"job {job} is not a v1 job object")
        yield job, without_server_time(text[len(prefix):-1])


def _status(gateway: Gateway, arguments: dict[str, Any], condor: RestdSettings) -> Items:
    """The collector's ads by Name, as ``/v1/status`` lists them; for
    ``query=any``, whose ad types share names (a host's master and its
    schedd), by "<MyType>/<Name>"."""
    answer = gateway.call(
        "query_status", ad_type=arguments["ad_type"], constraint=arguments["constraint"],
        projection=list(arguments["projection"]),
    )
    typed = arguments["ad_type"] == "any"
    return {f"{ad['type']}/{ad['name']}" if typed else str(ad["name"]): orjson.dumps(ad["classad"])
            for ad in orjson.loads(answer.body)}


SOURCES: dict[str, Callable[[Gateway, dict[str, Any], RestdSettings], Items]] = {"jobs": _jobs, "status": _status}
