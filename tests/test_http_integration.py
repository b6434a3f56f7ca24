"""HTTP_PROXY, HTTP and MOCK integrations: in-process backends, `responses` mocks, stage
variables and path parameters in the uri, what is forwarded and what comes back, and the error
answers (api-gateway-rest.md sections 1, 2 and 5)."""

from __future__ import annotations

import json
import socket
import time
from collections.abc import Iterator
from typing import Any

import pytest
import requests
import responses
from responses import matchers
from werkzeug.wrappers import Request, Response

from pytest_apistages import Gateway

INTERNAL_ERROR = b'{"message": "Internal server error"}'
TIMED_OUT = b'{"message": "Endpoint request timed out"}'


@Request.application
def echo(request: Request) -> Response:
    """A backend that answers with what it received; `X-Echo-Status` picks its status."""
    environ = request.environ
    seen = {
        "method": request.method,
        "path": request.path,
        "raw_uri": environ.get("RAW_URI"),
        "query": environ.get("QUERY_STRING"),
        "headers": list(request.headers.items()),
        "body": request.get_data(as_text=True),
    }
    response = Response(
        json.dumps(seen),
        status=int(request.headers.get("X-Echo-Status", "200")),
        content_type="application/json",
    )
    response.headers["Server"] = "echo/1.0"
    response.headers["Date"] = "Mon, 01 Jan 2024 00:00:00 GMT"
    response.headers["x-amzn-RequestId"] = "backend-request-id"
    response.headers["X-Backend"] = "echo"
    response.headers.add("Set-Cookie", "a=1")
    response.headers.add("Set-Cookie", "b=2")
    return response


def header_values(seen: dict[str, Any], name: str) -> list[str]:
    return [v for k, v in seen["headers"] if k.lower() == name.lower()]


@pytest.fixture
def gw() -> Gateway:
    gateway = Gateway("http-tests")
    gateway.backends.mount("backend.internal", echo)
    return gateway


@pytest.fixture
def user_mock() -> Iterator[responses.RequestsMock]:
    """The test's own `responses` mock; every registered answer must be used."""
    with responses.RequestsMock() as mock:
        yield mock


# -- HTTP_PROXY: what reaches the backend ----------------------------------------------------


@pytest.mark.parametrize("method", ["GET", "POST", "PUT", "PATCH", "DELETE"])
def test_proxy_forwards_method_path_query_headers_and_body(gw: Gateway, method: str) -> None:
    gw.api.put_route("ANY /items/{proxy+}", "https://backend.internal/v1/{proxy}")
    gw.deploy("dev")
    body = b"" if method == "GET" else b"payload"

    response = gw.client("dev").open(
        "/items/a/b?x=1&y=two",
        method=method,
        data=body,
        headers={"X-Custom": "custom-value", "Content-Type": "text/plain"},
    )

    assert response.status_code == 200
    seen = response.json()
    assert seen["method"] == method
    assert seen["path"] == "/v1/a/b"
    assert seen["query"] == "x=1&y=two"
    assert seen["body"] == body.decode()
    assert header_values(seen, "X-Custom") == ["custom-value"]
    assert header_values(seen, "Content-Type") == ["text/plain"]
    # The backend's own Host, not the gateway's; no client Content-Length passed on.
    assert header_values(seen, "Host") == ["backend.internal"]
    assert header_values(seen, "Content-Length") == ([str(len(body))] if body else [])
    assert header_values(seen, "x-amzn-apigateway-api-id") == [gw.api_id]
    [trace] = header_values(seen, "X-Amzn-Trace-Id")
    assert trace.startswith("Root=1-")
    # Recorded (LocalStack's test_apigateway_header_remapping_http[HTTP_PROXY]): the answer
    # carries a trace id only when the backend sent one, and this one did not.
    assert "X-Amzn-Trace-Id" not in response.headers


