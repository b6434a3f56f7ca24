"""The importer against 20 real public API Gateway definitions (CloudFormation, SAM, OpenAPI),
saved unmodified in the shared reference corpus: each loads, and serves what the file says, or
is refused with one located error whose whole text is asserted."""

from __future__ import annotations

import re
import shutil
import textwrap
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import responses

from pytest_apistages.errors import ConfigError
from pytest_apistages.gateway import Gateway
from pytest_apistages.sources.load import load_file

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "reference" / "corpus"
SAM = "Transform: AWS::Serverless-2016-10-31\n"
# Files a template names, under the name it names them by.
COMPANIONS = {
    "aws-samples-apigw-canary_template.yaml": {"api.yaml": "aws-samples-apigw-canary_api.yaml"},
    "serverless-express_basic-starter_cloudformation.yaml": {
        "simple-proxy-api.yaml": "serverless-express_basic-starter_simple-proxy-api.yaml"
    },
}
STAND_IN = """
import json

def handler(event, context):
    return {"statusCode": 200, "body": json.dumps(
        {"stand_in": context.function_name, "path": event["path"],
         "stage": event["requestContext"]["stage"], "variables": event["stageVariables"]})}
"""

pytestmark = pytest.mark.skipif(not CORPUS.is_dir(), reason=f"no corpus at {CORPUS}")


def copied(tmp_path: Path, name: str, *, transform: bool = False) -> Path:
    """`name` and its companions in tmp_path; `transform` adds the SAM transform line that
    SAM's own test harness adds to its inputs (as a user running them would)."""
    text = (CORPUS / name).read_text(encoding="utf-8")
    (tmp_path / name).write_text(SAM + text if transform else text, encoding="utf-8")
    for as_named, companion in COMPANIONS.get(name, {}).items():
        shutil.copy(CORPUS / companion, tmp_path / as_named)
    return tmp_path / name


def with_config(tmp_path: Path, config: str) -> Path:
    """An apistages.yaml over a corpus file, with a Python stand-in handler beside it (the
    module `standin` in `config`, named after the test: one process imports a name once)."""
    module = "standin_" + re.sub(r"\W", "_", tmp_path.name)
    (tmp_path / f"{module}.py").write_text(STAND_IN, encoding="utf-8")
    text = textwrap.dedent(config).replace('"standin:', f'"{module}:')
    (tmp_path / "apistages.yaml").write_text(text, encoding="utf-8")
    return tmp_path / "apistages.yaml"


def routes(gw: Gateway, stage: str) -> dict[str, tuple[str, str]]:
    api = gw.deployment(gw.stages[stage].deployment_id).api
    return {key: (r.integration.type, r.integration.target) for key, r in api.routes.items()}


def logged(gw: Gateway, stage: str) -> list[str]:
    return [event.message for event in gw.logs(stage)]


# -- files that load ---------------------------------------------------------------------------


def check_canary_template(tmp_path: Path) -> None:
    gw = Gateway.from_file(copied(tmp_path, "aws-samples-apigw-canary_template.yaml"))
    assert sorted(gw.stages) == ["Prod", "Stage"]  # SAM's extra `Stage` stage, as deployed
    prod = gw.stages["Prod"]
    assert prod.canary is not None and prod.canary.percent == 50.0
    assert routes(gw, "Prod") == {
        "GET /{year}": ("AWS", "arn:aws:apigateway:us-east-1:dynamodb:action/GetItem")
    }
    api = gw.deployment(prod.deployment_id).api
    integration = api.routes["GET /{year}"].integration
    assert integration.passthrough_behavior == "WHEN_NO_TEMPLATES"
    assert '"TableName": "' in integration.request_templates["application/json"]
    assert "${DataTable}" not in integration.request_templates["application/json"]
    response = gw.client("Prod", canary=False).get("/2020")
    assert (response.status_code, response.json()) == (500, {"message": "Internal server error"})
    assert (
        "Execution failed: pytest-apistages does not emulate the AWS service dynamodb "
        "(arn:aws:apigateway:us-east-1:dynamodb:action/GetItem)"
    ) in logged(gw, "Prod")


