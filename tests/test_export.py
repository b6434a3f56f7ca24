"""The OpenAPI export: each route read back from its exported operation is the route it came
from (or, for the forms AWS has no spelling of, answers as it did), and `apistages export`."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
import yaml

from pytest_apistages import Gateway
from pytest_apistages.cli import main
from pytest_apistages.functions import parse_reference
from pytest_apistages.model import GATEWAY_RESPONSE_TYPES, ApiDefinition, Route, frozen_map
from pytest_apistages.sources.export import (
    ANY_METHOD,
    INTEGRATION,
    aws_mock,
    function_reference,
    lambda_uri,
    openapi_document,
)
from pytest_apistages.sources.responses import gateway_response_from
from pytest_apistages.sources.routes import route_from

EXAMPLE = Path(__file__).resolve().parent.parent / "example_project"
REGION, ACCOUNT = "us-east-1", "123456789012"
OPERATIONS = ("get", "put", "post", "delete", "options", "head", "patch", ANY_METHOD)
_IN = {"path": "path", "query": "querystring", "header": "header"}

ROUTES: dict[str, Any] = {
    "GET /": {
        "type": "AWS_PROXY",
        "function": "arn:aws:lambda:eu-west-1:210987654321:function:root",
    },
    "GET /pets": {"type": "AWS_PROXY", "function": "pets:${stageVariables.alias}"},
    "GET /pets/{id}": {
        "integration": "pet-details",
        "requestParameters": {"method.request.path.id": True},
        "methodResponses": {
            "200": {"responseParameters": {"method.response.header.X-Pet": False}},
            "404": {},
        },
    },
    "DELETE /pets/{id}": {
        "type": "AWS_PROXY",
        "function": "${stageVariables.deleter}",
        "httpMethod": "POST",
        "apiKeyRequired": True,
        "operationName": "deletePet",
    },
    "ANY /{proxy+}": {
        "requestParameters": {"method.request.path.proxy": True},
        "integration": {
            "type": "HTTP_PROXY",
            "uri": "https://${stageVariables.host}/{proxy}",
            "httpMethod": "ANY",
            "requestParameters": {"integration.request.path.proxy": "method.request.path.proxy"},
            "timeoutInMillis": 5000,
        },
    },
    "POST /orders": {
        "requestParameters": {
            "method.request.querystring.dryRun": False,
            "method.request.header.X-Trace": True,
        },
        "methodResponses": {
            "201": {"responseParameters": {"method.response.header.Location": True}},
            "400": {},
        },
        "apiKeyRequired": True,
        "integration": {
            "type": "HTTP",
            "uri": "https://orders.internal/v1/orders",
            "httpMethod": "POST",
            "requestParameters": {
                "integration.request.header.X-Trace": "method.request.header.X-Trace",
                "integration.request.querystring.dry": "method.request.querystring.dryRun",
                "integration.request.header.X-Stage": "context.stage",
            },
            "requestTemplates": {
                "application/json": '{"order": $input.json(\'$\'), "by": "$context.apiId"}\n',
                "text/plain": "",
            },
            "passthroughBehavior": "NEVER",
            "contentHandling": "CONVERT_TO_TEXT",
            "cacheKeyParameters": ["method.request.header.X-Trace"],
            "responses": {
                "default": {
                    "statusCode": "201",
                    "responseParameters": {
                        "method.response.header.Location": "integration.response.header.Location"
                    },
                    "responseTemplates": {"application/json": "$input.json('$.order')"},
                },
                "4\\d{2}": {
                    "statusCode": "400",
                    "responseTemplates": {
                        "application/json": '{"error": "$input.path(\'$.message\')"}'
                    },
                    "contentHandling": "CONVERT_TO_TEXT",
                },
            },
        },
    },
    "OPTIONS /pets": {
        "integration": {
            "type": "mock",
            "requestTemplates": {"application/json": '{"statusCode": 200}'},
            "responses": {
                "default": {
                    "statusCode": "200",
                    "responseParameters": {
                        "method.response.header.Access-Control-Allow-Origin": "'*'",
                        "method.response.header.Access-Control-Allow-Methods": "'GET,OPTIONS'",
                    },
                    "responseTemplates": {"application/json": ""},
                }
            },
        },
        "methodResponses": {
            "200": {
                "responseParameters": {
                    "method.response.header.Access-Control-Allow-Origin": False,
                    "method.response.header.Access-Control-Allow-Methods": False,
                }
            }
        },
    },
    "GET /pets/{id}/card": {
        "requestParameters": {"method.request.querystring.lang": False},
        "integration": {
            "type": "AWS",
            "function": "pet-card:live",
            "httpMethod": "POST",
            "cacheKeyParameters": ["method.request.path.id", "method.request.querystring.lang"],
            "requestTemplates": {"application/json": '{"id": "$input.params(\'id\')"}'},
            "responses": {
                "default": {"statusCode": "200"},
                ".*not found.*": "404",
            },
        },
        "operationName": "petCard",
    },
    "GET /files/{key}": {
        "type": "AWS",
        "uri": "arn:aws:apigateway:us-east-1:s3:path/pet-files/{key}",
        "httpMethod": "GET",
        "requestParameters": {"integration.request.path.key": "method.request.path.key"},
        "responses": {"default": {"statusCode": "200", "contentHandling": "CONVERT_TO_BINARY"}},
    },
}


def parsed(routes: dict[str, Any]) -> ApiDefinition:
    return ApiDefinition(
        "shop", frozen_map({key: route_from(key, data, "test") for key, data in routes.items()})
    )


def method_form(operation: dict[str, Any]) -> dict[str, Any]:
    """An exported operation in the config's method form (what the OpenAPI importer reads it
    as): the invocation URI of a function back to the function's reference."""
    integration = dict(operation[INTEGRATION])
    if integration["type"] in ("aws_proxy", "aws"):
        reference = function_reference(integration["uri"], region=REGION, account_id=ACCOUNT)
        if reference is not None:
            integration["function"] = reference
            del integration["uri"]
    form: dict[str, Any] = {"integration": integration}
    parameters = operation.get("parameters", [])
    if parameters:
        form["requestParameters"] = {
            f"method.request.{_IN[p['in']]}.{p['name']}": p["required"] for p in parameters
        }
    if "responses" in operation:
        form["methodResponses"] = {
            status: {
                "responseParameters": {
                    f"method.response.header.{name}": False for name in response.get("headers", {})
                }
            }
            for status, response in operation["responses"].items()
        }
    if any("api_key" in requirement for requirement in operation.get("security", [])):
        form["apiKeyRequired"] = True
    if "operationId" in operation:
        form["operationName"] = operation["operationId"]
    return form


