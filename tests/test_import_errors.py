"""Malformed templates, OpenAPI files and `source:` configs: each gives one ConfigError, whose
whole text (file, line, key path, problem, fix) is asserted; and random mutations of small
valid documents never raise anything else."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pytest_apistages import Gateway
from pytest_apistages.errors import ConfigError
from pytest_apistages.sources.load import load_file

CFN = """\
AWSTemplateFormatVersion: '2010-09-09'
Parameters:
  Name: {Type: String, Default: shop, AllowedValues: [shop, store]}
Resources:
  Api:
    Type: AWS::ApiGateway::RestApi
    Properties:
      Name: !Ref Name
      Body:
        openapi: 3.0.1
        info: {title: shop}
        paths:
          /pets:
            get:
              x-amazon-apigateway-integration: {type: mock, requestTemplates: {application/json: '{"statusCode": 200}'}}
  Deployment:
    Type: AWS::ApiGateway::Deployment
    Properties: {RestApiId: !Ref Api, Description: first}
  Stage:
    Type: AWS::ApiGateway::Stage
    Properties: {RestApiId: !Ref Api, StageName: prod, DeploymentId: !Ref Deployment, Variables: {v: "1"}}
"""  # noqa: E501
OPENAPI = """\
openapi: 3.0.1
info: {title: shop}
paths:
  /pets:
    get:
      parameters: [{$ref: '#/components/parameters/Id'}]
      x-amazon-apigateway-integration: {type: mock}
"""
SAM = """\
Transform: AWS::Serverless-2016-10-31
Resources:
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: src/
      Handler: app.handler
      Runtime: python3.12
      Events:
        Get: {Type: Api, Properties: {Path: /hi, Method: get}}
