"""Colander building blocks that endpoint plugins share."""
from __future__ import annotations

from typing import Callable

import colander

#: The schedd name that means every schedd the collector knows
#: (``every_schedd``). HTCondor's schedd names are ``name@host`` or a host
#: name: none is ``*`` in practice.
EVERY_SCHEDD = "*"

class FullMatch(colander.Regex):
    """``colander.Regex`` that must match the whole value: with ``re.match``,
    ``$`` also matches before a trailing newline (``"Environment\n"``).
    Patterns keep their ``^...$`` for the OpenAPI document (where ``$`` is
    the end of the value)."""

    def __call__(self, node: colander.SchemaNode, value: str) -> None:
        if self.match_object.fullmatch(value) is None:
            raise colander.Invalid(node, self.msg)


#: A ClassAd attribute name, as HTCondor's parser accepts one unquoted.
ATTRIBUTE_NAME_PATTERN = r"^[A-Za-z_][A-Za-z0-9_]*$"
attribute_name = FullMatch(ATTRIBUTE_NAME_PATTERN, msg="not a valid ClassAd attribute name")
#: A daemon's or a machine's name: printable, no control characters.
NAME_PATTERN = r"^[^\x00-\x1f\x7f-\x9f]{1,255}$"
daemon_name = FullMatch(NAME_PATTERN, msg="not a valid name (1-255 characters, no control characters)")


def only_one_schedd(what: str) -> str:
    """The words of the 400 for ``*`` where only one schedd can answer
    (``what``: what was asked)."""
    return f"the schedd {EVERY_SCHEDD} (every schedd) cannot be asked {what}: only one schedd can answer that"


class OneSchedd(FullMatch):
    """A schedd's name where only one schedd can answer: ``*`` (every
    schedd) is refused in words, and the OpenAPI document's pattern leaves it
    out, so that a generator or a fuzzer never sends it there."""

    def __init__(self) -> None:
        # NAME_PATTERN but "*", without a lookahead (which not every tool reading the document follows):
        super().__init__(r"^([^*\x00-\x1f\x7f-\x9f][^\x00-\x1f\x7f-\x9f]{0,254}|\*[^\x00-\x1f\x7f-\x9f]{1,254})$",
                         msg=daemon_name.msg)

    def __call__(self, node: colander.SchemaNode, value: str) -> None:
        if value == EVERY_SCHEDD:
            raise colander.Invalid(node, only_one_schedd("here"))
        super().__call__(node, value)


class CommaList(colander.SchemaType):
    """``"a, b,c"`` <-> ``["a", "b", "c"]`` (empty items dropped; a list
    with no items is no list, as if the parameter were not given). A
    repeated key's values come joined by commas (``services.query_and_path_of``)."""

    def serialize(self, node, appstruct):
        if appstruct is colander.null:
            return colander.null
        return ",".join(appstruct)

    def deserialize(self, node, cstruct):
        if cstruct is colander.null:
            return colander.null
        if not isinstance(cstruct, str):
            raise colander.Invalid(node, "not a comma-separated list")
        return [item.strip() for item in cstruct.split(",") if item.strip()] or colander.null


class Each:
    """A validator of every item of a list (``CommaList``); one error names
    all the bad items. The OpenAPI document sees through it (unlike a plain
    function) and describes the items."""

    def __init__(self, validator: Callable[[colander.SchemaNode, str], None], msg: str) -> None:
        self.validator = validator
        self.msg = msg

    def __call__(self, node, value: list[str]) -> None:
        bad = []
        for item in value:
            try:
                self.validator(node, item)
            except colander.Invalid:
                bad.append(item)
        if bad:
            raise colander.Invalid(node, f"{self.msg}: {', '.join(bad)}")


def projection_node(**kw) -> colander.SchemaNode:
    """``projection``: comma-separated attribute names."""
    return colander.SchemaNode(
        CommaList(),
        missing=colander.drop,
        validator=Each(attribute_name, "not valid ClassAd attribute names"),
        description="Comma-separated attribute names; only these are returned",
        **kw,
    )


def constraint_node(**kw) -> colander.SchemaNode:
    """``constraint``: a ClassAd expression (parsed by the gateway)."""
    return colander.SchemaNode(
        colander.String(),
        missing=colander.drop,
        # Well below waitress's limit on a request's headers (262,144 bytes
        # for the whole request line, percent-encoding included).
        validator=colander.Length(min=1, max=16384),
        description="A ClassAd expression; only ads for which it is true",
        **kw,
    )


def attribute_node(**kw) -> colander.SchemaNode:
    return colander.SchemaNode(colander.String(), validator=attribute_name, **kw)


def name_node(**kw) -> colander.SchemaNode:
    """A schedd's, machine's or slot's name in the path."""
    return colander.SchemaNode(colander.String(), **{"validator": daemon_name, **kw})


def limit_node(**kw) -> colander.SchemaNode:
    """``limit``: at most this many items; a view caps it at RESTD_MAX_JOBS
    (``services.capped_limit``)."""
    return colander.SchemaNode(
        colander.Integer(),
        missing=colander.drop,
        validator=colander.Range(min=1),
        description="At most this many jobs (never more than RESTD_MAX_JOBS)",
        **kw,
    )


#: HTCondor's job ids are C ints; ClassAds read a larger literal as 0, so
#: a larger id in a URL would silently be job 0 of cluster 0.
MAX_JOB_ID = 2**31 - 1


def _id_node(name: str) -> colander.SchemaNode:
    return colander.SchemaNode(colander.Integer(), name=name, validator=colander.Range(min=0, max=MAX_JOB_ID))


def path_schema(*fields: str, every_schedd: bool = False) -> colander.MappingSchema:
    """The path parameters of one URL form, typed; ``every_schedd``: the
    route answers the schedd ``*`` (its example and description say so only
    there: a generator or a fuzzer uses the examples as they are)."""
    schema = colander.MappingSchema(name="path")
    if every_schedd:
        schema.add(name_node(name="schedd", examples=["DEFAULT", EVERY_SCHEDD],
                             description=f"A schedd's name; DEFAULT: the local one; {EVERY_SCHEDD}: every schedd "
                                         "the collector knows"))
    else:
        schema.add(name_node(name="schedd", examples=["DEFAULT"], validator=OneSchedd(),
                             description="A schedd's name; DEFAULT: the local one"))
    for field in fields:
        if field in ("clusterid", "procid"):
            schema.add(_id_node(field))
        else:
            schema.add(attribute_node(name=field))
    return schema


def request_schema(query: type[colander.MappingSchema], *path_fields: str,
                   every_schedd: bool = False) -> colander.MappingSchema:
    schema = colander.MappingSchema()
    schema.add(query(name="querystring"))
    schema.add(path_schema(*path_fields, every_schedd=every_schedd))
    return schema
