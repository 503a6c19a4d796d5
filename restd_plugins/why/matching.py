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
it once. Binding a target (``eval(scope, target)``) costs the bindings
about six times an evaluation in a scope that reads the other ad through
an attribute, assigning it included (bench/README.md, ``why_idle.py``), so
none is bound where it can be helped: a clause that reads only the slot once flattened is
evaluated in an ad whose ``TARGET`` attribute is the slot's literal view
(``TARGET.Memory`` then reads it), the clauses of every job together, a
bit each in one integer expression per slot; a clause that still reads
the job, in a copy of the job's scope whose ``TARGET`` is that view; the
slot's side in a copy of the slot's scope whose ``TARGET`` is the job's
view, once per slots alike in what their Requirements read of themselves.
A value that depends on the other ad (``opaque``) sends that pair down the
slow path, a bound target.
"""
from __future__ import annotations

import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any, Literal

import classad2

from restd_core.plugin_api.worker import clauses

#: The scopes an attribute reference may name.
_SCOPES = {"my", "target"}
#: A partitionable slot's resources, unless its MachineResources names them.
_DEFAULT_RESOURCES = "Cpus Memory Disk"


def is_true(value: Any) -> bool:
    """Whether a value counts as true for matchmaking (a non-zero number does)."""
    return value is True or (type(value) in (int, float) and value != 0)


def _evaluated(expr: classad2.ExprTree, scope: classad2.ClassAd, target: classad2.ClassAd | None = None) -> bool:
    try:
        return is_true(expr.eval(scope=scope, target=target))
    except (classad2.ClassAdException, UnicodeDecodeError, ValueError, TypeError):
        return False


def copied(ad: classad2.ClassAd) -> classad2.ClassAd:
    """A copy of ``ad`` (its expressions, unevaluated)."""
    copy = classad2.ClassAd()
    for name in ad:
        copy[name] = ad.lookup(name)
    return copy


def _references(ad: classad2.ClassAd, expr: classad2.ExprTree) -> list[str]:
    """What ``expr`` reads that ``ad`` does not have (the bindings answer
    ``[""]`` for none)."""
    return [reference for reference in ad.externalRefs(expr) if reference]


def target_references(ad: classad2.ClassAd, expr: classad2.ExprTree) -> set[str]:
    """The attributes ``expr`` reads of the other ad when evaluated with ``ad``
    as MY: its ``TARGET.`` references and the names ``ad`` lacks."""
    try:
        references = _references(ad, expr)
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
        unscoped = [reference.split(".")[0] for reference in _references(ad, expr)
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


def _value(ad: classad2.ClassAd, name: str) -> Any:
    try:
        return ad.eval(name)
    except (KeyError, classad2.ClassAdException, UnicodeDecodeError, ValueError, TypeError):
        return None


def _lookup(ad: classad2.ClassAd, name: str) -> classad2.ExprTree | None:
    try:
        return ad.lookup(name)
    except KeyError:
        return None


#: The attribute through which a scope of the fast path reads the other ad.
_TARGET = "TARGET"


def literal_view(ad: classad2.ClassAd, names: Iterable[str]) -> tuple[classad2.ClassAd, set[str]]:
    """The values of ``names`` in ``ad`` that do not depend on any other ad
    (their expressions read only ``ad``: evaluated here, once), as an ad of
    literals; and the names whose values do depend on the other ad
    (``opaque``: whoever reads one takes the slow path)."""
    view, opaque = classad2.ClassAd(), set()
    for name in names:
        expr = _lookup(ad, name)
        if expr is None:
            continue  # absent: undefined, as in a match
        try:
            if _references(ad, expr):
                opaque.add(name)
                continue
            value = ad.eval(name)
        except (classad2.ClassAdException, UnicodeDecodeError, ValueError, TypeError):
            opaque.add(name)
            continue
        if value is classad2.Value.Undefined:
            continue
        if value is classad2.Value.Error:
            view[name] = classad2.ExprTree("error")
        elif type(value) in (bool, int, float, str):
            view[name] = value
        else:
            opaque.add(name)  # a list or record: kept whole on the slow path
    return view, opaque


@dataclass
class Slot:
    """One slot ad, and what evaluating against it needs, made once:
    ``scope`` its match scope; ``view`` the literal values of what jobs
    read of it and ``opaque`` those that are not literals; ``needs`` what its
    Requirements reads of a job; ``fast`` a copy of its scope whose TARGET
    attribute is set to a job's literal view, ``probe`` an ad whose TARGET is
    its own view (the fast paths); ``side_key`` what its side of a match
    reads of itself (slots alike in it answer a job alike)."""

    ad: classad2.ClassAd
    requirements: classad2.ExprTree | None
    scope: classad2.ClassAd
    partitionable: bool
    claimed: bool
    view: classad2.ClassAd
    opaque: set[str]
    needs: set[str]
    fast: classad2.ClassAd
    probe: classad2.ClassAd
    side_key: str
    _drained: tuple[classad2.ClassAd, classad2.ClassAd] | None | Literal[False] = False

    @classmethod
    def of(cls, ad: classad2.ClassAd, read: Iterable[str]) -> Slot:
        """``read``: the (lower-cased) names jobs may read of it."""
        requirements = _lookup(ad, "Requirements")
        scope = in_match_scope(ad, requirements)
        view, opaque = literal_view(ad, read)
        needs = {name.lower() for name in target_references(ad, requirements)} if requirements is not None else set()
        probe = classad2.ClassAd()
        probe[_TARGET] = view
        return cls(ad, requirements, scope, ad.get("PartitionableSlot") is True, isinstance(ad.get("RemoteUser"), str),
                   view, opaque, needs, copied(scope), probe, _clause_key(scope, _SIDE)[0])

    def drained(self) -> tuple[classad2.ClassAd, classad2.ClassAd] | None:
        """The slot as if its dynamic slots were gone (each resource of
        MachineResources its ``TotalSlot`` value): the ad, and its scope."""
        if self._drained is False:
            resources = self.ad.get("MachineResources")
            names = (resources if isinstance(resources, str) else _DEFAULT_RESOURCES).replace(",", " ").split()
            totals = {name: f"TotalSlot{name}" for name in names if f"TotalSlot{name}" in self.ad}
            if all(_value(self.ad, name) == _value(self.ad, total) for name, total in totals.items()):
                # nothing is carved out of it: drained, it is as it is (HTCondor's overlay would change nothing)
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
class _Job:
    """A job made ready for matching: its Requirements, match scope, clauses
    (texts, keys) and which of those read only the slot once flattened
    (``pure``: key -> (flattened text, what it reads of the slot))."""

    ad: classad2.ClassAd
    requirements: classad2.ExprTree | None
    scope: classad2.ClassAd
    texts: list[str]
    keys: list[str]
    pure: dict[str, tuple[str, set[str]]]

    @classmethod
    def of(cls, job: classad2.ClassAd) -> _Job:
        requirements = _lookup(job, "Requirements")
        scope = in_match_scope(job, requirements)
        texts = clauses(str(requirements)) if requirements is not None else ["Requirements"]
        try:
            exprs = [classad2.ExprTree(text) for text in texts]
        except (classad2.ClassAdException, ValueError):
            texts, exprs = [str(requirements)], [requirements]
        keys, pure = [], {}
        for expr in exprs:
            key, flat, reads = _clause_key(scope, expr)
            keys.append(key)
            if flat is not None:
                pure[key] = (flat, reads)
        return cls(job, requirements, scope, texts, keys, pure)


#: Clauses one packed expression evaluates at most (ClassAd integers are 64 bits).
_BITS = 60


@dataclass
class Slots:
    """The slot ads one request analyses jobs against."""

    slots: list[Slot]
    needs: set[str] = field(default_factory=set)
    partitionable: int = 0  # the mask of partitionable slots
    _truths: dict[str, int] = field(default_factory=dict)
    #: Clause masks kept at most (a slot set lives for one request, or a
    #: few seconds in a worker: ``restd.why.idle.slot_cache_seconds``).
    MAX_KEPT = 10_000

    @classmethod
    def of(cls, ads: Iterable[classad2.ClassAd], read: Iterable[str], until: float | None = None) -> Slots:
        """``read``: the names jobs may read of the slots (the fast path has
        their literal values; a job that reads others takes the slow one).
        The slots not made ready by ``until`` (``time.monotonic()``) are
        left out."""
        read = sorted({name.lower() for name in read})
        slots = []
        for ad in ads:
            if until is not None and time.monotonic() > until:
                break
            slots.append(Slot.of(ad, read))
        return cls(slots, needs=set().union(*(slot.needs for slot in slots)),
                   partitionable=sum(1 << index for index, slot in enumerate(slots) if slot.partitionable))

    def __len__(self) -> int:
        return len(self.slots)

    def analysed(self, jobs: list[classad2.ClassAd], until: float | None = None) -> list[Analysis]:
        """How the slots take each of ``jobs`` (job or autocluster ads,
        redacted), in their order, until ``until`` (``time.monotonic()``):
        the jobs not reached by then are left out of the answer."""
        ready = [_Job.of(job) for job in jobs]
        self._evaluate_pure({key: flat for job in ready for key, flat in job.pure.items() if key not in self._truths})
        analyses = []
        for job in ready:
            if until is not None and time.monotonic() > until:
                break
            analyses.append(self._analysed(job))
        return analyses

    def _keep(self, key: str, mask: int) -> None:
        if len(self._truths) >= self.MAX_KEPT:
            self._truths.clear()
        self._truths[key] = mask

    def _evaluate_pure(self, flats: dict[str, tuple[str, set[str]]]) -> None:
        """The masks of clauses that read only the slot, every job's at once:
        ``_BITS`` of them per evaluation, in the slot's probe (its view as TARGET)."""
        keys = list(flats)
        masks = dict.fromkeys(keys, 0)
        chunks = [keys[at:at + _BITS] for at in range(0, len(keys), _BITS)]
        packed = [_packed([flats[key][0] for key in chunk]) for chunk in chunks]
        for index, slot in enumerate(self.slots):
            for chunk, expr in zip(chunks, packed):
                if any(flats[key][1] & slot.opaque for key in chunk):
                    value = sum(_evaluated_value(_packed([flats[key][0]]), _NOWHERE, slot.ad) << bit
                                for bit, key in enumerate(chunk))
                else:
                    value = _evaluated_value(expr, slot.probe)
                for bit, key in enumerate(chunk):
                    if value >> bit & 1:
                        masks[key] |= 1 << index
        for key, mask in masks.items():
            self._keep(key, mask)

    def _analysed(self, job: _Job) -> Analysis:
        new = list(dict.fromkeys(key for key in job.keys if key not in self._truths))
        if new:
            texts = dict(zip(job.keys, job.texts))
            packed = _packed([texts[key] for key in new])
            reads = {name.lower() for name in target_references(job.ad, job.requirements)} \
                if job.requirements is not None else set()
            fast_job = copied(job.scope)
            new_masks = dict.fromkeys(new, 0)
            for index, slot in enumerate(self.slots):
                if reads & slot.opaque:
                    value = _evaluated_value(packed, job.scope, slot.ad)
                else:
                    fast_job[_TARGET] = slot.view
                    value = _evaluated_value(packed, fast_job)
                for bit, key in enumerate(new):
                    if value >> bit & 1:
                        new_masks[key] |= 1 << index
            for key, new_mask in new_masks.items():
                self._keep(key, new_mask)
        masks = [self._truths[key] for key in job.keys]
        matched = (1 << len(self.slots)) - 1
        for mask in masks:
            matched &= mask
        job_view, job_opaque = literal_view(job.ad, self.needs)
        said: dict[int, tuple[bool, bool]] = {}
        alike: dict[str, tuple[bool, bool]] = {}  # slots alike in what their side reads of themselves
        for index in _bits(matched | self.partitionable):
            slot = self.slots[index]
            if job_opaque & slot.needs:
                said[index] = _slot_side(slot, slot.scope, job.ad)
            elif slot.side_key in alike:
                said[index] = alike[slot.side_key]
            else:
                slot.fast[_TARGET] = job_view
                said[index] = alike[slot.side_key] = _slot_side(slot, slot.fast)
        counts = self._counted(job, matched, said)
        rejected = [(text, len(self.slots) - mask.bit_count()) for text, mask in zip(job.texts, masks)]
        return Analysis(len(self.slots), clauses=rejected, **counts)

    def _counted(self, job: _Job, matched: int, said: dict[int, tuple[bool, bool]]) -> dict[str, int]:
        """The slots at each stage, from what each slot said (``_slot_side``:
        its Requirements accepts the job, it is too small for it now)."""
        counts = {"match_job": 0, "accept_job": 0, "unclaimed": 0, "if_drained": 0}
        for index in _bits(matched | self.partitionable):
            slot = self.slots[index]
            accepts, too_small = said.get(index, (False, False))
            fits = not (slot.partitionable and too_small)
            if not fits and (drained := slot.drained()) is not None and _evaluated(
                    _lookup(slot.ad, "WithinResourceLimits"), drained[1], job.ad):
                # HTCondor judges it drained: the job's Requirements and its own against that
                ad, drained_scope = drained
                if job.requirements is None or not _evaluated(job.requirements, job.scope, ad):
                    continue
                counts["match_job"] += 1
                if slot.requirements is None or not _evaluated(slot.requirements, drained_scope, job.ad):
                    continue
                counts["accept_job"] += 1
                counts["if_drained"] += not slot.claimed
                continue
            if not matched >> index & 1:
                continue
            counts["match_job"] += 1
            if not accepts:
                continue
            counts["accept_job"] += 1
            if not slot.claimed:
                counts["unclaimed" if fits else "if_drained"] += 1
        return counts


