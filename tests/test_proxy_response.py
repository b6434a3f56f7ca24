"""What the gateway makes of a Lambda proxy function's result, checked against real AWS.

The expected answers come from `tests/data/aws-events/` (see its README): LocalStack's
`test_aws_proxy_response_payload_format_validation` POSTed a proxy response as JSON to an
`ANY /{proxy+}` AWS_PROXY route whose function returns `json.loads(event["body"])`, and recorded
on AWS what the client got. The statuses are the ones that test asserts. Other cases follow
sections 5 and 6 of the API Gateway reference."""

from __future__ import annotations

import base64
import json
import time
from pathlib import Path
from typing import Any

import pytest
from werkzeug.test import TestResponse

from pytest_apistages import Gateway, Integration

DATA = Path(__file__).parent / "data" / "aws-events"
SNAPSHOT_TEST = (
    "tests/aws/services/apigateway/test_apigateway_lambda.py::"
    "test_aws_proxy_response_payload_format_validation"
)
RECORDED: dict[str, Any] = json.loads(
    (DATA / "localstack-test_apigateway_lambda.snapshot.json").read_text(encoding="utf-8")
)[SNAPSHOT_TEST]["recorded-content"]

B64 = base64.b64encode(b"test-data").decode()
# (what the function returns, the status LocalStack's test asserted), per snapshot entry.
CASES: dict[str, tuple[Any, int]] = {
    "invoke-api-no-body": ({"statusCode": 200}, 200),
    "invoke-api-with-headers": (
        {"statusCode": 200, "headers": {"test-header": "value", "header-bool": True}},
        200,
    ),
    "invoke-api-with-headers-null": ({"statusCode": 200, "headers": None}, 200),
    "invoke-api-wrong-format": ({"statusCode": 200, "wrongValue": "value"}, 502),
    # `{}` is falsy, so the test sent no body at all and the function's json.loads(None) raised.
    "invoke-api-empty-response": ({}, 502),
    "invoke-api-b64-encoded-true": ({"statusCode": 200, "body": B64, "isBase64Encoded": True}, 200),
    "invoke-api-b64-encoded-false": ({"statusCode": 200, "body": B64}, 200),
    "invoke-api-multi-headers-valid": (
        {"statusCode": 200, "multiValueHeaders": {"test-multi": ["value1", "value2"]}},
        200,
    ),
    "invoke-api-multi-headers-overwrite": (
        {
            "statusCode": 200,
            "multiValueHeaders": {"test-multi": ["value-multi"]},
            "headers": {"test-multi": "value-solo"},
        },
        200,
    ),
    "invoke-api-multi-headers-overwrite-casing": (
        {
            "statusCode": 200,
            "multiValueHeaders": {"tesT-Multi": ["value-multi"]},
            "headers": {"test-multi": "value-solo"},
        },
        200,
    ),
    "invoke-api-multi-headers-invalid": (
        {"statusCode": 200, "multiValueHeaders": {"test-multi-invalid": "value1"}},
        502,
    ),
    "invoke-api-invalid-status-code": ({"statusCode": "test"}, 502),
    "invoke-api-status-code-str": ({"statusCode": "201"}, 201),
    "invoke-api-just-string": ("justAString", 502),
    "invoke-api-only-headers": ({"headers": {"test-header": "value"}}, 200),
}

# Response headers added by CloudFront (edge endpoint) or by the HTTP server, not by the gateway.
NOT_FROM_THE_GATEWAY = {"Connection", "Date", "Via", "X-Amz-Cf-Id", "X-Amz-Cf-Pop", "X-Cache"}
INTERNAL_SERVER_ERROR = b'{"message": "Internal server error"}'


def response_from_body(event: Any, context: Any) -> Any:
    """LocalStack's LAMBDA_RESPONSE_FROM_BODY."""
    body = event["body"]
    if event.get("isBase64Encoded"):
        body = base64.b64decode(body)
    return json.loads(body)


def gateway(handler: Any = response_from_body, binary_media_types: tuple[str, ...] = ()) -> Gateway:
    gw = Gateway(binary_media_types=binary_media_types)
    gw.functions.register("fn", handler)
    gw.api.put_route("ANY /{proxy+}", "fn")
    gw.deploy("test")
    return gw


def returning(result: Any) -> Any:
    def handler(event: Any, context: Any) -> Any:
        return result

    return handler


