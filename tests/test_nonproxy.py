"""MOCK, HTTP and AWS (non-proxy) integrations through a Gateway: mapping templates,
overrides, passthrough behaviour, integration responses, parameter mapping and refused
configurations. Each test cites what real AWS answered (LocalStack's
AWS-validated snapshots) or the AWS documentation (mapping-templates.md, [DG:page])."""

from __future__ import annotations

import base64
import json
from typing import Any
from urllib.parse import parse_qsl

import pytest
from werkzeug.wrappers import Request, Response

from pytest_apistages import ConfigError, Gateway

INTERNAL_ERROR = b'{"message": "Internal server error"}'
UNSUPPORTED = b'{"message":"Unsupported Media Type"}'
LAMBDA_URI = (
    "arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/"
    "arn:aws:lambda:us-east-1:123456789012:function:{}/invocations"
)
BACKEND = "http://backend.internal"


class Backend:
    """An in-process HTTP backend that keeps what it received; `/status/NNN` answers NNN."""

    def __init__(self) -> None:
        self.seen: list[dict[str, Any]] = []

    @Request.application
    def __call__(self, request: Request) -> Response:
        seen = {
            "path": request.path,
            "query": request.environ.get("QUERY_STRING", ""),
            "headers": list(request.headers.items()),
            "body": request.get_data(as_text=True),
        }
        self.seen.append(seen)
        status = int(request.path.split("/")[-1]) if request.path.startswith("/status/") else 200
        answer = {"seen": seen, "nested": {"field": "from-body"}}
        response = Response(json.dumps(answer), status=status, content_type="application/json")
        response.headers["X-Backend"] = "echo"
        return response

    def header(self, name: str, index: int = -1) -> list[str]:
        return [v for k, v in self.seen[index]["headers"] if k.lower() == name.lower()]


def setup(*routes: tuple[Any, ...], **functions: Any) -> tuple[Gateway, Any, Backend]:
    """A gateway with the echo backend mounted, `functions` registered and `routes` (key,
    integration, put_route keywords) deployed to `dev`."""
    gw, backend = Gateway("nonproxy"), Backend()
    gw.backends.mount("backend.internal", backend)
    for name, handler in functions.items():
        gw.functions.register(name, handler)
    for key, integration, *keywords in routes:
        gw.api.put_route(key, integration, **(keywords[0] if keywords else {}))
    gw.deploy("dev")
    return gw, gw.client("dev"), backend


def mock(template: str, responses: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"type": "MOCK", "requestTemplates": {"application/json": template},
            "responses": responses, **extra}  # fmt: skip


def answer(status: int, template: str | None = None, **extra: Any) -> dict[str, Any]:
    """An integration response; `template` is its application/json response template."""
    templates = {} if template is None else {"application/json": template}
    return {"statusCode": str(status), "responseTemplates": templates, **extra}


def messages(gw: Gateway, stage: str = "dev") -> list[str]:
    return [event.message for event in gw.logs(stage)]


def assert_internal_error(response: Any) -> None:
    assert response.status_code == 500
    assert response.data == INTERNAL_ERROR
    assert response.headers["x-amzn-ErrorType"] == "InternalServerErrorException"


# -- MOCK --------------------------------------------------------------------------------------


def test_mock_reads_an_unquoted_status_key_and_answers_an_empty_body() -> None:
    """test_apigateway_integrations.snapshot.json, test_integration_mock_with_path_param
    Recorded: `{statusCode: 200}`, `2\\d{2}` without templates → 200, body b""."""
    integration = mock("{statusCode: 200}", {"2\\d{2}": answer(200)}, requestParameters={
        "integration.request.path.integrationPath": "method.request.path.testPath"})  # fmt: skip
    gw, client, _ = setup(("GET /{testPath}", integration))
    response = client.get("/test-path")
    assert response.status_code == 200
    assert response.data == b""


SCOPE_TEMPLATE = """{#if( $input.params('scope') == "internal" )
  "statusCode": 200#else "statusCode": 500#end}"""