def test_proxy_uses_the_integration_http_method(gw: Gateway) -> None:
    gw.api.put_route(
        "GET /convert",
        {"type": "HTTP_PROXY", "uri": "https://backend.internal/convert", "httpMethod": "POST"},
    )
    gw.deploy("dev")

    seen = gw.client("dev").get("/convert").json()

    assert seen["method"] == "POST"


def test_proxy_passes_the_backend_answer_through_with_remapped_headers(gw: Gateway) -> None:
    gw.api.put_route("ANY /items/{proxy+}", "https://backend.internal/v1/{proxy}")
    gw.deploy("dev")

    response = gw.client("dev").get("/items/x", headers={"X-Echo-Status": "418"})

    assert response.status_code == 418
    assert response.json()["path"] == "/v1/x"
    assert response.headers["Content-Type"] == "application/json"
    assert response.headers["X-Backend"] == "echo"
    assert response.headers.getlist("Set-Cookie") == ["a=1", "b=2"]
    assert response.headers["x-amzn-Remapped-Server"] == "echo/1.0"
    assert response.headers["x-amzn-Remapped-Date"] == "Mon, 01 Jan 2024 00:00:00 GMT"
    assert response.headers["x-amzn-Remapped-x-amzn-RequestId"] == "backend-request-id"
    assert response.headers["x-amzn-Remapped-Content-Length"] == str(len(response.data))
    assert "Server" not in response.headers
    assert "Date" not in response.headers
    # The gateway's own request id, not the backend's.
    assert response.headers.getlist("x-amzn-RequestId") == [gw.invocations()[-1].request_id]


def test_proxy_remaps_connection_from_a_mocked_backend(
    gw: Gateway, user_mock: responses.RequestsMock
) -> None:
    gw.api.put_route("GET /up", "https://api.example.com/status")
    gw.deploy("dev")
    user_mock.get(
        "https://api.example.com/status",
        json={"up": True},
        status=202,
        headers={"Connection": "keep-alive", "X-Upstream": "1"},
    )

    response = gw.client("dev").get("/up")

    assert response.status_code == 202
    assert response.json() == {"up": True}
    assert response.headers["x-amzn-Remapped-Connection"] == "keep-alive"
    assert response.headers["X-Upstream"] == "1"
    assert "Connection" not in response.headers


def test_proxy_to_a_host_answered_by_the_users_responses_mock(
    gw: Gateway, user_mock: responses.RequestsMock
) -> None:
    gw.api.put_route("ANY /v2/{proxy+}", "https://api.example.com/v2/{proxy}")
    gw.deploy("dev")
    call = user_mock.post(
        "https://api.example.com/v2/orders/7",
        json={"created": True},
        status=201,
        match=[
            matchers.query_string_matcher("expand=items"),
            matchers.header_matcher({"X-Caller": "web", "Content-Type": "application/json"}),
            matchers.json_params_matcher({"qty": 2}),
        ],
    )

    response = gw.client("dev").post(
        "/v2/orders/7?expand=items", json={"qty": 2}, headers={"X-Caller": "web"}
    )

    assert response.status_code == 201
    assert response.json() == {"created": True}
    assert call.call_count == 1
    sent = user_mock.calls[0].request.headers
    assert sent["x-amzn-apigateway-api-id"] == gw.api_id
    assert sent["X-Amzn-Trace-Id"].startswith("Root=1-")
    assert "Host" not in sent  # requests derives it from the URL; the client's is not passed


def test_repeated_request_header_reaches_a_mocked_backend_with_every_value(
    gw: Gateway, user_mock: responses.RequestsMock
) -> None:
    gw.api.put_route("GET /up", "https://api.example.com/status")
    gw.deploy("dev")
    user_mock.get("https://api.example.com/status", body="ok")

    gw.client("dev").get("/up", headers=[("X-Multi", "1"), ("X-Multi", "2")])

    assert user_mock.calls[0].request.headers["X-Multi"] == "1, 2"