def read_back(document: dict[str, Any]) -> dict[str, Route]:
    routes = {}
    for path, item in document["paths"].items():
        for name, operation in item.items():
            key = f"{'ANY' if name == ANY_METHOD else name.upper()} {path}"
            routes[key] = route_from(key, method_form(operation), "export")
    return routes


@pytest.mark.parametrize("serialise", ["yaml", "json"])
def test_every_route_reads_back_as_it_was(serialise):
    definition = parsed(ROUTES)
    document = openapi_document(definition, title="shop", stage="dev")
    if serialise == "yaml":
        document = yaml.safe_load(yaml.safe_dump(document, sort_keys=False))
    else:
        document = json.loads(json.dumps(document))

    back = read_back(document)

    assert set(back) == set(definition.routes)
    for key, route in definition.routes.items():
        assert back[key] == route, key


def test_operations_are_written_in_aws_vocabulary():
    document = openapi_document(parsed(ROUTES), title="shop", stage="dev", api_id="abc123")
    paths = document["paths"]

    assert list(paths) == sorted(paths)
    assert list(paths["/pets/{id}"]) == ["delete", "get"]
    assert document["servers"] == [
        {
            "url": "https://abc123.execute-api.us-east-1.amazonaws.com/{basePath}",
            "variables": {"basePath": {"default": "dev"}},
        }
    ]
    pets = paths["/pets"]["get"][INTEGRATION]
    assert pets == {
        "type": "aws_proxy",
        "uri": "arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/"
        "arn:aws:lambda:us-east-1:123456789012:function:pets:${stageVariables.alias}/invocations",
        "passthroughBehavior": "when_no_match",
    }
    pet = paths["/pets/{id}"]["get"]
    assert pet["parameters"] == [
        {"name": "id", "in": "path", "required": True, "schema": {"type": "string"}}
    ]
    assert pet["responses"] == {
        "200": {
            "description": "200 response",
            "headers": {"X-Pet": {"schema": {"type": "string"}}},
        },
        "404": {"description": "404 response"},
    }
    delete = paths["/pets/{id}"]["delete"]
    assert delete["operationId"] == "deletePet"
    assert delete["security"] == [{"api_key": []}]
    assert "responses" not in delete  # as AWS's OpenAPI 3 export writes a method with none
    orders = paths["/orders"]["post"][INTEGRATION]
    assert orders["type"] == "http"
    assert orders["passthroughBehavior"] == "never"
    assert orders["responses"]["4\\d{2}"]["statusCode"] == "400"
    assert "timeoutInMillis" not in orders
    assert paths["/{proxy+}"][ANY_METHOD][INTEGRATION]["timeoutInMillis"] == 5000
    assert document["components"] == {
        "securitySchemes": {"api_key": {"type": "apiKey", "name": "x-api-key", "in": "header"}}
    }
    assert document["x-amazon-apigateway-api-key-source"] == "HEADER"