"""
_TAGS = (
    "!Ref, !Condition, !And, !Base64, !Cidr, !Equals, !FindInMap, !GetAZs, !GetAtt, !If, "
    "!ImportValue, !Join, !Not, !Or, !Select, !Split, !Sub, !Transform"
)


def cfn(old: str, new: str) -> str:
    assert old in CFN
    return CFN.replace(old, new)


# name: (files, the file loaded, load_file's keywords, the error's text, its key, its line)
CASES: dict[str, tuple[dict[str, str], dict[str, Any], str, str, int | None]] = {
    "bad YAML in a template": (
        {"t.yaml": cfn("{RestApiId: !Ref Api, StageName", "{RestApiId: !Ref Api StageName: : x")},
        {},
        "t.yaml: line 21, column 47: invalid YAML: expected ',' or '}', but got ':' "
        "(fix the syntax there)",
        "line 21, column 47",
        21,
    ),
    "unknown tag": (
        {"t.yaml": cfn("!Ref Name", "!Rnf Name")},
        {},
        f"t.yaml: line 8, column 13: unknown tag '!Rnf' (CloudFormation's tags are {_TAGS}; "
        "expand any other with its own tool)",
        "line 8, column 13",
        8,
    ),
    "Ref to an unknown name": (
        {"t.yaml": cfn("!Ref Name", "!Ref Nmae")},
        {},
        "t.yaml:8: Resources.Api.Properties.Name.Ref: 'Nmae' is neither a parameter nor a "
        "resource of this template (did you mean 'Name'?) (declare it under Parameters or "
        "Resources)",
        "Resources.Api.Properties.Name.Ref",
        8,
    ),
    "parameter without Default": (
        {"t.yaml": cfn("Default: shop, ", "")},
        {},
        "t.yaml:8: Resources.Api.Properties.Name.Ref: parameter 'Name' has no Default and no "
        "value was given (give it a Default, or pass parameters={'Name': ...} (parameters: in "
        "apistages.yaml))",
        "Resources.Api.Properties.Name.Ref",
        8,
    ),
    "override not in AllowedValues": (
        {"t.yaml": CFN},
        {"parameters": {"Name": "bazaar"}},
        "t.yaml:3: Parameters.Name: parameter 'Name': parameters= gives 'bazaar', not one of "
        "its AllowedValues (use one of: shop, store)",
        "Parameters.Name",
        3,
    ),
    "Fn::ImportValue without imports": (
        {"t.yaml": cfn("!Ref Name", "!ImportValue shared-name")},
        {},
        "t.yaml:8: Resources.Api.Properties.Name.Fn::ImportValue: Fn::ImportValue reads export "
        "'shared-name' of another stack, which is not there locally (add imports: "
        "{shared-name: value} next to source: in apistages.yaml)",
        "Resources.Api.Properties.Name.Fn::ImportValue",
        8,
    ),
    "stage variable unescaped in Fn::Sub": (
        {"t.yaml": cfn('Variables: {v: "1"}', "Variables: {v: !Sub 'x-${stageVariables.x}'}")},
        {},
        "t.yaml:21: Resources.Stage.Properties.Variables.v.Fn::Sub: Fn::Sub reads "
        "${stageVariables.x} as attribute 'x' of resource 'stageVariables', which the template "
        "does not define (to pass it on as text (for API Gateway), write ${!stageVariables.x})",
        "Resources.Stage.Properties.Variables.v.Fn::Sub",
        21,
    ),
    "DeploymentId not a Deployment of the API": (
        {"t.yaml": cfn("DeploymentId: !Ref Deployment", "DeploymentId: other")},
        {},
        "t.yaml:21: Resources.Stage.Properties.DeploymentId: the stage's deployment 'other' is "
        "not a Deployment of this API (its deployments: Deployment)",
        "Resources.Stage.Properties.DeploymentId",
        21,
    ),
    "two RestApis without api=": (
        {"t.yaml": CFN + "  Api2:\n    Type: AWS::ApiGateway::RestApi\n    Properties: {}\n"},
        {},
        "t.yaml:4: Resources: the template declares 2 REST APIs: Api, Api2 (pick one: "
        "api='<logical id>' (source: {path: ..., api: ...} in apistages.yaml))",
        "Resources",
        4,
    ),
    "api= naming a missing one": (
        {"t.yaml": CFN},
        {"api": "Nope"},
        "t.yaml:4: Resources: no REST API 'Nope' in the template (its REST APIs: Api)",
        "Resources",
        4,
    ),
    "OpenAPI path without '/'": (
        {"t.yaml": cfn("/pets:", "pets:")},
        {},
        "t.yaml:13: Resources.Api.Properties.Body.paths.pets: path 'pets' does not start with "
        "'/' (write it as /pets)",
        "Resources.Api.Properties.Body.paths.pets",
        13,
    ),
    "operation without integration": (
        {"t.yaml": cfn("x-amazon-apigateway-integration: ", "x-other: ")},
        {},
        "t.yaml:14: Resources.Api.Properties.Body.paths./pets.get: no "
        "x-amazon-apigateway-integration (API Gateway needs an integration for every method: "
        "add one (type: mock for a stub))",
        "Resources.Api.Properties.Body.paths./pets.get",
        14,
    ),
    "bad integration type in a template's body": (  # the route parser's error, via places
        {"t.yaml": cfn("type: mock", "type: mokc")},
        {},
        "t.yaml:15: Resources.Api.Properties.Body.paths./pets.get.x-amazon-apigateway-"
        "integration.type: unknown integration type 'mokc' (use one of AWS_PROXY, HTTP_PROXY, "
        "HTTP, MOCK, AWS)",
        "Resources.Api.Properties.Body.paths./pets.get.x-amazon-apigateway-integration.type",
        15,
    ),
    "bad integration type in an OpenAPI file": (
        {
            "o.yaml": OPENAPI.replace("[{$ref: '#/components/parameters/Id'}]", "[]").replace(
                "type: mock", "type: lambda"
            )
        },
        {},
        "o.yaml:7: paths./pets.get.x-amazon-apigateway-integration.type: unknown integration "
        "type 'lambda' (use one of AWS_PROXY, HTTP_PROXY, HTTP, MOCK, AWS)",
        "paths./pets.get.x-amazon-apigateway-integration.type",
        7,
    ),  # fmt: skip
    "undefined security scheme": (
        {"t.yaml": cfn("get:\n", "get:\n              security: [{key: []}]\n")},
        {},
        "t.yaml:15: Resources.Api.Properties.Body.paths./pets.get.security[0].key: security "
        "scheme 'key' is not defined (define it under securityDefinitions or "
        "components.securitySchemes (defined: none))",
        "Resources.Api.Properties.Body.paths./pets.get.security[0].key",
        15,
    ),
    "$ref to nothing": (
        {"o.yaml": OPENAPI},
        {},
        "o.yaml:6: paths./pets.get.parameters[0].$ref: reference "
        "'#/components/parameters/Id' points at nothing (fix the path)",
        "paths./pets.get.parameters[0].$ref",
        6,
    ),
    "missing CodeUri folder": (
        {"s.yaml": SAM.replace("src/", "nosrc/")},
        {},
        "s.yaml:6: Resources.Fn.Properties.CodeUri: CodeUri folder <tmp>/nosrc does not exist "
        "(CodeUri paths are relative to the template's folder)",
        "Resources.Fn.Properties.CodeUri",
        6,
    ),
    "handler module missing": (
        {"s.yaml": SAM.replace("app.handler", "missing.handler")},
        {},
        "s.yaml:7: Resources.Fn.Properties.Handler: no module missing.py in CodeUri folder "
        "<tmp>/src (the folder's Python files: app.py)",
        "Resources.Fn.Properties.Handler",
        7,
    ),
    "SAM event naming a missing API": (
        {"s.yaml": SAM.replace("Method: get}", "Method: get, RestApiId: !Ref Nope}")},
        {},
        "s.yaml:10: Resources.Fn.Properties.Events.Get: the SAM transform refused the template: "
        "Resource with id [Fn] is invalid. Event with id [Get] is invalid. RestApiId must be a "
        "valid reference to an 'AWS::Serverless::Api' resource in same template. (fix it as "
        "`sam validate` would ask)",
        "Resources.Fn.Properties.Events.Get",
        10,
    ),
    "SAM Globals value wrong, at its Globals line": (
        {
            "s.yaml": SAM.replace(
                "Resources:\n",
                "Globals:\n  Function:\n    Environment:\n      Variables: {T: !Ref Tabel}\n"
                "Resources:\n",
            )
        },
        {},
        "s.yaml:5: Resources.Fn.Properties.Environment.Variables.T.Ref: 'Tabel' is neither a "
        "parameter nor a resource of this template (declare it under Parameters or Resources)",
        "Resources.Fn.Properties.Environment.Variables.T.Ref",
        5,
    ),  # fmt: skip
    "config parameter the template does not declare": (
        {"apistages.yaml": "source: t.yaml\nparameters: {Nmae: shop}\n", "t.yaml": CFN},
        {},
        "apistages.yaml: parameters.Nmae: t.yaml declares no parameter 'Nmae' (did you mean "
        "'Name'?) (its parameters: Name)",
        "parameters.Nmae",
        None,
    ),
    "api= for an OpenAPI file": (
        {"o.yaml": OPENAPI},
        {"api": "Api"},
        "o.yaml: api= given, but an OpenAPI file has no Parameters and one API (they apply to a "
        "CloudFormation or SAM template (or a config whose source: is one))",
        "",
        None,
    ),
    "parameters= for a config that names no template": (
        {"apistages.yaml": "api: {routes: {GET /x: {type: MOCK}}}\nstages: {dev: {}}\n"},
        {"parameters": {"Stage": "prod"}},
        "apistages.yaml: parameters= given, but this config names no template (they apply to a "
        "CloudFormation or SAM template (or a config whose source: is one))",
        "",
        None,
    ),
    "SAM Api without StageName": (
        {"s.yaml": SAM + "  Api:\n    Type: AWS::Serverless::Api\n    Properties: {}\n"},
        {},
        "s.yaml:11: Resources.Api: the SAM transform refused the template: Resource with id "
        "[Api] is invalid. Missing required property 'StageName'. (fix it as `sam validate` "
        "would ask)",
        "Resources.Api",
        11,
    ),
    "SAM type without the transform": (
        {"s.yaml": SAM.replace("Transform: AWS::Serverless-2016-10-31\n", "")},
        {},
        "s.yaml:3: Resources.Fn.Type: AWS::Serverless::Function is a SAM type, and the "
        "template declares no SAM transform (add Transform: AWS::Serverless-2016-10-31 at the "
        "top level of the template)",
        "Resources.Fn.Type",
        3,
    ),
    "CloudFormation function in a lone OpenAPI file": (
        {"o.yaml": OPENAPI.replace("type: mock}", "type: mock, uri: !Sub '${Fn.Arn}'}")},
        {},
        "o.yaml:7: paths./pets.get.x-amazon-apigateway-integration.uri: Fn::Sub is a "
        "CloudFormation function, which an OpenAPI file alone does not resolve (load the "
        "template that includes this file (AWS::Include or DefinitionUri), or write the value "
        "itself)",
        "paths./pets.get.x-amazon-apigateway-integration.uri",
        7,
    ),
    "source: naming a missing file": (
        {"apistages.yaml": "source: nothere.yaml\n"},
        {},
        "apistages.yaml: source: no file 'nothere.yaml' in this config's folder (the path is "
        "relative to the folder of this apistages.yaml)",
        "source",
        None,
    ),
    "source: naming another apistages.yaml": (
        {"apistages.yaml": "source: other.yaml\n", "other.yaml": "api: {routes: {}}\n"},
        {},
        "apistages.yaml: source: a source is a template or an OpenAPI file, not another "
        "apistages.yaml",
        "source",
        None,
    ),
    "parameters: without source:": (
        {"apistages.yaml": "parameters: {Name: shop}\napi: {routes: {GET /a: {type: MOCK}}}\n"},
        {},
        "apistages.yaml: parameters: 'parameters' applies to a template (name the template "
        "with source: template.yaml)",
        "parameters",
        None,
    ),
    "config override of a template stage, wrong in the config": (
        {
            "apistages.yaml": "source: t.yaml\nstages:\n  prod:\n    variables: {v: [1]}\n",
            "t.yaml": CFN,
        },
        {},
        "apistages.yaml: stages.prod.variables.v: stage variable values are strings, got list "
        "[1] (quote the value)",
        "stages.prod.variables.v",
        None,
    ),  # fmt: skip
    "template value wrong, located in the template": (
        {
            "apistages.yaml": "source: t.yaml\nstages:\n  prod:\n    variables: {w: '2'}\n",
            "t.yaml": cfn('Variables: {v: "1"}', "Variables: {'bad key': x}"),
        },
        {},
        "t.yaml:21: Resources.Stage.Properties.Variables.bad key: Invalid stage variable name: "
        "bad key.  Please use names with only word characters.",
        "Resources.Stage.Properties.Variables.bad key",
        21,
    ),  # fmt: skip
}


@pytest.mark.parametrize("case", list(CASES))
def test_import_error(case: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    files, keywords, text, key, line = CASES[case]
    for name, content in files.items():
        (tmp_path / name).write_text(content, encoding="utf-8")
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "app.py").write_text("def handler(event, context):\n    return {}\n")
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ConfigError) as caught:
        load_file(next(iter(files)), **keywords)
    error = caught.value
    assert str(error).replace(str(tmp_path), "<tmp>") == text
    assert (error.key, error.line) == (key, line)


def test_a_bad_variable_name_in_a_config_override_is_located_in_the_config(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "t.yaml").write_text(CFN)
    (tmp_path / "apistages.yaml").write_text(
        "source: t.yaml\nstages:\n  prod:\n    variables: {'bad key': x}\n"
    )
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ConfigError) as caught:
        load_file("apistages.yaml")
    assert (caught.value.source, caught.value.key) == (
        "apistages.yaml",
        "stages.prod.variables.bad key",
    )


def test_a_stage_the_config_adds_is_said(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A `source:` config may add a stage; one the template lacks is named in the header, so
    a misspelt `Prod` does not pass unnoticed."""
    (tmp_path / "t.yaml").write_text(CFN)
    (tmp_path / "apistages.yaml").write_text("source: t.yaml\nstages: {Prod: {}}\n")
    monkeypatch.chdir(tmp_path)

    loaded = load_file("apistages.yaml")

    assert loaded.stage_names == ["prod", "Prod"]
    assert loaded.notices == (
        "apistages.yaml: stages.Prod: t.yaml has no stage 'Prod' (did you mean 'prod'?): this "
        "config adds it (the template's stages: prod)",
    )


