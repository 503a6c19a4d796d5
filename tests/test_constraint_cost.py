"""Which constraints a daemon may evaluate (``constraint_cost``): every
ClassAd function HTCondor registers is classified, the ones sent are
measured not to grow a value beyond their arguments, and the ones that
grow one are measured doing it, in the bindings."""
from __future__ import annotations

import classad2
import pytest

from restd_core.gateway.worker.constraint_cost import (
    JUDGED_IN_WORKER,
    MAX_BUILT_REFERENCES,
    SENT,
    why_judged_here,
)

from .test_costly_constraints import join_constraint, joined, record_constraint

#: Every function HTCondor registers, as spelled there: the table of
#: src/classad/fnCall.cpp (FunctionCall::FunctionCall) and
#: registerClassadFunctions of src/condor_utils/compat_classad.cpp
#: (htcondor/htcondor 7491a145f64a1c2393ed0933375874344fa44f9f, 25.x).
#: The negotiator's and the startd's own functions are never a schedd's
#: or a collector's.
HTCONDOR_FUNCTIONS = [
    # fnCall.cpp
    "isundefined", "iserror", "isstring", "isinteger", "isreal", "islist", "isclassad", "isboolean", "isabstime",
    "isreltime", "member", "identicalmember", "size", "sum", "avg", "min", "max", "anycompare", "allcompare",
    "time", "currenttime", "timezoneoffset", "daytime", "getyear", "getmonth", "getdayofyear", "getdayofmonth",
    "getdayofweek", "getdays", "gethours", "getminutes", "getseconds", "splittime", "formattime", "strcat", "join",
    "toupper", "tolower", "substr", "strcmp", "stricmp", "versioncmp", "versionLE", "versionLT", "versionGE",
    "versionGT", "versionEQ", "version_in_range", "regexp", "regexpmember", "regexps", "replace", "replaceall",
    "int", "real", "string", "bool", "absTime", "relTime", "unparse", "unresolved", "floor", "ceil", "ceiling",
    "round", "pow", "quantize", "random", "ifThenElse", "interval", "eval", "stringListsIntersect", "debug",
    # compat_classad.cpp
    "envV1ToV2", "mergeEnvironment", "listToArgs", "argsToList", "stringListSize", "stringListSum",
    "stringListAvg", "stringListMin", "stringListMax", "stringListMember", "stringListIMember",
    "stringListSubsetMatch", "stringListISubsetMatch", "stringList_regexpMember", "userHome", "userMap",
    "splitusername", "splitslotname", "split", "evalInEachContext", "countMatches",
]

