"""Callers' ClassAd expressions, checked before a daemon sees them.

Runs in the gateway's worker processes (it imports ``classad2``). Two
things are settled here for every constraint a caller sends:

- **What it may read.** With hidden job attributes configured, a
  constraint must not name one (in any scope), nor look attributes up by a
  computed name (``eval()``, ``ad["name"]``): the set of matching jobs would
  reveal the hidden value. A constraint whose references cannot be worked
  out is refused too.
- **That the daemon reads what was checked.** Daemons parse a query's
  constraint in the old ClassAd syntax, where a backslash is literal (only
  ``\\"`` is an escape): the new syntax's ``"a\\\\b"`` would reach them as two
  backslashes, and a string ending in a backslash would not parse at all
  (HTCondor then answers only "Failed to fetch ads"). So what is sent is the
  old-syntax form of the parsed expression, and an expression that form
  cannot carry exactly is refused (400) rather than sent changed.
"""
from __future__ import annotations

import math
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import classad2

from restd_core.gateway.errors import BadQuery
from restd_core.gateway.worker.classads import redact
from restd_core.gateway.worker.clauses import clauses
from restd_core.gateway.worker.constraint_cost import why_judged_here

# Outside string literals: a call of eval() or a subscript / record literal
# can name an attribute at run time, which no static analysis sees through.
_STRING_LITERAL = re.compile(r'"(?:[^"\\]|\\.)*"')
_DYNAMIC_LOOKUP = re.compile(r"\beval\s*\(|\[", re.IGNORECASE)
#: A name of the ad an expression is evaluated against (``MY.Owner``) or of
#: the other ad of a match, which a query has none of (``TARGET.Owner``).
_SCOPES = {"my", "target"}
_WIRE_ATTRIBUTE = "Wire"
#: The comparison operators as the parser prints them, each with its mirror (``3 < x`` is ``x > 3``).
_MIRRORED = {"==": "==", "!=": "!=", "<": ">", "<=": ">=", ">": "<", ">=": "<=", "is": "is", "isnt": "isnt"}
#: How far a real literal's value may be from what its printed form reads
#: (the parser prints a real to 16 significant digits), relative to it.
_REAL_PRINTED_ERROR = 1e-15


@dataclass(frozen=True)
class Comparison:
    """A comparison of one of the ad's own attributes with a literal:
    ``attribute operator value`` (a literal on the left is turned around:
    ``3 < x`` is ``x > 3``). The literal's value lies in ``[low, high]``: a
    string's or an integer's is both; a real's is read from the parsed
    expression's printed form, which rounds it (``_REAL_PRINTED_ERROR``)."""

    attribute: str
    operator: str
    low: str | int | float
    high: str | int | float


@dataclass(frozen=True)
class Constraint:
    """A caller's constraint, checked.

    ``wire``: the text to send to a daemon (old ClassAd syntax, read there
    as ``expr``); ``attributes``: the job attributes it refers to (the head
    of each reference, without ``MY.``; ``TARGET.`` references left out);
    ``costly``: what it builds or runs has no bound the server knows
    (``constraint_cost``: a regular expression, ``join``, a record...), so
    no daemon should evaluate it; the worker does, within its time budget
    and memory cap.
    """

    expr: classad2.ExprTree
    wire: str
    attributes: tuple[str, ...]
    costly: bool = False

    def holding(self, ads: list[classad2.ClassAd], hidden: Iterable[str]) -> list[classad2.ClassAd]:
        """The ads it holds for, judged here on their redacted form (hidden
        attributes read ``"<REDACTED>"``: the answer cannot depend on them)."""
        redact(ads, hidden)
        return [ad for ad in ads if self.holds_for(ad)]

    def judged_here(self, hidden: Iterable[str]) -> bool:
        """Whether to evaluate it in the worker rather than send it: it may
        read hidden values through the attributes it names, or it is costly."""
        return self.costly or bool(self.attributes and hidden)

    def comparisons(self) -> tuple[Comparison, ...]:
        """Its top-level clauses (``clauses``) that compare one of the ad's
        own attributes with a literal. It holds for an ad only if each of
        them does: ``a && b`` is true only when both sides are (a number
        counts as a boolean there; undefined or an error never gives true)."""
        return tuple(found for clause in clauses(str(self.expr)) if (found := _comparison(clause)) is not None)

    def holds_for(self, ad: classad2.ClassAd) -> bool:
        """Whether it evaluates to true against ``ad``, as a daemon's query
        decides (a non-zero number counts as true; undefined and error do
        not, nor a value whose bytes are not UTF-8, nor an evaluation that
        fails: the ClassAd library gives up on some values, such as a
        record's attribute of 32 MiB)."""
        try:
            return is_true(self.expr.eval(ad))
        except (UnicodeDecodeError, classad2.ClassAdException):
            return False


