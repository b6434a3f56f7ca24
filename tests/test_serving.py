"""Reaching a gateway from outside its test client: `gw.intercept()` answers `requests` calls to
its invoke URLs in-process, and `gw.serve()` runs a real server on 127.0.0.1."""

from __future__ import annotations

import io
import json
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
import requests
import responses
from werkzeug.wrappers import Request, Response

from pytest_apistages import Gateway


def echo_event(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """A Lambda that answers with the parts of its event the tests look at."""
    return {
        "statusCode": 200,
        "headers": {"X-From": "lambda"},
        "body": json.dumps(
            {
                "path": event["path"],
                "headers": event["headers"],
                "query": event["queryStringParameters"],
                "body": event["body"],
                "stage": event["requestContext"]["stage"],
            }
        ),
    }


@Request.application
def cookies(request: Request) -> Response:
    response = Response("cookies", content_type="text/plain")
    response.headers.add("Set-Cookie", "a=1")
    response.headers.add("Set-Cookie", "b=2")
    return response


@pytest.fixture
def gw() -> Gateway:
    gateway = Gateway("serving-tests")
    gateway.functions.register("echo", echo_event)
    gateway.backends.mount("cookies.internal", cookies)
    gateway.api.put_route("ANY /echo/{proxy+}", "echo")
    gateway.api.put_route("GET /cookies", "http://cookies.internal/")
    gateway.api.put_route("GET /upstream", "https://upstream.example.com/data")
    gateway.api.put_route("GET /health", {"type": "MOCK", "body": {"status": "ok"}})
    gateway.deploy("dev")
    return gateway


@pytest.fixture
def user_mock() -> Iterator[responses.RequestsMock]:
    """The test's own `responses` mock, active before the gateway intercepts."""
    with responses.RequestsMock() as mock:
        yield mock


# -- gw.intercept() ----------------------------------------------------------------------------


def test_intercept_serves_requests_to_the_invoke_url(gw: Gateway) -> None:
    with gw.intercept():
        response = requests.post(
            gw.url("dev", "/echo/a/b?color=red"),
            json={"k": 1},
            headers={"X-Mixed-Case": "v"},
            timeout=5,
        )

    assert response.status_code == 200
    assert response.headers["X-From"] == "lambda"
    assert response.headers["Content-Type"] == "application/json"
    seen = response.json()
    assert seen["path"] == "/echo/a/b"
    assert seen["query"] == {"color": "red"}
    assert json.loads(seen["body"]) == {"k": 1}
    assert seen["stage"] == "dev"
    assert seen["headers"]["Host"] == gw.host
    assert seen["headers"]["X-Mixed-Case"] == "v"
    record = gw.invocations()[-1]
    assert response.headers["x-amzn-RequestId"] == record.request_id
    assert (record.route, record.status, record.method) == ("ANY /echo/{proxy+}", 200, "POST")


def test_intercept_answers_gateway_errors_and_mock_routes(gw: Gateway) -> None:
    with gw.intercept():
        missing = requests.get(gw.url("dev", "/nowhere"), timeout=5)
        no_stage = requests.get(gw.url("prod", "/health"), timeout=5)
        health = requests.get(gw.url("dev", "/health"), timeout=5)

    assert missing.status_code == 403
    assert missing.content == b'{"message":"Missing Authentication Token"}'
    assert missing.headers["x-amzn-ErrorType"] == "MissingAuthenticationTokenException"
    assert no_stage.status_code == 403
    assert health.status_code == 200
    assert health.json() == {"status": "ok"}


def test_intercept_keeps_repeated_response_headers(gw: Gateway) -> None:
    with gw.intercept():
        response = requests.get(gw.url("dev", "/cookies"), timeout=5)

    assert response.text == "cookies"
    assert response.raw.headers.getlist("Set-Cookie") == ["a=1", "b=2"]
    assert response.cookies.get_dict() == {"a": "1", "b": "2"}


def test_intercept_reads_file_and_generator_bodies(gw: Gateway) -> None:
    with gw.intercept():
        from_file = requests.post(
            gw.url("dev", "/echo/f"), data=io.BytesIO(b"file body"), timeout=5
        )
        chunked = requests.post(
            gw.url("dev", "/echo/g"), data=(part for part in [b"gen ", b"body"]), timeout=5
        )

    assert (from_file.status_code, from_file.json()["body"]) == (200, "file body")
    assert (chunked.status_code, chunked.json()["body"]) == (200, "gen body")


def test_urls_a_users_mock_knows_keep_its_answer_inside_intercept(
    gw: Gateway, user_mock: responses.RequestsMock
) -> None:
    user_mock.get("https://elsewhere.example.com/x", json={"from": "user mock"})

    with gw.intercept():
        other = requests.get("https://elsewhere.example.com/x", timeout=5)
        ours = requests.get(gw.url("dev", "/health"), timeout=5)

    assert other.json() == {"from": "user mock"}
    assert ours.json() == {"status": "ok"}
    assert [c.request.url for c in user_mock.calls] == ["https://elsewhere.example.com/x"]


def test_http_integration_reaches_a_url_the_user_mocked_inside_intercept(
    gw: Gateway, user_mock: responses.RequestsMock
) -> None:
    user_mock.get("https://upstream.example.com/data", json={"upstream": True}, status=203)

    with gw.intercept():
        response = requests.get(gw.url("dev", "/upstream"), timeout=5)

    assert response.status_code == 203
    assert response.json() == {"upstream": True}
    assert user_mock.calls[0].request.headers["x-amzn-apigateway-api-id"] == gw.api_id
    assert gw.invocations()[-1].target == "https://upstream.example.com/data"


def test_gateway_urls_are_not_served_after_intercept(
    gw: Gateway, user_mock: responses.RequestsMock
) -> None:
    with gw.intercept():
        assert requests.get(gw.url("dev", "/health"), timeout=5).status_code == 200

    # The user's mock is what answers now, and it knows no gateway URL.
    with pytest.raises(requests.ConnectionError):
        requests.get(gw.url("dev", "/health"), timeout=5)
    assert len(gw.invocations()) == 1


def test_other_urls_go_to_the_network_inside_intercept(gw: Gateway) -> None:
    with gw.serve() as base_url, gw.intercept():
        real = requests.get(f"{base_url}/dev/health", timeout=5)
        intercepted = requests.get(gw.url("dev", "/health"), timeout=5)

    assert real.status_code == intercepted.status_code == 200
    assert real.json() == intercepted.json() == {"status": "ok"}
    # Only the real server's response comes with werkzeug's Server header.
    assert "Werkzeug" in real.headers["Server"]
    assert "Server" not in intercepted.headers
    assert len(gw.invocations()) == 2


# -- gw.serve() --------------------------------------------------------------------------------


def test_serve_answers_real_http_on_localhost(gw: Gateway) -> None:
    with gw.serve(port=0) as base_url:
        assert base_url.startswith("http://127.0.0.1:")
        response = requests.put(
            f"{base_url}/dev/echo/x?q=1",
            data=b"raw body",
            headers={"X-Mixed-Case": "Value", "x-lower-case": "lower"},
            timeout=5,
        )

    assert response.status_code == 200
    assert response.headers["X-From"] == "lambda"
    seen = response.json()
    assert seen["path"] == "/echo/x"
    assert seen["query"] == {"q": "1"}
    assert seen["body"] == "raw body"
    assert seen["headers"]["Host"] == base_url.removeprefix("http://")
    # Header names reach the Lambda event as the client wrote them.
    assert seen["headers"]["X-Mixed-Case"] == "Value"
    assert seen["headers"]["x-lower-case"] == "lower"
    assert "x-mixed-case" not in seen["headers"]
    assert "X-Lower-Case" not in seen["headers"]
    assert response.headers["x-amzn-RequestId"] == gw.invocations()[-1].request_id


def test_serve_passes_errors_and_repeated_headers(gw: Gateway) -> None:
    with gw.serve() as base_url:
        missing = requests.get(f"{base_url}/dev/nowhere", timeout=5)
        cookie_response = requests.get(f"{base_url}/dev/cookies", timeout=5)

    assert missing.status_code == 403
    assert missing.content == b'{"message":"Missing Authentication Token"}'
    assert cookie_response.raw.headers.getlist("Set-Cookie") == ["a=1", "b=2"]


def test_serve_reads_a_chunked_body(gw: Gateway) -> None:
    with gw.serve() as base_url:
        response = requests.post(
            f"{base_url}/dev/echo/g", data=(part for part in [b"gen ", b"body"]), timeout=5
        )

    assert response.status_code == 200
    assert response.json()["body"] == "gen body"


def test_serve_handles_concurrent_requests(gw: Gateway) -> None:
    clients = 4
    # Every backend call waits for all the others: a server that handled one request at a time
    # would break the barrier and answer 500.
    barrier = threading.Barrier(clients, timeout=5)

    @Request.application
    def together(request: Request) -> Response:
        barrier.wait()
        return Response(request.path)

    gw.backends.mount("together.internal", together)
    gw.api.put_route("GET /together/{n}", "http://together.internal/n/{n}")
    gw.deploy("dev")

    with gw.serve() as base_url, ThreadPoolExecutor(clients) as pool:
        answers = list(
            pool.map(
                lambda n: requests.get(f"{base_url}/dev/together/{n}", timeout=10),
                range(clients),
            )
        )

    assert [(a.status_code, a.text) for a in answers] == [(200, f"/n/{n}") for n in range(clients)]
    records = gw.invocations("dev")
    assert sorted(r.path for r in records) == [f"/together/{n}" for n in range(clients)]
    assert all(r.status == 200 and r.route == "GET /together/{n}" for r in records)
    assert len({r.request_id for r in records}) == clients
    assert {a.headers["x-amzn-RequestId"] for a in answers} == {r.request_id for r in records}


def test_server_is_shut_down_after_the_with_block(gw: Gateway) -> None:
    with gw.serve() as base_url:
        assert requests.get(f"{base_url}/dev/health", timeout=5).status_code == 200

    with pytest.raises(requests.ConnectionError):
        requests.get(f"{base_url}/dev/health", timeout=2)


def test_negative_content_length_does_not_hang_the_server() -> None:
    import socket

    gw = Gateway("neg")
    gw.api.put_route("POST /x", {"type": "MOCK", "body": "{}"})
    gw.deploy("s")
    with gw.serve() as base_url:
        host, port = base_url.removeprefix("http://").split(":")
        with socket.create_connection((host, int(port)), timeout=5) as sock:
            sock.sendall(b"POST /s/x HTTP/1.1\r\nHost: h\r\nContent-Length: -1\r\n\r\n")
            answer = sock.recv(4096)
    assert answer.startswith(b"HTTP/1.1 200")


def test_bytes_header_values_under_intercept() -> None:
    gw = Gateway("bytes")
    gw.functions.register("echo", lambda event, context: {"body": json.dumps(event["headers"])})
    gw.api.put_route("GET /x", "echo")
    gw.deploy("s")
    with gw.intercept():
        response = requests.get(gw.url("s", "/x"), headers={"X-B": b"val"})
    assert response.status_code == 200
    assert response.json()["X-B"] == "val"