@pytest.mark.parametrize(("scope", "status", "body"), [
    ("internal", 200, {"scope": "internal"}),
    ("public", 500, {"message": "The invoked method is not supported on the API resource."}),
])  # fmt: skip
def test_mock_status_comes_from_the_request_template(scope: str, status: int, body: Any) -> None:
    """[DG:how-to-mock-integration] (mapping-templates.md §3): the template's statusCode is
    what selection patterns match."""
    responses = {
        "default": answer(200, '{"scope": "internal"}'),
        "5\\d{2}": answer(500, json.dumps(body)),
    }
    gw, client, _ = setup(("GET /mock", mock(SCOPE_TEMPLATE, responses)))
    response = client.get(f"/mock?scope={scope}")
    assert response.status_code == status
    assert response.json() == body


@pytest.mark.parametrize(("mock_status", "expected"), [(404, 404), (403, 400), (201, 200)])
def test_among_matching_patterns_the_one_with_the_mock_status_wins(
    mock_status: int, expected: int
) -> None:
    """mapping-templates.md §3 (measured on AWS, [GH ministackorg/ministack#1756]): when
    several patterns match, the integration response whose statusCode is the MOCK status."""
    responses = {"4\\d{2}": answer(400), "40\\d": answer(404), "default": answer(200)}
    template = f'{{"statusCode": {mock_status}}}'
    gw, client, _ = setup(("GET /m", mock(template, responses)))
    assert client.get("/m").status_code == expected


OVERRIDE_PATH_REQUEST = """#set($body = $util.base64Decode($input.params('testPath')))
#set($context.requestOverride.path.body = $body)
{ "statusCode": 200 }"""
OVERRIDE_PATH_RESPONSE = """#set($body = $util.parseJson($context.requestOverride.path.body))
#set($inputBody = $body.message)
#if($inputBody == "path1") { "response": "path was path one" }
#elseif($inputBody == "path2") { "response": "path was path two" }
#else { "response": "this is the else clause" } #end"""


@pytest.mark.parametrize(("message", "expected"), [
    ("path1", "path was path one"),
    ("path2", "path was path two"),
    ("whatever", "this is the else clause"),
])  # fmt: skip
def test_a_request_override_is_readable_in_the_mock_response_template(
    message: str, expected: str
) -> None:
    """test_apigateway_integrations.snapshot.json,
    test_integration_mock_with_request_overrides_in_response_template."""
    integration = mock(OVERRIDE_PATH_REQUEST, {"2\\d{2}": answer(200, OVERRIDE_PATH_RESPONSE)})
    gw, client, _ = setup(("GET /{testPath}", integration))
    path = base64.b64encode(json.dumps({"message": message}).encode()).decode()
    response = client.get(f"/{path}")
    assert response.status_code == 200
    assert response.json() == {"response": expected}


RESPONSE_OVERRIDE_REQUEST = """#set($context.responseOverride.status = 444)
#set($context.responseOverride.header.foo = "bar")
#set($context.responseOverride.custom = "is also passed around")
{ "statusCode": 200 }"""
RESPONSE_OVERRIDE_RESPONSE = """#set($statusOverride = $context.responseOverride.status)
#set($fooHeader = $context.responseOverride.header.foo)
#set($custom = $context.responseOverride.custom)
{"statusOverride":"$statusOverride","fooHeader":"$fooHeader","custom":"$custom"}"""


@pytest.mark.parametrize("with_template", [True, False])
def test_a_response_override_set_in_the_request_template_applies(with_template: bool) -> None:
    """test_apigateway_integrations.snapshot.json,
    test_integration_mock_with_response_override_in_request_template[True/False]
    Recorded: 444 (no method response needed) and `foo: bar`; without a template, body b""."""
    template = RESPONSE_OVERRIDE_RESPONSE if with_template else None
    integration = mock(RESPONSE_OVERRIDE_REQUEST, {"2\\d{2}": answer(200, template)})
    gw, client, _ = setup(("GET /o", integration, {"method_responses": {200: {}}}))
    response = client.get("/o")
    assert response.status_code == 444
    assert response.headers["foo"] == "bar"
    if with_template:
        assert response.json() == {
            "custom": "is also passed around", "fooHeader": "bar", "statusOverride": "444"
        }  # fmt: skip
    else:
        assert response.data == b""


