"""colander -> JSON Schema, the converter behind /openapi.json (no pool)."""
from __future__ import annotations

import colander

from restd_core.openapi.jsonschema import is_required, to_json_schema
from restd_core.plugin_api.schemas import CommaList, Each, attribute_name, constraint_node, projection_node


def node(kind: colander.SchemaType, **kw) -> colander.SchemaNode:
    return colander.SchemaNode(kind, name="x", **kw)


def test_a_string_is_a_json_string():
    assert to_json_schema(node(colander.String())) == {"type": "string"}


def test_an_integer_is_a_json_integer():
    assert to_json_schema(node(colander.Integer())) == {"type": "integer"}


def test_a_float_is_a_json_number():
    assert to_json_schema(node(colander.Float())) == {"type": "number"}


def test_a_boolean_is_a_json_boolean():
    assert to_json_schema(node(colander.Boolean())) == {"type": "boolean"}


def test_a_date_time_is_a_string_with_its_format():
    assert to_json_schema(node(colander.DateTime())) == {"type": "string", "format": "date-time"}


def test_a_comma_list_is_an_array_of_strings():
    assert to_json_schema(node(CommaList())) == {"type": "array", "items": {"type": "string"}}


def test_a_regex_is_a_pattern():
    schema = to_json_schema(node(colander.String(), validator=colander.Regex(r"^[a-z]+$")))
    assert schema == {"type": "string", "pattern": "^[a-z]+$"}


def test_one_of_is_an_enum():
    schema = to_json_schema(node(colander.String(), validator=colander.OneOf(["startd", "schedd"])))
    assert schema == {"type": "string", "enum": ["startd", "schedd"]}


def test_a_range_is_a_minimum_and_maximum():
    schema = to_json_schema(node(colander.Integer(), validator=colander.Range(min=1, max=10)))
    assert schema == {"type": "integer", "minimum": 1, "maximum": 10}


def test_a_range_with_only_a_minimum_has_no_maximum():
    assert to_json_schema(node(colander.Integer(), validator=colander.Range(min=0))) == {"type": "integer", "minimum": 0}


def test_a_length_bounds_a_strings_length():
    schema = to_json_schema(node(colander.String(), validator=colander.Length(min=1, max=5)))
    assert schema == {"type": "string", "minLength": 1, "maxLength": 5}


def test_a_length_bounds_a_lists_items():
    schema = to_json_schema(node(CommaList(), validator=colander.Length(max=3)))
    assert schema == {"type": "array", "items": {"type": "string"}, "maxItems": 3}


def test_all_adds_every_validator_it_holds():
    validator = colander.All(colander.Regex("^a"), colander.Length(max=4))
    assert to_json_schema(node(colander.String(), validator=validator)) == {"type": "string", "pattern": "^a", "maxLength": 4}


def test_each_constrains_the_items_of_a_list():
    schema = to_json_schema(node(CommaList(), validator=Each(attribute_name, "bad")))
    assert schema["items"] == {"type": "string", "pattern": attribute_name.match_object.pattern}


def test_a_validator_it_cannot_see_through_adds_nothing():
    assert to_json_schema(node(colander.String(), validator=lambda node, value: None)) == {"type": "string"}


def test_an_unknown_type_is_any_value():
    class Opaque(colander.SchemaType):
        pass

    assert to_json_schema(node(Opaque())) == {}


def test_missing_is_the_default():
    assert to_json_schema(node(colander.Integer(), missing=20))["default"] == 20


def test_default_is_the_default_when_missing_is_not_a_value():
    assert to_json_schema(node(colander.String(), missing=colander.drop, default="any"))["default"] == "any"


def test_drop_and_required_are_no_default():
    assert "default" not in to_json_schema(node(colander.String(), missing=colander.drop))
    assert "default" not in to_json_schema(node(colander.String()))


def test_the_description_is_kept():
    assert to_json_schema(node(colander.String(), description="why"))["description"] == "why"


def test_a_node_without_missing_is_required():
    assert is_required(node(colander.String()))
    assert not is_required(node(colander.String(), missing=colander.drop))


def test_a_mapping_is_an_object_with_its_required_children():
    class Query(colander.MappingSchema):
        name = colander.SchemaNode(colander.String())
        limit = colander.SchemaNode(colander.Integer(), missing=colander.drop)

    assert to_json_schema(Query()) == {
        "type": "object",
        "properties": {"name": {"type": "string"}, "limit": {"type": "integer"}},
        "required": ["name"],
    }


def test_a_mapping_that_refuses_unknown_keys_has_no_additional_properties():
    schema = to_json_schema(colander.SchemaNode(colander.Mapping(unknown="raise")))
    assert schema["additionalProperties"] is False


def test_a_sequence_is_an_array_of_its_child():
    sequence = colander.SchemaNode(colander.Sequence(), colander.SchemaNode(colander.Integer()))
    assert to_json_schema(sequence) == {"type": "array", "items": {"type": "integer"}}


def test_the_shared_projection_is_a_list_of_attribute_names():
    schema = to_json_schema(projection_node(name="projection"))
    assert schema["type"] == "array"
    assert schema["items"]["pattern"] == attribute_name.match_object.pattern


def test_the_shared_constraint_is_a_bounded_string():
    schema = to_json_schema(constraint_node(name="constraint"))
    assert (schema["type"], schema["minLength"], schema["maxLength"]) == ("string", 1, 16384)
