"""/openapi.json: an OpenAPI 3.1 document built from the registered services."""
from __future__ import annotations

import re

import colander
import jsonschema
import pytest
from cornice import Service
from openapi_spec_validator import validate
from prometheus_client import CollectorRegistry
from pyramid.config import Configurator
from webtest import TestApp

from restd_core.assembly.settings import ServerSettings
from restd_core.assembly.wiring import Wiring
from restd_core.gateway.spool import AnswersInFlight
from restd_core.openapi.document import ERROR_SCHEMA, build_document
from restd_core.pipeline.compression import Compression
from restd_core.plugin_api.schemas import OneSchedd

#: The v1 contract's URLs (shared/API.md), by the plugin that serves them.
V1_PATHS = {
    "jobs": [
        "/v1/jobs/{schedd}", "/v1/jobs/{schedd}/{clusterid}", "/v1/jobs/{schedd}/{clusterid}/{procid}",
        "/v1/jobs/{schedd}/{clusterid}/{procid}/{attribute}",
        "/v1/history/{schedd}", "/v1/history/{schedd}/{clusterid}", "/v1/history/{schedd}/{clusterid}/{procid}",
        "/v1/history/{schedd}/{clusterid}/{procid}/{attribute}",
        "/v1/grouped_jobs/{schedd}/{groupby}", "/v1/grouped_jobs/{schedd}/{groupby}/{clusterid}",
        "/v1/grouped_history/{schedd}/{groupby}", "/v1/grouped_history/{schedd}/{groupby}/{clusterid}",
    ],
    "config": ["/v1/config", "/v1/config/{attribute}"],
    "status": ["/v1/status", "/v1/status/{name}", "/v1/grouped_status/{groupby}", "/v1/grouped_status/{groupby}/{name}"],
}


@pytest.fixture(scope="module")
def document(app) -> dict:
    return app.get("/openapi.json").json


def parameters(document: dict, path: str) -> dict[str, dict]:
    return {parameter["name"]: parameter for parameter in document["paths"][path]["get"]["parameters"]}


def answer_schema(document: dict, path: str, status: str = "200") -> dict:
    return document["paths"][path]["get"]["responses"][status]["content"]["application/json"]["schema"]


def test_the_document_is_valid_openapi_3_1(document):
    assert document["openapi"] == "3.1.0"
    validate(document)


def test_every_v1_path_of_every_enabled_plugin_is_listed(app, document):
    enabled = app.app.registry.restd.endpoints
    expected = {path for plugin in enabled for path in V1_PATHS.get(plugin, [])}
    assert "jobs" in enabled
    assert expected <= set(document["paths"])


def test_path_parameters_are_typed_from_the_colander_schema(document):
    params = parameters(document, "/v1/jobs/{schedd}/{clusterid}/{procid}/{attribute}")
    assert params["schedd"] == {"name": "schedd", "in": "path", "required": True,
                                "schema": {"type": "string", "pattern": OneSchedd().match_object.pattern,
                                           "examples": ["DEFAULT"]},
                                "description": "A schedd's name; DEFAULT: the local one"}
    assert params["clusterid"]["schema"] == {"type": "integer", "minimum": 0, "maximum": 2**31 - 1}
    assert params["attribute"]["schema"]["pattern"] == "^[A-Za-z_][A-Za-z0-9_]*$"


def test_a_route_of_one_schedd_leaves_every_schedd_out_of_its_pattern(document):
    pattern = parameters(document, "/v1/jobs/{schedd}/{clusterid}/{procid}")["schedd"]["schema"]["pattern"]
    assert re.fullmatch(pattern, "*") is None and re.fullmatch(pattern, "schedd2@host") is not None


def test_query_parameters_have_their_types_and_bounds(document):
    params = parameters(document, "/v1/jobs/{schedd}")
    assert params["limit"]["schema"] == {"type": "integer", "minimum": 1}
    assert params["constraint"]["schema"] == {"type": "string", "minLength": 1, "maxLength": 16384}
    assert not any(param["required"] for param in params.values() if param["in"] == "query")