def test_override_maps_take_bracket_put_and_context_bracket_assignments() -> None:
    """test_apigateway_integrations.snapshot.json, test_integration_mock_with_vtl_map_assignation
    ."""
    request = """#set($paramName = "foo")
#set($context.requestOverride.querystring[$paramName] = "bar")
#set($paramPutName = "putfoo")
$context.requestOverride.querystring.put($paramPutName, "putBar")
#set($context["requestOverride"].querystring["nestedfoo"] = "nestedFoo")
{ "statusCode": 200 }"""
    response_template = (
        '{"value": "$context.requestOverride.querystring["foo"]", '
        '"value2": "$context.requestOverride.querystring["putfoo"]", '
        '"value3": "$context.requestOverride.querystring["nestedfoo"]"}'
    )
    gw, client, _ = setup(("GET /map", mock(request, {"default": answer(200, response_template)})))
    response = client.get("/map")
    assert response.status_code == 200
    assert response.json() == {"value": "bar", "value2": "putBar", "value3": "nestedFoo"}


def test_an_override_set_twice_is_a_500_with_the_reason_logged() -> None:
    """[DG:apigateway-override-request-response-parameters] (mapping-templates.md §2.5): each
    parameter may be overridden once; a second assignment is a 5XX."""
    template = (
        '#set($context.responseOverride.header.foo = "a")'
        '#set($context.responseOverride.header.foo = "b"){"statusCode": 200}'
    )
    gw, client, _ = setup(("GET /twice", mock(template, {"default": answer(200)})))
    assert_internal_error(client.get("/twice"))
    logged = [m for m in messages(gw) if "$context.responseOverride.header.foo" in m]
    assert logged and "more than once" in logged[0]


# -- passthroughBehavior -----------------------------------------------------------------------

RAW, TEMPLATED = "raw text", '{"templated": true}'


@pytest.mark.parametrize(("behaviour", "templates", "content_type", "expected"), [
    ("WHEN_NO_MATCH", True, "application/json", TEMPLATED),
    ("WHEN_NO_MATCH", True, "application/json; charset=UTF-8", TEMPLATED),
    ("WHEN_NO_MATCH", True, "text/plain", RAW),
    ("WHEN_NO_MATCH", False, "text/plain", RAW),
    ("WHEN_NO_TEMPLATES", True, "application/json", TEMPLATED),
    ("WHEN_NO_TEMPLATES", True, "text/plain", 415),
    ("WHEN_NO_TEMPLATES", False, "text/plain", RAW),
    ("NEVER", True, "application/json", TEMPLATED),
    ("NEVER", True, "text/plain", 415),
    ("NEVER", False, "text/plain", 415),
    ("NEVER", True, None, TEMPLATED),
])  # fmt: skip
def test_passthrough_behaviour_table(
    behaviour: str, templates: bool, content_type: str | None, expected: str | int
) -> None:
    """mapping-templates.md §1.1 ([DG:integration-passthrough-behaviors], [DG:request-response-
    data-mappings]: the MIME type alone; no Content-Type is application/json, as in
    test_sqs_aws_integration, where NEVER with no Content-Type used the JSON template)."""
    integration = {
        "type": "HTTP", "uri": f"{BACKEND}/p", "httpMethod": "POST",
        "passthroughBehavior": behaviour, "responses": {"default": answer(200)},
        "requestTemplates": {"application/json": TEMPLATED} if templates else {},
    }  # fmt: skip
    gw, client, backend = setup(("POST /p", integration))
    headers = {"Content-Type": content_type} if content_type else {}
    response = client.post("/p", data=RAW.encode(), headers=headers)
    if expected == 415:
        assert response.status_code == 415
        assert response.data == UNSUPPORTED
        assert backend.seen == []
    else:
        assert response.status_code == 200
        assert backend.seen[0]["body"] == expected


# -- HTTP (non-proxy) --------------------------------------------------------------------------


def http(uri: str, **extra: Any) -> dict[str, Any]:
    return {"type": "HTTP", "uri": f"{BACKEND}{uri}", "httpMethod": "POST", **extra}


