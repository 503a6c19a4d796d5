"""The summary plugin's operations, run in the gateway's worker processes
(``restd_core.gateway.worker``): counts made where they are cheapest, every
value through the one output filter's conversion (``classads``)."""
from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import Any

import htcondor2
import orjson
from htcondor2 import AdTypes

from restd_core.plugin_api.worker import (
    DEFAULT_SCHEDD,
    Judged,
    ads_to_dicts,
    ask,
    conjunction,
    filtered,
    hidden_job_attrs,
    judged,
    schedd_ad,
)

from .counting import group_key, job_totals, summed

# ------------------------------------------------------------- job counts --

#: Attributes the schedd's group ads have of their own (``QueryOpt.GroupBy``):
#: grouped by one of them, its jobs are counted here instead.
_GROUP_AD_ATTRS = {"id", "jobids", "jobcount", "mytype"}


def job_counts(schedd: str, by: Sequence[str] = (), constraint: str | None = None) -> dict[str, Any]:
    """The queue's jobs (those ``constraint`` holds for) counted by the
    values of the ``by`` attributes (lower-cased in the answer), and in
    condor_q's totals: ``{"schedd", "by", "totals", "groups": [{"key",
    "count"}]}``. Groups of several answers sum (``counting.summed``).

    The schedd counts them itself when it can (``_counted_by_schedd``:
    faster than counting one projected ad per job here, bench/README.md); a constraint judged here (it may read hidden values,
    or its cost has no bound a daemon would keep to) is counted here, over ads of the ``by``
    attributes, JobStatus and what the constraint reads; so is a hidden
    JobStatus (every count is keyed by it: the output filter redacts it
    here, so that no job is in a state).
    """
    hidden = hidden_job_attrs()
    keys = list(dict.fromkeys(name.lower() for name in by))
    caller = judged(constraint, hidden)
    where = caller.wire or "true"

    def count(client: htcondor2.Schedd) -> Counter:
        if caller.here is None and not _GROUP_AD_ATTRS.intersection(keys) and not hidden.intersection(_status_and(keys)):
            counted = _counted_by_schedd(client, where, keys)
            if counted is not None:
                return counted
        return _counted_here(client, where, keys, caller)

    counts = ask("schedd", count, schedd=schedd)
    name = schedd_ad(schedd).get("Name", schedd) if schedd == DEFAULT_SCHEDD else schedd
    return {"schedd": name, "by": keys, **job_count_answer(counts, keys)}


def job_count_answer(counts: Counter, keys: list[str]) -> dict[str, Any]:
    """``totals`` and ``groups`` from counts by ``_key`` of (JobStatus, *``keys`` values)."""
    by_status: Counter = Counter()
    groups = []
    for key, number in counts.items():
        status, *values = orjson.loads(key)
        by_status[status if type(status) is int else None] += number
        groups.append({"key": group_key(keys, values), "count": number})
    return {"totals": job_totals(by_status), "groups": summed(groups, "count")}


def _status_and(keys: list[str]) -> list[str]:
    """What jobs are grouped by: JobStatus (for the totals), then ``keys``
    (the values' places; the daemon is asked for each name once)."""
    return ["jobstatus", *keys]


def _key(values: list[Any]) -> bytes:
    """Values as one hashable key: their JSON text (``1`` and ``true`` apart,
    lists and records too)."""
    return orjson.dumps(values)


def _counted_by_schedd(client: htcondor2.Schedd, where: str, keys: list[str]) -> Counter | None:
    """Counts by ``_key`` of (JobStatus, *keys) from the schedd's own aggregation
    (``QueryOpt.GroupBy``: one ad per distinct combination of the projected
    attributes, with its ``JobCount``); None when it cannot be trusted.

    Two things of the schedd's make it so (condor_schedd.V6's
    ``command_query_job_aggregates`` and ``JobAggregationResults::next``):
    the query's constraint is evaluated again against each group ad, which
    holds only the projected attributes, so a constraint on anything else
    would drop every group (why a first try "returned nothing"): it is made
    true for group ads, the only ads without ``MyType`` (jobs have it, and
    cannot edit it). And a group is one combination of the projected
    attributes *and of every attribute their expressions refer to*, which
    the group ad also holds: groups are merged here by the asked attributes
    alone, and what else came is dropped. A job whose asked attribute
    refers to ``MyType`` would make its group ad fail the constraint: so
    the groups must add up to the schedd's own count of the matching jobs
    (``QueryOpt.SummaryOnly``), else None.
    """
    asked = _status_and(keys)
    groups = client.query(f"ifThenElse(isUndefined(MyType), true, {where})", list(dict.fromkeys(asked)),
                          opts=htcondor2.QueryOpt.GroupBy)
    summary = client.query(where, [], opts=htcondor2.QueryOpt.SummaryOnly)
    counts: Counter = Counter()
    for ad, values in zip(groups, ads_to_dicts(groups)):
        counts[_key([values.get(name) for name in asked])] += int(ad.get("JobCount", 0))
    matching = sum(int(ad.get("Jobs", 0)) + int(ad.get("SchedulerJobs", 0)) for ad in summary)
    return counts if sum(counts.values()) == matching else None


def _counted_here(client: htcondor2.Schedd, where: str, keys: list[str], caller: Judged) -> Counter:
    """Counts by ``_key`` of (JobStatus, *keys) of ads the schedd sends with just those
    attributes (and what ``caller``, if judged here on redacted ads, reads)."""
    asked = _status_and(keys)
    ads = caller.holding(client.query(where, list(dict.fromkeys([*asked, *caller.needs]))))
    shown = filtered(ads_to_dicts(ads), set(asked), caller.hidden)
    return Counter(_key([ad.get(name) for name in asked]) for ad in shown)