def is_true(value: Any) -> bool:
    return value is True or (type(value) in (int, float) and value != 0)


def _comparison(text: str) -> Comparison | None:
    """The comparison a clause (the parser's printed form) is, if it is one
    of an attribute of the ad itself (``Owner``, ``MY.Owner``) with a
    literal: the parser names its only reference, and what stands on the
    other side of the operator reads back as one literal."""
    try:
        references = [ref for ref in classad2.ClassAd().externalRefs(classad2.ExprTree(text)) if ref]
    except (classad2.ClassAdException, ValueError):
        return None
    if len(references) != 1:
        return None
    parts = references[0].split(".")
    if len(parts) > 2 or (len(parts) == 2 and parts[0].lower() != "my"):
        return None
    attribute = parts[-1]
    # The library names a reference with or without its MY. (it varies): either spelling, in any case, may be printed.
    spellings = {attribute.lower(), f"my.{attribute.lower()}"}
    for operator, mirror in _MIRRORED.items():
        for spelling in spellings:
            left, right = f"{spelling} {operator} ", f" {operator} {spelling}"
            if text[:len(left)].lower() == left and (bounds := _literal(text[len(left):])) is not None:
                return Comparison(attribute, operator, *bounds)
            if text[-len(right):].lower() == right and (bounds := _literal(text[:-len(right)])) is not None:
                return Comparison(attribute, mirror, *bounds)
    return None


def _literal(text: str) -> tuple[str | int | float, str | int | float] | None:
    """The bounds of the value of ``text`` if it is one string, integer or
    (finite) real literal as the parser prints it; None if it is anything
    else (an expression, a boolean, undefined...)."""
    try:
        value = classad2.ExprTree(text).eval()
    except (classad2.ClassAdException, ValueError):
        return None
    if type(value) not in (str, int, float):  # not a boolean, nor undefined or error (an int enum)
        return None
    if isinstance(value, float) and not math.isfinite(value):
        return None
    literal = classad2.quote(value) if isinstance(value, str) else repr(value)
    if str(classad2.ExprTree(literal)) != text:
        return None
    if isinstance(value, float):
        error = abs(value) * _REAL_PRINTED_ERROR
        return value - error, value + error
    return value, value


def parse_constraint(text: str, hidden: Iterable[str] = (), parameter: str = "constraint") -> Constraint:
    """Parse a caller's constraint, refusing (``BadQuery``) one that does not
    parse, whose references cannot be worked out, that would read a
    ``hidden`` attribute, or that the wire cannot carry exactly."""
    try:
        expr = classad2.ExprTree(text)
    except (classad2.ClassAdException, ValueError, TypeError) as exc:
        raise BadQuery(
            f"{parameter} is not a valid ClassAd expression: {exc}", {"parameter": parameter, "value": text}
        ) from None
    try:
        references = [ref for ref in classad2.ClassAd().externalRefs(expr) if ref]
    except (classad2.ClassAdException, ValueError):
        raise BadQuery(
            f"{parameter}: the attributes it refers to cannot be worked out (e.g. a field of a literal)",
            {"parameter": parameter},
        ) from None
    outside_strings = _STRING_LITERAL.sub('""', str(expr))
    hidden_lower = {name.lower() for name in hidden}
    if hidden_lower:
        named = sorted({part for ref in references for part in ref.split(".") if part.lower() in hidden_lower})
        if named:
            raise BadQuery(
                f"{parameter} refers to hidden attribute(s): {', '.join(named)}",
                {"parameter": parameter, "hidden": named},
            )
        if _DYNAMIC_LOOKUP.search(outside_strings):
            raise BadQuery(
                f"{parameter} looks attributes up dynamically (eval() or [...]), "
                "which is refused while job attributes are hidden",
                {"parameter": parameter},
            )
    return Constraint(expr, wire_form(expr, parameter), _heads(references), why_judged_here(str(expr)) is not None)