# -- stage variables and path parameters in the uri --------------------------------------------


def deploy_recorded_uri(gw: Gateway, host: str) -> None:
    """The AWS-recorded case: host, path and query all from stage variables."""
    gw.api.put_route(
        "GET /test",
        "https://${stageVariables.TestHost}/${stageVariables.testPath}"
        "?${stageVariables.querystring}",
    )
    variables = {"TestHost": host, "testPath": "test-path", "querystring": "qs_key=qs_value"}
    gw.deploy("dev", variables=variables)


def test_aws_recorded_stage_variables_in_host_path_and_query(
    gw: Gateway, user_mock: responses.RequestsMock
) -> None:
    deploy_recorded_uri(gw, "backend.example.com")
    user_mock.get(
        "https://backend.example.com/test-path",
        body="hit",
        match=[matchers.query_string_matcher("qs_key=qs_value")],
    )

    response = gw.client("dev").get("/test")

    assert response.status_code == 200
    assert response.data == b"hit"
    assert user_mock.calls[0].request.url == "https://backend.example.com/test-path?qs_key=qs_value"
    record = gw.invocations()[-1]
    assert record.target == "https://backend.example.com/test-path?qs_key=qs_value"
    assert record.route == "GET /test"
    assert record.status == 200


def test_stage_variables_in_a_mounted_uri_and_client_query_appended(gw: Gateway) -> None:
    deploy_recorded_uri(gw, "backend.internal")

    seen = gw.client("dev").get("/test?mine=1").json()

    assert seen["path"] == "/test-path"
    assert seen["query"] == "qs_key=qs_value&mine=1"


def test_each_stage_reaches_the_host_its_variables_name(gw: Gateway) -> None:
    @Request.application
    def other(request: Request) -> Response:
        return Response(f"other {request.path}")

    gw.backends.mount("other.internal:8080", other)
    gw.api.put_route("GET /where", "http://${stageVariables.host}/w")
    gw.deploy("dev", variables={"host": "other.internal:8080"})
    gw.create_stage("prod", gw.stage("dev").deployment_id, variables={"host": "backend.internal"})

    dev = gw.client("dev").get("/where")
    prod = gw.client("prod").get("/where")

    assert dev.data == b"other /w"
    assert prod.json()["path"] == "/w"
    assert [(r.stage, r.target) for r in gw.invocations()] == [
        ("dev", "http://other.internal:8080/w"),
        ("prod", "http://backend.internal/w"),
    ]


def test_path_parameters_and_greedy_proxy_fill_the_uri(gw: Gateway) -> None:
    gw.api.put_route("GET /pets/{petId}", "https://backend.internal/animals/{petId}/detail")
    gw.api.put_route("ANY /files/{proxy+}", "https://backend.internal/store/{proxy}")
    gw.deploy("dev")
    client = gw.client("dev")

    pet = client.get("/pets/42").json()
    nested = client.get("/files/a/b/c.txt").json()
    trailing = client.get("/files/dir/").json()
    encoded = client.get("/files/a%2Bb/c").json()

    assert pet["path"] == "/animals/42/detail"
    assert nested["path"] == "/store/a/b/c.txt"
    assert trailing["path"] == "/store/dir"
    # Path parameters are not URL-decoded on their way to the backend.
    assert encoded["raw_uri"] == "/store/a%2Bb/c"
    records = gw.invocations()
    assert records[0].target == "https://backend.internal/animals/42/detail"
    assert records[0].path_parameters == {"petId": "42"}
    assert records[1].target == "https://backend.internal/store/a/b/c.txt"
    assert records[1].path_parameters == {"proxy": "a/b/c.txt"}
    assert records[1].route == "ANY /files/{proxy+}"
    assert records[1].integration == "HTTP_PROXY"