def test_the_document_is_stable():
    forwards = parsed(ROUTES)
    backwards = parsed(dict(reversed(list(ROUTES.items()))))

    assert openapi_document(forwards, title="shop") == openapi_document(backwards, title="shop")
    assert json.dumps(openapi_document(forwards, title="shop")) == json.dumps(
        openapi_document(backwards, title="shop")
    )


GATEWAY_RESPONSES = {
    "INVALID_API_KEY": {
        "statusCode": "429",
        "responseTemplates": {"application/json": '{"message": "slow down"}'},
    },
    "DEFAULT_4XX": {
        "responseParameters": {"gatewayresponse.header.Access-Control-Allow-Origin": "'*'"}
    },
}


def test_api_level_extensions_read_back():
    responses = {k: gateway_response_from(k, v, "test") for k, v in GATEWAY_RESPONSES.items()}
    definition = replace(
        parsed({"GET /": "root"}),
        binary_media_types=("image/png", "application/octet-stream"),
        gateway_responses=frozen_map(responses),
    )

    document = openapi_document(definition, title="shop")

    binary = document["x-amazon-apigateway-binary-media-types"]
    assert binary == ["image/png", "application/octet-stream"]
    exported = document["x-amazon-apigateway-gateway-responses"]
    assert list(exported) == ["DEFAULT_4XX", "INVALID_API_KEY"]
    assert exported["INVALID_API_KEY"]["statusCode"] == "429"
    assert "statusCode" not in exported["DEFAULT_4XX"]
    back = {kind: gateway_response_from(kind, data, "export") for kind, data in exported.items()}
    assert back == dict(definition.gateway_responses)
    assert "servers" not in document and "components" not in document


def test_function_references_and_invocation_uris():
    own = (
        "arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/"
        "arn:aws:lambda:us-east-1:123456789012:function:orders/invocations"
    )
    for reference in ("pets", "pets:live", "pets:${stageVariables.alias}", "${stageVariables.fn}"):
        uri = lambda_uri(reference, region=REGION, account_id=ACCOUNT)
        assert function_reference(uri, region=REGION, account_id=ACCOUNT) == reference
        assert parse_reference(uri.replace("${stageVariables.alias}", "live")) == parse_reference(
            reference.replace("${stageVariables.alias}", "live")
        )
    foreign = "arn:aws:lambda:eu-west-1:210987654321:function:root:2"
    foreign_uri = lambda_uri(foreign, region=REGION, account_id=ACCOUNT)
    assert function_reference(foreign_uri, region=REGION, account_id=ACCOUNT) == foreign
    s3 = "arn:aws:apigateway:us-east-1:s3:path/bucket/{key}"
    assert lambda_uri(s3, region=REGION, account_id=ACCOUNT) == s3
    assert function_reference(s3, region=REGION, account_id=ACCOUNT) is None
    assert lambda_uri(own, region=REGION, account_id=ACCOUNT) == own
    assert function_reference(own, region=REGION, account_id=ACCOUNT) == "orders"


def test_a_route_written_with_its_own_invocation_uri_reads_back_as_the_same_function():
    """AWS's spelling of our own function and the short reference export alike, so the
    route comes back in the short form: another target text, the same function."""
    uri = lambda_uri("orders:live", region=REGION, account_id=ACCOUNT)
    definition = parsed({"POST /orders": {"type": "AWS_PROXY", "uri": uri, "httpMethod": "POST"}})

    back = read_back(openapi_document(definition, title="shop"))["POST /orders"]

    original = definition.routes["POST /orders"]
    assert back.integration.target == "orders:live"
    assert parse_reference(back.integration.target) == parse_reference(original.integration.target)
    short = replace(original.integration, target="orders:live")
    assert back == replace(original, integration=short)