def test_the_backend_gets_the_rendered_request_template() -> None:
    """[DG:api-gateway-mapping-template-reference]; test_input_body_formatting
    Recorded: `$input.body` of an empty body is `{}`."""
    template = '{"name": "$input.path(\'$.name\')", "q": "$input.params(\'q\')"}'
    sqs_like = "Action=SendMessage&MessageBody=$input.body"
    gw, client, backend = setup(
        ("POST /t", http("/t", requestTemplates={"application/json": template})),
        ("POST /sqs", http("/sqs", requestTemplates={"application/json": sqs_like})),
    )
    client.post("/t?q=query", json={"name": "rex"})
    client.post("/sqs", headers={"Content-Type": "application/json"})
    client.post("/sqs", data=b"some raw data", headers={"Content-Type": "application/json"})
    assert [seen["body"] for seen in backend.seen] == [
        '{"name": "rex", "q": "query"}',
        "Action=SendMessage&MessageBody={}",
        "Action=SendMessage&MessageBody=some raw data",
    ]


def test_http_responses_are_selected_by_the_backend_status_and_rendered() -> None:
    """test_apigateway_integrations.py, test_http_integration_status_code_selection
    Recorded: `4\\d{2}` maps 404 to 400, 201 falls to the default 200;
    test_http_integration_invoke_status_code_passthrough (§6): `$input.json('$')` renders the
    backend body (compact JSON)."""
    integration = http(
        "/status/{status}",
        httpMethod="GET",
        requestParameters={"integration.request.path.status": "method.request.path.status"},
        responses={"default": answer(200, "$input.json('$')"), "4\\d{2}": answer(400)},
    )
    keywords = {"request_parameters": {"method.request.path.status": True},
                "method_responses": {200: {}, 400: {}}}  # fmt: skip
    gw, client, backend = setup(("GET /{status}", integration, keywords))
    not_found, created = client.get("/404"), client.get("/201")
    assert (not_found.status_code, created.status_code) == (400, 200)
    assert [seen["path"] for seen in backend.seen] == ["/status/404", "/status/201"]
    assert json.loads(not_found.data)["seen"]["path"] == "/status/404"  # no template: as sent
    expected = {"seen": backend.seen[-1], "nested": {"field": "from-body"}}
    assert created.data == json.dumps(expected, separators=(",", ":")).encode()


def test_response_parameters_map_headers_body_fields_and_literals() -> None:
    """mapping-templates.md §4.2 ([DG:request-response-data-mappings]); the renaming is
    TestApiGatewayHeaderRemapping: Server, Authorization, User-Agent become
    x-amzn-Remapped-*, Pragma and Content-Type pass as set."""
    parameters = {
        "method.response.header.X-From-Header": "integration.response.header.X-Backend",
        "method.response.header.X-From-Body": "integration.response.body.nested.field",
        "method.response.header.X-Literal": "'fixed'",
        "method.response.header.Server": "'response_param_Server'",
        "method.response.header.Authorization": "'response_param_Authorization'",
        "method.response.header.User-Agent": "'response_param_User-Agent'",
        "method.response.header.Pragma": "'response_param_Pragma'",
        "method.response.header.Content-Type": "'response_param_Content-Type'",
    }
    integration = http("/r", responses={"default": answer(200, responseParameters=parameters)})
    declared = {200: {"responseParameters": dict.fromkeys(parameters, False)}}
    gw, client, _ = setup(("POST /r", integration, {"method_responses": declared}))
    headers = client.post("/r").headers
    assert headers["X-From-Header"] == "echo"
    assert headers["X-From-Body"] == "from-body"
    assert headers["X-Literal"] == "fixed"
    for name in ("Server", "Authorization", "User-Agent"):
        assert headers[f"x-amzn-Remapped-{name}"] == f"response_param_{name}"
        assert name not in headers
    assert headers["Pragma"] == "response_param_Pragma"
    assert headers.getlist("Content-Type") == ["response_param_Content-Type"]
    assert "X-Backend" not in headers  # backend headers are not passed on without a mapping


def test_no_matching_and_no_default_response_is_a_500() -> None:
    """mapping-templates.md §4.1 ([DG:supported-gateway-response-types],
    API_CONFIGURATION_ERROR); LS-impl's log text."""
    gw, client, _ = setup(("POST /n", http("/status/404", responses={"2\\d{2}": answer(200)})))
    assert_internal_error(client.post("/n"))
    assert any("No match for output mapping and no default" in m for m in messages(gw))


# -- HTTP_PROXY parameter mapping --------------------------------------------------------------


