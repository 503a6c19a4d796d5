"""What a caller's constraint may cost the daemon that evaluates it.

A schedd or collector evaluates a query's constraint against every ad, and
goes on after the server gave up; a worker is killed at the gateway's
timeout and capped in memory. So a constraint is sent to a daemon only if
the server can bound what it builds, an allow-list:

- every function it calls is in ``SENT``: its result is no larger than its
  arguments together (plus a constant), and it runs no regular expression
  nor anything else whose cost depends on more than its arguments' sizes;
- the arguments of its ``strcat`` calls refer to at most
  ``MAX_BUILT_REFERENCES`` attributes altogether (so the longest text it
  builds is at most that many attribute values and its own strings);
- its lists are literal (constants only), and it has no record literal: a
  record's attributes refer to each other (``[a0 = "xx"; a1 =
  strcat(a0, a0); ...].a21`` doubles at each of them).

Anything else is judged in the worker: ``JUDGED_IN_WORKER`` (measured:
each can grow a value beyond its arguments, or costs what no size bounds),
a name not in either table (not a ClassAd function today: an error value
in a daemon as in the worker), a record, a list built from references.
Both tables hold every function HTCondor registers (classad's
``fnCall.cpp`` and ``condor_utils/compat_classad.cpp``;
``tests/test_constraint_cost.py`` checks the whole list and measures the
ones that grow).

The text analysed is the parsed expression's canonical form
(``str(ExprTree)``), which is what the daemon is sent, in the old syntax
(``expressions.wire_form`` checks that it reads back the same).
"""
from __future__ import annotations

import re

#: Functions a daemon may evaluate: what bounds their result (lower-case
#: names; ClassAd function names are case-insensitive).
SENT: dict[str, str] = {
    **dict.fromkeys(["isundefined", "iserror", "isstring", "isinteger", "isreal", "islist", "isclassad",
                     "isboolean", "isabstime", "isreltime", "member", "identicalmember", "anycompare",
                     "allcompare", "unresolved", "stringlistmember", "stringlistimember", "stringlistsubsetmatch",
                     "stringlistisubsetmatch", "stringlistsintersect", "versionle", "versionlt", "versionge",
                     "versiongt", "versioneq", "version_in_range"], "a boolean"),
    **dict.fromkeys(["size", "sum", "avg", "min", "max", "strcmp", "stricmp", "versioncmp", "int", "real", "bool",
                     "floor", "ceil", "ceiling", "round", "pow", "quantize", "random", "stringlistsize",
                     "stringlistsum", "stringlistavg", "stringlistmin", "stringlistmax"], "a number or boolean"),
    **dict.fromkeys(["time", "currenttime", "timezoneoffset", "daytime", "getyear", "getmonth", "getdayofyear",
                     "getdayofmonth", "getdayofweek", "getdays", "gethours", "getminutes", "getseconds", "abstime",
                     "reltime"], "a time or a part of one"),
    "splittime": "a record of eight numbers and a word",
    "interval": "a short text of a number of seconds",
    "strcat": "its arguments' texts joined (what they refer to is counted: MAX_BUILT_REFERENCES)",
    "toupper": "its argument, as long", "tolower": "its argument, as long",
    "substr": "a part of its argument",
    "string": "its argument as text (a list's or record's: at most about twice its size, escapes included)",
    "unparse": "the text of an attribute's expression",
    "ifthenelse": "one of its arguments",
}

#: Functions that make a constraint judged in the worker, and why.
JUDGED_IN_WORKER: dict[str, str] = {
    "join": "repeats its separator between the items: join(J, \"a\", ..., \"a\") is ten times J, nested 10^n",
    **dict.fromkeys(["regexp", "regexps", "regexpmember", "replace", "replaceall", "stringlist_regexpmember"],
                    "runs a regular expression: one pattern can cost seconds per ad ((a|aa)+$), "
                    "and replaceAll(\".\", s, \"$0$0\") doubles s"),
    "eval": "evaluates text built at run time: any cost",
    "evalineachcontext": "evaluates an expression in each record of a list",
    "countmatches": "evaluates an expression in each record of a list",
    **dict.fromkeys(["split", "splitusername", "splitslotname", "argstolist"],
                    "makes a list from text: with string(), each pass doubles the text's quotes"),
    **dict.fromkeys(["envv1tov2", "mergeenvironment", "listtoargs"],
                    "quotes what it converts: nested, each pass doubles the text's quotes"),
    "formattime": "a format beyond its 1 KB buffer leaves the result undefined (strftime)",
    "userhome": "asks the daemon's name service, once per ad",
    "usermap": "matches text against the daemon's map files, whose patterns are regular expressions",
    "debug": "writes to the daemon's log, once per ad",
}

