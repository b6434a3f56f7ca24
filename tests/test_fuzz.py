"""Property tests over large input spaces: whatever arrives (a request, a function's result, a
config file), nothing escapes, every request leaves exactly one record, and the answer is one
AWS would give."""

from __future__ import annotations

import io
import json
import string
import textwrap
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pytest_apistages import ConfigError, Gateway
from pytest_apistages.runtime.request import RAW_HEADERS_KEY

# What the gateway itself may answer; a proxied integration passes on its own status too.
GATEWAY_STATUSES = {200, 201, 400, 403, 404, 413, 429, 500, 502, 504}  # 201: the MOCK
EVENT_KEYS = {
    "resource", "path", "httpMethod", "headers", "multiValueHeaders", "queryStringParameters",
    "multiValueQueryStringParameters", "pathParameters", "stageVariables", "requestContext",
    "body", "isBase64Encoded",
}  # fmt: skip
FUZZ = settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)

events: list[dict[str, Any]] = []


def recording_handler(event: dict[str, Any], context: object) -> dict[str, Any]:
    events.append(event)
    return {"statusCode": 200, "body": json.dumps({"path": event["path"]})}


def fuzz_gateway() -> Gateway:
    gw = Gateway(max_records=50)
    gw.functions.register("echo", recording_handler)
    gw.api.set_binary_media_types(["image/png"])
    gw.api.put_route("ANY /{proxy+}", "echo")
    gw.api.put_route("GET /pets/{id}", "echo")
    gw.api.put_route("POST /mock", {"type": "MOCK", "status": 201, "body": "{}"})
    gw.deploy("prod", variables={"v": "1"})
    gw.deploy_canary("prod", percent=50)
    return gw


GATEWAY = fuzz_gateway()

latin1 = st.text(st.characters(min_codepoint=0, max_codepoint=255), max_size=40)
token = st.text(string.ascii_letters + string.digits + "-_", min_size=1, max_size=20)
paths = st.one_of(
    st.sampled_from(["/prod/pets/1", "/prod/mock", "/prod/", "/prod//x", "//prod/a", "/nope"]),
    st.builds(lambda parts: "/" + "/".join(parts), st.lists(latin1, max_size=5)),
)
methods = st.sampled_from(["GET", "POST", "PUT", "DELETE", "HEAD", "OPTIONS", "PATCH", "ANY",
                           "PROPFIND", "get", ""])  # fmt: skip
headers = st.lists(st.tuples(token, latin1), max_size=8)


def raw_environ(method: str, path: str, query: str, head: list, body: bytes) -> dict[str, Any]:
    return {
        "REQUEST_METHOD": method,
        "PATH_INFO": path,
        "RAW_URI": path + (f"?{query}" if query else ""),
        "QUERY_STRING": query,
        "SERVER_NAME": GATEWAY.host,
        "SERVER_PORT": "443",
        "HTTP_HOST": GATEWAY.host,
        "CONTENT_LENGTH": str(len(body)),
        "wsgi.input": io.BytesIO(body),
        "wsgi.url_scheme": "https",
        RAW_HEADERS_KEY: head,
    }


@FUZZ
@given(methods, paths, latin1, headers, st.binary(max_size=200))
def test_any_raw_request_gets_an_aws_answer_and_one_record(method, path, query, head, body):
    before = GATEWAY.services.records.total
    events.clear()

    status, answer_headers, data = GATEWAY.call(raw_environ(method, path, query, head, body))

    assert status in GATEWAY_STATUSES
    assert GATEWAY.services.records.total == before + 1
    assert dict(answer_headers)["x-amzn-RequestId"]
    for event in events:  # every event a function saw is what AWS would send
        assert set(event) == EVENT_KEYS
        json.dumps(event)


@FUZZ
@given(
    # werkzeug's client itself refuses ? and # in a path and lone surrogates
    st.text(st.characters(blacklist_characters="?#", blacklist_categories=("Cs",)), max_size=30),
    st.dictionaries(st.text(max_size=10), st.text(max_size=30), max_size=5),
    st.one_of(st.none(), st.text(max_size=50), st.binary(max_size=50)),
)
def test_any_test_client_request_gets_an_answer(path, query, data):
    client = GATEWAY.client("prod")
    before = GATEWAY.services.records.total

    response = client.post("/" + path.lstrip("/"), query_string=query, data=data)

    assert response.status_code in GATEWAY_STATUSES
    assert response.invocation.request_id == response.headers["x-amzn-RequestId"]
    assert GATEWAY.services.records.total == before + 1


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4)
    ),
    max_leaves=12,
)
proxy_results = st.one_of(
    json_values,
    st.fixed_dictionaries(
        {},
        optional={
            "statusCode": st.one_of(st.integers(-1000, 1000), st.floats(), st.text(max_size=5)),
            "headers": st.dictionaries(st.text(max_size=12), json_values, max_size=3),
            "multiValueHeaders": st.dictionaries(st.text(max_size=12), json_values, max_size=3),
            "body": json_values,
            "isBase64Encoded": json_values,
        },
    ),
)


