"""Backends and functions that fail in every way we could think of: the gateway answers as AWS
would, leaves its record, and nothing escapes. HTTP backends here are real sockets on
127.0.0.1 that misbehave on purpose."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import pytest
import requests

from pytest_apistages import Gateway

INTERNAL = b'{"message": "Internal server error"}'
TIMED_OUT = b'{"message": "Endpoint request timed out"}'


@contextmanager
def raw_server(answer: Callable[[socket.socket], None]) -> Iterator[int]:
    """A TCP server on 127.0.0.1 that reads one request per connection and lets `answer`
    write whatever it likes (or nothing); yields its port."""
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(0.2)
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            with conn:
                conn.settimeout(5)
                try:
                    conn.recv(65536)
                    answer(conn)
                except OSError:
                    pass

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield listener.getsockname()[1]
    finally:
        stop.set()
        listener.close()
        thread.join(timeout=2)


def http_gateway(port: int, timeout_ms: int = 29000) -> Gateway:
    gw = Gateway()
    gw.api.put_route(
        "GET /backend",
        {"type": "HTTP_PROXY", "uri": f"http://127.0.0.1:{port}/x", "timeoutInMillis": timeout_ms},
    )
    gw.deploy("prod")
    return gw


def truncated(conn: socket.socket) -> None:
    conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nonly ten b")


def reset(conn: socket.socket) -> None:
    conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\npart")
    conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")


def bad_chunks(conn: socket.socket) -> None:
    conn.sendall(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nnot hex\r\n")


def stalled(conn: socket.socket) -> None:
    conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n")
    time.sleep(1.5)


def trickle(conn: socket.socket) -> None:
    conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 40\r\n\r\n")
    for _ in range(40):
        conn.sendall(b"x")
        time.sleep(0.05)


def nothing(conn: socket.socket) -> None:
    """Close without a word."""


@pytest.mark.parametrize("answer", [truncated, reset, bad_chunks])
def test_a_backend_that_breaks_off_its_answer_is_a_502(answer):
    with raw_server(answer) as port:
        gw = http_gateway(port)
        response = gw.client("prod").get("/backend")

    assert (response.status_code, response.get_data()) == (502, INTERNAL)
    record = gw.invocations()[-1]
    assert (record.status, record.error) == (502, "INTEGRATION_FAILURE")
    assert any("broke off" in e.message for e in gw.logs("prod"))


def test_a_backend_that_closes_without_answering_is_a_500():
    with raw_server(nothing) as port:
        gw = http_gateway(port)
        response = gw.client("prod").get("/backend")

    assert (response.status_code, response.get_data()) == (500, INTERNAL)
    assert gw.invocations()[-1].error == "API_CONFIGURATION_ERROR"


def test_the_timeout_bounds_a_backend_that_stalls_mid_body():
    with raw_server(stalled) as port:
        gw = http_gateway(port, timeout_ms=300)
        started = time.perf_counter()
        response = gw.client("prod").get("/backend")
        elapsed = time.perf_counter() - started

    assert (response.status_code, response.get_data()) == (504, TIMED_OUT)
    assert elapsed < 1.2
    assert gw.invocations()[-1].error == "INTEGRATION_TIMEOUT"


def test_the_timeout_is_for_the_whole_call_not_each_read():
    """Each byte comes well within the timeout, the whole body does not."""
    with raw_server(trickle) as port:
        gw = http_gateway(port, timeout_ms=400)
        started = time.perf_counter()
        response = gw.client("prod").get("/backend")
        elapsed = time.perf_counter() - started

    assert response.status_code == 504
    assert elapsed < 1.5  # the trickle would take 2 s


def test_the_same_faults_over_a_real_server_get_an_answer():
    with raw_server(truncated) as port:
        gw = http_gateway(port)
        with gw.serve() as base_url:
            response = requests.get(f"{base_url}/prod/backend", timeout=10)

    assert (response.status_code, response.content) == (502, INTERNAL)


def failing_body_app(environ, start_response):
    start_response("200 OK", [("Content-Type", "text/plain")])

    def body():
        yield b"first part"
        raise RuntimeError("the backend broke while sending")

    return body()


def test_a_mounted_backend_whose_body_raises_is_its_own_500():
    gw = Gateway()
    gw.backends.mount("pets.internal", failing_body_app)
    gw.api.put_route("GET /pets", "http://pets.internal/pets")
    gw.deploy("prod")

    response = gw.client("prod").get("/pets")

    assert response.status_code == 500
    assert gw.invocations()[-1].status == 500
    assert any("the backend broke while sending" in e.message for e in gw.logs("prod"))


def lambda_gateway(handler) -> Gateway:
    gw = Gateway()
    gw.functions.register("fn", handler)
    gw.api.put_route("GET /fn", "fn")
    gw.deploy("prod")
    return gw


def nested(depth: int) -> dict:
    value: dict = {}
    for _ in range(depth):
        value = {"a": value}
    return value


@pytest.mark.parametrize(
    ("result", "why"),
    [
        ({"statusCode": float("inf")}, "is not a number"),
        ({"statusCode": float("nan")}, "is not a number"),
        ({"statusCode": 200, "headers": {"X-Bad": "a\r\nInjected: yes"}}, "cannot be sent"),
        ({"statusCode": 200, "headers": {"X-Bad": "snow \u2603"}}, "cannot be sent"),
        ({"statusCode": 200, "headers": {"Bad Name": "x"}}, "is not an HTTP token"),
        ({"statusCode": 200, "multiValueHeaders": {"X-Nul": ["a\x00b"]}}, "cannot be sent"),
        ({"statusCode": 200, "body": nested(100_000)}, "Unable to marshal response"),
        ({"statusCode": 200, "body": "x" * (6 * 1024 * 1024 + 200)}, "exceeded maximum allowed"),
    ],
)
def test_a_lambda_result_the_gateway_cannot_send_is_a_502(result, why):
    gw = lambda_gateway(lambda event, context: result)

    response = gw.client("prod").get("/fn")

    assert (response.status_code, response.get_data()) == (502, INTERNAL)
    assert gw.invocations()[-1].error == "INTEGRATION_FAILURE"
    assert any(why in e.message for e in gw.logs("prod")), [e.message for e in gw.logs("prod")]


@pytest.mark.parametrize("code", [0, 1, "bye"])
def test_a_handler_that_exits_is_a_502(code):
    def handler(event, context):
        raise SystemExit(code)

    gw = lambda_gateway(handler)
    response = gw.client("prod").get("/fn")

    assert response.status_code == 502
    assert any("Runtime exited with error" in e.message for e in gw.logs("prod"))


def test_a_handler_exception_whose_repr_fails_is_still_a_502():
    class Odd(Exception):
        def __repr__(self) -> str:
            raise RuntimeError("no repr")

    def handler(event, context):
        raise Odd()

    response = lambda_gateway(handler).client("prod").get("/fn")

    assert response.status_code == 502


def test_unsendable_headers_over_a_real_server_do_not_hang_the_client():
    gw = lambda_gateway(lambda event, context: {"headers": {"X-Snow": "\u2603"}, "body": "{}"})
    with gw.serve() as base_url:
        response = requests.get(f"{base_url}/prod/fn", timeout=5)

    assert response.status_code == 502


def test_a_fault_of_the_gateway_itself_is_a_logged_500_with_a_record(monkeypatch, caplog):
    from pytest_apistages.runtime import pipeline

    def broken(ctx):
        raise KeyError("a bug in a step")

    gw = lambda_gateway(lambda event, context: {"body": "{}"})
    steps = tuple(broken if s is pipeline.throttle else s for s in pipeline.STEPS)
    monkeypatch.setattr(pipeline, "STEPS", steps)

    response = gw.client("prod").get("/fn")

    assert (response.status_code, response.get_data()) == (500, INTERNAL)
    assert response.headers["x-amzn-ErrorType"] == "InternalServerErrorException"
    assert gw.invocations()[-1].error == "DEFAULT_5XX"
    assert "a bug in a step" in caplog.text
    assert any("KeyError" in e.message for e in gw.logs("prod"))