def check_localstack_canary(tmp_path: Path) -> None:
    file = copied(tmp_path, "localstack_apigateway_canary_deployment.yml")
    gw = Gateway.from_file(file, parameters={"RestApiName": "canary-api"})
    stage = gw.stages["prod"]
    assert dict(stage.variables) == {"lambdaAlias": "Prod"}
    assert stage.canary is not None
    assert (stage.canary.percent, stage.canary.deployment_id) == (50.0, "ApiCanaryDeployment")
    assert dict(stage.canary.variables) == {"lambdaAlias": "Dev"}
    assert routes(gw, "prod") == {"POST /": ("MOCK", "")}
    for canary in (False, True):
        assert gw.client("prod", canary=canary).post("/").status_code == 200


def check_pulumi(tmp_path: Path) -> None:
    gw = Gateway.from_file(copied(tmp_path, "localstack_openapi.spec.pulumi.json"))
    assert list(gw.stages) == ["dev"]  # a lone OpenAPI file names no stage
    api = gw.deployment(gw.stages["dev"].deployment_id).api
    assert api.binary_media_types == ("*/*",)
    assert routes(gw, "dev")["GET /just_do_it"] == (
        "AWS_PROXY",
        "arn:aws:apigateway:us-west-2:lambda:path/2015-03-31/functions/arn:aws:lambda:us-west-2:"
        "000000000000:function:s3OnObjectCreatedLambda-60c92b6/invocations",
    )
    assert all(route.api_key_required for route in api.routes.values())
    response = gw.client("dev").get("/just_do_it")  # no key: refused before the function
    assert (response.status_code, response.json()) == (403, {"message": "Forbidden"})


def check_stage_variables(tmp_path: Path) -> None:
    file = copied(tmp_path, "localstack_openapi.spec.stage-variables.json")
    assert any("payloadFormatVersion is an HTTP API setting" in n for n in load_file(file).notices)
    gw = Gateway.from_file(file)
    assert routes(gw, "dev") == {"GET /path1": ("HTTP_PROXY", "http://${stageVariables.url}")}
    response = gw.client("dev").get("/path1")
    assert (response.status_code, response.json()) == (500, {"message": "Internal server error"})
    assert (
        "Execution failed due to configuration error: Invalid endpoint address "
        "(stage variable url is not defined on stage dev)"
    ) in logged(gw, "dev")


def check_petstore(tmp_path: Path) -> None:
    gw = Gateway.from_file(copied(tmp_path, "localstack_petstore-swagger.json"))
    pets = "http://petstore.execute-api.eu-west-1.amazonaws.com/petstore/pets"
    assert routes(gw, "dev") == {
        "GET /": ("MOCK", ""), "GET /pets": ("HTTP", pets), "POST /pets": ("HTTP", pets),
        "OPTIONS /pets": ("MOCK", ""), "GET /pets/{petId}": ("HTTP", pets + "/{petId}"),
        "OPTIONS /pets/{petId}": ("MOCK", ""),
    }  # fmt: skip
    client = gw.client("dev")
    root = client.get("/")
    assert root.status_code == 200 and root.text.lstrip().startswith("<html>")
    with responses.RequestsMock() as backend:
        backend.get(pets, json=[{"id": 1}])
        assert client.get("/pets").json() == [{"id": 1}]


