"""A ClassAd expression's top-level clauses: the conjuncts of its ``&&``,
read from its text (the bindings give no tree), as ``condor_q
-better-analyze`` numbers them: ``(A && B) && C`` is A, B and C; an
``||`` or ``?:`` outside parentheses binds looser than ``&&``, so such an
expression is one clause. Pure text, no HTCondor."""
from __future__ import annotations

import re

#: What the text is read in: string literals, quoted attribute names,
#: brackets and the operators that decide the split; anything else is passed.
_TOKEN = re.compile(r'"(?:[^"\\]|\\.)*"|\'(?:[^\'\\]|\\.)*\'|&&|\|\||[()\[\]{}?]')
_OPEN, _CLOSE = "([{", ")]}"


def clauses(text: str) -> list[str]:
    """The top-level conjuncts of ``text`` (an unparsed expression), each
    without the parentheses around it, in their order; ``[text]`` when it
    is not a conjunction."""
    text = text.strip()
    inner = _unwrapped(text)
    parts = _split(inner)
    if len(parts) == 1:
        return [inner]
    return [clause for part in parts for clause in clauses(part)]


def _split(text: str) -> list[str]:
    """``text`` cut at its ``&&`` outside brackets, or whole if an ``||`` or
    ``?`` is outside them too (it binds looser: the whole is not an ``&&``)."""
    depth, cuts = 0, []
    for match in _TOKEN.finditer(text):
        token = match.group()
        if token in _OPEN:
            depth += 1
        elif token in _CLOSE:
            depth -= 1
        elif depth == 0 and token in ("||", "?"):
            return [text]
        elif depth == 0 and token == "&&":
            cuts.append(match.span())
    if not cuts:
        return [text]
    starts = [0, *(end for _, end in cuts)]
    ends = [start for start, _ in cuts] + [len(text)]
    return [text[start:end].strip() for start, end in zip(starts, ends)]


def _unwrapped(text: str) -> str:
    """``text`` without parentheses that enclose all of it."""
    while text.startswith("(") and _closing(text, 0) == len(text) - 1:
        text = text[1:-1].strip()
    return text


def _closing(text: str, at: int) -> int:
    """Where the bracket opened at ``at`` closes (-1: never)."""
    depth = 0
    for match in _TOKEN.finditer(text, at):
        token = match.group()
        if token in _OPEN:
            depth += 1
        elif token in _CLOSE:
            depth -= 1
            if depth == 0:
                return match.start()
    return -1
