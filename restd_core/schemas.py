"""Colander building blocks that endpoint plugins share."""
from __future__ import annotations

import re

import colander

#: A ClassAd attribute name, as HTCondor's parser accepts one unquoted.
ATTRIBUTE_NAME_PATTERN = r"^[A-Za-z_][A-Za-z0-9_]*$"
attribute_name = colander.Regex(ATTRIBUTE_NAME_PATTERN, msg="not a valid ClassAd attribute name")


class CommaList(colander.SchemaType):
    """``"a, b,c"`` <-> ``["a", "b", "c"]`` (empty items dropped)."""

    def serialize(self, node, appstruct):
        if appstruct is colander.null:
            return colander.null
        return ",".join(appstruct)

    def deserialize(self, node, cstruct):
        if cstruct is colander.null:
            return colander.null
        if not isinstance(cstruct, str):
            raise colander.Invalid(node, f"{cstruct!r} is not a comma-separated list")
        return [item.strip() for item in cstruct.split(",") if item.strip()]


def _each_attribute_name(node, value: list[str]) -> None:
    bad = [name for name in value if not re.match(ATTRIBUTE_NAME_PATTERN, name)]
    if bad:
        raise colander.Invalid(node, f"not valid ClassAd attribute names: {', '.join(bad)}")


def projection_node(**kw) -> colander.SchemaNode:
    """``projection``: comma-separated attribute names."""
    return colander.SchemaNode(
        CommaList(),
        missing=colander.drop,
        validator=_each_attribute_name,
        description="Comma-separated attribute names; only these are returned",
        **kw,
    )


def constraint_node(**kw) -> colander.SchemaNode:
    """``constraint``: a ClassAd expression (parsed by the gateway)."""
    return colander.SchemaNode(
        colander.String(),
        missing=colander.drop,
        validator=colander.Length(min=1, max=65536),
        description="A ClassAd expression; only ads for which it is true",
        **kw,
    )


def attribute_node(**kw) -> colander.SchemaNode:
    return colander.SchemaNode(colander.String(), validator=attribute_name, **kw)