def check_simple_proxy_api(tmp_path: Path) -> None:
    file = copied(tmp_path, "serverless-express_basic-starter_simple-proxy-api.yaml")
    gw = Gateway.from_file(file)
    assert list(gw.stages) == ["prod"]  # basePath: /prod
    api = gw.deployment(gw.stages["prod"].deployment_id).api
    assert api.binary_media_types == ("*/*",)
    assert sorted(api.routes) == ["ANY /", "ANY /{proxy+}", "OPTIONS /", "OPTIONS /{proxy+}"]
    assert api.routes["ANY /"].integration.target.endswith(
        ":function:${stageVariables.ServerlessExpressLambdaFunctionName}/invocations"
    )
    client = gw.client("prod")
    assert client.options("/anything").status_code == 200  # the CORS mock
    response = client.get("/")
    assert (response.status_code, response.json()) == (500, {"message": "Internal server error"})
    assert (
        "Execution failed due to configuration error: stage variable "
        "ServerlessExpressLambdaFunctionName is not defined on stage prod"
    ) in logged(gw, "prod")
    # The stage variable given by an apistages.yaml over the file: the URI's literal
    # ${AWS::Region} (never substituted: the file is not a template) still names no function.
    config = with_config(
        tmp_path,
        f"""
        source: {file.name}
        stages:
          prod: {{variables: {{ServerlessExpressLambdaFunctionName: express}}}}
        functions:
          express: {{handler: "standin:handler"}}
        """,
    )
    gw = Gateway.from_file(config)
    failed = gw.client("prod").get("/users/1")
    assert (failed.status_code, failed.json()) == (500, {"message": "Internal server error"})
    assert (
        "Execution failed due to configuration error: Not a Lambda function ARN: "
        "arn:aws:apigateway:${AWS::Region}:lambda:path/2015-03-31/functions/arn:aws:lambda:"
        "${AWS::Region}:${AWS::AccountId}:function:express/invocations"
    ) in logged(gw, "prod")
    # ... and a route the config gives over the file's reaches the stand-in.
    config.write_text(
        config.read_text()
        + "api:\n  routes:\n    ANY /{proxy+}: "
        + '{type: AWS_PROXY, function: "${stageVariables.ServerlessExpressLambdaFunctionName}"}\n'
    )
    served = Gateway.from_file(config).client("prod").get("/users/1")
    assert served.status_code == 200
    assert served.json()["stand_in"] == "express" and served.json()["path"] == "/users/1"


def check_usage_plan(tmp_path: Path) -> None:
    file = copied(tmp_path, "sam-integ_api_with_usage_plan.yaml", transform=True)
    gw = Gateway.from_file(file, api="MyApi")
    assert list(gw.stages) == ["Prod"]
    api = gw.deployment(gw.stages["Prod"].deployment_id).api
    route = api.routes["ANY /http/{proxy+}"]
    assert (route.integration.type, route.integration.target) == (
        "HTTP_PROXY",
        "http://httpbin.org/{proxy}",
    )
    assert route.api_key_required
    assert [plan.name for plan in gw.usage_plans.all()] == ["MyApiUsagePlan"]
    key = gw.api_keys.all()[0]
    response = gw.client("Prod").get("/http/get")
    assert (response.status_code, response.json()) == (403, {"message": "Forbidden"})
    with responses.RequestsMock() as backend:
        backend.get("http://httpbin.org/get", json={"url": "get"})
        keyed = gw.client("Prod").get("/http/get", headers={"x-api-key": key.value})
        assert (keyed.status_code, keyed.json()) == (200, {"url": "get"})


def check_api_key_pattern(tmp_path: Path) -> None:
    """Node.js code in a local folder the corpus lacks: a Python stand-in makes it run."""
    file = copied(tmp_path, "serverless-patterns_apigw-api-key_template.yaml")
    config = with_config(
        tmp_path,
        f"""
        source: {file.name}
        functions:
          AppFunction: {{handler: "standin:handler"}}
        """,
    )
    gw = Gateway.from_file(config)
    assert list(gw.stages) == ["Prod"]
    api = gw.deployment(gw.stages["Prod"].deployment_id).api
    assert api.name == "apigw-api-key" and api.routes["GET /"].api_key_required
    assert api.routes["GET /"].integration.type == "AWS_PROXY"
    key = gw.api_keys.all()[0]
    assert gw.client("Prod").get("/").status_code == 403
    served = gw.client("Prod").get("/", headers={"x-api-key": key.value})
    assert served.status_code == 200 and served.json()["stand_in"] == "AppFunction"