def test_http_proxy_merges_mapped_parameters_into_the_forwarded_request() -> None:
    """test_apigateway_http.snapshot.json, test_http_proxy_integration_request_data_mappings
    ."""
    integration = {
        "type": "HTTP_PROXY", "httpMethod": "POST",
        "uri": f"{BACKEND}/echo?testVar={{pathVar}}&testQs={{qsVar}}",
        "requestParameters": {
            "integration.request.header.headerVar": "method.request.header.foobar",
            "integration.request.path.qsVar": "method.request.querystring.testVar",
            "integration.request.path.pathVar": "method.request.path.pathVariable",
            "integration.request.querystring.queryString":
                "method.request.querystring.testQueryString",
            "integration.request.querystring.testQs": "method.request.querystring.testQueryString",
            "integration.request.querystring.testEmptyQs": "method.request.header.emptyheader",
        },
    }  # fmt: skip
    declared = dict.fromkeys(integration["requestParameters"].values(), True)
    gw, client, backend = setup(
        ("POST /{pathVariable}", integration, {"request_parameters": declared})
    )
    sent = {"foobar": "mapped-value", "headerVar": "request-value"}
    client.post("/foobar?testQueryString=foo&testVar=bar", headers=sent)
    args: dict[str, list[str]] = {}
    for name, value in parse_qsl(backend.seen[0]["query"]):
        args.setdefault(name, []).append(value)
    assert {name: ",".join(values) for name, values in args.items()} == {
        "queryString": "foo", "testQs": "bar,foo", "testQueryString": "foo", "testVar": "foobar,bar"
    }  # fmt: skip
    assert backend.header("headerVar") == ["mapped-value"]
    assert backend.header("foobar") == ["mapped-value"]


def test_http_proxy_ignores_response_parameters() -> None:
    """TestApiGatewayHeaderRemapping, HTTP_PROXY full route: the integration
    response's responseParameters were ignored."""
    parameters = {"method.response.header.X-Param": "'response_param_X-Param'"}
    responses = {"default": answer(200, responseParameters=parameters)}
    integration = {"type": "HTTP_PROXY", "uri": f"{BACKEND}/status/404", "responses": responses}
    gw, client, _ = setup(("GET /px", integration))
    response = client.get("/px")
    assert response.status_code == 404  # the backend's own status
    assert "X-Param" not in response.headers
    assert response.headers["X-Backend"] == "echo"


# -- headers that may not be mapped ------------------------------------------------------------


def recorder(calls: list[Any], proxy: bool = False) -> Any:
    """A function that keeps its events and returns the event (a proxy one: its headers)."""

    def handler(event: Any, context: Any) -> Any:
        calls.append(event)
        return {"statusCode": 200, "body": json.dumps(event["headers"])} if proxy else event

    return handler


LAMBDA_REFUSED = ["Content-Length", "Transfer-Encoding", "Authorization", "Connection",
                  "Expect", "Proxy-Authenticate", "TE"]  # fmt: skip


@pytest.mark.parametrize(
    ("kind", "header"),
    [("HTTP", "Content-Length"), ("HTTP", "Transfer-Encoding"), ("HTTP_PROXY", "Content-Length"),
     ("HTTP_PROXY", "Transfer-Encoding")]
    + [("AWS", h) for h in LAMBDA_REFUSED] + [("AWS_PROXY", h) for h in LAMBDA_REFUSED],
)  # fmt: skip
def test_a_refused_header_mapping_fails_before_the_call(kind: str, header: str) -> None:
    """TestApiGatewayHeaderRemapping mapping-templates.md §5): 500
    `{"message": "Internal server error"}`, InternalServerErrorException, nothing called."""
    value = "'0'" if header == "Content-Length" else "'keep-alive'"
    mapping = {"requestParameters": {f"integration.request.header.{header}": value}}
    if kind.startswith("HTTP"):
        integration = {"type": kind, "uri": f"{BACKEND}/x", "httpMethod": "POST", **mapping}
    else:
        integration = {"type": kind, "function": "fn", "httpMethod": "POST", **mapping}
    calls: list[Any] = []
    gw, client, backend = setup(("POST /x", integration), fn=recorder(calls, proxy=True))
    assert_internal_error(client.post("/x", data=b"{}"))
    assert backend.seen == [] and calls == []