def test_the_valid_documents_load(tmp_path: Path) -> None:
    (tmp_path / "t.yaml").write_text(CFN)
    (tmp_path / "o.json").write_text(json.dumps(_OPENAPI_DOC))
    assert load_file(tmp_path / "t.yaml").name == "shop"
    assert load_file(tmp_path / "o.json").name == "shop"


# -- random mutations --------------------------------------------------------------------------

_CFN_DOC: dict[str, Any] = {
    "Parameters": {"Name": {"Type": "String", "Default": "shop"}},
    "Resources": {
        "Api": {
            "Type": "AWS::ApiGateway::RestApi",
            "Properties": {
                "Name": {"Ref": "Name"},
                "BinaryMediaTypes": ["image~1png"],
                "Body": {
                    "openapi": "3.0.1",
                    "info": {"title": "shop"},
                    "paths": {
                        "/pets/{id}": {
                            "get": {
                                "parameters": [{"name": "id", "in": "path", "required": True}],
                                "responses": {"200": {"headers": {"X-A": {}}}},
                                "x-amazon-apigateway-integration": {
                                    "type": "mock",
                                    "requestTemplates": {"application/json": "{}"},
                                    "responses": {"default": {"statusCode": "200"}},
                                },
                            }
                        }
                    },
                },
            },
        },
        "Deployment": {
            "Type": "AWS::ApiGateway::Deployment",
            "Properties": {"RestApiId": {"Ref": "Api"}, "Description": "d"},
        },
        "Stage": {
            "Type": "AWS::ApiGateway::Stage",
            "Properties": {
                "RestApiId": {"Ref": "Api"},
                "StageName": "prod",
                "DeploymentId": {"Ref": "Deployment"},
                "Variables": {"v": {"Fn::Sub": "${Name}-1"}},
                "MethodSettings": [
                    {"ResourcePath": "/*", "HttpMethod": "*", "ThrottlingRateLimit": 10}
                ],
                "CanarySetting": {"PercentTraffic": 10, "StageVariableOverrides": {"v": "2"}},
            },
        },
    },
}
_OPENAPI_DOC: dict[str, Any] = {
    "swagger": "2.0",
    "info": {"title": "shop"},
    "basePath": "/prod",
    "securityDefinitions": {"key": {"type": "apiKey", "name": "x-api-key", "in": "header"}},
    "x-amazon-apigateway-binary-media-types": ["*/*"],
    "paths": {
        "/pets": {
            "parameters": [{"$ref": "#/parameters/q"}],
            "x-amazon-apigateway-any-method": {
                "security": [{"key": []}],
                "responses": {"200": {"$ref": "#/responses/ok"}},
                "x-amazon-apigateway-integration": {
                    "type": "http_proxy",
                    "httpMethod": "ANY",
                    "uri": "https://${stageVariables.host}/pets",
                },
            },
        }
    },
    "parameters": {"q": {"name": "q", "in": "query"}},
    "responses": {"ok": {"description": "ok"}},
}

