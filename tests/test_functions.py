"""Functions, versions and aliases, addressed every way API Gateway can address them."""

import json
import os
import time

import pytest

from pytest_apistages import BadRequestError, Gateway, NotFoundError

ARN = "arn:aws:lambda:us-east-1:123456789012:function"
URI = "arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/{}/invocations"


def reporter(label):
    def handler(event, context):
        return {
            "statusCode": 200,
            "body": json.dumps(
                {
                    "label": label,
                    "function_name": context.function_name,
                    "function_version": context.function_version,
                    "invoked_function_arn": context.invoked_function_arn,
                    "remaining": context.get_remaining_time_in_millis(),
                    "request_id": context.aws_request_id,
                    "memory": context.memory_limit_in_mb,
                    "log_group": context.log_group_name,
                    "env_table": os.environ.get("TABLE"),
                    "env_name": os.environ.get("AWS_LAMBDA_FUNCTION_NAME"),
                    "env_version": os.environ.get("AWS_LAMBDA_FUNCTION_VERSION"),
                    "env_region": os.environ.get("AWS_REGION"),
                }
            ),
        }

    return handler


@pytest.fixture
def gw() -> Gateway:
    gw = Gateway()
    gw.functions.register("pets", reporter("v1"), environment={"TABLE": "t1"}, timeout=10)
    assert gw.functions.publish_version("pets") == "1"
    gw.functions.register("pets", reporter("latest"), environment={"TABLE": "t2"}, timeout=10)
    assert gw.functions.publish_version("pets", reporter("v2")) == "2"
    gw.functions.set_alias("pets", "live", "1")
    gw.functions.set_alias("pets", "next", "2")
    return gw


def call(gw: Gateway, reference: str, variables=None) -> dict:
    gw.api.put_route("GET /x", {"type": "AWS_PROXY", "function": reference})
    gw.deploy("s", variables=variables)
    response = gw.client("s").get("/x")
    assert response.status_code == 200, response.text
    return response.json()


@pytest.mark.parametrize(
    ("reference", "label", "version", "invoked"),
    [
        ("pets", "latest", "$LATEST", f"{ARN}:pets"),
        ("pets:$LATEST", "latest", "$LATEST", f"{ARN}:pets:$LATEST"),
        ("pets:1", "v1", "1", f"{ARN}:pets:1"),
        ("pets:live", "v1", "1", f"{ARN}:pets:live"),
        ("pets:next", "v2", "2", f"{ARN}:pets:next"),
        (f"{ARN}:pets:live", "v1", "1", f"{ARN}:pets:live"),
        (f"{ARN}:pets", "latest", "$LATEST", f"{ARN}:pets"),
        (URI.format(f"{ARN}:pets:2"), "v2", "2", f"{ARN}:pets:2"),
        ("pets:${stageVariables.alias}", "v2", "2", f"{ARN}:pets:next"),
        (URI.format(f"{ARN}:${{stageVariables.fn}}"), "v1", "1", f"{ARN}:pets:live"),
    ],
)
def test_every_reference_form_reaches_the_right_version(gw, reference, label, version, invoked):
    answer = call(gw, reference, variables={"alias": "next", "fn": "pets:live"})

    assert answer["label"] == label
    assert answer["function_version"] == version
    assert answer["invoked_function_arn"] == invoked
    record = gw.invocations()[-1]
    assert record.version == version
    assert record.target == invoked.removeprefix(f"{ARN}:")


def test_handler_gets_a_realistic_context_and_its_environment(gw):
    before = dict(os.environ)

    answer = call(gw, "pets:live")

    assert answer["function_name"] == "pets"
    assert 9000 < answer["remaining"] <= 10000
    assert len(answer["request_id"]) == 36
    assert answer["memory"] == "128"
    assert answer["log_group"] == "/aws/lambda/pets"
    assert (answer["env_table"], answer["env_name"], answer["env_version"]) == ("t1", "pets", "1")
    assert answer["env_region"] == "us-east-1"
    assert dict(os.environ) == before


def test_versions_keep_the_settings_they_were_published_with(gw):
    assert call(gw, "pets:1")["env_table"] == "t1"
    assert call(gw, "pets:2")["env_table"] == "t2"


def test_moving_an_alias_changes_what_runs_without_a_deploy(gw):
    assert call(gw, "pets:live")["label"] == "v1"

    gw.functions.set_alias("pets", "live", "2")

    assert gw.client("s").get("/x").json()["label"] == "v2"


@pytest.mark.parametrize(
    "reference",
    ["nope", "pets:9", "pets:ghost", "pets:${stageVariables.missing}", "arn:aws:s3:::bucket"],
)
def test_unknown_function_version_or_variable_is_a_500_with_a_log_line(gw, reference):
    gw.api.put_route("GET /x", {"type": "AWS_PROXY", "function": reference})
    gw.deploy("s")

    response = gw.client("s").get("/x")

    assert response.status_code == 500
    assert response.get_data() == b'{"message": "Internal server error"}'
    assert response.headers["x-amzn-ErrorType"] == "InternalServerErrorException"
    assert any("configuration error" in e.message for e in gw.logs("s"))


def test_lambda_integration_must_use_post(gw):
    gw.api.put_route("GET /x", {"type": "AWS_PROXY", "function": "pets", "httpMethod": "GET"})
    gw.deploy("s")

    assert gw.client("s").get("/x").status_code == 500


def test_function_over_its_timeout_is_a_502_and_over_the_integration_timeout_a_504():
    gw = Gateway()

    def slow(event, context):
        time.sleep(0.08)
        return {"statusCode": 200}

    gw.functions.register("slow", slow, timeout=1)
    gw.api.put_route("GET /fast-gateway", {"function": "slow", "timeoutInMillis": 50})
    gw.api.put_route("GET /ok", "slow")
    gw.deploy("s")
    client = gw.client("s")

    timed_out = client.get("/fast-gateway")
    assert timed_out.status_code == 504
    assert timed_out.get_data() == b'{"message": "Endpoint request timed out"}'
    assert client.get("/ok").status_code == 200


def test_registry_refuses_bad_input_with_clear_messages(gw):
    with pytest.raises(BadRequestError, match="Invalid function name 'bad name'"):
        gw.functions.register("bad name", reporter("x"))
    with pytest.raises(BadRequestError, match="is not callable"):
        gw.functions.register("ok", "not a function")
    with pytest.raises(NotFoundError, match=r"published versions of 'pets': 1, 2"):
        gw.functions.set_alias("pets", "live", "7")
    with pytest.raises(BadRequestError, match="Invalid alias name '12'"):
        gw.functions.set_alias("pets", "12", "1")
    with pytest.raises(NotFoundError, match=r"functions: pets"):
        gw.functions.publish_version("ghost")
    with pytest.raises(BadRequestError, match="timeout must be 1-900 seconds"):
        gw.functions.register("pets", reporter("x"), timeout=0)