def test_projection_is_a_comma_separated_list_of_attribute_names(document):
    projection = parameters(document, "/v1/jobs/{schedd}")["projection"]
    assert (projection["style"], projection["explode"]) == ("form", False)
    assert projection["schema"]["items"]["pattern"] == "^[A-Za-z_][A-Za-z0-9_]*$"
    assert "attribute names" in projection["description"]


def test_an_empty_optional_query_value_is_documented_as_no_value(document):
    # colander reads ?constraint= as absent, not as invalid
    assert parameters(document, "/v1/jobs/{schedd}")["constraint"]["allowEmptyValue"] is True


def test_a_list_of_jobs_answers_job_objects(document, app, test_jobs):
    schema = answer_schema(document, "/v1/jobs/{schedd}/{clusterid}")
    assert schema["items"]["required"] == ["jobid", "classad"]
    jsonschema.validate(app.get(f"/v1/jobs/DEFAULT/{test_jobs.held}").json, schema)


def test_grouped_jobs_answer_lists_of_job_objects_by_value(document, app, test_jobs):
    schema = answer_schema(document, "/v1/grouped_history/{schedd}/{groupby}")
    jsonschema.validate(app.get(f"/v1/grouped_history/DEFAULT/JobBatchName/{test_jobs.removed}").json, schema)


def test_one_job_answers_one_job_object(document, app, test_jobs):
    schema = answer_schema(document, "/v1/jobs/{schedd}/{clusterid}/{procid}")
    jsonschema.validate(app.get(f"/v1/jobs/DEFAULT/{test_jobs.held}/0").json, schema)


def test_every_operation_answers_errors_in_the_error_schema(document):
    for path, operations in document["paths"].items():
        for operation in operations.values():
            assert operation["responses"]["default"]["content"]["application/json"]["schema"] == {
                "$ref": "#/components/schemas/Error"
            }, path
    assert document["components"]["schemas"]["Error"] == ERROR_SCHEMA


def test_the_error_schema_fits_a_real_error(app):
    jsonschema.validate(app.get("/v1/jobs/no-such-schedd", status=404).json, ERROR_SCHEMA)
    jsonschema.validate(app.get("/v1/jobs/DEFAULT?limit=0", status=400).json, ERROR_SCHEMA)


#: A value of each path parameter that its routes accept (the schedd's: the documented examples).
PATH_VALUES = {"clusterid": "1", "procid": "0", "attribute": "Cmd", "groupby": "Owner", "name": "x"}


def test_a_schedd_example_is_one_its_route_accepts(document, app, test_jobs):
    """Generators and fuzzers use the examples as they are: ``*`` (every
    schedd) is one only where the route answers it."""
    checked = 0
    for path, operations in document["paths"].items():
        examples = parameters(document, path).get("schedd", {}).get("schema", {}).get("examples", [])
        if "text/event-stream" in operations["get"]["responses"]["200"]["content"]:
            assert "*" not in examples, path  # a watch is of one schedd
            continue
        if any(param["required"] for param in parameters(document, path).values() if param["in"] == "query"):
            continue  # a 400 for want of the query, whatever the schedd
        for example in examples:
            values = {**PATH_VALUES, "schedd": example}
            url = re.sub(r"\{(\w+)\}", lambda m, values=values: values[m[1]], path)
            assert app.get(url, expect_errors=True).status_int != 400, url
            checked += 1
    assert checked > 12


def test_the_schedd_every_schedd_is_an_example_of_whole_listings_only(document):
    with_every = {path for path in document["paths"]
                  if "*" in parameters(document, path).get("schedd", {}).get("schema", {}).get("examples", [])}
    assert with_every == {"/v1/jobs/{schedd}", "/v1/history/{schedd}", "/v1/summary/jobs/{schedd}",
                          "/v1/why/held/{schedd}", "/v1/why/idle/{schedd}",
                          "/v1/joblog/{schedd}"}  # the third party's (tests/plugins) says it answers *


@pytest.mark.parametrize("path", ["/", "/healthz", "/readyz"])
def test_the_core_routes_answer_documented_json(document, app, path):
    schema = answer_schema(document, path)
    assert schema["required"]
    jsonschema.validate(app.get(path).json, schema)


def test_readiness_documents_its_503_as_an_error(document):
    assert answer_schema(document, "/readyz", "503") == {"$ref": "#/components/schemas/Error"}