def content(response: TestResponse) -> Any:
    """As LocalStack's test read it: JSON if it parses, else the text."""
    try:
        return json.loads(response.data)
    except json.JSONDecodeError:
        return response.data.decode()


def assert_gateway_error(
    gw: Gateway, response: TestResponse, status: int, body: bytes, error_type: str | None
) -> None:
    """A default error answer as reference section 5 gives it: exact body, JSON content type,
    ErrorType, and the request-id headers that match the execution log."""
    assert response.status_code == status
    assert response.data == body
    assert response.headers["Content-Type"] == "application/json"
    assert response.headers.get("x-amzn-ErrorType") == error_type
    request_id = response.headers["x-amzn-RequestId"]
    assert response.headers["x-amz-apigw-id"]
    assert gw.logs("test")[-1].request_id == request_id
    assert gw.logs("test")[-1].message == f"Method completed with status: {status}"


# -- the recorded cases -------------------------------------------------------------------------


def test_every_recorded_case_is_replayed() -> None:
    assert set(CASES) == set(RECORDED)


def as_recorded(response: Any) -> dict[str, str]:
    """Headers as the recorder's HTTP client (requests) shows them: one entry per name, repeated
    lines joined with ", ", under the first line's spelling."""
    seen: dict[str, str] = {}
    spelled: dict[str, str] = {}
    for name, value in response.headers.items():
        key = spelled.setdefault(name.lower(), name)
        seen[key] = f"{seen[key]}, {value}" if key in seen else value
    return seen


@pytest.mark.parametrize("case", list(CASES))
def test_answer_matches_the_recorded_one(case: str) -> None:
    result, status = CASES[case]
    gw = gateway()
    client = gw.client("test")
    if result:
        response = client.post("/test", json=result, headers={"User-Agent": "python/test"})
    else:
        response = client.post("/test", headers={"User-Agent": "python/test"})
    recorded = RECORDED[case]
    assert response.status_code == status
    assert content(response) == recorded["content"]
    if "headers" in recorded:
        expected = {k: v for k, v in recorded["headers"].items() if k not in NOT_FROM_THE_GATEWAY}
        got = as_recorded(response)
        assert sorted(got) == sorted(expected)  # names, case-sensitive
        for name, value in expected.items():
            if not (value.startswith("<") and value.endswith(">")):  # a recorder placeholder
                assert got[name] == value, name
    if status == 502:
        assert_gateway_error(
            gw, response, 502, INTERNAL_SERVER_ERROR, "InternalServerErrorException"
        )


def test_status_code_as_a_string_is_used() -> None:
    gw = gateway(returning({"statusCode": "201"}))
    assert gw.client("test").get("/x").status_code == 201


@pytest.mark.parametrize("status", ["test", "2o1", "200 OK"])
def test_status_code_that_is_not_a_number_is_a_502(status: Any) -> None:
    gw = gateway(returning({"statusCode": status}))
    response = gw.client("test").get("/x")
    assert_gateway_error(gw, response, 502, INTERNAL_SERVER_ERROR, "InternalServerErrorException")


def test_only_headers_is_a_200_with_an_empty_body() -> None:
    gw = gateway(returning({"headers": {"test-header": "value"}}))
    response = gw.client("test").get("/x")
    assert (response.status_code, response.data) == (200, b"")
    assert response.headers["test-header"] == "value"


def test_null_headers_are_accepted() -> None:
    gw = gateway(returning({"statusCode": 200, "headers": None, "multiValueHeaders": None}))
    response = gw.client("test").get("/x")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/json"


def test_non_string_header_values_are_stringified() -> None:
    gw = gateway(returning({"statusCode": 200, "headers": {"yes": True, "no": False}}))
    response = gw.client("test").get("/x")
    assert (response.headers["yes"], response.headers["no"]) == ("true", "false")


@pytest.mark.parametrize("value", ["value1", {"a": "b"}, 1, True])
def test_multi_value_header_that_is_not_a_list_is_a_502(value: Any) -> None:
    gw = gateway(returning({"statusCode": 200, "multiValueHeaders": {"x-multi": value}}))
    response = gw.client("test").get("/x")
    assert_gateway_error(gw, response, 502, INTERNAL_SERVER_ERROR, "InternalServerErrorException")


