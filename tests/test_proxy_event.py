"""The Lambda proxy event (payload format 1.0), checked against events recorded on real AWS.

The expected values come from `tests/data/aws-events/` (see its README). LocalStack's
`test_lambda_aws_proxy_integration` sent eleven requests with `requests` to a REST API with
`ANY /{proxy+}` and `ANY /hardcoded` on stage `stage`, both AWS_PROXY to an echo Lambda, and
recorded on AWS the events the Lambda got. The replays below send the same requests (same URLs,
headers and bodies, over a real socket with `requests`) to a gateway built the same way, and
compare what our echo function receives with what AWS sent."""

from __future__ import annotations

import base64
import json
import re
import uuid
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
import requests

from pytest_apistages import Gateway

DATA = Path(__file__).parent / "data" / "aws-events"
SNAPSHOT_TESTS = "tests/aws/services/apigateway/test_apigateway_lambda.py::"


def _load(name: str) -> Any:
    return json.loads((DATA / name).read_text(encoding="utf-8"))


def _recorded(test: str) -> dict[str, Any]:
    snapshot = _load("localstack-test_apigateway_lambda.snapshot.json")
    content: dict[str, Any] = snapshot[SNAPSHOT_TESTS + test]["recorded-content"]
    return content


PROXY_EVENTS = _recorded("test_lambda_aws_proxy_integration")
DATA_MAPPING_EVENT = _recorded("test_lambda_aws_proxy_integration_request_data_mapping")[
    "http-proxy-invocation-data-mapping"
]["content"]
LAMBDA_GO_EVENT = _load("aws-lambda-go-apigw-request.json")
POWERTOOLS_EVENT = _load("powertools-apiGatewayProxyEvent.json")
REAL_EVENT = _load("real-rest-event.json")

# Headers only an edge-optimized endpoint (CloudFront) adds; the gateway emulates a regional one.
EDGE_ONLY_HEADER = re.compile(r"^(CloudFront-.+|Via|X-Amz-Cf-Id)$")
PLACEHOLDER = re.compile(r"^<([a-zA-Z_-]+)(?::(\d+))?>$")

# The requests LocalStack's test_lambda_aws_proxy_integration sent (test_apigateway_lambda.py).
GET_HEADERS = {
    "User-Agent": "python-requests/testing",
    "tEsT-HEADeR": "aValUE",
    "authorization": "random-value",
}
URL_PARAMS = "&".join(
    [
        "dateTimeOffset=2023-06-12T18:05:10.123456+00:00",
        "email=test%2Balias@gmail.com",
        "plus=test+alias@gmail.com",
        "url=https://www.google.com/",
        "whitespace=foo bar",
        "zhash=abort/#",
        "ignored=this-does-not-appear-after-the-hash",
    ]
)
MULTI_VALUE_REQUEST: dict[str, Any] = {
    "data": json.dumps({"message": "hello world"}),
    "headers": {
        "Content-Type": "application/json;charset=utf-8",
        "aUThorization": "Bearer token123;API key456",
        "User-Agent": "python-requests/testing",
    },
    "params": {"category": ["electronics", "books"], "price": ["10", "20", "30"]},
}
REPLAYS: dict[str, tuple[str, str, dict[str, Any]]] = {
    "invocation-payload-without-trailing-slash": ("GET", "/stage/proxy-value", {}),
    "invocation-payload-with-trailing-slash": ("GET", "/stage/proxy-value/", {}),
    "invocation-payload-with-double-slash": ("GET", "/stage/proxy-value//double-slash", {}),
    "invocation-payload-with-prepended-slash-to-stage": ("GET", "//stage/proxy-value", {}),
    "invocation-payload-with-prepended-slash": ("GET", "/stage//proxy-value", {}),
    "invocation-payload-without-trailing-slash-and-query-params": (
        "GET",
        "/stage/proxy-value?urlparam=test",
        {},
    ),
    "invocation-payload-with-trailing-slash-and-query-params": (
        "GET",
        "/stage/proxy-value/?urlparam=test",
        {},
    ),
    "invocation-payload-with-path-encoded-email": (
        "GET",
        "/stage/proxy-value/api/user/test%2Balias@gmail.com/plus/test+alias@gmail.com",
        {},
    ),
    "invocation-payload-with-params-encoding": ("GET", f"/stage/proxy-value/api?{URL_PARAMS}", {}),
    "invocation-payload-with-params-encoding-multi": (
        "POST",
        "/stage/proxy-value",
        MULTI_VALUE_REQUEST,
    ),
    "invocation-hardcoded": ("GET", "/stage//hardcoded", {}),
}