def _true(text: str) -> str:
    """1 where ``text`` counts as true for matchmaking, else 0 (never an
    error; a boolean, the usual value, evaluated at most twice)."""
    return (f"ifThenElse(({text}) =?= true, 1, ifThenElse(({text}) =?= false, 0, "
            f"ifThenElse(isInteger({text}) || isReal({text}), ifThenElse(({text}) != 0, 1, 0), 0)))")


def _packed(texts: list[str]) -> classad2.ExprTree:
    """One integer of the job's side: bit i for ``texts[i]`` true."""
    return classad2.ExprTree(" + ".join(f"{1 << bit} * {_true(text)}" for bit, text in enumerate(texts)) or "0")


_REQUIREMENTS = classad2.ExprTree("MY.Requirements")
_WITHIN_LIMITS = classad2.ExprTree("MY.WithinResourceLimits")
#: What a slot's side reads of the slot (its ``side_key``).
_SIDE = classad2.ExprTree("{MY.Requirements, MY.WithinResourceLimits}")


def _slot_side(slot: Slot, scope: classad2.ClassAd, target: classad2.ClassAd | None = None) -> tuple[bool, bool]:
    """The slot's side of a match, in ``scope`` (its own, with the job as
    ``target`` or as its TARGET attribute): whether its Requirements accepts
    the job, and whether it is definitely too small for it now (a
    partitionable slot's WithinResourceLimits false, not undefined)."""
    accepts = _evaluated(_REQUIREMENTS, scope, target)
    if not slot.partitionable:
        return accepts, False
    try:
        limits = _WITHIN_LIMITS.eval(scope=scope, target=target)
    except (classad2.ClassAdException, UnicodeDecodeError, ValueError, TypeError):
        return accepts, False
    return accepts, limits is False or (type(limits) in (int, float) and limits == 0)


