"""Which slots would take a job, counted as ``condor_q -better-analyze``
counts them (HTCondor's ``analysis.cpp``: ``doJobRunAnalysis``,
``checkOffer``, ``AnalyzeRequirementsForEachTarget``), with the ClassAd
library of the bindings (``classad2``). Runs in the gateway's workers.

For each slot ad (static and partitionable slots; a dynamic slot is part
of its partitionable one): does the job's Requirements accept it (MY the
job, TARGET the slot); then does the slot's own Requirements (its START,
WithinResourceLimits...) accept the job (MY the slot, TARGET the job); then
is it unclaimed (no RemoteUser). A partitionable slot too small for the job
now, but not once its dynamic slots are gone, is judged drained (its
``TotalSlot*`` resources), and counted apart. Each top-level clause of the
job's Requirements (``clauses``) is evaluated alone against every slot.

What HTCondor's matchmaking does that ``ExprTree.eval(scope, target)``
does not: an attribute named without ``MY.`` or ``TARGET.`` that the ad
lacks is looked up in the other ad. So each side is evaluated in a copy of
its ad where every such name reads ``TARGET.<name>``.

A slot set (``Slots``) is made once per request and reused for every job:
each clause's truth over all slots is a bit mask, kept by the clause's
text with the job's own attributes put in (``ClassAd.flatten``), so that
groups alike in a clause (most are: ``TARGET.Arch == "X86_64"``) evaluate
it once.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import classad2

from .clauses import clauses

#: The scopes an attribute reference may name.
_SCOPES = {"my", "target"}
#: A partitionable slot's resources, unless its MachineResources names them.
_DEFAULT_RESOURCES = "Cpus Memory Disk"


def is_true(value: Any) -> bool:
    """Whether a value counts as true for matchmaking (a non-zero number does)."""
    return value is True or (type(value) in (int, float) and value != 0)


def _evaluated(expr: classad2.ExprTree, scope: classad2.ClassAd, target: classad2.ClassAd) -> bool:
    try:
        return is_true(expr.eval(scope=scope, target=target))
    except (classad2.ClassAdException, UnicodeDecodeError, ValueError, TypeError):
        return False


def copied(ad: classad2.ClassAd) -> classad2.ClassAd:
    """A copy of ``ad`` (its expressions, unevaluated)."""
    copy = classad2.ClassAd()
    for name in ad.keys():
        copy[name] = ad.lookup(name)
    return copy


def target_references(ad: classad2.ClassAd, expr: classad2.ExprTree) -> set[str]:
    """The attributes ``expr`` reads of the other ad when evaluated with ``ad``
    as MY: its ``TARGET.`` references and the names ``ad`` lacks."""
    try:
        references = ad.externalRefs(expr)
    except (classad2.ClassAdException, ValueError):
        return set()
    names = set()
    for reference in references:
        parts = reference.split(".")
        if parts[0].lower() == "target" and len(parts) > 1:
            names.add(parts[1])
        elif parts[0].lower() not in _SCOPES:
            names.add(parts[0])
    return names


def in_match_scope(ad: classad2.ClassAd, expr: classad2.ExprTree | None) -> classad2.ClassAd:
    """A copy of ``ad`` in which each name ``expr`` reads unscoped and ``ad``
    lacks reads ``TARGET.<name>``: as matchmaking looks it up (``ad`` itself
    when there is none)."""
    if expr is None:
        return ad
    try:
        unscoped = [reference.split(".")[0] for reference in ad.externalRefs(expr)
                    if reference.split(".")[0].lower() not in _SCOPES]
    except (classad2.ClassAdException, ValueError):
        return ad
    if not unscoped:
        return ad
    scope = copied(ad)
    for name in dict.fromkeys(unscoped):
        try:
            scope[name] = classad2.ExprTree(f"TARGET.{name}")
        except (classad2.ClassAdException, ValueError):
            continue
    return scope


def _lookup(ad: classad2.ClassAd, name: str) -> classad2.ExprTree | None:
    try:
        return ad.lookup(name)
    except KeyError:
        return None


@dataclass
class Slot:
    """One slot ad, and what evaluating against it needs, made once."""

    ad: classad2.ClassAd
    requirements: classad2.ExprTree | None
    scope: classad2.ClassAd
    partitionable: bool
    claimed: bool
    _drained: tuple[classad2.ClassAd, classad2.ClassAd] | None | bool = False

    @classmethod
    def of(cls, ad: classad2.ClassAd) -> Slot:
        requirements = _lookup(ad, "Requirements")
        return cls(ad, requirements, in_match_scope(ad, requirements), ad.get("PartitionableSlot") is True,
                   isinstance(ad.get("RemoteUser"), str))

    def drained(self) -> tuple[classad2.ClassAd, classad2.ClassAd] | None:
        """The slot as if its dynamic slots were gone (each resource of
        MachineResources its ``TotalSlot`` value): the ad, and its scope."""
        if self._drained is False:
            resources = self.ad.get("MachineResources")
            names = (resources if isinstance(resources, str) else _DEFAULT_RESOURCES).replace(",", " ").split()
            totals = {name: f"TotalSlot{name}" for name in names if f"TotalSlot{name}" in self.ad}
            if not totals:
                self._drained = None
            else:
                ad, scope = copied(self.ad), copied(self.scope)
                for name, total in totals.items():
                    ad[name] = scope[name] = classad2.ExprTree(total)
                self._drained = (ad, scope)
        return self._drained or None


@dataclass
class Analysis:
    """One job against a slot set: the slots counted at each stage, and
    each top-level clause of its Requirements with the slots it alone rejects."""

    total: int
    match_job: int
    accept_job: int
    unclaimed: int
    if_drained: int
    clauses: list[tuple[str, int]]


@dataclass
class Slots:
    """The slot ads one request analyses jobs against."""

    slots: list[Slot]
    _truths: dict[str, int] = field(default_factory=dict)
    #: Clause masks kept at most (a slot set lives for one request, or a
    #: few seconds in a worker: ``restd.why.idle.slot_cache_seconds``).
    MAX_KEPT = 10_000

    @classmethod
    def of(cls, ads: Iterable[classad2.ClassAd]) -> Slots:
        return cls([Slot.of(ad) for ad in ads])

    def __len__(self) -> int:
        return len(self.slots)

    def truth(self, expr: classad2.ExprTree, job: classad2.ClassAd) -> int:
        """The bit mask of the slots ``expr`` is true for (MY ``job``, already
        in its match scope): bit ``i`` for ``slots[i]``."""
        try:
            key = str(job.flatten(expr))
        except (classad2.ClassAdException, ValueError, TypeError):
            key = None
        if key is not None and key in self._truths:
            return self._truths[key]
        mask = 0
        for index, slot in enumerate(self.slots):
            if _evaluated(expr, job, slot.ad):
                mask |= 1 << index
        if key is not None:
            if len(self._truths) >= self.MAX_KEPT:
                self._truths.clear()
            self._truths[key] = mask
        return mask

    def analysed(self, job: classad2.ClassAd) -> Analysis:
        """How the slots take ``job`` (a job or autocluster ad, redacted)."""
        requirements = _lookup(job, "Requirements")
        scope = in_match_scope(job, requirements)
        texts = clauses(str(requirements)) if requirements is not None else ["Requirements"]
        masks = []
        for text in texts:
            try:
                masks.append(self.truth(classad2.ExprTree(text), scope))
            except (classad2.ClassAdException, ValueError):
                masks = [self.truth(requirements, scope)] if requirements is not None else [0]
                texts = [str(requirements)]
                break
        everyone = (1 << len(self.slots)) - 1
        matched = everyone
        for mask in masks:
            matched &= mask
        total = len(self.slots)
        counts = {"match_job": 0, "accept_job": 0, "unclaimed": 0, "if_drained": 0}
        for index, slot in enumerate(self.slots):
            ad, slot_scope, fits = slot.ad, slot.scope, True
            if slot.partitionable:
                fits, drained = self._fits(slot, job)
                if drained is not None:
                    ad, slot_scope = drained
                    if not (requirements is not None and _evaluated(requirements, scope, ad)):
                        continue
                elif not matched >> index & 1:
                    continue
            elif not matched >> index & 1:
                continue
            counts["match_job"] += 1
            if slot.requirements is None or not _evaluated(slot.requirements, slot_scope, job):
                continue
            counts["accept_job"] += 1
            if not slot.claimed:
                counts["unclaimed" if fits else "if_drained"] += 1
        rejected = [(text, total - mask.bit_count()) for text, mask in zip(texts, masks)]
        return Analysis(total, clauses=rejected, **counts)

    @staticmethod
    def _fits(slot: Slot, job: classad2.ClassAd) -> tuple[bool, tuple[classad2.ClassAd, classad2.ClassAd] | None]:
        """Whether a partitionable slot has room for the job now
        (WithinResourceLimits), and if not, its drained form when the job
        fits that (else None: it is judged as it is)."""
        limits = _lookup(slot.ad, "WithinResourceLimits")
        if limits is None:
            return True, None
        try:
            value = limits.eval(scope=slot.scope, target=job)
        except (classad2.ClassAdException, UnicodeDecodeError, ValueError, TypeError):
            return True, None
        if type(value) not in (bool, int, float) or is_true(value):
            return True, None  # only a definite "does not fit" is worth a drained try (HTCondor's too)
        drained = slot.drained()
        if drained is not None and _evaluated(limits, drained[1], job):
            return False, drained
        return False, None