def test_undefined_stage_variable_in_host_is_a_500(
    gw: Gateway, user_mock: responses.RequestsMock
) -> None:
    gw.api.put_route("GET /x", "https://${stageVariables.missingHost}/x")
    gw.deploy("dev", variables={"otherHost": "backend.internal"})

    response = gw.client("dev").get("/x")

    assert response.status_code == 500
    assert response.data == INTERNAL_ERROR
    assert response.headers["x-amzn-ErrorType"] == "InternalServerErrorException"
    assert response.headers["Content-Type"] == "application/json"
    assert len(user_mock.calls) == 0
    record = gw.invocations()[-1]
    assert (record.status, record.error, record.route) == (500, "API_CONFIGURATION_ERROR", "GET /x")
    messages = [e.message for e in gw.logs("dev")]
    assert any("missingHost" in m and "configuration error" in m for m in messages), messages
    assert messages[-1] == "Method completed with status: 500"


# -- backend failures --------------------------------------------------------------------------


def test_unreachable_backend_is_a_500(gw: Gateway, user_mock: responses.RequestsMock) -> None:
    gw.api.put_route("GET /down", "https://down.example.com/x")
    gw.deploy("dev")
    user_mock.get("https://down.example.com/x", body=requests.ConnectionError("refused"))

    response = gw.client("dev").get("/down")

    assert response.status_code == 500
    assert response.data == INTERNAL_ERROR
    assert response.headers["x-amzn-ErrorType"] == "InternalServerErrorException"
    assert gw.invocations()[-1].error == "API_CONFIGURATION_ERROR"
    assert any("refused" in e.message for e in gw.logs("dev"))


def test_refused_connection_on_localhost_is_a_500(gw: Gateway) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    gw.api.put_route("GET /down", f"http://127.0.0.1:{port}/x")
    gw.deploy("dev")

    response = gw.client("dev").get("/down")

    assert response.status_code == 500
    assert response.data == INTERNAL_ERROR


def test_backend_timeout_from_a_mock_is_a_504(
    gw: Gateway, user_mock: responses.RequestsMock
) -> None:
    gw.api.put_route(
        "GET /slow",
        {"type": "HTTP_PROXY", "uri": "https://slow.example.com/x", "timeoutInMillis": 50},
    )
    gw.deploy("dev")
    user_mock.get("https://slow.example.com/x", body=requests.Timeout("read timed out"))

    response = gw.client("dev").get("/slow")

    assert response.status_code == 504
    assert response.data == TIMED_OUT
    record = gw.invocations()[-1]
    assert (record.status, record.error) == (504, "INTEGRATION_TIMEOUT")


def test_mounted_backend_slower_than_the_timeout_is_a_504(gw: Gateway) -> None:
    @Request.application
    def slow(request: Request) -> Response:
        time.sleep(0.2)
        return Response("late")

    gw.backends.mount("slow.internal", slow)
    gw.api.put_route(
        "GET /slow", {"type": "HTTP_PROXY", "uri": "http://slow.internal/", "timeoutInMillis": 50}
    )
    gw.api.put_route(
        "GET /patient",
        {"type": "HTTP_PROXY", "uri": "http://slow.internal/", "timeoutInMillis": 5000},
    )
    gw.deploy("dev")

    timed_out = gw.client("dev").get("/slow")
    answered = gw.client("dev").get("/patient")

    assert timed_out.status_code == 504
    assert timed_out.data == TIMED_OUT
    assert answered.status_code == 200
    assert answered.data == b"late"


def test_mounted_backend_that_raises_answers_its_own_500(gw: Gateway) -> None:
    @Request.application
    def broken(request: Request) -> Response:
        raise RuntimeError("backend bug")

    gw.backends.mount("broken.internal", broken)
    gw.api.put_route("GET /broken", "http://broken.internal/")
    gw.deploy("dev")

    response = gw.client("dev").get("/broken")

    assert response.status_code == 500
    assert response.data != INTERNAL_ERROR
    assert b"Internal Server Error" in response.data
    assert "x-amzn-ErrorType" not in response.headers
    record = gw.invocations()[-1]
    assert (record.status, record.error) == (500, None)
    assert any("backend bug" in e.message for e in gw.logs("dev"))


