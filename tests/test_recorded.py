"""Behaviour recorded on real AWS, each test citing the recording it follows: LocalStack's
AWS-validated tests (`tests/aws/services/apigateway/` in localstack/localstack), by snapshot
file, test and key."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest
import responses
from werkzeug.wrappers import Request, Response

from pytest_apistages import BadRequestError, ConfigError, Gateway

# Every header the recording's client sent (test_apigateway_integrations.py, header remapping)
SENT = {
    "Accept": "application/json", "Accept-Charset": "UTF-8", "Accept-Encoding": "gzip",
    "Age": "1", "Authorization": "Bearer x", "Content-Encoding": "identity",
    "Content-MD5": "Q2hlY2sgSW50ZWdyaXR5IQ==", "Content-Type": "application/json",
    "Date": "Thu, 01 Dec 2026 00:00:00 GMT", "Expect": "100-continue", "Max-Forwards": "10",
    "Pragma": "no-cache", "Proxy-Authenticate": "Basic", "Range": "bytes=0-", "Referer": "x",
    "Server": "client", "TE": "trailers", "Trailer": "Expires", "Upgrade": "websocket",
    "User-Agent": "localStack/0.0", "Via": "1.0 fred", "Warn": "199 x",
    "WWW-Authenticate": "Basic",
}  # fmt: skip
DROPPED = {
    "Connection", "Content-Length", "Content-MD5", "Expect", "Max-Forwards",
    "Proxy-Authenticate", "Server", "TE", "Trailer", "Transfer-Encoding", "Upgrade",
    "WWW-Authenticate",
}  # fmt: skip


def echo_headers(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return {"statusCode": 200, "body": json.dumps(event["headers"])}


@Request.application
def header_backend(request: Request) -> Response:
    return Response(json.dumps(dict(request.headers)), content_type="application/json")


def gateway() -> Gateway:
    gw = Gateway()
    gw.functions.register("echo", echo_headers)
    gw.backends.mount("backend.internal", header_backend)
    gw.api.put_route("POST /lambda", "echo")
    gw.api.put_route("POST /proxy", "http://backend.internal/h")
    gw.api.put_route("POST /http", {"type": "HTTP", "uri": "http://backend.internal/h"})
    gw.api.put_route("POST /mock", {"type": "MOCK", "body": "{}"})
    gw.deploy("prod")
    return gw


def test_lambda_proxy_events_lack_the_headers_aws_drops():
    """test_apigateway_integrations.snapshot.json, TestApiGatewayHeaderRemapping::
    test_apigateway_header_remapping_aws[AWS_PROXY], no-param-integration.headers"""
    seen = gateway().client("prod").post("/lambda", headers=SENT, data="{}").json()

    assert DROPPED.isdisjoint(seen)
    kept = set(SENT) - DROPPED
    assert kept <= set(seen)
    assert {"X-Forwarded-For", "X-Forwarded-Port", "X-Forwarded-Proto", "X-Amzn-Trace-Id"} <= set(
        seen
    )


def test_http_proxy_also_drops_content_encoding_and_via():
    """test_apigateway_header_remapping_http[HTTP_PROXY], no-param-integration.headers (the
    backend gets a Content-Length of its own for the body)"""
    seen = gateway().client("prod").post("/proxy", headers=SENT, data="{}").json()

    names = {name.lower() for name in seen}
    never = {n.lower() for n in DROPPED | {"Content-Encoding", "Via"}} - {"content-length"}
    assert never.isdisjoint(names)
    assert {"x-amzn-apigateway-api-id", "x-amzn-trace-id", "authorization", "warn"} <= names
    assert seen["Host"] == "backend.internal"


def test_http_non_proxy_sends_its_own_accept_and_passes_the_content_type():
    """test_apigateway_http.snapshot.json, test_http_integration_with_lambda[HTTP]: the
    backend got `accept: application/json` when the client sent application/xml."""
    seen = (
        gateway()
        .client("prod")
        .post("/http", headers={"Accept": "application/xml", "X-Other": "1"}, json={"a": 1})
        .json()
    )

    assert seen["Accept"] == "application/json"
    assert seen["Content-Type"] == "application/json"
    assert "X-Other" not in seen


@pytest.mark.parametrize(
    ("path", "has_trace_id"),
    [("/mock", False), ("/proxy", False), ("/lambda", True), ("/http", True)],
)
def test_which_answers_carry_a_trace_id(path, has_trace_id):
    """MOCK never (test_apigateway_common, test_invocation_trace_id, normal-req-headers-MOCK);
    HTTP_PROXY only when the backend sent one (header remapping, response-headers); Lambda
    and HTTP answers always."""
    response = gateway().client("prod").post(path, data="{}")

    assert ("X-Amzn-Trace-Id" in response.headers) is has_trace_id


def test_an_http_proxy_backends_own_trace_id_reaches_the_client():
    @Request.application
    def traced(request: Request) -> Response:
        return Response("{}", headers={"X-Amzn-Trace-Id": "Root=1-backend"})

    gw = Gateway()
    gw.backends.mount("traced.internal", traced)
    gw.api.put_route("GET /t", "http://traced.internal/")
    gw.deploy("prod")

    assert gw.client("prod").get("/t").headers["X-Amzn-Trace-Id"] == "Root=1-backend"


PNG = base64.b64encode(b"\x89PNG\r\n\x1a\nfake").decode()


def binary_gateway(types: list[str], content_type: str | None = "image/png") -> Gateway:
    headers = {"Content-Type": content_type} if content_type else {}
    gw = Gateway(binary_media_types=types)
    gw.functions.register(
        "png", lambda e, c: {"isBase64Encoded": True, "headers": headers, "body": PNG}
    )
    gw.api.put_route("GET /png", "png")
    gw.deploy("prod")
    return gw


@pytest.mark.parametrize(
    ("types", "content_type", "accept", "binary"),
    [
        ([], "image/png", "image/png", False),
        (["image/png", "*/test"], "image/png", "image/png", True),
        (["image/png", "*/test"], "image/png", "image/jpg", False),
        (["image/png", "*/test"], "image/png", "image/*", False),
        (["image/png", "*/test"], "image/png", "*/test", False),
        (["image/png", "*/test"], "image/png", "random/test", False),
        (["image/png", "*/test"], "image/png", "*/*", False),
        (["image/png", "*/test"], "image/png", "image/webp,image/png,*/*;q=0.8", False),
        (["image/png", "*/test"], "image/png", "image/png,image/*,*/*;q=0.8", True),
        (["image/png", "application/*", "image/jpg"], "application/test", "application/test",
         True),
        (["image/png", "application/*", "image/jpg"], "application/test", "application/*", True),
        (["image/png", "application/*", "image/jpg"], "image/png", "image/jpg", True),
        (["image/png", "application/*", "image/jpg"], None, "image/png", True),
        (["image/png", "application/*", "image/jpg"], "image/png", "application", False),
    ],
)  # fmt: skip
def test_binary_media_types_decide_by_the_first_accept_value(types, content_type, accept, binary):
    """test_apigateway_lambda.py::test_aws_proxy_binary_response (asserted, not snapshotted)."""
    response = (
        binary_gateway(types, content_type).client("prod").get("/png", headers={"Accept": accept})
    )

    assert response.status_code == 200
    assert response.get_data() == (base64.b64decode(PNG) if binary else PNG.encode())


@pytest.mark.parametrize(
    ("integration", "message"),
    [
        ({"type": "AWS_PROXY", "uri": "non-valid-arn"}, "Invalid ARN specified in the request"),
        ({"type": "AWS_PROXY",
          "uri": "arn:aws:lambda:us-east-1:123456789012:function:pets"},
         "AWS ARN for integration must contain path or action"),
        ({"type": "AWS_PROXY",
          "uri": "arn:aws:apigateway:us-east-1:lambda:test/2015-03-31/functions/x/invocations"},
         "AWS ARN for integration must contain path or action"),
        ({"type": "AWS_PROXY", "uri": "arn:aws:apigateway:us-east-1:lambda:path/random/value"},
         "Integrations of type 'AWS_PROXY' currently only supports Lambda function and Firehose "
         "stream invocations."),
        ({"type": "AWS_PROXY",
          "uri": "arn:aws:apigateway:us-east-1:firehose:path/2015-03-31/functions/x/invocations"},
         "Integrations of type 'AWS_PROXY' currently only supports Lambda function and Firehose "
         "stream invocations."),
        ({"type": "HTTP_PROXY", "uri": "non-valid-http"},
         "Invalid HTTP endpoint specified for URI"),
    ],
)  # fmt: skip
def test_put_integration_refuses_uris_with_aws_texts(integration, message):
    """test_apigateway_integrations / test_apigateway_lambda snapshots:
    test_put_integration_validation (invalid-uri-*), test_put_integration_aws_proxy_uri."""
    with pytest.raises(ConfigError) as refused:
        Gateway().api.put_route("GET /x", integration)

    assert message in str(refused.value)


def test_api_key_values_follow_aws_limits():
    """test_apigateway_extended.snapshot.json, TestApigatewayApiKeysCrud::
    test_create_api_key_with_invalid_value"""
    keys = Gateway().api_keys
    with pytest.raises(BadRequestError, match="API Key value exceeds maximum size of 128"):
        keys.create("long", "k" * 129)
    with pytest.raises(BadRequestError, match="API Key value should be at least 20 characters"):
        keys.create("short", "short")

    generated = keys.create("empty", "")  # create-api-key-empty-value: a generated key

    assert len(generated.value) >= 20
    assert keys.create("max", "k" * 128).value == "k" * 128


def test_access_log_values_must_not_be_empty():
    """test_apigateway_api.snapshot.json, test_stage_access_log_settings_validation,
    update-stage-access-log-format-empty"""
    gw = gateway()
    with pytest.raises(BadRequestError, match="^Access Log value must not be empty"):
        gw.update_stage("prod", access_log={"format": "", "destination": "logs"})


@pytest.mark.parametrize(("stage", "shown"), [("", ""), (None, "null")])
def test_a_canary_deployment_needs_a_stage_name(stage, shown):
    """test_apigateway_canary.snapshot.json, test_create_canary_deployment_validation,
    create-canary-deployment-no-stage and -empty-stage"""
    with pytest.raises(BadRequestError) as refused:
        gateway().deploy_canary(stage, percent=10)

    assert str(refused.value) == (
        "Invalid deployment content specified.Non null and non empty stageName must be provided "
        f"for canary deployment. Provided value is {shown}"
    )


def test_a_plain_deploy_to_a_stage_with_a_canary_is_refused_as_on_aws():
    """The text AWS gave through CloudFormation (quoted in our issue tracker); the stage and
    its canary stay as they were."""
    gw = gateway()
    gw.deploy_canary("prod", percent=10)
    before = gw.stage("prod")

    with pytest.raises(BadRequestError) as refused:
        gw.deploy("prod")

    assert str(refused.value).startswith(
        "Invalid deployment content specified.Non canary deployment not supported on stage prod "
        "because Canary is enabled. Provide CanarySettings in deploymentInput."
    )
    assert gw.stage("prod") == before
    gw.remove_canary("prod")
    assert gw.deploy("prod").id == gw.stage("prod").deployment_id


@responses.activate
def test_the_http_proxy_backend_through_requests_gets_the_same_headers():
    """The same recording, for a backend that is not mounted (reached through `requests`)."""
    seen: dict[str, str] = {}

    def backend(request):
        seen.update(request.headers)
        return 200, {}, "{}"

    responses.add_callback("POST", "http://remote.example/h", callback=backend)
    gw = Gateway()
    gw.api.put_route("POST /proxy", "http://remote.example/h")
    gw.deploy("prod")

    gw.client("prod").post("/proxy", headers=SENT, data="{}")

    names = {name.lower() for name in seen}
    assert {"content-encoding", "via", "expect", "te", "upgrade", "server"}.isdisjoint(names)
    assert {"accept", "authorization", "warn", "user-agent"} <= names