#: An attribute of 64 KiB, and what the measured calls below read.
BIG = 65536
AD = classad2.ClassAd({
    "Big": "x" * BIG, "Version": "1." * (BIG // 2), "Number": "12345", "Numbers": "1, 2, 3",
    "Words": [f"w{i}" for i in range(BIG // 8)], "Quotes": '"' * (BIG // 2), "When": 1_700_000_000,
})

#: A call of each function sent to daemons, reading the 64 KiB attributes
#: where it takes text or a list.
SENT_CALLS = {
    **{name: f"{name}(Big)" for name in ["isundefined", "iserror", "isstring", "isinteger", "isreal", "islist",
                                          "isclassad", "isboolean", "isabstime", "isreltime", "size", "toupper",
                                          "tolower", "string", "unparse", "unresolved"]},
    **{name: f"{name}(Number)" for name in ["int", "real"]},
    **{name: f"{name}(real(Number))" for name in ["floor", "ceil", "ceiling", "round"]},
    "bool": 'bool("true")',
    "member": "member(Big, Words)", "identicalmember": "identicalmember(Big, Words)",
    "sum": "sum({1, 2, 3})", "avg": "avg({1, 2, 3})", "min": "min({1, 2, 3})", "max": "max({1, 2, 3})",
    "anycompare": 'anycompare("==", Words, Big)', "allcompare": 'allcompare("==", Words, Big)',
    "time": "time()", "currenttime": "currenttime()", "timezoneoffset": "timezoneoffset()", "daytime": "daytime()",
    **{name: f"{name}(absTime(When))" for name in ["getyear", "getmonth", "getdayofyear", "getdayofmonth",
                                                   "getdayofweek", "splittime"]},
    "abstime": "absTime(When)",
    **{name: f"{name}(relTime(When))" for name in ["getdays", "gethours", "getminutes", "getseconds"]},
    "reltime": "relTime(When)", "interval": "interval(When)",
    "strcat": "strcat(Big, Quotes)", "substr": "substr(Big, 1, 100)", "strcmp": "strcmp(Big, Big)",
    "stricmp": "stricmp(Big, Big)",
    **{name: f"{name}(Version, Version)" for name in ["versioncmp", "versionle", "versionlt", "versionge",
                                                     "versiongt", "versioneq"]},
    "version_in_range": 'version_in_range(Version, "1.0", Version)',
    "pow": "pow(2, 10)", "quantize": "quantize(When, 1024)", "random": "random(10)",
    "ifthenelse": "ifThenElse(true, Big, Quotes)",
    "stringlistsintersect": "stringListsIntersect(Big, Numbers)",
    **{name: f"{name}(Numbers)" for name in ["stringlistsize", "stringlistsum", "stringlistavg", "stringlistmin",
                                             "stringlistmax"]},
    **{name: f'{name}("2", Numbers)' for name in ["stringlistmember", "stringlistimember"]},
    **{name: f"{name}(Numbers, Numbers)" for name in ["stringlistsubsetmatch", "stringlistisubsetmatch"]},
}


def nested(template: str, seed: str, levels: int) -> str:
    text = seed
    for _ in range(levels):
        text = template.format(text)
    return text


FOUR_COPIES = '"\\\\0\\\\0\\\\0\\\\0"'
#: Calls that grow a value far beyond the text that asks for it (and the
#: attributes it reads: none), each judged in the worker for it.
GROWING_CALLS = {
    "join": joined(3),
    "replaceall": nested(f'replaceAll(".", {{}}, {FOUR_COPIES})', '"xx"', 5),
    "regexps": nested(f'regexps(".*", {{}}, {FOUR_COPIES})', '"xx"', 5),
    "replace": nested(f'replace(".*", {{}}, {FOUR_COPIES})', '"xx"', 5),
    "split": nested("string(split({}))", r'"\"\"\"\""', 6),
    "splitusername": nested("string(splitUserName({}))", r'"\"\"\"\"@b"', 8),
    "splitslotname": nested("string(splitSlotName({}))", r'"\"\"\"\"@b"', 8),
    "argstolist": nested("string(argsToList({}))", r'"\"\"\"\""', 6),
    "envv1tov2": nested("envV1ToV2({})", '''"a=' ' '"''', 10),
    "listtoargs": nested("listToArgs({{{}}})", '''"' ' '"''', 10),
    "eval": f"eval({classad2.quote(joined(3))})",
}
#: Functions judged in the worker for what they cost besides a value's size.
JUDGED_FOR_THEIR_COST = {"regexp", "regexpmember", "stringlist_regexpmember", "formattime", "userhome", "usermap",
                         "debug", "evalineachcontext", "countmatches", "mergeenvironment"}


@pytest.fixture(scope="module", autouse=True)
def htcondor_functions(condor_config: str) -> None:
    """HTCondor's own functions (split, stringList*, envV1ToV2...), which
    importing its bindings registers; once the pool's configuration is set
    (an import before it would read none)."""
    import htcondor2  # noqa: F401


def evaluated(text: str):
    return classad2.ExprTree(text).eval(AD)


def judged_here(text: str) -> str | None:
    return why_judged_here(str(classad2.ExprTree(text)))


def test_every_function_htcondor_registers_is_classified_once():
    assert set(SENT) | set(JUDGED_IN_WORKER) == {name.lower() for name in HTCONDOR_FUNCTIONS}
    assert not set(SENT) & set(JUDGED_IN_WORKER)


def test_every_function_sent_to_daemons_is_measured():
    assert set(SENT_CALLS) == set(SENT)


@pytest.mark.parametrize("name", sorted(SENT))
def test_a_function_sent_to_daemons_builds_no_more_than_its_arguments(name):
    call = SENT_CALLS[name]
    value = evaluated(call)
    assert not isinstance(value, classad2.Value)  # a real function of these bindings, given what it takes
    assert len(str(value)) <= 2 * BIG + 1024
    assert judged_here(f"{call} isnt undefined") is None


def test_every_function_judged_in_the_worker_is_measured_growing_or_named_for_its_cost():
    assert set(GROWING_CALLS) | JUDGED_FOR_THEIR_COST == set(JUDGED_IN_WORKER)


@pytest.mark.parametrize("name", sorted(GROWING_CALLS))
def test_a_function_judged_in_the_worker_can_grow_a_value_many_times_its_text(name):
    text = GROWING_CALLS[name]
    assert len(str(evaluated(text))) > 4 * len(text)
    assert judged_here(text) is not None


@pytest.mark.parametrize("name", sorted(JUDGED_FOR_THEIR_COST))
def test_a_function_judged_in_the_worker_for_its_cost_is_judged_there(name):
    assert JUDGED_IN_WORKER[name] in judged_here(f"{name}(Big)")


@pytest.mark.parametrize("text", [join_constraint(8), record_constraint(21)])
def test_the_attacks_of_issue_21_are_judged_in_the_worker(text):
    assert judged_here(text) is not None


def test_a_function_no_one_registered_is_judged_in_the_worker():
    # HTCondor has no sprintf (its widths would grow a value): like any
    # unknown name, an error value wherever it is evaluated.
    assert isinstance(evaluated('sprintf("%99999d", 1)'), classad2.Value)
    assert "not a known ClassAd function" in judged_here('sprintf("%99999d", 1) == ""')


@pytest.mark.parametrize("text", [
    'Owner == "alice" && JobStatus == 5', 'member(Owner, {"alice", "bob", -1, {1, 2.5e3}, undefined})',
    'toUpper(Owner) =?= "ALICE"', "MY.Requirements isnt undefined", "JobIds[0] == 1", "splitTime(QDate).Year > 2020",
    'strcat(Owner, "@", UidDomain) == "alice@x"', "x is (y)", 'absTime("2020-01-01") < QDate',
    "'weird name[' == 1",
])
def test_what_a_daemon_may_evaluate(text):
    assert judged_here(text) is None


@pytest.mark.parametrize("text", [
    "member(Owner, {Owner, Cmd})", 'string({strcat(Owner, "x")})', "[a = 1].a == 1", "x is [a = 1]",
    "size({[a = Owner]}) > 0", 'JOIN(",", Words) == ""', 'Regexp("a", Owner)',
])
def test_lists_built_from_references_and_records_are_judged_in_the_worker(text):
    assert judged_here(text) is not None


def test_strcat_calls_may_refer_to_a_bounded_number_of_attributes():
    refs = ", ".join(["Big"] * MAX_BUILT_REFERENCES)
    assert judged_here(f'strcat({refs}) == ""') is None
    assert judged_here(f'strcat({refs}, Big) == ""') is not None
    assert judged_here(f'strcat(strcat({refs}), "x") == ""') is not None  # counted once more for each call around
    assert judged_here(" && ".join([f'strcat({refs}) != ""'] * 2)) is not None
