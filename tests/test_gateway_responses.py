"""Gateway responses: API Gateway's own answers, customised per type or through
DEFAULT_4XX/DEFAULT_5XX, deployed with the API.

Recorded on AWS (LocalStack's test_apigateway_api.snapshot.json): the default list, a PUT
replacing the whole response, DEFAULT_5XX reaching the 5xx types not set themselves. What a
client receives from a customised response is not recorded; those tests follow the
documentation (reference/mapping-templates.md §7: precedence, templates are not VTL)."""

from __future__ import annotations

import json

import pytest

from pytest_apistages import ConfigError, Gateway
from pytest_apistages.errors import BadRequestError, NotFoundError


def failing(event, context):
    raise RuntimeError("boom")


@pytest.fixture
def gw() -> Gateway:
    gw = Gateway()
    gw.functions.register("fail", failing)
    gw.api.put_route("GET /pets/{id}", {"type": "MOCK", "body": "{}"})
    gw.api.put_route("GET /fail", "fail")
    return gw


def test_uncustomised_answers_keep_the_recorded_bodies(gw: Gateway) -> None:
    gw.deploy("prod")
    client = gw.client("prod")

    missing = client.get("/nowhere")
    failed = client.get("/fail")

    assert missing.status_code == 403
    assert missing.data == b'{"message":"Missing Authentication Token"}'
    assert (failed.status_code, failed.data) == (502, b'{"message": "Internal server error"}')


def test_a_customised_type_answers_with_its_status_headers_and_template(gw: Gateway) -> None:
    """The shape put in test_gateway_response_crud: status 404, literal and method.request
    headers, a template of $context and $stageVariables."""
    gw.api.put_gateway_response(
        "MISSING_AUTHENTICATION_TOKEN",
        {
            "statusCode": "404",
            "responseParameters": {
                "gatewayresponse.header.Access-Control-Allow-Origin": "'a.b.c'",
                "gatewayresponse.header.x-request-header": "method.request.header.Accept",
                "gatewayresponse.header.x-stage": "context.stage",
            },
            "responseTemplates": {
                "application/json": '{"message": $context.error.messageString, "type": '
                '"$context.error.responseType", "stage": "$context.stage", '
                '"a": "$stageVariables.a"}'
            },
        },
    )
    gw.deploy("prod", variables={"a": "x"})

    answer = gw.client("prod").get("/nowhere", headers={"Accept": "text/plain"})

    assert answer.status_code == 404
    assert json.loads(answer.data) == {
        "message": "Missing Authentication Token",
        "type": "MISSING_AUTHENTICATION_TOKEN",
        "stage": "prod",
        "a": "x",
    }
    assert answer.headers["Access-Control-Allow-Origin"] == "a.b.c"
    assert answer.headers["x-stage"] == "prod"
    assert "x-request-header" not in answer.headers  # no route matched: no method request
    assert answer.headers["x-amzn-ErrorType"] == "MissingAuthenticationTokenException"


def test_method_request_values_reach_the_headers_once_a_route_matched(gw: Gateway) -> None:
    gw.functions.register("slow", lambda e, c: {"statusCode": 200}, duration_ms=60_000)
    gw.api.put_route("GET /slow", {"function": "slow", "timeoutInMillis": 1000})
    gw.api.put_gateway_response(
        "INTEGRATION_TIMEOUT",
        {"responseParameters": {"gatewayresponse.header.x-accept": "method.request.header.Accept"}},
    )
    gw.deploy("prod")

    answer = gw.client("prod").get("/slow", headers={"Accept": "text/csv"})

    assert answer.status_code == 504
    assert answer.headers["x-accept"] == "text/csv"
    assert answer.data == b'{"message":"Endpoint request timed out"}'


def test_a_put_with_only_a_status_keeps_the_default_template(gw: Gateway) -> None:
    """test_gateway_response_put: only statusCode → the default template."""
    put = gw.api.put_gateway_response("MISSING_AUTHENTICATION_TOKEN", {"statusCode": 404})
    gw.deploy("prod")

    answer = gw.client("prod").get("/nowhere")

    assert put.status == 404 and dict(put.templates) == {}
    assert answer.status_code == 404
    assert answer.data == b'{"message":"Missing Authentication Token"}'


def test_a_put_without_a_status_takes_the_types_default(gw: Gateway) -> None:
    """test_gateway_response_put: only responseParameters → statusCode back to 403."""
    gw.api.put_gateway_response("MISSING_AUTHENTICATION_TOKEN", {"statusCode": 404})
    gw.api.put_gateway_response(
        "MISSING_AUTHENTICATION_TOKEN",
        {"responseParameters": {"gatewayresponse.header.x-custom": "'1'"}},
    )
    gw.deploy("prod")

    answer = gw.client("prod").get("/nowhere")

    assert (answer.status_code, answer.headers["x-custom"]) == (403, "1")


def test_default_5xx_reaches_the_5xx_types_not_set_themselves(gw: Gateway) -> None:
    """test_gateway_response_put: DEFAULT_5XX 599 with a template reaches INTEGRATION_FAILURE
    (still default); a type put itself (here INTEGRATION_TIMEOUT) keeps its own status."""
    gw.functions.register("slow", lambda e, c: {"statusCode": 200}, duration_ms=60_000)
    gw.api.put_route("GET /slow", {"function": "slow", "timeoutInMillis": 1000})
    gw.api.put_gateway_response(
        "DEFAULT_5XX",
        {
            "statusCode": "599",
            "responseParameters": {"gatewayresponse.header.x-class": "'5xx'"},
            "responseTemplates": {"application/json": '{"error": "$context.error.responseType"}'},
        },
    )
    gw.api.put_gateway_response(
        "INTEGRATION_TIMEOUT", {"responseParameters": {"gatewayresponse.header.x-own": "'1'"}}
    )
    gw.deploy("prod")
    client = gw.client("prod")

    failed, slow, missing = client.get("/fail"), client.get("/slow"), client.get("/nowhere")

    assert (failed.status_code, failed.json()) == (599, {"error": "INTEGRATION_FAILURE"})
    assert failed.headers["x-class"] == "5xx"
    assert slow.status_code == 504 and slow.headers["x-own"] == "1"
    assert "x-class" not in slow.headers
    assert missing.status_code == 403  # a 4xx type: DEFAULT_5XX does not reach it