def _heads(references: list[str]) -> tuple[str, ...]:
    """The attribute each reference starts from: ``MY.Rec.e`` -> ``Rec``."""
    heads = []
    for ref in references:
        parts = ref.split(".")
        if len(parts) > 1 and parts[0].lower() in _SCOPES:
            if parts[0].lower() == "target":
                continue
            parts = parts[1:]
        heads.append(parts[0])
    return tuple(dict.fromkeys(heads))


def wire_form(expr: classad2.ExprTree, parameter: str = "constraint") -> str:
    """``expr`` as a daemon must be sent it: in the old ClassAd syntax,
    checked to read back as the same expression (in parentheses, so that a
    string cannot run to the end of the text unnoticed)."""
    ad = classad2.ClassAd()
    ad[_WIRE_ATTRIBUTE] = expr
    wire = ad.printOld().strip().split("=", 1)[1].strip()
    try:
        back = classad2.parseOne(f"{_WIRE_ATTRIBUTE} = ({wire})", classad2.ParserType.Old).lookup(_WIRE_ATTRIBUTE)
    except (classad2.ClassAdException, ValueError, KeyError):
        back = None
    if back is None or str(back) != str(classad2.ExprTree(f"({expr})")):
        raise BadQuery(
            f"{parameter} cannot be sent to HTCondor exactly: its daemons read strings in the old ClassAd "
            "syntax, which has no escapes but \\\" (a string ending in a backslash, or holding a newline, "
            "is read differently there)",
            {"parameter": parameter},
        )
    return wire


def conjunction(*parts: str | None) -> str:
    """Whole expressions' texts ANDed (each in parentheses), ``true`` for none."""
    present = [part for part in parts if part]
    return " && ".join(f"({part})" for part in present) or "true"


def matches_name(name: str, parameter: str = "name") -> str:
    """The wire text of ``Name == "<name>"``, compared as a quoted string."""
    return wire_form(classad2.ExprTree(f"Name == {classad2.quote(name)}"), parameter)


@dataclass(frozen=True)
class Judged:
    """A query's caller constraint (``constraint``, None for none), and where
    it is judged: ``here`` (the constraint, when ``Constraint.judged_here``:
    it may read a ``hidden`` value, or it is costly) on redacted ads, else
    by the daemon (``here`` is None).

    ``wire``: what the daemon is sent of it (None: nothing); ``needs``:
    what the daemon must be asked besides, for the judgement here;
    ``holding(ads)``: the ads it holds for, judged here (all of them
    when the daemon judged it)."""

    constraint: Constraint | None
    hidden: frozenset[str]

    @property
    def here(self) -> Constraint | None:
        judged_here = self.constraint is not None and self.constraint.judged_here(self.hidden)
        return self.constraint if judged_here else None

    @property
    def wire(self) -> str | None:
        return None if self.constraint is None or self.here is not None else self.constraint.wire

    @property
    def needs(self) -> tuple[str, ...]:
        here = self.here
        return here.attributes if here is not None else ()

    def holding(self, ads: list[classad2.ClassAd]) -> list[classad2.ClassAd]:
        here = self.here
        return here.holding(ads, self.hidden) if here is not None else ads


def judged(text: str | None, hidden: frozenset[str]) -> Judged:
    """A caller's constraint (``parse_constraint``: ``BadQuery`` for one
    that could read a ``hidden`` attribute) and where it is judged."""
    return Judged(parse_constraint(text, hidden) if text is not None else None, hidden)