_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3)
    ),
    max_leaves=6,
)


def _paths(value: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [path] if path else []
    if isinstance(value, dict):
        for key, item in value.items():
            out += _paths(item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            out += _paths(item, (*path, index))
    return out


@st.composite
def _mutated(draw: st.DrawFn, doc: dict[str, Any]) -> dict[str, Any]:
    out = copy.deepcopy(doc)
    for _ in range(draw(st.integers(1, 3))):
        paths = _paths(out)
        if not paths:
            break
        path = draw(st.sampled_from(paths))
        holder: Any = out
        for part in path[:-1]:
            holder = holder[part]
        if draw(st.booleans()):
            del holder[path[-1]]
        else:
            holder[path[-1]] = draw(_json)
    return out


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(doc=st.one_of(_mutated(_CFN_DOC), _mutated(_OPENAPI_DOC)))
def test_mutated_documents_raise_only_config_errors(doc: dict[str, Any], tmp_path: Path) -> None:
    file = tmp_path / "doc.json"
    file.write_text(json.dumps(doc))
    try:
        load_file(file)
    except ConfigError:
        pass


METHODS = """\
Resources:
  Api:
    Type: AWS::ApiGateway::RestApi
    Properties: {Name: shop}
  Items:
    Type: AWS::ApiGateway::Resource
    Properties: {RestApiId: !Ref Api, ParentId: !GetAtt Api.RootResourceId, PathPart: items}
  Get:
    Type: AWS::ApiGateway::Method
    Properties:
      RestApiId: !Ref Api
      ResourceId: !Ref Items
      HttpMethod: GET
      AuthorizationType: NONE
      Integration:
        Type: MOCK
        RequestTemplates: {application/json: '{"statusCode": 200}'}
        IntegrationResponses:
          - {StatusCode: 200}
  Deployment:
    Type: AWS::ApiGateway::Deployment
    DependsOn: Get
    Properties:
      RestApiId: !Ref Api
      StageName: prod
      StageDescription: {Variables: {v: "1"}}
"""


def methods(old: str, new: str) -> str:
    assert old in METHODS
    return METHODS.replace(old, new)


# name: (template text, the error's text, its key, its line)
SHAPES: dict[str, tuple[str, str, str, int]] = {
    "a PathPart given as NoValue": (
        methods("PathPart: items}", "PathPart: !Ref AWS::NoValue}"),
        "t.yaml:7: Resources.Items.Properties.PathPart: expected a path part, got nothing (null) "
        "(e.g. items, {id} or {proxy+})",
        "Resources.Items.Properties.PathPart",
        7,
    ),
    "a Method on a resource of another API": (
        methods("ResourceId: !Ref Items", "ResourceId: abc123"),
        "t.yaml:12: Resources.Get.Properties.ResourceId: resource 'abc123' is not a resource of "
        "Api (name one of its AWS::ApiGateway::Resource (or its RootResourceId))",
        "Resources.Get.Properties.ResourceId",
        12,
    ),
    "a Method property CloudFormation lacks": (
        methods(
            "      AuthorizationType: NONE\n", "      AuthorizationType: NONE\n      Auth: x\n"
        ),
        "t.yaml:15: Resources.Get.Properties.Auth: unknown Method property (known: RestApiId, "
        "ResourceId, HttpMethod, Integration, RequestParameters, MethodResponses, ApiKeyRequired, "
        "OperationName, AuthorizationType, AuthorizerId, AuthorizationScopes, "
        "RequestValidatorId, RequestModels)",
        "Resources.Get.Properties.Auth",
        15,
    ),
    "two integration responses without a SelectionPattern": (
        methods(
            "          - {StatusCode: 200}\n",
            "          - {StatusCode: 200}\n          - {StatusCode: 500}\n",
        ),
        "t.yaml:20: Resources.Get.Properties.Integration.IntegrationResponses[1]: a second "
        "integration response for selection pattern 'default' (give each a SelectionPattern of "
        "its own (one may have none: the default))",
        "Resources.Get.Properties.Integration.IntegrationResponses[1]",
        20,
    ),  # fmt: skip
    "IntegrationResponses as a mapping": (
        methods("          - {StatusCode: 200}\n", "          {StatusCode: 200}\n"),
        "t.yaml:18: Resources.Get.Properties.Integration.IntegrationResponses: expected a list, "
        "got dict {'StatusCode': 200}",
        "Resources.Get.Properties.Integration.IntegrationResponses",
        18,
    ),
    "an integration status the route parser refuses, at CloudFormation's key": (
        methods("          - {StatusCode: 200}\n", "          - {StatusCode: 99}\n"),
        "t.yaml:19: Resources.Get.Properties.Integration.IntegrationResponses[0].StatusCode: "
        "invalid status code 99 (use 100-599, e.g. '200')",
        "Resources.Get.Properties.Integration.IntegrationResponses[0].StatusCode",
        19,
    ),
    "BinaryMediaTypes as one string": (
        methods(
            "Properties: {Name: shop}", "Properties: {Name: shop, BinaryMediaTypes: image~1png}"
        ),
        "t.yaml:4: Resources.Api.Properties.BinaryMediaTypes: expected a list, got str "
        "'image~1png'",
        "Resources.Api.Properties.BinaryMediaTypes",
        4,
    ),
    "StageDescription Variables as a list": (
        methods('StageDescription: {Variables: {v: "1"}}', "StageDescription: {Variables: [a, b]}"),
        "t.yaml:26: Resources.Deployment.Properties.StageDescription.Variables: expected a "
        "mapping, got list ['a', 'b']",
        "Resources.Deployment.Properties.StageDescription.Variables",
        26,
    ),
}


@pytest.mark.parametrize("case", list(SHAPES))
def test_a_wrong_shape_is_located_in_the_template(case: str, tmp_path: Path) -> None:
    text, expected, key, line = SHAPES[case]
    (tmp_path / "t.yaml").write_text(text)
    with pytest.raises(ConfigError) as caught:
        load_file(tmp_path / "t.yaml", shown_as="t.yaml")
    assert (str(caught.value), caught.value.key, caught.value.line) == (expected, key, line)


def test_the_methods_template_serves(tmp_path: Path) -> None:
    (tmp_path / "t.yaml").write_text(METHODS)
    gw = Gateway.from_file(tmp_path / "t.yaml")
    assert gw.client("prod").get("/items").status_code == 200


def test_what_is_read_but_not_emulated_is_said(tmp_path: Path) -> None:
    text = methods("Properties: {Name: shop}", "Properties: {Name: shop, Policy: {}}")
    text = text.replace("NONE\n", "NONE\n      RequestValidatorId: v1\n")
    text += (
        "  KeyLink:\n    Type: AWS::ApiGateway::UsagePlanKey\n"
        "    Properties: {KeyId: outside123, KeyType: API_KEY, UsagePlanId: plan1}\n"
    )
    (tmp_path / "t.yaml").write_text(text)

    notices = load_file(tmp_path / "t.yaml", shown_as="t.yaml").notices

    assert notices == (
        "t.yaml:15: Resources.Get.Properties.RequestValidatorId: request validation is not "
        "emulated: requests are not validated",
        "t.yaml:4: Resources.Api.Properties.Policy: resource policies are not emulated: every "
        "caller is allowed",
        "t.yaml:30: Resources.KeyLink.Properties.KeyId: API key 'outside123' is not in this "
        "template: its calls are refused (give it as api_keys: in an apistages.yaml whose "
        "source: is this template)",
    )


def test_routes_a_source_config_adds_are_served_by_the_template_stages(tmp_path: Path) -> None:
    (tmp_path / "t.yaml").write_text(METHODS)
    (tmp_path / "apistages.yaml").write_text(
        "source: t.yaml\napi:\n  routes:\n    GET /stub: {type: MOCK, status: 200, body: stub}\n"
    )
    gw = Gateway.from_file(tmp_path / "apistages.yaml")
    assert gw.client("prod").get("/stub").text == "stub"
    assert gw.client("prod").get("/items").status_code == 200
    assert gw.pending_changes("prod") == []


def test_config_parameters_are_checked_in_the_config(tmp_path: Path) -> None:
    (tmp_path / "t.yaml").write_text(
        'Parameters:\n  Flag: {Type: String, Default: "false", AllowedValues: ["true", "false"]}\n'
        + METHODS.replace("StageName: prod", "StageName: !If [Flagged, flagged, plain]")
        + 'Conditions:\n  Flagged: !Equals [!Ref Flag, "true"]\n'
    )
    config = tmp_path / "apistages.yaml"
    config.write_text("source: t.yaml\nparameters: {Flag: true}\n")  # a YAML boolean
    assert Gateway.from_file(config).stages.keys() == {"flagged"}

    config.write_text("source: t.yaml\nparameters: {Flag: maybe}\n")
    with pytest.raises(ConfigError) as caught:
        load_file(config, shown_as="apistages.yaml")
    assert str(caught.value) == (
        "apistages.yaml: parameters.Flag: parameter 'Flag': the config gives 'maybe', not one of "
        "its AllowedValues (use one of: true, false)"
    )