def test_aws_proxy_accepts_request_parameters_and_ignores_them() -> None:
    """test_apigateway_lambda.snapshot.json, test_lambda_aws_proxy_integration_request_data_
    mapping: the event keeps `headerVar: request-value`."""
    integration = {
        "type": "AWS_PROXY", "function": "fn", "httpMethod": "POST",
        "requestParameters": {
            "integration.request.header.headerVar": "method.request.header.foobar",
            "integration.request.querystring.mapped": "'literal'",
        },
    }  # fmt: skip
    calls: list[Any] = []
    gw, client, _ = setup(
        ("POST /ap", integration, {"request_parameters": {"method.request.header.foobar": True}}),
        fn=recorder(calls, proxy=True),
    )
    sent = {"foobar": "mapped-value", "headerVar": "request-value"}
    response = client.post("/ap?q=1", headers=sent)
    assert response.status_code == 200
    assert response.json()["headerVar"] == "request-value"
    assert calls[0]["queryStringParameters"] == {"q": "1"}


# -- AWS: non-proxy Lambda ---------------------------------------------------------------------


def aws(function: str = "fn", **extra: Any) -> dict[str, Any]:
    return {"type": "AWS", "uri": LAMBDA_URI.format(function), "httpMethod": "POST", **extra}


def test_the_function_receives_exactly_the_rendered_template() -> None:
    """test_apigateway_lambda.snapshot.json, test_lambda_aws_integration_with_request_template
    ."""
    integration = aws(
        requestTemplates={"application/json": '{"param1": "$input.params(\'param1\')"}'},
        responses={"default": answer(200)},
    )
    calls: list[Any] = []
    gw, client, _ = setup(
        ("GET /t", integration,
         {"request_parameters": {"method.request.querystring.param1": False}}),
        fn=recorder(calls),
    )  # fmt: skip
    first = client.get("/t?param1=foobar")
    second = client.get("/t?param1=foobar&Signature=1")
    assert calls == [{"param1": "foobar"}, {"param1": "foobar"}]
    assert first.status_code == second.status_code == 200
    assert first.json() == second.json() == {"param1": "foobar"}


def test_without_a_template_the_body_passes_through_and_an_empty_one_is_an_empty_event() -> None:
    """test_apigateway_lambda.snapshot.json, test_lambda_aws_integration no
    Content-Type) and TestApiGatewayHeaderRemapping AWS no-param route (§1.6: event `{}`)."""
    calls: list[Any] = []
    gw, client, _ = setup(
        ("POST /e", {"type": "AWS", "function": "fn", "responses": {"default": answer(200)}}),
        fn=recorder(calls),
    )
    response = client.post("/e", data=b'{"message": "hello world"}')
    empty = client.post("/e")
    assert calls == [{"message": "hello world"}, {}]
    assert response.status_code == 200
    assert response.json() == {"message": "hello world"}
    assert empty.status_code == 200 and empty.json() == {}


def select_pattern(event: Any, context: Any) -> Any:
    """lambda_select_pattern.py of the recording."""
    if event["statusCode"] == "400":
        raise Exception("Error: Raising four hundred from within the Lambda function")
    if event["statusCode"] == "500":
        raise Exception("Error: Raising five hundred from within the Lambda function")
    return "Pass"


def test_lambda_errors_are_selected_by_their_error_message() -> None:
    """test_apigateway_lambda.snapshot.json, test_lambda_selection_patterns:
    `.+` never matches a success, `200` never matches at all; error bodies are Lambda's error
    object."""
    integration = aws(
        "select",
        requestTemplates={"application/json": '{"statusCode": "$input.params(\'statusCode\')"}'},
        responses={"": answer(200), ".*four hundred.*": answer(405), ".+": answer(502),
                   "200": answer(504)},
    )  # fmt: skip
    declared = {"method_responses": {200: {}, 405: {}, 502: {}, 504: {}}}
    gw, client, _ = setup(("GET /{statusCode}", integration, declared), select=select_pattern)
    ok, four, five = client.get("/200"), client.get("/400"), client.get("/500")
    assert (ok.status_code, ok.data) == (200, b'"Pass"')
    assert four.status_code == 405
    assert five.status_code == 502
    error = four.json()
    assert set(error) == {"errorMessage", "errorType", "requestId", "stackTrace"}
    assert error["errorMessage"] == "Error: Raising four hundred from within the Lambda function"
    assert error["errorType"] == "Exception"
    assert isinstance(error["stackTrace"], list) and error["stackTrace"]
    assert five.json()["errorMessage"].endswith("five hundred from within the Lambda function")