def test_name_in_both_maps_gives_multi_then_solo_with_the_multi_casing() -> None:
    recorded = RECORDED["invoke-api-multi-headers-overwrite-casing"]["headers"]
    gw = gateway(
        returning(
            {
                "statusCode": 200,
                "multiValueHeaders": {"tesT-Multi": ["value-multi"]},
                "headers": {"test-multi": "value-solo"},
            }
        )
    )
    response = gw.client("test").get("/x")
    assert response.headers.getlist("tesT-Multi") == [recorded["tesT-Multi"]]
    assert recorded["tesT-Multi"] == "value-multi, value-solo"


def test_each_cookie_is_its_own_set_cookie_line() -> None:
    """Several Set-Cookie headers stay several (one joined cookie would be a different cookie)."""
    gw = gateway(returning({"multiValueHeaders": {"Set-Cookie": ["a=1", "b=2"]}}))
    response = gw.client("test").get("/x")
    assert response.headers.getlist("Set-Cookie") == ["a=1", "b=2"]


# `wrongValue` is recorded; `cookies` is an HTTP API response key [GH anomalyco/sst#2760].
@pytest.mark.parametrize("key", ["wrongValue", "cookies"])
def test_unknown_top_level_key_is_a_502(key: str) -> None:
    gw = gateway(returning({"statusCode": 200, key: ["a=b"]}))
    response = gw.client("test").get("/x")
    assert_gateway_error(gw, response, 502, INTERNAL_SERVER_ERROR, "InternalServerErrorException")
    messages = [event.message for event in gw.logs("test")]
    assert messages[-2].startswith(
        "Execution failed due to configuration error: Malformed Lambda proxy response"
    )


@pytest.mark.parametrize("result", ["justAString", ["statusCode", 200], 200, None, True])
def test_result_that_is_not_an_object_is_a_502(result: Any) -> None:
    gw = gateway(returning(result))
    response = gw.client("test").get("/x")
    assert_gateway_error(gw, response, 502, INTERNAL_SERVER_ERROR, "InternalServerErrorException")
    messages = [event.message for event in gw.logs("test")]
    assert messages[-2].startswith(
        "Execution failed due to configuration error: Malformed Lambda proxy response"
    )


def test_headers_sent_as_an_array_are_a_502() -> None:
    gw = gateway(returning({"statusCode": 200, "headers": [{"x-a": "1"}]}))
    response = gw.client("test").get("/x")
    assert_gateway_error(gw, response, 502, INTERNAL_SERVER_ERROR, "InternalServerErrorException")


def test_function_error_is_a_502_with_the_traceback_only_in_the_log() -> None:
    def failing(event: Any, context: Any) -> Any:
        raise RuntimeError("the database is on fire")

    gw = gateway(failing)
    response = gw.client("test").get("/x")
    assert_gateway_error(gw, response, 502, INTERNAL_SERVER_ERROR, "InternalServerErrorException")
    assert len(response.data) == 36
    messages = "\n".join(event.message for event in gw.logs("test"))
    assert "Traceback (most recent call last)" in messages
    assert "RuntimeError: the database is on fire" in messages
    assert "in failing" in messages


@pytest.mark.parametrize(
    "result",
    [
        {"statusCode": 200, "body": object()},
        {"statusCode": 200, "body": b"bytes are not JSON"},
        {"statusCode": 200, "headers": {"x": {1, 2}}},
        object(),
    ],
)
def test_result_that_is_not_json_serialisable_is_a_502(result: Any) -> None:
    gw = gateway(returning(result))
    response = gw.client("test").get("/x")
    assert_gateway_error(gw, response, 502, INTERNAL_SERVER_ERROR, "InternalServerErrorException")
    assert any("Runtime.MarshalError" in event.message for event in gw.logs("test"))


def test_default_content_type_is_json_and_the_functions_own_wins() -> None:
    gw = gateway(returning({"statusCode": 200, "body": "<p>hi</p>"}))
    response = gw.client("test").get("/x")
    assert response.headers.getlist("Content-Type") == ["application/json"]
    gw = gateway(returning({"statusCode": 200, "headers": {"content-type": "text/html"}}))
    response = gw.client("test").get("/x")
    assert response.headers.getlist("Content-Type") == ["text/html"]


def test_success_carries_the_request_ids_and_no_error_type() -> None:
    def echo(event: Any, context: Any) -> Any:
        return {"statusCode": 200, "body": json.dumps(event["requestContext"])}

    gw = gateway(echo)
    response = gw.client("test").get("/x")
    context = response.json()
    assert response.headers["x-amzn-RequestId"] == context["requestId"]
    assert response.headers["x-amz-apigw-id"] == context["extendedRequestId"]
    assert "x-amzn-ErrorType" not in response.headers


