"""Pool gauges in /metrics: jobs by schedd x owner x state, slots and their
resources by state (x a machine label), so that a site needs no HTCondor
exporter of its own.

A Prometheus collector over a snapshot of the pool that is made at most
once per ``restd.summary.gauges.ttl`` however many scrapers come (the first
scrape after it expires makes it, through the gateway like every HTCondor
call, the schedds asked at once by ``Gateway.call_each``; scrapes meanwhile
get the previous one, or wait for the first). A daemon that does not
answer within ``restd.summary.gauges.timeout`` leaves its gauges out of
that snapshot and ``restd_pool_up`` says so: /metrics itself always
answers. Label values come from the pool (owners, schedd
names, a machine attribute's values), so each label takes at most
``restd.summary.gauges.max_label_values`` values, the largest; the rest
are summed under ``other``.
"""
from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import orjson
from prometheus_client.core import GaugeMetricFamily

from restd_core.plugin_api.web import CondorSettings, Gateway, GatewayError, Reused

from .counting import JOB_STATUS_NAMES, STATUS_NAME_KEY
from .settings import SummarySettings

OTHER = "other"
#: Each slot resource as a metric of its own, in base units: the summary's
#: resource name -> (metric name, meaning, factor from HTCondor's unit).
RESOURCE_METRICS = {
    "cpus": ("restd_pool_slot_cpus", "The slots' Cpus", 1),
    "gpus": ("restd_pool_slot_gpus", "The slots' GPUs", 1),
    "memory": ("restd_pool_slot_memory_bytes", "The slots' Memory in bytes (HTCondor's MiB x 2^20)", 1024 * 1024),
    "disk": ("restd_pool_slot_disk_bytes", "The slots' Disk in bytes (HTCondor's KiB x 2^10)", 1024),
}
RESOURCE_SCOPE = (", claimed (static slots claimed, dynamic slots) or not (the rest, partitionable slots' "
                  "remainders), by slot State")


@dataclass(frozen=True)
class Snapshot:
    """The pool's gauges as they were at ``made_at`` (monotonic)."""

    families: list[GaugeMetricFamily]
    made_at: float


def capped(samples: Counter, position: int, cap: int) -> Counter:
    """``samples`` (label-value tuples -> value) with the label at
    ``position`` keeping its ``cap`` largest values (by their samples'
    sum); the others' samples summed under ``OTHER``."""
    weight: Counter = Counter()
    for labels, value in samples.items():
        weight[labels[position]] += value
    kept = {label for label, _ in sorted(weight.items(), key=lambda item: (-item[1], item[0]))[:cap]}
    out: Counter = Counter()
    for labels, value in samples.items():
        label = labels[position] if labels[position] in kept else OTHER
        out[(*labels[:position], label, *labels[position + 1:])] += value
    return out


def label_value(value: Any) -> str:
    """A ClassAd value as a label value: a string as itself, null as "",
    anything else as its JSON text."""
    if value is None:
        return ""
    return value if isinstance(value, str) else orjson.dumps(value).decode()