# -- HTTP (non-proxy) --------------------------------------------------------------------------


def http_integration(uri: str, **extra: Any) -> dict[str, Any]:
    return {
        "type": "HTTP",
        "uri": uri,
        "responses": {"4\\d{2}": 400, "default": 200},
        **extra,
    }


def test_http_forwards_only_mapped_parameters(gw: Gateway) -> None:
    gw.api.put_route(
        "POST /things/{id}",
        http_integration(
            "https://backend.internal/things/{id}",
            httpMethod="PUT",
            requestParameters={
                "integration.request.header.X-Mapped": "method.request.header.X-In",
                "integration.request.querystring.q": "method.request.querystring.search",
                "integration.request.querystring.env": "stageVariables.env",
                "integration.request.header.X-Literal": "'fixed'",
                "integration.request.header.X-Absent": "method.request.header.X-Not-Sent",
            },
        ),
        request_parameters={
            "method.request.header.X-In": False,
            "method.request.querystring.search": False,
            "method.request.header.X-Not-Sent": False,
        },
    )
    gw.deploy("dev", variables={"env": "test"})

    response = gw.client("dev").post(
        "/things/7?search=cats&unmapped=1",
        data=b"the body",
        headers={"X-In": "in-value", "X-Unmapped": "nope"},
    )

    assert response.status_code == 200
    seen = response.json()
    assert seen["method"] == "PUT"
    assert seen["path"] == "/things/7"
    assert seen["query"] == "q=cats&env=test"
    assert seen["body"] == "the body"
    assert header_values(seen, "X-Mapped") == ["in-value"]
    assert header_values(seen, "X-Literal") == ["fixed"]
    for name in ("X-In", "X-Unmapped", "X-Absent", "X-Forwarded-For"):
        assert header_values(seen, name) == [], name
    assert header_values(seen, "x-amzn-apigateway-api-id") == [gw.api_id]
    assert header_values(seen, "X-Amzn-Trace-Id") == [response.headers["X-Amzn-Trace-Id"]]


def test_http_selects_the_status_by_pattern_and_drops_backend_headers(gw: Gateway) -> None:
    gw.api.put_route(
        "GET /status/{code}",
        http_integration(
            "https://backend.internal/s",
            requestParameters={
                "integration.request.header.X-Echo-Status": "method.request.path.code"
            },
        ),
    )
    gw.deploy("dev")
    client = gw.client("dev")

    statuses = {}
    for backend in ("200", "201", "404", "429", "503"):
        response = client.get(f"/status/{backend}")
        statuses[backend] = response.status_code
        assert response.headers["Content-Type"] == "application/json"
        assert "X-Backend" not in response.headers
        assert "x-amzn-Remapped-Server" not in response.headers
        assert response.json()["path"] == "/s"

    assert statuses == {"200": 200, "201": 200, "404": 400, "429": 400, "503": 200}


def test_http_status_mapping_with_a_mocked_backend(
    gw: Gateway, user_mock: responses.RequestsMock
) -> None:
    gw.api.put_route("GET /missing", http_integration("https://api.example.com/missing"))
    gw.deploy("dev")
    user_mock.get("https://api.example.com/missing", status=404, json={"error": "gone"})

    response = gw.client("dev").get("/missing", headers={"X-Not-Mapped": "1"})

    assert response.status_code == 400
    assert response.json() == {"error": "gone"}
    assert "X-Not-Mapped" not in user_mock.calls[0].request.headers