def check_sam_canary_output(tmp_path: Path) -> None:
    """SAM's generated CloudFormation: two REST APIs (api= picks one), code in S3 (the config
    gives the function), the stage's canary with SAM's misspelt overrides key."""
    file = copied(tmp_path, "sam-translator_api_with_canary_setting.output.json")
    config = with_config(
        tmp_path,
        f"""
        source: {{path: {file.name}, api: ServerlessRestApi}}
        functions:
          ImplicitApiFunction: {{handler: "standin:handler"}}
        """,
    )
    gw = Gateway.from_file(config)
    assert sorted(gw.stages) == ["Prod", "Stage"]
    prod = gw.stages["Prod"]
    assert prod.canary is not None and prod.canary.percent == 100.0
    assert dict(prod.canary.variables) == {"sv1": "test", "sv2": "test2"}
    assert not prod.canary.use_stage_cache
    assert routes(gw, "Prod")["GET /"][0] == "AWS_PROXY"
    served = gw.client("Prod").get("/")  # 100 % canary
    assert served.status_code == 200 and served.json()["variables"] == {
        "sv1": "test",
        "sv2": "test2",
    }


def check_sam_canary_input(tmp_path: Path) -> None:
    """The SAM input of the file above, through the transform: the same API."""
    file = copied(tmp_path, "sam-translator_api_with_canary_setting.yaml", transform=True)
    config = with_config(
        tmp_path,
        f"""
        source: {{path: {file.name}, api: ServerlessRestApi}}
        functions:
          ImplicitApiFunction: {{handler: "standin:handler"}}
        """,
    )
    gw = Gateway.from_file(config)
    prod = gw.stages["Prod"]
    assert prod.canary is not None and prod.canary.percent == 100.0
    assert dict(prod.canary.variables) == {"sv1": "test", "sv2": "test2"}
    assert gw.client("Prod").get("/").status_code == 200


@dataclass
class Loads:
    check: Callable[[Path], None]


@dataclass
class Refused:
    """`text` with <tmp> for the folder; `transform` adds SAM's transform line first."""

    text: str
    kwargs: dict[str, Any] = field(default_factory=dict)
    transform: bool = False
    why: str = ""  # why refusing is right


_TAGS = (
    "!Ref, !Condition, !And, !Base64, !Cidr, !Equals, !FindInMap, !GetAZs, !GetAtt, !If, "
    "!ImportValue, !Join, !Not, !Or, !Select, !Split, !Sub, !Transform"
)
_NO_TRANSFORM = (
    "{kind} is a SAM type, and the template declares no SAM transform "
    "(add Transform: AWS::Serverless-2016-10-31 at the top level of the template)"
)
_TWO_APIS = (
    "Resources: the template declares 2 REST APIs: {apis} (pick one: api='<logical id>' "
    "(source: {{path: ..., api: ...}} in apistages.yaml))"
)


def _runtime(name: str, runtime: str) -> str:
    return (
        f"Resources.{name}.Properties.Runtime: function {name!r} runs on {runtime}, which cannot "
        f"run in-process (give a Python stand-in: functions: {{{name}: {{handler: "
        "module:function}} in an apistages.yaml whose source: is this template)"
    )