class SnapshotGauges:
    """A prometheus-client collector (``collect``) of gauge families that
    ``make`` takes from the pool at most once per ``ttl`` (``Reused``),
    however many scrapers come, and a gauge ``age_metric`` of how old they
    are."""

    def __init__(self, make: Callable[[], list[GaugeMetricFamily]], ttl: float, age_metric: str, what: str,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._make, self._age_metric, self._what, self._clock = make, age_metric, what, clock
        self._snapshots = Reused(self._snapshot, ttl, clock=clock, name=what)

    def describe(self) -> list:
        return []  # nothing to check at registration (collect would ask the pool)

    def collect(self) -> Iterator[GaugeMetricFamily]:
        snapshot = self._snapshots.get()
        yield from snapshot.families
        age = GaugeMetricFamily(self._age_metric, f"Seconds since the {self._what} were taken from the pool")
        age.add_metric([], self._clock() - snapshot.made_at)
        yield age

    def _snapshot(self) -> Snapshot:
        return Snapshot(self._make(), self._clock())


class PoolGauges(SnapshotGauges):
    """The prometheus-client collector of the pool gauges (``collect``)."""

    def __init__(self, gateway: Gateway, condor_settings: CondorSettings, settings: SummarySettings,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._gateway, self._condor_settings, self._settings = gateway, condor_settings, settings
        self._label = settings.gauges_label
        super().__init__(self._families, settings.gauges_ttl, "restd_pool_snapshot_age_seconds", "pool gauges",
                         clock)

    def _call(self, name: str, **arguments: Any) -> Any:
        return self._gateway.call(name, timeout=self._settings.gauges_timeout, **arguments)

    def _families(self) -> list[GaugeMetricFamily]:
        up = GaugeMetricFamily("restd_pool_up", "Whether the pool answered the pool gauges' last question (part "
                               "slots: the collector's slot ads; schedds: the list of schedds; jobs: a schedd's jobs)",
                               labels=["part", "name"])
        families = [up]
        try:
            hidden = {name.lower() for name in self._condor_settings.get().hide_job_attrs}
        except GatewayError:
            up.add_metric(["settings", ""], 0)  # hidden attributes unknown: nothing is shown
            return families
        families += self._slot_families(up, hidden)
        families += self._job_families(up, hidden)
        return families

    def _slot_families(self, up: GaugeMetricFamily, hidden: set[str]) -> list[GaugeMetricFamily]:
        label = self._label if self._label and self._label.lower() not in hidden else None
        by = ["State", *([label] if label else [])]
        try:
            answer = self._call("summary_slot_utilization", by=by)
        except GatewayError:
            up.add_metric(["slots", ""], 0)
            return []
        up.add_metric(["slots", ""], 1)
        names = ["state", *([label.lower()] if label else [])]
        slots: Counter[tuple[str, ...]] = Counter()
        resources: Counter[tuple[str, ...]] = Counter()
        for group in answer["groups"]:
            labels = tuple(label_value(group["key"].get(name)) for name in names)
            slots[labels] += group["slots"]
            for resource, (_, _, factor) in RESOURCE_METRICS.items():
                for claim in ("claimed", "unclaimed"):
                    resources[(resource, claim, *labels)] += group[resource][claim] * factor
        for position in range(len(names)):  # State too: any host that may advertise a startd can invent one
            slots = capped(slots, position, self._settings.gauges_max_label_values)
            resources = capped(resources, 2 + position, self._settings.gauges_max_label_values)
        slot_family = GaugeMetricFamily("restd_pool_slots", "Slot ads by State (partitionable, dynamic and static "
                                        "slots each once)", labels=names)
        for labels, value in sorted(slots.items()):
            slot_family.add_metric(list(labels), value)
        resource_families = {
            resource: GaugeMetricFamily(name, meaning + RESOURCE_SCOPE, labels=["claim", *names])
            for resource, (name, meaning, _) in RESOURCE_METRICS.items()}
        for (resource, *claim_labels), value in sorted(resources.items()):
            resource_families[resource].add_metric(claim_labels, value)
        return [slot_family, *resource_families.values()]

    def _job_families(self, up: GaugeMetricFamily, hidden: set[str]) -> list[GaugeMetricFamily]:
        try:
            schedds = self._call("schedd_names")
        except GatewayError:
            up.add_metric(["schedds", ""], 0)
            return []
        up.add_metric(["schedds", ""], 1)
        by = ["JobStatus", *(["Owner"] if "owner" not in hidden else [])]
        calls = {name: {"schedd": name, "by": by, "timeout": self._settings.gauges_timeout}
                 for name in schedds}
        try:
            said = self._gateway.call_each("summary_job_counts", calls)
        except GatewayError as exc:  # none was asked (the scraper over its limit)
            said = dict.fromkeys(schedds, exc)
        answers = {name: None if isinstance(answer, GatewayError) else answer for name, answer in said.items()}
        sizes = Counter({name: answer["totals"]["jobs"] if answer else 0 for name, answer in answers.items()})
        kept = {name for name, _ in sorted(sizes.items(), key=lambda item: (-item[1], item[0]))[
            :self._settings.gauges_max_label_values]}
        answered: dict[str, bool] = {}
        for name, answer in answers.items():
            label = name if name in kept else OTHER
            answered[label] = answered.get(label, True) and answer is not None
        for name, value in sorted(answered.items()):
            up.add_metric(["jobs", name], int(value))
        jobs: Counter = Counter()
        for name, answer in answers.items():
            if answer is not None and not answer["groups"]:  # no jobs: zeros, not no series
                for state in JOB_STATUS_NAMES.values():
                    jobs[(name if name in kept else OTHER, "", state)] += 0
            for group in answer["groups"] if answer else ():
                labels = (name if name in kept else OTHER, label_value(group["key"].get("owner")) if "Owner" in by else "")
                for state in JOB_STATUS_NAMES.values():
                    jobs[(*labels, state)] += 0
                jobs[(*labels, group["key"].get(STATUS_NAME_KEY) or "unknown")] += group["count"]
        jobs = capped(jobs, 1, self._settings.gauges_max_label_values)
        family = GaugeMetricFamily("restd_pool_jobs", "Jobs in the schedds' queues by schedd, Owner and JobStatus",
                                   labels=["schedd", "owner", "state"])
        for labels, count in sorted(jobs.items()):
            family.add_metric(list(labels), count)
        return [family]