SHORT_MOCKS: dict[str, Any] = {
    "GET /health": {"type": "MOCK", "body": {"status": "ok"}},
    "GET /empty": {"type": "MOCK", "status": 204},
    "GET /teapot": {
        "type": "MOCK",
        "status": 418,
        "passthroughBehavior": "NEVER",
        "headers": {
            "Content-Type": "text/plain",
            "X-Plain": "a, b; c=d",
            "X-Stage": "at-${stageVariables.name}-${stageVariables.missing}",
            "X-Quoted": 'it\'s "quoted" $and #hashed \\',
            "X.Dotted": "dot",
        },
        "body": "## not a comment, $input.body, #set($x = 1) and ${stageVariables.name}\n",
    },
    "GET /declared": {
        "methodResponses": {
            "200": {"responseParameters": {"method.response.header.X-Declared": False}}
        },
        "integration": {
            "type": "MOCK",
            "headers": {"X-Declared": "yes", "X-Undeclared": "also"},
            "body": "plain",
        },
    },
}


def answers(route: Route, **request: Any) -> tuple[int, list[tuple[str, str]], bytes]:
    gw = Gateway("mock", seed=7)
    gw.api.definition = ApiDefinition("mock", frozen_map({route.key: route}))
    gw.deploy("dev", variables={"name": "dev"})
    response = gw.client("dev").get(route.path, **request)
    return response.status_code, sorted(response.headers.items()), response.data


@pytest.mark.parametrize("key", list(SHORT_MOCKS))
def test_a_short_mock_exports_as_an_aws_mock_that_answers_alike(key):
    """AWS has no short MOCK form: it reads back as AWS's MOCK (a request template and a
    default integration response), a different integration with the same answers."""
    short = route_from(key, SHORT_MOCKS[key], "test")
    document = openapi_document(ApiDefinition("mock", frozen_map({key: short})), title="mock")
    document = yaml.safe_load(yaml.safe_dump(document, sort_keys=False))

    back = read_back(document)[key]

    assert back.integration == aws_mock(short)
    assert back.integration.type == "MOCK" and back.integration.templated
    assert replace(back, integration=short.integration) == short
    for request in (
        {},
        {"headers": {"Content-Type": "text/plain"}, "data": "hello"},
        {"headers": {"Accept": "text/html", "Content-Type": "application/json"}, "data": "{}"},
    ):
        assert answers(back, **request) == answers(short, **request)


def test_a_short_mock_uses_plain_mappings_where_aws_allows_them():
    short = route_from("GET /declared", SHORT_MOCKS["GET /declared"], "test")

    response = aws_mock(short).responses[0]

    assert dict(response.parameters) == {"method.response.header.X-Declared": "'yes'"}
    assert response.templates["application/json"] == (
        '#set($context.responseOverride.header.X-Undeclared = "also")plain'
    )