@FUZZ
@given(proxy_results, st.sampled_from(["*/*", "image/png", "text/plain"]))
def test_any_lambda_result_is_passed_on_or_refused_as_aws_does(result, accept):
    gw = Gateway()
    gw.api.set_binary_media_types(["image/png"])
    gw.functions.register("fn", lambda event, context: result)
    gw.api.put_route("GET /fn", "fn")
    gw.deploy("prod")

    response = gw.client("prod").get("/fn", headers={"Accept": accept})

    record = gw.invocations()[-1]
    if record.error is None:
        assert 100 <= response.status_code <= 599
        assert isinstance(result, dict)
    else:
        assert (response.status_code, record.error) in {
            (502, "INTEGRATION_FAILURE"),
            (500, "API_CONFIGURATION_ERROR"),  # a body marked base64 that is not
        }


config_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats()
    | st.text(max_size=12)
    | st.just(10**400),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=10), children, max_size=3)
    ),
    max_leaves=8,
)
config_keys = st.sampled_from(
    ["api", "api.name", "api.routes", "api.routes.GET /a", "api.routes.GET /a.status",
     "api.routes.GET /a.body", "api.routes.GET /a.type", "api.binary_media_types", "stages",
     "stages.p", "stages.p.variables", "stages.p.throttling", "stages.p.caching",
     "stages.p.canary", "stages.p.canary.percent", "stages.p.logging", "functions",
     "functions.f", "functions.f.timeout", "backends", "deployments", "api_keys",
     "usage_plans", "account", "max_records"]
)  # fmt: skip


def valid_config() -> dict[str, Any]:
    return {"api": {"routes": {"GET /a": {"type": "MOCK"}}}, "stages": {"p": {}}}


def placed(config: dict[str, Any], key: str, value: Any) -> dict[str, Any]:
    parts = key.split(".")
    target = config
    for part in parts[:-1]:
        if not isinstance(target.get(part), dict):
            target[part] = {}
        target = target[part]
    target[parts[-1]] = value
    return config


@FUZZ
@given(st.lists(st.tuples(config_keys, config_values), min_size=1, max_size=3))
def test_any_config_value_anywhere_is_accepted_or_one_config_error(edits):
    config = valid_config()
    for key, value in edits:
        config = placed(config, key, value)
    try:
        Gateway.from_dict(config)
    except ConfigError as e:
        assert len(str(e)) < 2000
        assert str(e).startswith("config")


@FUZZ
@given(st.text(max_size=300))
def test_any_yaml_text_is_accepted_or_one_config_error(tmp_path_factory, text):
    path = tmp_path_factory.mktemp("fuzz") / "apistages.yaml"
    path.write_text(text, encoding="utf-8")
    try:
        Gateway.from_file(path)
    except ConfigError as e:
        assert str(e).startswith(str(path))


LAUGHS = "[" + ",".join(
    ["&a [x,x,x,x,x,x,x,x,x]"]
    + [f"&{n} [" + ",".join([f"*{p}"] * 9) + "]" for p, n in zip("abcdefg", "bcdefgh", strict=True)]
) + "]"  # fmt: skip


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        (f"api: {{routes: {{GET /a: {{type: MOCK, body: {LAUGHS}}}}}}}\nstages: {{p: {{}}}}",
         "the body holds over 100000 values"),
        ("api: {routes: {GET /a: {type: MOCK, status: " + "1" * 5000 + "}}}\nstages: {p: {}}",
         "Exceeds the limit"),
        (f"api: {{routes: {{GET /a: {{type: MOCK, status: {10**400}}}}}}}\nstages: {{p: {{}}}}",
         "must be 100-599"),
        ("api: " + "[" * 3000 + "]" * 3000, "nesting deeper than 64 levels"),
        ("!!seq a: 1", "a key must be a plain value"),
        ("api: !!int abc", "int value"),
        ("api: !!timestamp 2020-99-99", "timestamp value"),
        ("api: !!python/object:os.system x", "could not determine a constructor"),
    ],
)  # fmt: skip
def test_hostile_yaml_is_one_short_located_error(tmp_path, text, problem):
    path = tmp_path / "apistages.yaml"
    path.write_text(textwrap.dedent(text))

    with pytest.raises(ConfigError) as error:
        Gateway.from_file(path)

    assert problem in str(error.value)
    assert len(str(error.value)) < 500