#: Attributes the arguments of ``strcat`` calls may refer to, altogether
#: (a reference inside nested calls counts once for each): the longest
#: text a daemon builds is then this many attribute values, plus the
#: constraint's own strings.
MAX_BUILT_REFERENCES = 16

_TOKEN = re.compile(
    r"""(?P<string>"(?:[^"\\]|\\.)*")
      | (?P<name>'(?:[^'\\]|\\.)*'|[A-Za-z_][A-Za-z_0-9]*)
      | (?P<number>[0-9]+(?:\.[0-9]*)?(?:[eE][+-]?[0-9]+)?)
      | (?P<open>[(\[{])
      | (?P<close>[)\]}])
      | (?P<space>\s+)
      | (?P<other>.)""",
    re.VERBOSE | re.DOTALL,
)
_CONSTANTS = {"true", "false", "undefined", "error"}
_OPERATOR_WORDS = {"is", "isnt"}


def why_judged_here(canonical: str) -> str | None:
    """Why the constraint whose canonical text this is must be judged in
    the worker; None if a daemon may evaluate it."""
    tokens = [(match.lastgroup, match.group()) for match in _TOKEN.finditer(canonical)
              if match.lastgroup != "space"]
    frames: list[str] = []  # per open bracket: "call:<name>", "group", "subscript", "list"
    built = 0
    for index, (kind, text) in enumerate(tokens):
        before = tokens[index - 1] if index else ("other", "")
        after = tokens[index + 1] if index + 1 < len(tokens) else ("other", "")
        if frames and frames[-1] == "list" and not _literal_in_list(kind, text):
            return "it builds a list from something other than constants"
        if kind == "open":
            frame = _opened(text, before)
            if frame == "record":
                return "it has a record literal ([a = ...]), whose attributes can double each other"
            if frame.startswith("call:"):
                name = frame.removeprefix("call:")
                if name not in SENT:
                    return f"it calls {name}(): " + JUDGED_IN_WORKER.get(name, "not a known ClassAd function")
            frames.append(frame)
        elif kind == "close":
            if frames:
                frames.pop()
        elif kind == "name" and _is_reference(text, before, after):
            built += frames.count("call:strcat")
            if built > MAX_BUILT_REFERENCES:
                return f"its strcat() calls refer to more than {MAX_BUILT_REFERENCES} attributes"
    return None


def _opened(bracket: str, before: tuple[str | None, str]) -> str:
    kind, text = before
    if kind == "name" and text.lower() in _OPERATOR_WORDS:
        kind = "other"  # "x is [a = 1]", "x is (y)"
    ends_a_value = kind in ("name", "string", "number", "close")
    if bracket == "(":
        return f"call:{text.lower()}" if kind == "name" else "group"
    if bracket == "[":
        return "subscript" if ends_a_value else "record"
    return "list"


def _literal_in_list(kind: str | None, text: str) -> bool:
    """Whether a token may stand in a literal list: a constant, a sign, a
    comma, a nested list."""
    if kind == "name":
        return text.lower() in _CONSTANTS
    if kind == "open":
        return text == "{"
    return kind in ("string", "number", "close") or text in (",", "-", "+")


def _is_reference(name: str, before: tuple[str | None, str], after: tuple[str | None, str]) -> bool:
    """Whether a name token refers to an attribute (not a function, a
    constant, an operator word, nor the field of a ``.`` selection)."""
    return (after[1] != "(" and before[1] != "." and name.lower() not in _CONSTANTS
            and name.lower() not in _OPERATOR_WORDS)