def assert_structurally_valid(document: dict[str, Any], definition: ApiDefinition) -> None:
    """The facts of OpenAPI 3.0 a reader relies on (no validator is a dependency here)."""
    assert re.fullmatch(r"3\.0\.\d+", document["openapi"])
    assert isinstance(document["info"]["title"], str) and document["info"]["title"]
    assert isinstance(document["info"]["version"], str)
    for server in document.get("servers", []):
        for variable in re.findall(r"\{([^}]+)\}", server["url"]):
            assert isinstance(server["variables"][variable]["default"], str)
    schemes = document.get("components", {}).get("securitySchemes", {})
    operation_ids = []
    for path, item in document["paths"].items():
        assert path.startswith("/") and (path == "/" or not path.endswith("/"))
        variables = {v.rstrip("+") for v in re.findall(r"\{([^}]+)\}", path)}
        assert item and set(item) <= set(OPERATIONS), path
        for name, operation in item.items():
            key = f"{'ANY' if name == ANY_METHOD else name.upper()} {path}"
            route = definition.routes[key]
            assert INTEGRATION in operation
            if route.method_responses:
                assert operation["responses"], key
            else:  # AWS's OpenAPI 3 export leaves `responses` out of such a method
                assert "responses" not in operation, key
            for status, response in operation.get("responses", {}).items():
                assert re.fullmatch(r"[1-5]\d\d", status), key
                assert isinstance(response["description"], str)
                for header in response.get("headers", {}).values():
                    assert header["schema"] == {"type": "string"}
            seen = set()
            for parameter in operation.get("parameters", []):
                assert parameter["in"] in ("path", "query", "header")
                assert isinstance(parameter["required"], bool)
                assert parameter["schema"] == {"type": "string"}
                assert (parameter["name"], parameter["in"]) not in seen
                seen.add((parameter["name"], parameter["in"]))
                if parameter["in"] == "path":
                    assert parameter["name"] in variables and parameter["required"] is True
            for requirement in operation.get("security", []):
                assert set(requirement) <= set(schemes), key
            if "operationId" in operation:
                operation_ids.append(operation["operationId"])
    assert len(operation_ids) == len(set(operation_ids))
    for scheme in schemes.values():
        assert scheme["type"] == "apiKey" and scheme["in"] in ("header", "query", "cookie")
    for kind, response in document.get("x-amazon-apigateway-gateway-responses", {}).items():
        assert kind in GATEWAY_RESPONSE_TYPES
        assert re.fullmatch(r"[1-5]\d\d", response.get("statusCode", "200"))
    for media_type in document.get("x-amazon-apigateway-binary-media-types", []):
        assert re.fullmatch(r"[\w.+*-]+/[\w.+*-]+", media_type)


def test_the_example_project_exports_a_well_formed_document():
    gw = Gateway.from_file(EXAMPLE / "apistages.yaml")
    api = gw.deployment(gw.stage("prod").deployment_id).api

    document = openapi_document(
        api, title=api.name, stage="prod", region=gw.region, api_id=gw.api_id,
        account_id=gw.functions.account_id,
    )  # fmt: skip

    assert_structurally_valid(json.loads(json.dumps(document)), api)
    varied = parsed(ROUTES)
    assert_structurally_valid(openapi_document(varied, title="shop", stage="dev"), varied)
    back = read_back(yaml.safe_load(yaml.safe_dump(document, sort_keys=False)))
    for key, route in api.routes.items():
        if key == "GET /health":  # the short MOCK form: answers alike (tested above)
            assert replace(back[key], integration=route.integration) == route
        elif key == "POST /orders":  # AWS's URI of our own function: its short reference
            assert back[key].integration.target == "orders"
        else:
            assert back[key] == route, key


# -- apistages export ------------------------------------------------------------------------

CONFIG = """\
api:
  name: shop
  id: shop123abc
  region: eu-west-1
  account_id: "210987654321"
  routes:
    GET /health: {type: MOCK, status: 200, body: {status: ok}}
    POST /orders: {function: orders}
    GET /items/{id}:
      type: HTTP_PROXY
      uri: "https://${stageVariables.host}/items/{id}"
      apiKeyRequired: true
deployments:
  first:
    routes:
      GET /health: {type: MOCK, status: 200, body: {status: first}}
stages:
  old: {deployment: first}
  live: {variables: {host: items.internal}}
"""


@pytest.fixture
def config(tmp_path: Path) -> Path:
    path = tmp_path / "apistages.yaml"
    path.write_text(CONFIG)
    return path


def test_export_writes_yaml_of_the_stage_to_stdout(config, capsys):
    assert main(["export", str(config), "--stage", "live"]) == 0

    document = yaml.safe_load(capsys.readouterr().out)
    assert document["info"]["title"] == "shop"
    assert document["servers"][0]["url"] == (
        "https://shop123abc.execute-api.eu-west-1.amazonaws.com/{basePath}"
    )
    assert document["servers"][0]["variables"]["basePath"]["default"] == "live"
    assert list(document["paths"]) == ["/health", "/items/{id}", "/orders"]
    assert document["paths"]["/orders"]["post"][INTEGRATION]["uri"] == (
        "arn:aws:apigateway:eu-west-1:lambda:path/2015-03-31/functions/"
        "arn:aws:lambda:eu-west-1:210987654321:function:orders/invocations"
    )
    assert document["paths"]["/items/{id}"]["get"]["security"] == [{"api_key": []}]