def _bits(mask: int) -> Iterator[int]:
    """The indexes of a mask's set bits, lowest first."""
    while mask:
        low = mask & -mask
        yield low.bit_length() - 1
        mask ^= low


def _evaluated_value(expr: classad2.ExprTree, scope: classad2.ClassAd, target: classad2.ClassAd | None = None) -> int:
    try:
        value = expr.eval(scope=scope, target=target)
    except (classad2.ClassAdException, UnicodeDecodeError, ValueError, TypeError):
        return 0
    return value if type(value) is int else 0


_NOWHERE = classad2.ClassAd()


def _clause_key(scope: classad2.ClassAd, expr: classad2.ExprTree) -> tuple[str, str | None, set[str]]:
    """What a clause's truth over the slots depends on, of the job: its text
    with the job's values put in (``flatten``), and the text of every job
    attribute it still reads (``MY.`` ones, expressions), and of theirs.
    With it, the flattened text if it reads nothing of the job any more
    (else None), and the names it reads of the slot (lower-cased)."""
    try:
        flat = scope.flatten(expr)
    except (classad2.ClassAdException, ValueError, TypeError):
        flat = expr
    if not isinstance(flat, classad2.ExprTree):  # the job's values alone decide it: a constant
        return f"constant:{flat!r}", None, set()
    read: dict[str, str] = {}
    of_slot: set[str] = set()
    pending = [flat]
    while pending:
        try:
            references = _references(_NOWHERE, pending.pop())
        except (classad2.ClassAdException, ValueError):
            return f"{id(scope)}:{expr}", None, set()  # cannot tell: this job's alone
        for reference in references:
            parts = reference.split(".")
            if parts[0].lower() == "target":
                of_slot.add(parts[1].lower() if len(parts) > 1 else "")
                continue
            name = parts[1] if parts[0].lower() == "my" and len(parts) > 1 else parts[0]
            if name.lower() in read:
                continue
            value = _lookup(scope, name)
            read[name.lower()] = str(value)
            if value is not None:
                pending.append(value)
    key = "\0".join([str(flat), *(f"{name}={value}" for name, value in sorted(read.items()))])
    return key, (str(flat) if not read else None), of_slot