def test_an_event_invocation_answers_the_default_response_with_an_empty_body() -> None:
    """test_apigateway_lambda.py, test_api_gateway_lambda_asynchronous_invocation
    Recorded: `X-Amz-Invocation-Type: 'Event'` → 200, body b""."""
    integration = aws(
        requestParameters={"integration.request.header.X-Amz-Invocation-Type": "'Event'"},
        passthroughBehavior="WHEN_NO_TEMPLATES",
        responses={"default": answer(200)},
    )
    calls: list[Any] = []
    gw, client, _ = setup(("GET /wait/{seconds}", integration), fn=recorder(calls))
    response = client.get("/wait/3")
    assert response.status_code == 200
    assert response.data == b""
    assert calls == [{}]


def test_a_request_template_can_override_the_invocation_type() -> None:
    """[DG:apigateway-override-request-response-parameters]: overrides apply after the whole
    template ran, so one set in the template reaches the Lambda call like a mapping."""
    template = '#set($context.requestOverride.header.X-Amz-Invocation-Type = "Event"){}'
    integration = aws(
        requestTemplates={"application/json": template}, responses={"default": answer(200)}
    )
    calls: list[Any] = []
    _, client, _ = setup(("GET /later", integration), fn=recorder(calls))

    response = client.get("/later")

    assert (response.status_code, response.data) == (200, b"")
    assert calls == [{}]


def mapping_responses(event: Any, context: Any) -> Any:
    """lambda_mapping_responses.py of the recording."""
    error = int(event["body"]["httpStatus"]) >= 400
    return {"statusCode": 200, "body": "customerror" if error else "noerror"}


STATUS_BY_BODY = """#set($inputRoot = $input.path('$'))
$input.json("$")
#if($inputRoot.toString().contains("customerror"))
    #set($context.responseOverride.status = 400)
#else
    #set($context.responseOverride.status = 202)
#end"""


@pytest.mark.parametrize(("sent", "status", "body"), [
    ({"httpStatus": "200"}, 202, "noerror"),
    ({"httpStatus": "400", "errorMessage": "Test Bad request"}, 400, "customerror"),
])  # fmt: skip
def test_a_response_template_overrides_the_status(sent: Any, status: int, body: str) -> None:
    """test_apigateway_lambda.snapshot.json,
    test_lambda_aws_integration_response_with_mapping_templates: 202 has no
    method response and the override still applies."""
    integration = aws(
        "responses",
        requestTemplates={"application/json": "{\"body\": $input.json('$')}"},
        responses={"": answer(200, STATUS_BY_BODY)},
    )
    declared = {"method_responses": {200: {}, 400: {}}}
    gw, client, _ = setup(("POST /lambda", integration, declared), responses=mapping_responses)
    response = client.post("/lambda", json=sent)
    assert response.status_code == status
    assert response.json() == {"statusCode": 200, "body": body}


def test_an_aws_service_other_than_lambda_is_a_500_saying_it_is_not_emulated() -> None:
    """mapping-templates.md §1 (AWS integrations call AWS services): only Lambda is emulated;
    the answer is API_CONFIGURATION_ERROR's 500 and the log says why."""
    integration = {"type": "AWS", "httpMethod": "POST",
                   "uri": "arn:aws:apigateway:us-east-1:sqs:path/123/queue",
                   "responses": {"default": answer(200)}}  # fmt: skip
    gw, client, _ = setup(("POST /sqs", integration))
    assert_internal_error(client.post("/sqs", json={"foo": "bar"}))
    assert any("not emulate" in m and "sqs" in m for m in messages(gw))


# -- configuration errors ----------------------------------------------------------------------


UNDECLARED = {"integration.request.header.X": "method.request.header.X"}