def test_export_takes_the_deployment_the_stage_serves(config, capsys):
    assert main(["export", str(config), "--stage", "old", "--format", "json"]) == 0

    document = json.loads(capsys.readouterr().out)
    assert list(document["paths"]) == ["/health"]
    template = document["paths"]["/health"]["get"][INTEGRATION]["responses"]["default"]
    assert template["responseTemplates"] == {"application/json": '{"status": "first"}'}


def test_export_writes_json_to_a_file(config, tmp_path, capsys):
    output = tmp_path / "openapi.json"

    arguments = ["export", str(config), "--stage", "live", "--format", "json"]
    assert main([*arguments, "--output", str(output)]) == 0

    document = json.loads(output.read_text())
    assert document["openapi"] == "3.0.1"
    assert len(document["paths"]) == 3
    out = capsys.readouterr().out
    assert out == f"{output}: stage live, 3 routes in 3 paths\n"


def test_export_reads_apistages_yaml_by_default(config, monkeypatch, capsys):
    monkeypatch.chdir(config.parent)

    assert main(["export", "--stage", "live", "--output", "api.yaml"]) == 0

    assert yaml.safe_load((config.parent / "api.yaml").read_text())["info"]["title"] == "shop"


def test_export_of_an_unknown_stage_lists_the_stages(config, capsys):
    assert main(["export", str(config), "--stage", "prod"]) == 2

    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err == f"error: {config} has no stage 'prod' (stages: old, live)\n"


def test_export_of_a_bad_config_is_one_line(config, capsys):
    config.write_text(CONFIG.replace("status: 200", "status: 999", 1))

    assert main(["export", str(config), "--stage", "live"]) == 2

    err = capsys.readouterr().err
    assert err.startswith(f"error: {config}: api.routes.GET /health.status: ")
    assert err.count("\n") == 1


def test_export_of_a_missing_config_is_one_line(tmp_path, capsys):
    assert main(["export", str(tmp_path / "nothing.yaml"), "--stage", "live"]) == 2

    err = capsys.readouterr().err
    assert err.startswith("error: ") and "file not found" in err and err.count("\n") == 1


def test_export_help_names_arguments_and_defaults(monkeypatch, capsys):
    monkeypatch.setenv("COLUMNS", "100")
    with pytest.raises(SystemExit) as exit_info:
        main(["export", "--help"])

    assert exit_info.value.code == 0
    out = capsys.readouterr().out
    for text in ("--stage", "--output FILE", "--format {yaml,json}", "default: yaml"):
        assert text in out
    assert "default: apistages.yaml" in out


def test_export_needs_a_stage(config, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["export", str(config)])

    assert exit_info.value.code == 2
    assert "--stage" in capsys.readouterr().err


def test_the_module_runs_as_the_command(config):
    result = subprocess.run(
        [sys.executable, "-m", "pytest_apistages.cli", "export", str(config), "--stage", "live"],
        capture_output=True, text=True, check=False,
    )  # fmt: skip

    assert result.returncode == 0, result.stderr
    assert yaml.safe_load(result.stdout)["openapi"] == "3.0.1"


def imported_routes(path: Path) -> dict[str, Route]:
    """The routes prod serves, a function named by its invocation URI or by its reference
    alike (both call the same function; the export writes the URI AWS requires)."""
    gw = Gateway.from_file(path)
    routes = gw.deployment(gw.stage("prod").deployment_id).api.routes
    out = {}
    for key, route in routes.items():
        target = route.integration.target
        reference = function_reference(target, region=gw.region, account_id=gw.account_id)
        integration = replace(route.integration, target=reference or target)
        out[key] = replace(route, integration=integration)
    return out


@pytest.mark.parametrize("config", ["apistages.yaml", "apistages-sam.yaml"])
def test_import_export_import_gives_the_same_routes(config, tmp_path):
    """The example's API (our config, and its SAM template through the transform) exported
    as OpenAPI and imported again serves the same routes and integrations."""
    first = imported_routes(EXAMPLE / config)
    out = tmp_path / "exported.yaml"
    assert main(["export", str(EXAMPLE / config), "--stage", "prod", "--output", str(out)]) == 0
    (tmp_path / "apistages.yaml").write_text("source: exported.yaml\nstages: {prod: {}}\n")

    second = imported_routes(tmp_path / "apistages.yaml")

    assert set(second) == set(first)
    for key, route in first.items():
        if route.integration.type == "MOCK" and not route.integration.templated:
            continue  # a short MOCK comes back as AWS's MOCK (see aws_mock)
        assert second[key] == route, key