CASES: dict[str, Loads | Refused] = {
    "aws-samples-apigw-canary_template.yaml": Loads(check_canary_template),
    "aws-samples-apigw-canary_api.yaml": Refused(
        ":31: paths./{year}.get.x-amazon-apigateway-integration.credentials: Fn::GetAtt is a "
        "CloudFormation function, which an OpenAPI file alone does not resolve (load the "
        "template that includes this file (AWS::Include or DefinitionUri), or write the value "
        "itself)",
        why="the file is the template's AWS::Include; alone, its Fn::Sub/Fn::GetAtt are not "
        "strings, and API Gateway's import refuses them",
    ),
    "cfn-templates_apigateway_lambda_integration.yaml": Refused(
        f": line 108, column 18: unknown tag '!Rain::Embed' (CloudFormation's tags are {_TAGS};"
        " expand any other with its own tool)",
        why="!Rain::Embed is the rain tool's pre-processing tag: CloudFormation refuses it",
    ),
    "localstack_apigateway_canary_deployment.yml": Loads(check_localstack_canary),
    "localstack_apigateway_integration_no_authorizer.yml": Refused(
        ":91: Resources.ApiGWStage.Properties: the stage has no StageName (give it one: the "
        "gateway serves each stage under its name)",
        why="the name CloudFormation gives a Stage without StageName is unconfirmed (LocalStack "
        "says 'default'); we say so rather than guess",
    ),
    "localstack_openapi.spec.pulumi.json": Loads(check_pulumi),
    "localstack_openapi.spec.stage-variables.json": Loads(check_stage_variables),
    "localstack_petstore-swagger.json": Loads(check_petstore),
    "sam-cli_start-api_swagger-template.yaml": Refused(
        ":60: Resources.MyApi.Properties.DefinitionBody.paths./nofunctionfound.get."
        "x-amazon-apigateway-integration.uri.Fn::Sub: Fn::Sub reads ${WhatFunction.Arn} as "
        "attribute 'Arn' of resource 'WhatFunction', which the template does not define (did "
        "you mean 'MyLambdaFunction'?) (to pass it on as text (for API Gateway), write "
        "${!WhatFunction.Arn})",
        why="CloudFormation refuses an unresolved resource dependency (the file is a SAM CLI "
        "test of exactly that)",
    ),
    "sam-integ_api_with_usage_plan.yaml": Refused(
        ":23: Resources.MyApi.Type: " + _NO_TRANSFORM.format(kind="AWS::Serverless::Api"),
        why="SAM's integration tests add the transform; CloudFormation refuses SAM types "
        "without it",
    ),
    "sam-integ_api_with_usage_plan.yaml+transform": Loads(check_usage_plan),
    "sam-translator_api_rest_paths_with_if_condition_openapi.yaml": Refused(
        ":60: Resources.MyApi.Properties.DefinitionBody.paths./post.post."
        "x-amazon-apigateway-integration.uri: 'https://www.alphavantage.co/' is a URL, not a "
        "function (use type HTTP_PROXY for an HTTP backend)",
        why="an aws_proxy integration needs a Lambda ARN: API Gateway refuses a URL",
    ),
    "sam-translator_api_with_canary_setting.output.json": Refused(
        ":2: " + _TWO_APIS.format(apis="ExplicitApi, ServerlessRestApi"),
        why="two APIs: the user says which one",
    ),
    "sam-translator_api_with_canary_setting.output.json+api": Loads(check_sam_canary_output),
    "sam-translator_api_with_canary_setting.output.json+ExplicitApi": Refused(
        ":108: Resources.ExplicitApi.Properties.BodyS3Location: the OpenAPI body is in S3 "
        "({'Bucket': 'sam-demo-bucket', 'Key': 'webpage_swagger.json'}), not in a local file "
        "(put the file at the Key's path relative to the template (or use Body))",
        kwargs={"api": "ExplicitApi"},
        why="the body is only in S3",
    ),
    "sam-translator_api_with_canary_setting.yaml": Refused(
        ":12: Resources.ImplicitApiFunction.Type: "
        + _NO_TRANSFORM.format(kind="AWS::Serverless::Function"),
        why="a SAM translator input: the transform line is the test harness's",
    ),
    "sam-translator_api_with_canary_setting.yaml+transform": Loads(check_sam_canary_input),
    "sam-translator_api_with_method_settings.yaml": Refused(
        ":20: Resources.ImplicitApiFunction.Type: "
        + _NO_TRANSFORM.format(kind="AWS::Serverless::Function"),
        why="a SAM translator input: the transform line is the test harness's",
    ),
    "sam-translator_api_with_method_settings.yaml+transform": Refused(
        ":25: " + _runtime("ImplicitApiFunction", "nodejs4.3"),
        kwargs={"api": "ServerlessRestApi"},
        transform=True,
        why="Node.js code in S3: settled by functions: in an apistages.yaml (see above)",
    ),
    "sam-translator_explicit_api.yaml": Refused(
        ":11: Resources.GetHtmlFunction.Type: "
        + _NO_TRANSFORM.format(kind="AWS::Serverless::Function"),
        why="a SAM translator input: the transform line is the test harness's",
    ),
    "sam-translator_explicit_api.yaml+transform": Refused(
        ":49: Resources.ApiWithInlineSwagger.Properties.DefinitionBody.paths: The REST API "
        "doesn't contain any methods (a deployment serves at least one route)",
        kwargs={"api": "ApiWithInlineSwagger"},
        transform=True,
        why="AWS refuses to deploy an API without methods, in these words",
    ),
    "sam-translator_function_with_alias_and_event_sources.yaml": Refused(
        ":7: Resources.MyAwesomeFunction.Type: "
        + _NO_TRANSFORM.format(kind="AWS::Serverless::Function"),
        why="a SAM translator input: the transform line is the test harness's",
    ),
    "sam-translator_function_with_alias_and_event_sources.yaml+transform": Refused(
        ":12: " + _runtime("MyAwesomeFunction", "python2.7"),
        kwargs={"api": "ServerlessRestApi"},
        transform=True,
        why="python2.7 cannot run here; a stand-in in functions: settles it",
    ),
    "sam-translator_function_with_deployment_preference_multiple_combinations.yaml": Refused(
        ":3: Resources.MinimalFunction.Type: "
        + _NO_TRANSFORM.format(kind="AWS::Serverless::Function"),
        why="a SAM translator input: the transform line is the test harness's",
    ),
    "sam-translator_function_with_deployment_preference_multiple_combinations.yaml+transform": (
        Refused(
            ":2: Resources: the template declares no AWS::ApiGateway::RestApi (REST APIs only: "
            "an AWS::Serverless::Api or Events of Type Api make one)",
            transform=True,
            why="the template has functions and no API at all",
        )
    ),
    "serverless-express_basic-starter_cloudformation.yaml": Refused(
        ":53: Resources.YOUR_SERVERLESS_EXPRESS_LAMBDA_FUNCTION_NAME: the SAM transform refused "
        "the template: Resource with id "
        "[YOUR_SERVERLESS_EXPRESS_LAMBDA_FUNCTION_NAME] is invalid. Logical ids must be "
        "alphanumeric. (fix it as `sam validate` would ask)",
        why="the example ships placeholders its setup script replaces; SAM refuses them as is",
    ),
    "serverless-express_basic-starter_simple-proxy-api.yaml": Loads(check_simple_proxy_api),
    "serverless-patterns_apigw-api-key_template.yaml": Refused(
        ":7: " + _runtime("AppFunction", "nodejs24.x"),  # Globals gave the runtime
        why="Node.js code cannot run in-process; a stand-in in functions: settles it",
    ),
    "serverless-patterns_apigw-api-key_template.yaml+config": Loads(check_api_key_pattern),
}


def test_every_corpus_file_has_a_case() -> None:
    files = {f.name for f in CORPUS.iterdir() if f.name != "README.md"}
    assert files == {case.split("+")[0] for case in CASES}


# Cases that fail on a bug in a file this test does not cover the fix of (reported).
KNOWN_BUGS: dict[str, str] = {}


@pytest.mark.parametrize(
    "case",
    [
        pytest.param(
            case,
            marks=[pytest.mark.xfail(strict=True, raises=ConfigError, reason=KNOWN_BUGS[case])]
            if case in KNOWN_BUGS
            else [],
        )
        for case in CASES
    ],
)
def test_corpus_file(case: str, tmp_path: Path) -> None:
    name = case.split("+")[0]
    expected = CASES[case]
    if isinstance(expected, Loads):
        expected.check(tmp_path)
        return
    file = copied(tmp_path, name, transform=expected.transform)
    with pytest.raises(ConfigError) as caught:
        Gateway.from_file(file, **expected.kwargs)
    assert str(caught.value).replace(str(tmp_path), "<tmp>") == f"<tmp>/{name}{expected.text}"
    assert caught.value.source == str(file)