@pytest.mark.parametrize(("route", "key", "problem"), [
    (mock("#if($x {", {}), "requestTemplates.application/json", "the template does not parse"),
    (http("/c", requestParameters=UNDECLARED), "requestParameters.integration.request.header.X",
     "Invalid mapping expression parameter specified: method.request.header.X"),
    (http("/c", responses={"[0-9": answer(200)}), "responses.[0-9",
     "Invalid selection pattern '[0-9'"),
    (http("/c", requestParameters={"integration.request.cookie.c": "'x'"}),
     "requestParameters.integration.request.cookie.c",
     "Invalid mapping expression specified: integration.request.cookie.c"),
])  # fmt: skip
def test_put_route_refuses_what_aws_refuses_naming_the_key(
    route: dict[str, Any], key: str, problem: str
) -> None:
    """expressions.py checks as PutIntegration does; notes no AWS recording of
    these messages, so the key path and the reason are what is checked."""
    with pytest.raises(ConfigError) as raised:
        Gateway().api.put_route("GET /c", route)
    key = f"GET /c.{key}"
    assert raised.value.key == key
    assert problem in raised.value.problem
    assert key in str(raised.value)


def test_a_response_parameter_needs_a_declared_method_response_header() -> None:
    """[DG:request-response-data-mappings] (mapping-templates.md §4.2): the target header must
    be declared on the method response."""
    parameters = {"method.response.header.X-Other": "'v'"}
    integration = {"integration": http("/c", responses={
        "default": answer(200, responseParameters=parameters)})}  # fmt: skip
    declared = {200: {"responseParameters": {"method.response.header.X-Declared": False}}}
    with pytest.raises(ConfigError) as raised:
        Gateway().api.put_route("GET /c", integration, method_responses=declared)
    key = "GET /c.integration.responses.default.responseParameters.method.response.header.X-Other"
    assert raised.value.key == key
    assert "method.response.header.X-Other" in raised.value.problem
    assert key in str(raised.value)


# -- data-trace logs ---------------------------------------------------------------------------


def test_data_trace_logs_the_bodies_after_transformation() -> None:
    """test_apigateway_basic.snapshot.json, test_apigw_test_invoke_method_api:
    an empty body's `Endpoint request body after transformations: `) and TestInvokeMethod
    logs: MOCK has no endpoint request lines; `{"petId": "123"}`)."""
    template = '{"name": "$input.path(\'$.name\')"}'
    calls: list[Any] = []
    gw, client, _ = setup(
        ("POST /h", http("/h", requestTemplates={"application/json": template})),
        ("GET /pets/{petId}", mock('{"statusCode": 200}', {
            "default": answer(200, '{"petId": "$input.params(\'petId\')"}')})),
        ("POST /fn", {"type": "AWS", "function": "fn", "responses": {"default": answer(200)}}),
        fn=recorder(calls),
    )  # fmt: skip
    gw.update_stage("dev", logging={"level": "INFO", "data_trace": True})
    client.post("/h", json={"name": "rex"})
    http_lines = messages(gw)
    client.get("/pets/123")
    mock_lines = messages(gw)[len(http_lines) :]
    client.post("/fn")
    lambda_lines = messages(gw)[len(http_lines) + len(mock_lines) :]
    assert 'Endpoint request body after transformations: {"name": "rex"}' in http_lines
    assert any(m.startswith("Method response body after transformations: {") for m in http_lines)
    assert 'Method response body after transformations: {"petId": "123"}' in mock_lines
    assert not any(m.startswith("Endpoint request") for m in mock_lines)
    assert [m for m in lambda_lines if m.startswith("Endpoint request body")] == [
        "Endpoint request body after transformations: "
    ]
    assert "Method response body after transformations: {}" in lambda_lines


def test_an_integration_object_from_python_is_checked_as_a_mapping_is() -> None:
    """put_route with a model Integration: the same refusal, located the same way."""
    from pytest_apistages.model import Integration

    integration = Integration(
        "HTTP", f"{BACKEND}/x",
        request_parameters={"integration.request.header.X": "method.request.header.Y"},
    )  # fmt: skip
    gw = Gateway()

    with pytest.raises(ConfigError) as error:
        gw.api.put_route("GET /x", integration)
    route = gw.api.put_route(
        "GET /x", integration, request_parameters={"method.request.header.Y": False}
    )

    assert str(error.value).startswith(
        "put_route: GET /x.integration.requestParameters.integration.request.header.X: Invalid "
        "mapping expression specified: Validation Result: warnings : [], errors : [Invalid "
        "mapping expression parameter specified: method.request.header.Y]"
    )
    assert route.integration is integration
    assert dict(route.request_parameters) == {"method.request.header.Y": False}