def test_metrics_are_documented_as_prometheus_text_with_its_version(document, app):
    content = document["paths"]["/metrics"]["get"]["responses"]["200"]["content"]
    (media_type,) = content
    assert media_type.startswith("text/plain; version=")
    assert content[media_type]["schema"]["type"] == "string"
    assert app.get("/metrics").headers["Content-Type"] == media_type


def test_every_route_of_the_server_describes_its_answer(document):
    for path, operations in document["paths"].items():
        for media_type, content in operations["get"]["responses"]["200"]["content"].items():
            assert media_type != "*/*" and content["schema"], path


def test_operations_are_named_and_grouped_by_their_url(document):
    operation = document["paths"]["/v1/grouped_jobs/{schedd}/{groupby}"]["get"]
    assert operation["operationId"] == "get_grouped_jobs"
    assert operation["tags"] == ["grouped_jobs"]
    assert operation["summary"]


def test_head_is_not_documented_beside_get(document):
    assert set(document["paths"]["/v1/jobs/{schedd}"]) == {"get"}


def test_the_document_and_the_docs_are_not_in_it(document):
    assert not {"/openapi.json", "/docs"} & set(document["paths"])


class BearerAuth:
    openapi_security_schemes = {"bearer": {"type": "http", "scheme": "bearer"}}


def test_the_auth_plugins_security_scheme_is_in_the_document(app, monkeypatch):
    monkeypatch.setattr(app.app.registry.restd, "auth", BearerAuth())
    document = build_document(app.app.registry)
    assert document["components"]["securitySchemes"] == BearerAuth.openapi_security_schemes
    assert document["security"] == [{"bearer": []}]
    assert document["paths"]["/healthz"]["get"]["security"] == []
    assert "security" not in document["paths"]["/v1/jobs/{schedd}"]["get"]
    validate(document)


def test_an_auth_plugin_without_a_scheme_adds_no_security(document):
    assert "securitySchemes" not in document["components"]
    assert "security" not in document


def test_a_third_party_service_is_documented_with_no_work_by_its_author():
    class Query(colander.MappingSchema):
        color = colander.SchemaNode(colander.String(), validator=colander.OneOf(["red", "blue"]), missing="red")

    schema = colander.MappingSchema()
    schema.add(Query(name="querystring"))
    widgets = Service(name="widgets", path="/v1/widgets/{kind}")
    widgets.add_view("GET", lambda request: {}, schema=schema, renderer="json")
    with Configurator() as config:
        config.registry.restd = restd = Wiring(ServerSettings())
        restd.compression = Compression(restd.settings, AnswersInFlight(0), CollectorRegistry())  # /openapi.json's
        config.include("cornice")
        config.include("restd_core.openapi")
        config.add_cornice_service(widgets)
        document = TestApp(config.make_wsgi_app()).get("/openapi.json").json
    operation = document["paths"]["/v1/widgets/{kind}"]["get"]
    assert {p["name"]: p["schema"] for p in operation["parameters"]} == {
        "color": {"type": "string", "enum": ["red", "blue"], "default": "red"},
        "kind": {"type": "string"},
    }
    assert operation["responses"]["200"]["content"] == {"*/*": {"schema": {}}}
    validate(document)


@pytest.fixture
def static_token_app(app_with, tmp_path):
    tokens = tmp_path / "tokens"
    tokens.write_text("0" * 64 + " nobody\n")
    return app_with(**{"restd.auth": "static-token", "restd.static_token.file": str(tokens), "restd.gateway.workers": "1"})


def test_with_an_auth_plugin_the_document_and_the_docs_stay_public(static_token_app):
    document = static_token_app.get("/openapi.json", status=200).json
    static_token_app.get("/docs", status=200)
    static_token_app.get("/docs/static/swagger-ui/swagger-ui.css", status=200)
    assert document["components"]["securitySchemes"] == {"bearerToken": {"type": "http", "scheme": "bearer"}}
    validate(document)


def test_a_list_parameter_says_its_key_may_be_repeated(document):
    by = parameters(document, "/v1/summary/jobs/{schedd}")["by"]
    assert "may also be repeated" in by["description"]