# ------------------------------------------------------- slot utilization --

#: Each resource of the answer, and the machine-ad attribute it sums.
SLOT_RESOURCES = {"cpus": "Cpus", "gpus": "GPUs", "memory": "Memory", "disk": "Disk"}
#: What a slot's kind and claim are told by.
_SLOT_ATTRS = ["State", "PartitionableSlot", "DynamicSlot"]
#: A static slot's States in which a job holds it.
CLAIMED_STATES = {"Claimed", "Preempting"}


def slot_utilization(by: Sequence[str] = (), constraint: str | None = None) -> dict[str, Any]:
    """The startd (slot) ads ``constraint`` holds for, counted by the values
    of the ``by`` attributes, and their Cpus, GPUs, Memory and Disk summed:
    ``{"by", "totals", "groups": [{"key", "slots", "cpus": {"total",
    "claimed", "unclaimed"}, ...}]}``.

    Nothing is counted twice: a partitionable slot's ad holds what is left
    of the machine (unclaimed), each dynamic slot carved from it what a job
    holds (claimed); a static slot is claimed in ``CLAIMED_STATES``. Hidden
    job attributes and constraints are handled as by the status endpoint.
    """
    hidden = hidden_job_attrs()
    keys = list(dict.fromkeys(name.lower() for name in by))
    caller = judged(constraint, hidden)
    asked = list(dict.fromkeys([*keys, *(name.lower() for name in [*_SLOT_ATTRS, *SLOT_RESOURCES.values()])]))
    where = conjunction(caller.wire)
    projection = list(dict.fromkeys([*asked, *caller.needs]))
    ads = caller.holding(ask("collector", lambda collector: collector.query(AdTypes.Startd, constraint=where,
                                                                            projection=projection)))
    slots = [_slot(ad, keys) for ad in filtered(ads_to_dicts(ads), set(asked), hidden)]
    totals = summed(({**slot, "key": {}} for slot in slots), *_SLOT_COUNTS)
    empty = {"slots": 0, **{name: dict.fromkeys(["total", "claimed", "unclaimed"], 0) for name in SLOT_RESOURCES}}
    return {"by": keys, "totals": {name: (totals[0] if totals else empty)[name] for name in _SLOT_COUNTS},
            "groups": summed(slots, *_SLOT_COUNTS)}


_SLOT_COUNTS = ("slots", *SLOT_RESOURCES)


def _slot(ad: dict[str, Any], keys: list[str]) -> dict[str, Any]:
    """One slot as a group of one: its key, and each resource claimed or not."""
    claimed = ad.get("dynamicslot") is True or (ad.get("partitionableslot") is not True
                                                and ad.get("state") in CLAIMED_STATES)
    slot: dict[str, Any] = {"key": {name: ad.get(name) for name in keys}, "slots": 1}
    for name, attribute in SLOT_RESOURCES.items():
        amount = _amount(ad.get(attribute.lower()))
        slot[name] = {"total": amount, "claimed": amount if claimed else 0, "unclaimed": 0 if claimed else amount}
    return slot


#: More of a resource than any slot holds (2^40 CPUs, MiB, KiB): sums of
#: millions of slots stay within the 64 bits a JSON integer may have.
MAX_AMOUNT = 2**40


def _amount(value: Any) -> int | float:
    """A slot's amount of a resource; 0 for none, or for one no startd would
    advertise (anyone the collector lets advertise a startd can send any
    value): not a number, negative, infinite or beyond ``MAX_AMOUNT``."""
    amount = _number(value)
    return amount if 0 <= amount < MAX_AMOUNT else 0


def _number(value: Any) -> int | float:
    """A resource's amount; 0 for none (a machine without GPUs) or one that is not a number."""
    return value if type(value) in (int, float) else 0


# --------------------------------------------------------- user priorities --

#: The answer's field of each submitter, and the accounting-ad attribute it is.
PRIORITY_FIELDS = {
    "effective_priority": "Priority", "priority_factor": "PriorityFactor", "resources_in_use": "ResourcesUsed",
    "weighted_resources_in_use": "WeightedResourcesUsed", "accumulated_usage": "AccumulatedUsage",
    "weighted_accumulated_usage": "WeightedAccumulatedUsage", "begin_usage_time": "BeginUsageTime",
    "last_usage_time": "LastUsageTime",
}


def user_priorities() -> dict[str, Any]:
    """condor_userprio's columns for each submitter the negotiator knows
    (``Negotiator.getPriorities``; accounting groups left out), best
    (lowest) effective priority first. The real priority is the effective
    one over the priority factor (HTCondor's definition; null for a factor
    of 0)."""
    ads = ask("negotiator", lambda _: list(htcondor2.Negotiator().getPriorities()))
    submitters = []
    for ad in ads:
        if ad.get("IsAccountingGroup") is True:
            continue
        fields = {field: _number(ad.get(attribute)) for field, attribute in PRIORITY_FIELDS.items()}
        factor = fields["priority_factor"]
        submitters.append({"name": str(ad.get("Name", "")), **fields,
                           "real_priority": fields["effective_priority"] / factor if factor else None})
    submitters.sort(key=lambda submitter: (submitter["effective_priority"], submitter["name"]))
    return {"submitters": submitters}