# -- base64 bodies and the request's Accept header ----------------------------------------------


@pytest.mark.parametrize(
    ("binary_media_types", "accept", "is_base64", "decoded"),
    [
        ((), "*/*", True, False),  # recorded: invoke-api-b64-encoded-true
        (("application/*",), "application/octet-stream", True, True),
        (("image/png",), "*/*", True, False),
        (("image/png",), "image/png", True, True),
        (("image/png",), "image/png, */*", True, True),
        (("image/png",), "text/html, image/png", True, False),  # only the first value counts
        (("*/*",), "text/html", True, True),
        (("application/*",), "application/octet-stream", False, False),
    ],
)
def test_base64_body_is_decoded_only_when_the_first_accept_is_binary(
    binary_media_types: tuple[str, ...], accept: str, is_base64: bool, decoded: bool
) -> None:
    result = {"statusCode": 200, "body": B64, "isBase64Encoded": is_base64}
    gw = gateway(returning(result), binary_media_types)
    response = gw.client("test").get("/x", headers={"Accept": accept})
    assert response.status_code == 200
    assert response.data == (b"test-data" if decoded else B64.encode())


def test_recorded_base64_body_without_binary_media_types_stays_encoded() -> None:
    gw = gateway(returning({"statusCode": 200, "body": B64, "isBase64Encoded": True}))
    response = gw.client("test").get("/x", headers={"Accept": "*/*"})
    assert response.data.decode() == RECORDED["invoke-api-b64-encoded-true"]["content"]


@pytest.mark.parametrize("body", ["not base64!", "ünïcode"])
def test_invalid_base64_body_for_a_binary_client_is_a_500(body: str) -> None:
    result = {"statusCode": 200, "body": body, "isBase64Encoded": True}
    gw = gateway(returning(result), ("application/*",))
    response = gw.client("test").get("/x", headers={"Accept": "application/octet-stream"})
    assert_gateway_error(gw, response, 500, INTERNAL_SERVER_ERROR, "InternalServerErrorException")


def test_invalid_base64_body_for_a_text_client_passes_through() -> None:
    result = {"statusCode": 200, "body": "not base64!", "isBase64Encoded": True}
    gw = gateway(returning(result), ("application/*",))
    response = gw.client("test").get("/x", headers={"Accept": "text/plain"})
    assert (response.status_code, response.data) == (200, b"not base64!")


# -- the other default error answers a Lambda proxy route can give (reference section 5) --------


def test_integration_timeout_is_a_504() -> None:
    def slow(event: Any, context: Any) -> Any:
        time.sleep(0.2)
        return {"statusCode": 200}

    gw = Gateway()
    gw.functions.register("slow", slow)
    gw.api.put_route("GET /slow", Integration("AWS_PROXY", "slow", timeout_ms=50))
    gw.deploy("test")
    response = gw.client("test").get("/slow")
    assert response.status_code == 504
    assert response.data == b'{"message": "Endpoint request timed out"}'
    assert response.headers["Content-Type"] == "application/json"
    assert response.headers["x-amzn-RequestId"] == gw.logs("test")[-1].request_id


def test_lambda_request_over_6_mb_is_a_413() -> None:
    gw = gateway()
    response = gw.client("test").post("/x", data=b"a" * (6 * 1024 * 1024 + 1))
    assert_gateway_error(
        gw, response, 413, b'{"message": "Request Too Long"}', "BadRequestException"
    )


def test_missing_function_is_a_500_configuration_error() -> None:
    gw = Gateway()
    gw.api.put_route("GET /x", "nobody")
    gw.deploy("test")
    response = gw.client("test").get("/x")
    assert_gateway_error(gw, response, 500, INTERNAL_SERVER_ERROR, "InternalServerErrorException")


def test_a_lambda_integration_called_with_get_fails_as_integration_failure() -> None:
    """Accepted when configured; each call is a 500 typed INTEGRATION_FAILURE (AWS-recorded)."""
    gw = Gateway()
    gw.functions.register("f", lambda event, context: {"statusCode": 200})
    gw.api.put_route("GET /x", {"type": "AWS_PROXY", "function": "f", "httpMethod": "GET"})
    gw.deploy("test")

    response = gw.client("test").get("/x")

    assert_gateway_error(gw, response, 500, INTERNAL_SERVER_ERROR, "InternalServerErrorException")
    assert response.invocation.error == "INTEGRATION_FAILURE"