def test_default_4xx_status_reaches_throttling_and_missing_token(gw: Gateway) -> None:
    gw.api.put_gateway_response("DEFAULT_4XX", {"statusCode": 444})
    gw.deploy("prod")
    gw.update_stage("prod", throttling={"rate": 1, "burst": 1})
    client = gw.client("prod")

    first, second = client.get("/pets/1"), client.get("/pets/1")
    missing = client.get("/nowhere")

    assert first.status_code == 200
    assert (second.status_code, second.data) == (444, b'{"message":"Too Many Requests"}')
    assert second.headers["x-amzn-ErrorType"] == "TooManyRequestsException"
    assert missing.status_code == 444


def test_a_customisation_is_live_only_once_deployed(gw: Gateway) -> None:
    gw.deploy("prod")
    gw.api.put_gateway_response("MISSING_AUTHENTICATION_TOKEN", {"statusCode": 404})

    before = gw.client("prod").get("/nowhere").status_code
    assert gw.pending_changes("prod") == [
        "gateway response MISSING_AUTHENTICATION_TOKEN: customised, not deployed"
    ]
    gw.deploy("prod")
    after = gw.client("prod").get("/nowhere").status_code
    gw.api.delete_gateway_response("MISSING_AUTHENTICATION_TOKEN")
    gw.deploy("prod")

    assert (before, after, gw.client("prod").get("/nowhere").status_code) == (403, 404, 403)


def test_request_too_large_cannot_be_customised(gw: Gateway) -> None:
    """AWS's known issues: REQUEST_TOO_LARGE is not customisable."""
    gw.functions.register("echo", lambda e, c: {"statusCode": 200})
    gw.api.put_route("POST /echo", "echo")
    gw.api.put_gateway_response("REQUEST_TOO_LARGE", {"statusCode": 400})
    gw.deploy("prod")

    answer = gw.client("prod").post("/echo", data=b"x" * (6 * 1024 * 1024))

    assert (answer.status_code, answer.data) == (413, b'{"message": "Request Too Long"}')


def test_unknown_type_and_bad_values_are_refused_with_aws_texts(gw: Gateway) -> None:
    with pytest.raises(ConfigError) as unknown:
        gw.api.put_gateway_response("FAKE_RESPONSE_TYPE", {})
    with pytest.raises(ConfigError) as status:
        gw.api.put_gateway_response("THROTTLED", {"statusCode": "wrong"})
    with pytest.raises(ConfigError) as source:
        gw.api.put_gateway_response(
            "THROTTLED", {"responseParameters": {"gatewayresponse.header.x": "method.response.x"}}
        )
    with pytest.raises(NotFoundError, match="Gateway response type not defined on api"):
        gw.api.delete_gateway_response("THROTTLED")
    with pytest.raises(BadRequestError, match="1 validation error detected"):
        gw.api.delete_gateway_response("NOPE")

    assert str(unknown.value).startswith(
        "put_gateway_response: FAKE_RESPONSE_TYPE: 1 validation error detected: Value "
        "'FAKE_RESPONSE_TYPE' at 'responseType' failed to satisfy constraint: Member must "
        "satisfy enum value set: [ACCESS_DENIED, "
    )
    assert "THROTTLED.statusCode: invalid status code 'wrong'" in str(status.value)
    assert (
        "THROTTLED.responseParameters.gatewayresponse.header.x: Invalid mapping expression "
        "specified: Validation Result: warnings : [], errors : [Invalid mapping expression "
        "specified: method.response.x]" in str(source.value)
    )


def test_the_config_declares_them_for_the_api_and_its_declared_deployments(tmp_path) -> None:
    path = tmp_path / "apistages.yaml"
    path.write_text(
        """
api:
  routes:
    GET /pets: {type: MOCK}
  gateway_responses:
    MISSING_AUTHENTICATION_TOKEN:
      statusCode: 404
      responseTemplates: {application/json: '{"gone": "$context.path"}'}
deployments:
  v1:
    routes:
      GET /old: {type: MOCK}
stages:
  prod: {}
  old: {deployment: v1}
"""
    )
    gw = Gateway.from_file(path)

    for stage in ("prod", "old"):
        answer = gw.client(stage).get("/nowhere")
        assert (answer.status_code, answer.json()) == (404, {"gone": f"/{stage}/nowhere"})


def test_a_bad_config_entry_is_located(tmp_path) -> None:
    path = tmp_path / "apistages.yaml"
    path.write_text(
        "api:\n  routes: {GET /pets: {type: MOCK}}\n  gatewayResponses:\n"
        "    THROTTLED: {responseTemplates: {application/json: {a: 1}}}\nstages: {prod: {}}\n"
    )

    with pytest.raises(ConfigError) as error:
        Gateway.from_file(path)

    assert str(error.value) == (
        f"{path}: api.gatewayResponses.THROTTLED.responseTemplates.application/json: a mapping "
        "template is a string, got dict {'a': 1} (write it as a YAML block string (|) or a "
        "quoted string)"
    )