def test_http_maps_path_parameters_under_a_new_name(gw: Gateway) -> None:
    gw.api.put_route(
        "GET /pets/{id}",
        http_integration(
            "https://backend.internal/animals/{petId}",
            requestParameters={"integration.request.path.petId": "method.request.path.id"},
        ),
    )
    gw.deploy("dev")

    seen = gw.client("dev").get("/pets/7").json()

    assert seen["path"] == "/animals/7"
    assert gw.invocations()[-1].target == "https://backend.internal/animals/7"


def test_http_url_encodes_mapped_query_values(gw: Gateway) -> None:
    gw.api.put_route(
        "GET /search",
        http_integration(
            "https://backend.internal/search",
            requestParameters={"integration.request.querystring.q": "method.request.header.X-Q"},
        ),
        request_parameters={"method.request.header.X-Q": True},
    )
    gw.deploy("dev")

    seen = gw.client("dev").get("/search", headers={"X-Q": "a b&c=d"}).json()

    assert seen["query"] == "q=a%20b%26c%3Dd"


# -- MOCK --------------------------------------------------------------------------------------


def test_mock_answers_status_headers_and_body(gw: Gateway) -> None:
    gw.api.put_route(
        "GET /health",
        {
            "type": "MOCK",
            "status": 201,
            "headers": {"X-Stage-Env": "${stageVariables.env}", "Cache-Control": "no-store"},
            "body": {"status": "ok"},
        },
    )
    gw.api.put_route(
        "GET /teapot",
        {"type": "MOCK", "status": 418, "headers": {"Content-Type": "text/plain"}, "body": "tea"},
    )
    gw.deploy("dev", variables={"env": "development"})
    client = gw.client("dev")

    health = client.get("/health")
    teapot = client.get("/teapot")

    assert health.status_code == 201
    assert health.json() == {"status": "ok"}
    assert health.headers["Content-Type"] == "application/json"
    assert health.headers["X-Stage-Env"] == "development"
    assert health.headers["Cache-Control"] == "no-store"
    assert teapot.status_code == 418
    assert teapot.data == b"tea"
    assert teapot.headers.getlist("Content-Type") == ["text/plain"]
    records = gw.invocations()
    assert [(r.route, r.integration, r.target, r.status) for r in records] == [
        ("GET /health", "MOCK", "MOCK 201", 201),
        ("GET /teapot", "MOCK", "MOCK 418", 418),
    ]


def test_mock_header_with_an_undefined_stage_variable_renders_empty(gw: Gateway) -> None:
    """As in a mapping template, recorded on AWS: an undefined variable renders as ""."""
    gw.api.put_route(
        "GET /health", {"type": "MOCK", "headers": {"X-Env": "env=${stageVariables.nope}"}}
    )
    gw.deploy("dev")

    response = gw.client("dev").get("/health")

    assert response.status_code == 200
    assert response.headers["X-Env"] == "env="


def test_http_status_without_a_matching_or_default_response_is_a_500(gw: Gateway) -> None:
    gw.backends.mount("status.test", lambda environ, start: (start("404 Not Found", []), [b""])[1])
    gw.api.put_route(
        "GET /s", {"type": "HTTP", "uri": "http://status.test/", "responses": {"2\\d{2}": 200}}
    )
    gw.deploy("dev")

    response = gw.client("dev").get("/s")

    assert response.status_code == 500
    assert response.data == INTERNAL_ERROR
    assert any("No match for output mapping" in e.message for e in gw.logs("dev"))


def test_backend_sees_only_the_clients_headers_and_api_gateways_user_agent():
    gw = Gateway("ua")
    gw.api.put_route("GET /x", "http://backend.test/x")
    gw.deploy("s")
    with responses.RequestsMock() as backend:
        seen = backend.get("http://backend.test/x", body="ok")
        gw.client("s").get("/x", headers={"accept": "text/plain"})

    sent = seen.calls[0].request.headers
    assert sent["User-Agent"] == f"AmazonAPIGateway_{gw.api_id}"
    assert sent["Accept"] == "text/plain"
    assert "Accept-Encoding" not in sent
    assert "Connection" not in sent
