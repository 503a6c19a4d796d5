"""colander -> JSON Schema (draft 2020-12, the dialect of OpenAPI 3.1).

Our own small converter for the OpenAPI document: the request schemas of
every Cornice service are colander schemas, and the document describes them
from these very schemas, so it cannot drift from what the server accepts.
It reads the types (colander's, and ``CommaList`` of ``restd_core.plugin_api.schemas``)
and the validators it can see through (``Regex``, ``OneOf``, ``Range``,
``Length``, ``All``, ``Each``); a type or validator it does not know adds
no constraint, so a plugin's own kinds still get a (looser) schema.
"""
from __future__ import annotations

from typing import Any

import colander

from restd_core.plugin_api.schemas import CommaList, Each

Schema = dict[str, Any]


def lower_cased_object(description: str) -> Schema:
    """An answer object whose keys are lower-cased (a ClassAd, a config
    listing): the v1 contract's promise, for the OpenAPI document."""
    return {"type": "object", "description": description, "propertyNames": {"pattern": "^[^A-Z]*$"}}


def grouped_by_value(items: Schema, what: str) -> Schema:
    """The answer of a grouped endpoint (``shaping.group_by_attribute``):
    ``items`` lists by the value of the groupby attribute."""
    return {
        "type": "object",
        "description": f"{what} by the value of the groupby attribute (non-strings as their JSON text)",
        "additionalProperties": items,
    }


_SCALARS: list[tuple[type, Schema]] = [
    # Subclasses before their bases: Integer and Decimal are Numbers.
    (colander.Integer, {"type": "integer"}),
    (colander.Number, {"type": "number"}),
    (colander.Boolean, {"type": "boolean"}),
    (colander.DateTime, {"type": "string", "format": "date-time"}),
    (colander.Date, {"type": "string", "format": "date"}),
    (colander.Time, {"type": "string", "format": "time"}),
    (colander.String, {"type": "string"}),
]


def is_required(node: colander.SchemaNode) -> bool:
    """Whether a request must carry the node (colander's ``missing``)."""
    return node.missing is colander.required


def to_json_schema(node: colander.SchemaNode) -> Schema:
    """The JSON Schema of what ``node`` deserializes (the wire form)."""
    schema = _type_schema(node)
    for validator in _validators(node.validator):
        schema.update(_validator_schema(validator, schema))
    default = _default(node)
    if default is not None:
        schema["default"] = default
    if node.description:
        schema["description"] = str(node.description)
    examples = getattr(node, "examples", None)  # a node's own attribute: SchemaNode(..., examples=[...])
    if examples:
        schema["examples"] = list(examples)
    return schema


def _type_schema(node: colander.SchemaNode) -> Schema:
    kind = node.typ
    own = getattr(kind, "json_schema", None)  # a type of a plugin's own says what it reads
    if own is not None:
        return dict(own)
    if isinstance(kind, colander.Mapping):
        return _object_schema(node)
    if isinstance(kind, (colander.Sequence, colander.List, colander.Set)):
        items = to_json_schema(node.children[0]) if node.children else {}
        return {"type": "array", "items": items}
    if isinstance(kind, CommaList):
        return {"type": "array", "items": {"type": "string"}}
    if isinstance(kind, colander.Tuple):
        prefix = [to_json_schema(child) for child in node.children]
        return {"type": "array", "prefixItems": prefix, "items": False}
    for scalar, schema in _SCALARS:
        if isinstance(kind, scalar):
            return dict(schema)
    return {}


def _object_schema(node: colander.SchemaNode) -> Schema:
    schema: Schema = {
        "type": "object",
        "properties": {child.name: to_json_schema(child) for child in node.children},
    }
    required = [child.name for child in node.children if is_required(child)]
    if required:
        schema["required"] = required
    unknown = node.typ.unknown
    if unknown in ("raise", "preserve"):
        schema["additionalProperties"] = unknown == "preserve"
    return schema


def _validators(validator: Any) -> list[Any]:
    """A node's validator as a flat list (``All`` opened up)."""
    if validator is None:
        return []
    if type(validator) is colander.All:
        return [leaf for inner in validator.validators for leaf in _validators(inner)]
    return [validator]


def _validator_schema(validator: Any, schema: Schema) -> Schema:
    """The keywords one validator adds to ``schema`` (nothing if it is opaque)."""
    if isinstance(validator, colander.Regex):
        return {"pattern": validator.match_object.pattern}
    if isinstance(validator, colander.OneOf):
        return {"enum": list(validator.choices)}
    if isinstance(validator, colander.Range):
        return _bounds(validator, "minimum", "maximum")
    if isinstance(validator, colander.Length):
        if schema.get("type") == "array":
            return _bounds(validator, "minItems", "maxItems")
        return _bounds(validator, "minLength", "maxLength")
    if isinstance(validator, Each) and schema.get("type") == "array":
        items = dict(schema.get("items", {}))
        for inner in _validators(validator.validator):
            items.update(_validator_schema(inner, items))
        return {"items": items}
    return {}


def _bounds(validator: colander.Range | colander.Length, low: str, high: str) -> Schema:
    bounds = {}
    if validator.min is not None:
        bounds[low] = validator.min
    if validator.max is not None:
        bounds[high] = validator.max
    return bounds


def _default(node: colander.SchemaNode) -> Any:
    """The value an absent parameter takes: ``missing`` when it is a value,
    else ``default``; None when there is none (or it is deferred)."""
    for value in (node.missing, node.default):
        if not _is_marker(value):
            return value
    return None


def _is_marker(value: Any) -> bool:
    return isinstance(value, colander.deferred) or any(
        value is marker for marker in (colander.required, colander.null, colander.drop)
    )