# What AWS puts in the event as given, field by field (everything else is checked by shape).
FIELDS = (
    "resource",
    "path",
    "httpMethod",
    "pathParameters",
    "queryStringParameters",
    "multiValueQueryStringParameters",
    "stageVariables",
    "isBase64Encoded",
    "requestContext.httpMethod",
    "requestContext.path",
    "requestContext.resourcePath",
    "requestContext.stage",
    "requestContext.protocol",
)


def echo(event: Any, context: Any) -> dict[str, Any]:
    return {"statusCode": 200, "body": json.dumps(event)}


def pick(event: dict[str, Any], dotted: str) -> Any:
    value: Any = event
    for key in dotted.split("."):
        value = value[key]
    return value


def placeholder(value: Any) -> re.Match[str] | None:
    return PLACEHOLDER.match(value) if isinstance(value, str) else None


def sent_headers(recorded_headers: dict[str, Any]) -> dict[str, Any]:
    """The headers of a recorded event that a regional endpoint would also pass on."""
    return {k: v for k, v in recorded_headers.items() if not EDGE_ONLY_HEADER.match(k)}


def replay(base_url: str, host: str, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
    """Send a request as LocalStack's test did: `requests`, with its default headers as they were
    when the events were recorded, and the Host of the API's invoke URL."""
    defaults = PROXY_EVENTS["invocation-payload-without-trailing-slash"]["headers"]
    with requests.Session() as session:
        session.headers["Accept"] = defaults["Accept"]
        session.headers["Accept-Encoding"] = defaults["Accept-Encoding"]
        headers = {"Host": host, **kwargs.pop("headers", GET_HEADERS)}
        response = session.request(method, base_url + path, headers=headers, timeout=10, **kwargs)
    assert response.status_code == 200, response.text
    event: dict[str, Any] = response.json()
    return event


def build(account_id: str, stage: str, *routes: str) -> Gateway:
    gw = Gateway(account_id=account_id)
    gw.functions.register("echo", echo)
    for route in routes:
        gw.api.put_route(route, "echo")
    gw.deploy(stage)
    gw.clock.freeze()
    return gw


@pytest.fixture(scope="module")
def replayed() -> dict[str, dict[str, Any]]:
    """Our event for every recorded case, all from one gateway built like LocalStack's API."""
    first = PROXY_EVENTS["invocation-payload-without-trailing-slash"]
    gw = build(
        first["requestContext"]["accountId"],
        first["requestContext"]["stage"],
        "ANY /{proxy+}",
        "ANY /hardcoded",
    )
    with gw.serve() as base_url:
        return {
            case: replay(base_url, gw.host, method, path, **dict(kwargs))
            for case, (method, path, kwargs) in REPLAYS.items()
        }


@pytest.fixture(scope="module")
def data_mapping_event() -> dict[str, Any]:
    """LocalStack's test_lambda_aws_proxy_integration_request_data_mapping, replayed."""
    context = DATA_MAPPING_EVENT["requestContext"]
    gw = build(context["accountId"], context["stage"], f"ANY {DATA_MAPPING_EVENT['resource']}")
    with gw.serve() as base_url:
        return replay(
            base_url,
            gw.host,
            "POST",
            f"/{context['stage']}/foobar",
            data=json.dumps({"message": "hello world"}),
            headers={
                "Content-Type": "application/json",
                "Accept": "application/json",
                "foobar": "mapped-value",
                "user-Agent": "test/integration",
                "headerVar": "request-value",
            },
            params={"testQueryString": "foo", "testVar": "bar"},
        )


def all_replays(
    replayed: dict[str, dict[str, Any]], data_mapping_event: dict[str, Any]
) -> Iterator[tuple[str, dict[str, Any], dict[str, Any]]]:
    for case, event in replayed.items():
        yield case, event, PROXY_EVENTS[case]
    yield "http-proxy-invocation-data-mapping", data_mapping_event, DATA_MAPPING_EVENT


# -- the replays --------------------------------------------------------------------------------


def test_every_recorded_event_is_replayed() -> None:
    assert set(REPLAYS) == set(PROXY_EVENTS)
    assert REAL_EVENT == PROXY_EVENTS["invocation-payload-without-trailing-slash"]


@pytest.mark.parametrize("case", list(REPLAYS))
def test_values_match_the_recorded_event(replayed: dict[str, dict[str, Any]], case: str) -> None:
    """Paths (with and without the stage), path parameters, query strings, templates."""
    recorded = PROXY_EVENTS[case]
    assert {f: pick(replayed[case], f) for f in FIELDS} == {f: pick(recorded, f) for f in FIELDS}


def test_values_match_the_recorded_path_parameter_event(data_mapping_event: dict[str, Any]) -> None:
    recorded = DATA_MAPPING_EVENT
    assert {f: pick(data_mapping_event, f) for f in FIELDS} == {
        f: pick(recorded, f) for f in FIELDS
    }


def assert_same_shape(ours: Any, recorded: Any, where: str) -> None:
    """Same keys at every level, the same nulls, equal values where AWS's are not placeholders."""
    if where in ("headers", "multiValueHeaders"):
        assert_same_headers(ours, recorded, where)
    elif where == "body" and isinstance(recorded, dict):  # the recorder parsed the JSON body
        assert isinstance(ours, str)
        assert json.loads(ours) == recorded
    elif isinstance(recorded, dict):
        assert isinstance(ours, dict), where
        assert sorted(ours) == sorted(recorded), where
        for key in recorded:
            assert_same_shape(ours[key], recorded[key], f"{where}.{key}".lstrip("."))
    elif placeholder(recorded):
        assert isinstance(ours, (str, int)) and not isinstance(ours, bool), where
        assert ours != "", where
    else:
        assert ours == recorded, where


def assert_same_headers(ours: dict[str, Any], recorded: dict[str, Any], where: str) -> None:
    expected = sent_headers(recorded)
    assert sorted(ours) == sorted(expected), where  # names, case-sensitive
    for name, value in expected.items():
        got = ours[name]
        if where == "multiValueHeaders":
            assert isinstance(got, list) and len(got) == 1, (where, name)
            if not isinstance(value, list):  # the recorder replaced this whole list
                assert placeholder(value), (where, name)
                continue
            value, got = value[0], got[0]
        if placeholder(value):
            assert isinstance(got, str) and got, (where, name)
        else:
            assert got == value, (where, name)


@pytest.mark.parametrize("case", [*REPLAYS, "http-proxy-invocation-data-mapping"])
def test_event_has_the_recorded_shape(
    replayed: dict[str, dict[str, Any]], data_mapping_event: dict[str, Any], case: str
) -> None:
    """Top-level, requestContext and identity keys; null-vs-value; header names and values."""
    events = {c: (ours, rec) for c, ours, rec in all_replays(replayed, data_mapping_event)}
    ours, recorded = events[case]
    assert_same_shape(ours, recorded, "")


def _placeholder_values(ours: Any, recorded: Any, where: str) -> Iterator[tuple[str, Any, str]]:
    """(placeholder, our value, where) for every placeholder in a recorded event."""
    if where == ".body":
        return  # no placeholders in bodies
    if isinstance(recorded, dict):
        for key, value in recorded.items():
            if where.endswith("eaders") and EDGE_ONLY_HEADER.match(key):
                continue
            yield from _placeholder_values(ours[key], value, f"{where}.{key}")
    elif isinstance(recorded, list):
        for i, value in enumerate(recorded):
            yield from _placeholder_values(ours[i], value, f"{where}[{i}]")
    elif placeholder(recorded):
        if isinstance(ours, list):  # the recorder replaced a whole multiValueHeaders list
            (ours,) = ours
        yield recorded, ours, where


def test_placeholders_stand_for_the_same_values(
    replayed: dict[str, dict[str, Any]], data_mapping_event: dict[str, Any]
) -> None:
    """The recorder gave equal values equal placeholders (`<host:1>` for Host and domainName,
    `<api-id>` for apiId and domainPrefix, one `<resource-id:n>` per resource) and numbered
    different ones apart (`<uuid:1>`, `<uuid:2>`: one request id per request)."""
    for events in (
        [(replayed[case], PROXY_EVENTS[case]) for case in REPLAYS],  # one API, one deployment
        [(data_mapping_event, DATA_MAPPING_EVENT)],  # another API
    ):
        seen: dict[str, Any] = {}
        for ours, recorded in events:
            for token, value, where in _placeholder_values(ours, recorded, ""):
                assert seen.setdefault(token, value) == value, (token, where)
        numbered: dict[tuple[str, Any], str] = {}
        for token, value in seen.items():
            match = placeholder(token)
            assert match is not None
            if match.group(2) is not None:
                kind = match.group(1)
                assert numbered.setdefault((kind, value), token) == token, (token, value)


def test_request_ids_and_deployment_id_are_real(replayed: dict[str, dict[str, Any]]) -> None:
    for event in replayed.values():
        context = event["requestContext"]
        assert str(uuid.UUID(context["requestId"])) == context["requestId"]
        assert re.fullmatch(r"[A-Za-z0-9_-]{15}=", context["extendedRequestId"])
        assert re.fullmatch(r"[a-z0-9]{6}", context["resourceId"])
        assert re.fullmatch(r"[a-z0-9]{6}", context["deploymentId"])


# -- what the replays show, one fact at a time --------------------------------------------------


def test_path_has_no_stage_but_request_context_path_does(
    replayed: dict[str, dict[str, Any]],
) -> None:
    for case in (
        "invocation-payload-without-trailing-slash",
        "invocation-payload-with-double-slash",
    ):
        recorded, ours = PROXY_EVENTS[case], replayed[case]
        stage = recorded["requestContext"]["stage"]
        assert recorded["requestContext"]["path"] == f"/{stage}{recorded['path']}"
        assert ours["requestContext"]["path"] == f"/{stage}{ours['path']}"
        assert (ours["path"], ours["requestContext"]["path"]) == (
            recorded["path"],
            recorded["requestContext"]["path"],
        )


def test_trailing_slash_stays_in_path_but_not_in_proxy(
    replayed: dict[str, dict[str, Any]],
) -> None:
    recorded = PROXY_EVENTS["invocation-payload-with-trailing-slash"]
    ours = replayed["invocation-payload-with-trailing-slash"]
    assert recorded["path"].endswith("/")
    assert not recorded["pathParameters"]["proxy"].endswith("/")
    assert (ours["path"], ours["pathParameters"]) == (recorded["path"], recorded["pathParameters"])


def test_double_slash_in_the_greedy_part_is_kept(replayed: dict[str, dict[str, Any]]) -> None:
    recorded = PROXY_EVENTS["invocation-payload-with-double-slash"]
    ours = replayed["invocation-payload-with-double-slash"]
    assert "//" in recorded["pathParameters"]["proxy"]
    assert (ours["path"], ours["pathParameters"]) == (recorded["path"], recorded["pathParameters"])


@pytest.mark.parametrize(
    "case",
    [
        "invocation-payload-with-prepended-slash",
        "invocation-payload-with-prepended-slash-to-stage",
        "invocation-hardcoded",
    ],
)
def test_extra_slashes_around_the_stage(replayed: dict[str, dict[str, Any]], case: str) -> None:
    """`/stage//x` serves `/x` and shows `/stage//x`; `//stage/x` shows `/stage/x`."""
    recorded, ours = PROXY_EVENTS[case], replayed[case]
    assert (ours["path"], ours["requestContext"]["path"], ours["resource"]) == (
        recorded["path"],
        recorded["requestContext"]["path"],
        recorded["resource"],
    )


def test_slashes_before_the_stage_are_not_in_request_context_path() -> None:
    """`requests` sends `GET //stage/x` as written; werkzeug's server folds the slashes before
    the gateway sees them, so this case goes in-process, where nothing folds them."""
    recorded = PROXY_EVENTS["invocation-payload-with-prepended-slash-to-stage"]
    gw = build("123456789012", "stage", "ANY /{proxy+}")
    with gw.intercept():
        response = requests.get(f"https://{gw.host}//stage/proxy-value", timeout=5)
    event = response.json()
    assert (event["path"], event["requestContext"]["path"], event["pathParameters"]) == (
        recorded["path"],
        recorded["requestContext"]["path"],
        recorded["pathParameters"],
    )


def test_path_and_path_parameters_are_not_url_decoded(replayed: dict[str, dict[str, Any]]) -> None:
    recorded = PROXY_EVENTS["invocation-payload-with-path-encoded-email"]
    ours = replayed["invocation-payload-with-path-encoded-email"]
    assert "%2B" in recorded["path"] and "%2B" in recorded["pathParameters"]["proxy"]
    assert ours["path"] == recorded["path"]
    assert ours["pathParameters"] == recorded["pathParameters"]
    assert ours["requestContext"]["path"] == recorded["requestContext"]["path"]


@pytest.mark.parametrize(
    "case",
    [
        "invocation-payload-with-params-encoding",
        "invocation-payload-with-params-encoding-multi",
        "invocation-payload-with-trailing-slash-and-query-params",
    ],
)
def test_query_values_are_decoded_last_value_wins_and_all_are_kept(
    replayed: dict[str, dict[str, Any]], case: str
) -> None:
    """`+` becomes a space, `%2B` a plus, the fragment is not sent; repeated keys keep every
    value in the multi-value map and the last in the single-value one."""
    recorded, ours = PROXY_EVENTS[case], replayed[case]
    assert ours["queryStringParameters"] == recorded["queryStringParameters"]
    assert ours["multiValueQueryStringParameters"] == recorded["multiValueQueryStringParameters"]


def test_query_parameters_are_null_without_a_query_string(
    replayed: dict[str, dict[str, Any]],
) -> None:
    recorded = PROXY_EVENTS["invocation-payload-without-trailing-slash"]
    ours = replayed["invocation-payload-without-trailing-slash"]
    assert recorded["queryStringParameters"] is recorded["multiValueQueryStringParameters"] is None
    assert ours["queryStringParameters"] is ours["multiValueQueryStringParameters"] is None


def test_header_names_keep_the_clients_case(
    replayed: dict[str, dict[str, Any]], data_mapping_event: dict[str, Any]
) -> None:
    """Except Authorization and User-Agent, which AWS passes on capitalised."""
    ours = replayed["invocation-payload-without-trailing-slash"]
    recorded = PROXY_EVENTS["invocation-payload-without-trailing-slash"]
    assert ours["headers"]["tEsT-HEADeR"] == recorded["headers"]["tEsT-HEADeR"]
    assert ours["multiValueHeaders"]["tEsT-HEADeR"] == recorded["multiValueHeaders"]["tEsT-HEADeR"]
    assert "authorization" in GET_HEADERS and "Authorization" in recorded["headers"]
    assert ours["headers"]["Authorization"] == recorded["headers"]["Authorization"]
    multi = replayed["invocation-payload-with-params-encoding-multi"]
    assert multi["headers"]["Authorization"] == "Bearer token123;API key456"
    assert "user-Agent" not in data_mapping_event["headers"]
    assert (
        data_mapping_event["headers"]["User-Agent"] == DATA_MAPPING_EVENT["headers"]["User-Agent"]
    )
    assert data_mapping_event["headers"]["headerVar"] == DATA_MAPPING_EVENT["headers"]["headerVar"]


def test_no_content_length_in_the_event(replayed: dict[str, dict[str, Any]]) -> None:
    recorded = PROXY_EVENTS["invocation-payload-with-params-encoding-multi"]
    ours = replayed["invocation-payload-with-params-encoding-multi"]
    assert recorded["httpMethod"] == "POST" and recorded["body"] is not None
    for event in (recorded, ours):
        for key in ("headers", "multiValueHeaders"):
            assert "content-length" not in {name.lower() for name in event[key]}
    assert json.loads(ours["body"]) == recorded["body"]


def test_no_version_key_unlike_the_documentation_sample(
    replayed: dict[str, dict[str, Any]],
) -> None:
    assert "version" in POWERTOOLS_EVENT  # the HTTP-API-flavoured documentation sample
    for case, event in replayed.items():
        assert "version" not in PROXY_EVENTS[case]
        assert "version" not in event


def test_identity_is_null_but_for_source_ip_and_user_agent(
    replayed: dict[str, dict[str, Any]],
) -> None:
    recorded = PROXY_EVENTS["invocation-payload-without-trailing-slash"]["requestContext"]
    ours = replayed["invocation-payload-without-trailing-slash"]["requestContext"]
    recorded_values = {k for k, v in recorded["identity"].items() if v is not None}
    assert recorded_values == {"sourceIp", "userAgent"}
    assert ours["identity"].keys() == recorded["identity"].keys()
    assert {k for k, v in ours["identity"].items() if v is not None} == recorded_values
    assert ours["identity"]["userAgent"] == recorded["identity"]["userAgent"]
    assert "authorizer" not in recorded and "authorizer" not in ours


# -- what the recordings cannot show directly ---------------------------------------------------


@pytest.mark.parametrize("sample", [LAMBDA_GO_EVENT, POWERTOOLS_EVENT], ids=["lambda-go", "docs"])
def test_request_time_format_and_epoch_milliseconds(sample: dict[str, Any]) -> None:
    expected_time = sample["requestContext"]["requestTime"]
    expected_epoch = sample["requestContext"]["requestTimeEpoch"]
    parsed = datetime.strptime(expected_time, "%d/%b/%Y:%H:%M:%S %z")
    assert int(parsed.timestamp()) == expected_epoch // 1000  # the sample agrees with itself

    gw = build("123456789012", "stage", "ANY /{proxy+}")
    gw.clock.freeze(expected_epoch / 1000)
    event = gw.client("stage").get("/x").json()
    assert event["requestContext"]["requestTime"] == expected_time
    assert event["requestContext"]["requestTimeEpoch"] == expected_epoch
    assert type(event["requestContext"]["requestTimeEpoch"]) is int


def test_stage_variables_are_a_map_when_the_stage_has_some() -> None:
    variables = LAMBDA_GO_EVENT["stageVariables"]
    gw = build("123456789012", "plain", "ANY /{proxy+}")
    gw.deploy("withvars", variables=variables)
    assert gw.client("withvars").get("/x").json()["stageVariables"] == variables
    assert gw.client("plain").get("/x").json()["stageVariables"] is None


def test_domain_name_is_the_host_and_domain_prefix_its_first_label() -> None:
    gw = build("123456789012", "stage", "ANY /{proxy+}")
    event = gw.client("stage").get("/x").json()
    context = event["requestContext"]
    assert context["domainName"] == event["headers"]["Host"] == gw.host
    assert context["domainPrefix"] == context["apiId"] == gw.api_id


def test_semicolon_also_separates_query_parameters() -> None:
    """[DG:api-gateway-known-issues]: `;` splits the query string."""
    gw = build("123456789012", "stage", "ANY /{proxy+}")
    event = gw.client("stage").get("/x?a=1;b=2;a=3").json()
    assert event["queryStringParameters"] == {"a": "3", "b": "2"}
    assert event["multiValueQueryStringParameters"] == {"a": ["1", "3"], "b": ["2"]}


PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\xff\xfe"


@pytest.mark.parametrize(
    ("binary_media_types", "content_type", "data", "encoded"),
    [
        (["image/png"], "image/png", PNG, True),
        (["image/*"], "image/png", PNG, True),
        (["*/*"], "application/json", b'{"a": 1}', True),
        (["image/png"], "application/json", b'{"a": 1}', False),
        ([], "image/png", b"text that is not a png", False),
    ],
)
def test_request_body_is_base64_only_for_binary_media_types(
    binary_media_types: list[str], content_type: str, data: bytes, encoded: bool
) -> None:
    gw = Gateway(binary_media_types=binary_media_types)
    gw.functions.register("echo", echo)
    gw.api.put_route("ANY /{proxy+}", "echo")
    gw.deploy("stage")
    event = gw.client("stage").post("/upload", data=data, headers={"Content-Type": content_type})
    event_json = event.json()
    assert event_json["isBase64Encoded"] is encoded
    if encoded:
        assert event_json["body"] == base64.b64encode(data).decode("ascii")
    else:
        assert event_json["body"] == data.decode("utf-8")


def test_no_body_is_null_and_not_base64() -> None:
    gw = Gateway(binary_media_types=["*/*"])
    gw.functions.register("echo", echo)
    gw.api.put_route("ANY /{proxy+}", "echo")
    gw.deploy("stage")
    event = gw.client("stage").get("/x").json()
    assert (event["body"], event["isBase64Encoded"]) == (None, False)


def test_intercepted_requests_do_not_send_the_url_fragment() -> None:
    recorded = PROXY_EVENTS["invocation-payload-with-params-encoding"]
    gw = build("123456789012", "stage", "ANY /{proxy+}")
    with gw.intercept():
        event = requests.get(gw.url("stage", f"/proxy-value/api?{URL_PARAMS}"), timeout=5).json()
    assert event["queryStringParameters"] == recorded["queryStringParameters"]
