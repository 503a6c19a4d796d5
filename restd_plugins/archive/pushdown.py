"""The parts of a caller's constraint that the archive's columns answer:
SQL conditions that keep every row the constraint could hold for, so that
the database leaves out the rows it cannot (the whole constraint is still
judged, in the worker, on each row kept).

A column qualifies when it holds one attribute of the row's (redacted) ad
as ``store.row_of`` takes it: a string as it is, a number through
``float()`` (an integer column truncated: a map that keeps order, so
``v <= L`` gives ``column <= map(L)``), and something else (missing, a
boolean, an expression ``"/Expr(...)/"``, a hidden attribute's
``"<REDACTED>"``... through a number column) as a value that stands for
"unknown" (NULL, and QDate's 0): those rows are always kept. Only the
comparisons whose ClassAd meaning such a column can decide are pushed
down: ``==`` (strings: case-insensitive, ASCII case as the ClassAd library
folds it), ``is``, and for strings ``!=`` and ``isnt``, for numbers
``<``, ``<=``, ``>``, ``>=`` (as non-strict ones: the truncation may meet
the bound). CompletionDate and EnteredCurrentStatus are not: the window's
column is one or the other. An attribute hidden now is never pushed down
(a constraint naming one is refused before).
"""
from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Text, or_
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement

from restd_core.plugin_api.worker import Comparison

from . import store

#: A stored expression's JSON text starts so (``operations._classad`` reads it back).
_EXPRESSION = "/Expr(%"
#: The integers both backends compare a parameter with (SQLite's, PostgreSQL's bigint).
_INT64 = range(-2**63, 2**63)


class ascii_lower(FunctionElement[str]):
    """``lower()`` folding ASCII letters only, as the ClassAd library
    compares strings: SQLite's does; PostgreSQL's does in the C collation
    (in others it may fold more, or ``I`` to a dotless ``ı``)."""

    type = Text()
    name = "ascii_lower"
    inherit_cache = True


@compiles(ascii_lower)
def _lower(element: ascii_lower, compiler: Any, **options: Any) -> str:
    return f"lower({compiler.process(element.clauses, **options)})"


@compiles(ascii_lower, "postgresql")
def _lower_in_c(element: ascii_lower, compiler: Any, **options: Any) -> str:
    return f'lower(({compiler.process(element.clauses, **options)}) COLLATE "C")'


def _integer(value: float) -> int:
    return int(float(value))


@dataclass(frozen=True)
class _Column:
    """An archived column holding one attribute: ``convert`` is what
    ``store.row_of`` does to a number (None: a string column), ``unknown``
    the rows whose value says nothing of the attribute (None: none)."""

    column: Any
    convert: Callable[[float], float | int] | None
    unknown: Callable[[Any], ColumnElement[bool]] | None


def _null(column: Any) -> ColumnElement[bool]:
    return column.is_(None)


def _not_a_string(column: Any) -> ColumnElement[bool]:
    return or_(column.is_(None), column.like(_EXPRESSION))


#: The attribute (lower-case) each such column holds.
COLUMNS: dict[str, _Column] = {
    "clusterid": _Column(store.jobs.c.cluster, _integer, None),  # only integer ClusterIds are archived
    "procid": _Column(store.jobs.c.proc, _integer, None),  # NOT NULL: a number
    "qdate": _Column(store.jobs.c.qdate, _integer, lambda column: column == 0),
    "jobstatus": _Column(store.jobs.c.job_status, _integer, _null),
    "owner": _Column(store.jobs.c.owner, None, _not_a_string),
    "acctgroup": _Column(store.jobs.c.acct_group, None, _not_a_string),
    "jobstartdate": _Column(store.jobs.c.started, _integer, _null),
    "exitcode": _Column(store.jobs.c.exit_code, _integer, _null),
    "numjobstarts": _Column(store.jobs.c.starts, _integer, _null),
    "remotewallclocktime": _Column(store.jobs.c.wall, float, _null),
    "requestcpus": _Column(store.jobs.c.request_cpus, float, _null),
    "requestmemory": _Column(store.jobs.c.request_memory, float, _null),
    "requestgpus": _Column(store.jobs.c.request_gpus, float, _null),
}


def _string(column: Any, comparison: Comparison) -> ColumnElement[bool] | None:
    value = comparison.low
    if not isinstance(value, str):
        return None
    folded = value.encode().lower().decode()  # ASCII letters only
    if comparison.operator == "==":
        return ascii_lower(column) == folded
    if comparison.operator == "!=":
        return ascii_lower(column) != folded
    if comparison.operator == "is":
        return column == value
    if comparison.operator == "isnt":
        return column != value
    return None  # an order of strings: the backends' collations need not be the ClassAd library's


def _number(column: Any, convert: Callable[[float], float | int],
            comparison: Comparison) -> ColumnElement[bool] | None:
    if isinstance(comparison.low, str) or isinstance(comparison.high, str):
        return None
    low, high = convert(comparison.low), convert(comparison.high)
    if isinstance(low, int) and (low not in _INT64 or high not in _INT64):
        return None
    if comparison.operator in ("==", "is"):
        return column == low if low == high else column.between(low, high)
    if comparison.operator in ("<", "<="):
        return column <= high
    if comparison.operator in (">", ">="):
        return column >= low
    return None  # != and isnt: a truncated value may differ from the literal while its column does not


#: Conditions one read asks of the database at most (the first ones: leaving one out keeps more rows, never fewer).
MAX_CONDITIONS = 32


def pushed_down(comparisons: Iterable[Comparison], hidden: Iterable[str]) -> list[ColumnElement[bool]]:
    """The SQL conditions (to AND) of the ``comparisons`` (a constraint's
    top-level ones: ``Constraint.comparisons``) that an archived column
    answers, ``MAX_CONDITIONS`` at most: each keeps every row its
    comparison may hold for."""
    hidden_lower = {name.lower() for name in hidden}
    conditions = []
    for comparison in comparisons:
        name = comparison.attribute.lower()
        if name not in COLUMNS or name in hidden_lower:
            continue
        held = COLUMNS[name]
        condition = (_string(held.column, comparison) if held.convert is None
                     else _number(held.column, held.convert, comparison))
        if condition is not None:
            conditions.append(condition if held.unknown is None else or_(condition, held.unknown(held.column)))
            if len(conditions) == MAX_CONDITIONS:
                break
    return conditions
