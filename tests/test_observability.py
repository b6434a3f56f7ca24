"""Execution logs, access logs and CloudWatch-style metrics (reference section 9, and the canary's
log groups and metrics in section 4): levels and data tracing per method, AWS's line texts and
order, 1024-byte events, log group names, Python logging, `$context` access-log formats and
destinations, Count/4XX/5XX/latency/cache figures, per-method metrics, and refused settings.

The gateway's clock is frozen wherever a time is printed, so every expected line is exact."""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest

from pytest_apistages import BadRequestError, Gateway
from pytest_apistages.clients import ApiResponse
from pytest_apistages.observe.logs import MAX_EVENT_BYTES, LogEvent
from pytest_apistages.observe.metrics import Statistics

T0 = 1_700_000_000.0  # 14/Nov/2023:22:13:20 +0000
API_ID = "a1b2c3d4e5"
GROUP = f"API-Gateway-Execution-Logs_{API_ID}/prod"
KEY = "partner-key-0123456789abcdef"
TRUNCATED = " [TRUNCATED]"
DATA_LINES = (
    "Method request headers: ",
    "Method request body before transformations: ",
    "Endpoint request body after transformations: ",
    "Method response body after transformations: ",
)


def echo(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """`/sized/{n}` answers n copies of `?char=` (default `y`); anything else echoes the body."""
    if event["resource"] == "/sized/{n}":
        char = (event["queryStringParameters"] or {}).get("char", "y")
        body = char * int(event["pathParameters"]["n"])
    else:
        body = json.dumps({"got": event["body"]})
    return {"statusCode": 200, "headers": {"Content-Type": "application/json"}, "body": body}


def boom(event: dict[str, Any], context: Any) -> dict[str, Any]:
    raise RuntimeError("kaput")


def loud(event: dict[str, Any], context: Any) -> dict[str, Any]:
    raise RuntimeError("kaput " * 300)


def mock(body: str = "{}", status: int = 200) -> dict[str, Any]:
    return {"type": "MOCK", "status": status, "body": body}


def observed_gateway(**settings: Any) -> Gateway:
    """Stage prod (clock frozen at T0) with MOCK, Lambda and failing-Lambda routes; `settings`
    go to `update_stage`."""
    gw = Gateway(api_id=API_ID)
    gw.functions.register("echo", echo)
    gw.functions.register("boom", boom)
    gw.functions.register("loud", loud)
    gw.api.put_route("GET /pets/{id}", mock('{"id": 7}'))
    gw.api.put_route("GET /missing", mock('{"message": "not here"}', status=404))
    gw.api.put_route("GET /broken", mock('{"message": "broken"}', status=500))
    gw.api.put_route("GET /fn/{id}", "echo")
    gw.api.put_route("POST /fn/{id}", "echo")
    gw.api.put_route("GET /sized/{n}", "echo")
    gw.api.put_route("GET /boom", "boom")
    gw.api.put_route("GET /keyed", mock('{"ok": true}'), api_key_required=True)
    gw.api.put_route("GET /loud", "loud")
    gw.deploy("prod")
    if settings:
        gw.update_stage("prod", **settings)
    gw.clock.freeze(T0)
    return gw


def messages(gw: Gateway, response: ApiResponse, canary: bool = False) -> list[str]:
    """The execution-log lines of one request."""
    request_id = response.invocation.request_id
    return [e.message for e in gw.logs("prod", canary) if e.request_id == request_id]


def events_of(gw: Gateway, response: ApiResponse) -> list[LogEvent]:
    request_id = response.invocation.request_id
    return [e for e in gw.logs("prod") if e.request_id == request_id]


def in_order(lines: list[str], prefixes: list[str]) -> bool:
    """Each prefix starts some line, after the line the previous prefix started."""
    position = 0
    for prefix in prefixes:
        while position < len(lines) and not lines[position].startswith(prefix):
            position += 1
        if position == len(lines):
            return False
        position += 1
    return True


# -- execution logs: levels ------------------------------------------------------------------


def test_the_default_level_is_info_a_deliberate_difference_from_aws_off() -> None:
    gw = observed_gateway()
    assert gw.stage("prod").settings.for_route("GET /pets/{id}").logging_level == "INFO"
    assert gw.stage("prod").settings.for_route(None).logging_level == "INFO"

    response = gw.client("prod").get("/pets/7?type=admin&sort=asc")

    request_id = response.invocation.request_id
    assert messages(gw, response) == [
        f"Starting execution for request: {request_id}",
        "HTTP Method: GET, Resource Path: /pets/7",
        "Method request path: {id=7}",
        "Method request query string: {type=admin, sort=asc}",
        "Successfully completed execution",
        "Method completed with status: 200",
    ]
    assert {e.level for e in events_of(gw, response)} == {"INFO"}


def test_info_logs_a_lambda_call_in_aws_order() -> None:
    gw = observed_gateway()

    response = gw.client("prod").get("/fn/3?q=1")

    lines = messages(gw, response)
    assert lines[:4] == [
        f"Starting execution for request: {response.invocation.request_id}",
        "HTTP Method: GET, Resource Path: /fn/3",
        "Method request path: {id=3}",
        "Method request query string: {q=1}",
    ]
    assert lines[-2:] == ["Successfully completed execution", "Method completed with status: 200"]
    assert in_order(lines, ["Method request query string", "Endpoint request URI: https://lambda"])
    assert (
        "Endpoint request URI: https://lambda.us-east-1.amazonaws.com/2015-03-31/functions/"
        "arn:aws:lambda:us-east-1:123456789012:function:echo/invocations" in lines
    )


def test_info_without_data_trace_logs_no_request_or_response_data() -> None:
    gw = observed_gateway()

    response = gw.client("prod").post("/fn/3", data='{"secret": 1}')

    lines = messages(gw, response)
    assert response.status_code == 200 and lines
    assert [line for line in lines if line.startswith(DATA_LINES)] == []
    assert [line for line in lines if "secret" in line] == []  # no body, sent or received


def test_data_trace_adds_the_request_and_response_data_in_aws_order() -> None:
    gw = observed_gateway(logging={"level": "INFO", "data_trace": True})

    response = gw.client("prod").post("/fn/3?q=1", data='{"a": 1}', headers={"X-Trace-Me": "yes"})

    lines = messages(gw, response)
    request_id = response.invocation.request_id
    assert in_order(
        lines,
        [
            f"Starting execution for request: {request_id}",
            "HTTP Method: POST, Resource Path: /fn/3",
            "Method request path: {id=3}",
            "Method request query string: {q=1}",
            "Method request headers: {",
            'Method request body before transformations: {"a": 1}',
            'Endpoint request body after transformations: {"resource": "/fn/{id}"',
            'Method response body after transformations: {"got": "{\\"a\\": 1}"}',
            "Successfully completed execution",
            "Method completed with status: 200",
        ],
    ), lines
    headers = next(line for line in lines if line.startswith("Method request headers: "))
    assert "X-Trace-Me=yes" in headers


def test_data_trace_has_no_effect_at_error_level() -> None:
    gw = observed_gateway(logging={"level": "ERROR", "data_trace": True})

    assert messages(gw, gw.client("prod").post("/fn/1", data="x")) == []


def test_off_logs_nothing_even_for_errors() -> None:
    gw = observed_gateway(logging="OFF")
    api = gw.client("prod")

    responses = [api.get("/pets/1"), api.get("/boom"), api.get("/nowhere")]

    assert [r.status_code for r in responses] == [200, 502, 403]
    assert gw.logs("prod") == []
    assert len(gw.invocations("prod")) == 3  # served and recorded, just not logged


def test_error_level_logs_only_the_error_lines() -> None:
    gw = observed_gateway(logging="ERROR")
    api = gw.client("prod")

    ok, failed = api.get("/fn/1"), api.get("/boom")

    assert (ok.status_code, failed.status_code) == (200, 502)
    assert messages(gw, ok) == []
    lines = messages(gw, failed)
    assert len(lines) == 2
    assert lines[0].startswith(
        "Lambda execution failed with status 200 due to customer function error: "
        "RuntimeError('kaput'). Lambda request id: "
    )
    assert lines[1] == "Method completed with status: 502"
    assert {e.level for e in events_of(gw, failed)} == {"ERROR"}


def test_info_level_shows_the_error_lines_among_the_others() -> None:
    gw = observed_gateway()

    failed = gw.client("prod").get("/boom")

    lines = messages(gw, failed)
    assert lines[0] == f"Starting execution for request: {failed.invocation.request_id}"
    assert "Successfully completed execution" not in lines
    errors = [e.message for e in events_of(gw, failed) if e.level == "ERROR"]
    assert len(errors) == 2
    assert errors[0].startswith("Lambda execution failed with status 200 due to customer function")
    assert errors[1] == lines[-1] == "Method completed with status: 502"
    assert len(lines) > len(errors)


def test_a_method_logging_level_overrides_the_stage_level() -> None:
    gw = observed_gateway(
        logging="OFF",
        method_settings={
            "GET /pets/{id}": {"logging": "INFO"},
            "~1boom/GET": {"logging": "ERROR"},  # AWS's key form
        },
    )
    api = gw.client("prod")

    quiet, loud, failed = api.get("/fn/1"), api.get("/pets/1"), api.get("/boom")

    assert messages(gw, quiet) == []
    assert messages(gw, loud)[-1] == "Method completed with status: 200"
    assert len(messages(gw, loud)) == 6
    assert messages(gw, failed)[-1] == "Method completed with status: 502"
    assert {e.level for e in events_of(gw, failed)} == {"ERROR"}


def test_a_method_can_be_silenced_and_another_traced_while_the_stage_logs_info() -> None:
    gw = observed_gateway(
        method_settings={
            "GET /pets/{id}": {"logging": "OFF"},
            "POST /fn/{id}": {"logging": {"level": "INFO", "data_trace": True}},
        }
    )
    api = gw.client("prod")

    silenced, traced, plain = api.get("/pets/1"), api.post("/fn/1", data="hi"), api.get("/missing")

    assert messages(gw, silenced) == []
    assert "Method request body before transformations: hi" in messages(gw, traced)
    assert [m for m in messages(gw, plain) if m.startswith(DATA_LINES)] == []
    assert messages(gw, plain)[-1] == "Method completed with status: 404"


def test_a_logging_change_applies_at_once_without_a_deploy() -> None:
    gw = observed_gateway()
    api = gw.client("prod")
    deployment = gw.stage("prod").deployment_id
    assert messages(gw, api.get("/pets/1")) != []

    gw.update_stage("prod", logging="OFF")

    assert messages(gw, api.get("/pets/1")) == []
    assert gw.stage("prod").deployment_id == deployment


# -- execution logs: 1024-byte events --------------------------------------------------------


def response_body_event(gw: Gateway, response: ApiResponse) -> LogEvent:
    head = "Method response body after transformations: "
    return next(e for e in events_of(gw, response) if e.message.startswith(head))


def test_log_events_are_truncated_at_1024_bytes() -> None:
    """The event CloudWatch stores is `(request id) message`; it never exceeds 1024 bytes."""
    assert MAX_EVENT_BYTES == 1024
    gw = observed_gateway(logging={"level": "INFO", "data_trace": True})
    api = gw.client("prod")
    head = "Method response body after transformations: "
    room = 1024 - len("(00000000-0000-4000-8000-000000000000) ") - len(head)  # for the body

    fits = response_body_event(gw, api.get(f"/sized/{room}"))
    over = response_body_event(gw, api.get(f"/sized/{room + 1}"))

    assert fits.message == head + "y" * room
    assert len(fits.text.encode()) == 1024
    assert over.message == head + "y" * (room - len(TRUNCATED)) + TRUNCATED
    assert len(over.text.encode()) == 1024
    for event in gw.logs("prod"):
        assert len(event.text.encode()) <= 1024, event.text[:80]


def test_truncation_does_not_split_a_multibyte_character() -> None:
    gw = observed_gateway(logging={"level": "INFO", "data_trace": True})
    head = "Method response body after transformations: "
    room = 1024 - len("(00000000-0000-4000-8000-000000000000) ") - len(head) - len(TRUNCATED)

    event = response_body_event(gw, gw.client("prod").get("/sized/1000?char=€"))

    kept = room // 3  # "€" is 3 bytes in UTF-8
    assert event.message == head + "€" * kept + TRUNCATED
    assert len(event.text.encode()) == 1024 - room % 3


def test_a_long_lambda_error_is_truncated_too() -> None:
    gw = observed_gateway(logging="ERROR")

    failed = gw.client("prod").get("/loud")

    first = events_of(gw, failed)[0]
    assert first.level == "ERROR"
    assert first.message.startswith(
        "Lambda execution failed with status 200 due to customer function error: "
        "RuntimeError('kaput kaput "
    )
    assert first.message.endswith("kaput" + TRUNCATED)
    assert len(first.text.encode()) == 1024


# -- execution logs: groups and Python logging -----------------------------------------------


def test_execution_log_groups_are_awss_names_for_the_stage_and_its_canary() -> None:
    gw = observed_gateway()
    gw.deploy_canary("prod", 0)
    assert gw.log_group("prod") == GROUP
    assert gw.log_group("prod", canary=True) == f"{GROUP}/Canary"

    stage_response = gw.client("prod", canary=False).get("/pets/1")
    canary_response = gw.client("prod", canary=True).get("/pets/2")

    assert {e.group for e in gw.logs("prod")} == {GROUP}
    assert {e.group for e in gw.logs("prod", canary=True)} == {f"{GROUP}/Canary"}
    assert messages(gw, stage_response)[-1] == "Method completed with status: 200"
    assert messages(gw, canary_response) == []
    assert messages(gw, canary_response, canary=True)[1] == (
        "HTTP Method: GET, Resource Path: /pets/2"
    )
    assert {e.timestamp for e in gw.logs("prod") + gw.logs("prod", canary=True)} == {T0}


def test_execution_log_lines_reach_python_logging(caplog: pytest.LogCaptureFixture) -> None:
    gw = observed_gateway(method_settings={"POST /fn/{id}": {"logging": {"data_trace": True}}})
    api = gw.client("prod")

    with caplog.at_level(logging.DEBUG, logger="pytest_apistages"):
        traced = api.post("/fn/1", data="hello")
        failed = api.get("/boom")

    levels = {"INFO": logging.INFO, "ERROR": logging.ERROR, "DATA": logging.DEBUG}
    execution = [
        (r.levelno, r.getMessage())
        for r in caplog.records
        if r.name == "pytest_apistages" and r.getMessage().startswith(GROUP + " (")
    ]
    expected = [
        (levels[e.level], f"{e.group} {e.text}")
        for e in events_of(gw, traced) + events_of(gw, failed)
    ]
    assert execution == expected
    assert (logging.DEBUG, f"{GROUP} ({traced.invocation.request_id}) "
            "Method request body before transformations: hello") in execution  # fmt: skip
    assert execution[-1] == (
        logging.ERROR,
        f"{GROUP} ({failed.invocation.request_id}) Method completed with status: 502",
    )


def test_nothing_reaches_python_logging_when_logging_is_off(
    caplog: pytest.LogCaptureFixture,
) -> None:
    gw = observed_gateway(logging="OFF")

    with caplog.at_level(logging.DEBUG, logger="pytest_apistages"):
        assert gw.client("prod").get("/fn/1").status_code == 200

    assert [r.getMessage() for r in caplog.records if r.name == "pytest_apistages"] == []


# -- access logs -----------------------------------------------------------------------------

FIELDS = (
    "$context.requestId $context.identity.sourceIp $context.httpMethod $context.resourcePath "
    "$context.status $context.responseLength $context.requestTime $context.isCanaryRequest "
    "$context.identity.apiKey"
)


def keyed_gateway(format: str, destination: str = "access") -> tuple[Gateway, str]:
    """observed_gateway with an access log, an API key `partner` in a plan for prod; returns
    the key's id."""
    gw = observed_gateway(access_log={"format": format, "destination": destination})
    key = gw.api_keys.create("partner", KEY)
    gw.usage_plans.create("gold", stages=["prod"], keys=["partner"])
    return gw, key.id


def test_an_access_log_line_renders_the_context_variables() -> None:
    extra = (
        " $context.identity.apiKeyId $context.stage $context.path $context.protocol "
        "$context.requestTimeEpoch $context.apiId $context.httpMethod"
    )
    gw, key_id = keyed_gateway(FIELDS + extra)

    response = gw.client("prod").get(
        "/keyed", headers={"X-API-Key": KEY}, environ_base={"REMOTE_ADDR": "198.51.100.7"}
    )

    request_id = response.invocation.request_id
    assert response.status_code == 200
    length = len(response.get_data())
    assert [e.message for e in gw.access_logs("prod")] == [
        f"{request_id} 198.51.100.7 GET /keyed 200 {length} 14/Nov/2023:22:13:20 +0000 false "
        f"{KEY} {key_id} prod /prod/keyed HTTP/1.1 1700000000000 {API_ID} GET"
    ]
    (event,) = gw.access_logs("prod")
    assert (event.group, event.request_id, event.timestamp) == ("access", request_id, T0)


def test_missing_values_print_a_dash() -> None:
    gw, _ = keyed_gateway(
        FIELDS + " $context.identity.caller $context.identity.user $context.integrationLatency "
        "$context.error.responseType"
    )

    response = gw.client("prod").get("/nowhere")

    assert response.status_code == 403
    (line,) = [e.message for e in gw.access_logs("prod")]
    assert line == (
        f"{response.invocation.request_id} 127.0.0.1 GET - 403 {len(response.get_data())} "
        "14/Nov/2023:22:13:20 +0000 false - - - - MISSING_AUTHENTICATION_TOKEN"
    )


def test_a_json_format_renders_as_json() -> None:
    gw, _ = keyed_gateway(
        '{"requestId":"$context.requestId","ip":"$context.identity.sourceIp",'
        '"status":"$context.status","resource":"$context.resourcePath",'
        '"error":"$context.error.message"}'
    )

    response = gw.client("prod").get("/missing")

    (line,) = [e.message for e in gw.access_logs("prod")]
    assert json.loads(line) == {
        "requestId": response.invocation.request_id,
        "ip": "127.0.0.1",
        "status": "404",
        "resource": "/missing",
        "error": "-",
    }


def test_punctuation_after_a_variable_is_kept() -> None:
    gw, _ = keyed_gateway("id=$context.requestId. status=$context.status, done")

    response = gw.client("prod").get("/pets/1")

    (line,) = [e.message for e in gw.access_logs("prod")]
    assert line == f"id={response.invocation.request_id}. status=200, done"


@pytest.mark.parametrize(
    "destination",
    [
        "access",
        "arn:aws:logs:us-east-1:123456789012:log-group:access:*",
        "arn:aws:logs:us-east-1:123456789012:log-group:access",
    ],
    ids=["name", "arn-with-star", "arn"],
)
def test_the_destination_is_a_log_group_name_or_its_arn(destination: str) -> None:
    gw, _ = keyed_gateway("$context.requestId $context.status", destination)

    response = gw.client("prod").get("/pets/1")

    assert [(e.group, e.message) for e in gw.access_logs("prod")] == [
        ("access", f"{response.invocation.request_id} 200")
    ]


def test_the_destination_defaults_to_access_logs() -> None:
    gw = observed_gateway(access_log={"format": "$context.requestId"})

    response = gw.client("prod").get("/pets/1")

    assert [(e.group, e.message) for e in gw.access_logs("prod")] == [
        ("access-logs", response.invocation.request_id)
    ]


def test_canary_access_log_lines_go_to_the_group_slash_canary() -> None:
    gw, _ = keyed_gateway(
        "$context.requestId $context.isCanaryRequest",
        "arn:aws:logs:us-east-1:123456789012:log-group:access:*",
    )
    gw.deploy_canary("prod", 0)

    stage_response = gw.client("prod", canary=False).get("/pets/1")
    canary_response = gw.client("prod", canary=True).get("/pets/1")

    assert [(e.group, e.message) for e in gw.access_logs("prod")] == [
        ("access", f"{stage_response.invocation.request_id} false")
    ]
    assert [(e.group, e.message) for e in gw.access_logs("prod", canary=True)] == [
        ("access/Canary", f"{canary_response.invocation.request_id} true")
    ]


def test_access_log_false_stops_access_logging() -> None:
    settings = {"format": "$context.requestId", "destination": "access"}
    gw = observed_gateway(access_log=settings)
    api = gw.client("prod")
    before = api.get("/pets/1")

    gw.update_stage("prod", access_log=False)
    assert gw.stage("prod").settings.access_log is None
    unlogged = api.get("/pets/1")
    assert gw.access_logs("prod") == []
    gw.update_stage("prod", access_log=settings)
    after = api.get("/pets/1")

    logged = [e.message for e in gw.access_logs("prod")]
    assert logged == [before.invocation.request_id, after.invocation.request_id]
    assert unlogged.invocation.request_id not in logged


def test_execution_logging_off_does_not_stop_the_access_log() -> None:
    gw = observed_gateway(logging="OFF", access_log={"format": "$context.requestId"})

    response = gw.client("prod").get("/pets/1")

    assert gw.logs("prod") == []
    assert [e.message for e in gw.access_logs("prod")] == [response.invocation.request_id]


def test_no_access_log_without_settings() -> None:
    gw = observed_gateway()
    gw.client("prod").get("/pets/1")

    assert gw.stage("prod").settings.access_log is None
    assert gw.access_logs("prod") == []


# -- metrics ---------------------------------------------------------------------------------


def send(gw: Gateway, paths: list[str], canary: bool | None = None) -> list[int]:
    api = gw.client("prod", canary=canary)
    return [api.get(path).status_code for path in paths]


MIXED = ["/pets/1", "/pets/2", "/fn/1", "/missing", "/nowhere", "/broken", "/boom", "/missing"]


def test_count_and_error_counts() -> None:
    gw = observed_gateway()

    assert send(gw, MIXED) == [200, 200, 200, 404, 403, 500, 502, 404]

    metrics = gw.metrics("prod")
    assert (metrics.count, metrics.error_4xx, metrics.error_5xx) == (8, 3, 2)
    assert (metrics.cache_hit_count, metrics.cache_miss_count) == (0, 0)


def test_as_cloudwatch_uses_cloudwatch_metric_names() -> None:
    gw = observed_gateway()
    send(gw, MIXED)

    metrics = gw.metrics("prod")
    figures = metrics.as_cloudwatch()

    assert figures == {
        "Count": 8,
        "4XXError": 3,
        "5XXError": 2,
        "Latency": metrics.latency.average,
        "IntegrationLatency": metrics.integration_latency.average,
        "CacheHitCount": 0,
        "CacheMissCount": 0,
    }


def test_latency_statistics_are_consistent() -> None:
    gw = observed_gateway()
    send(gw, ["/fn/1", "/fn/2", "/fn/3", "/pets/1", "/nowhere"])

    metrics = gw.metrics("prod")

    for stats in (metrics.latency, metrics.integration_latency):
        assert stats.minimum <= stats.p50 <= stats.p99 <= stats.maximum
        assert stats.minimum <= stats.average <= stats.maximum
        assert stats.minimum > 0
    assert metrics.latency.sample_count == metrics.count == 5
    assert metrics.integration_latency.sample_count == 3  # the Lambda calls
    for record in gw.invocations("prod"):  # the integration is part of the request's latency
        assert record.integration_latency_ms <= record.latency_ms


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        ([], Statistics(0, 0.0, 0.0, 0.0, 0.0, 0.0)),
        ([7.0], Statistics(1, 7.0, 7.0, 7.0, 7.0, 7.0)),
        ([5.0, 1.0, 4.0, 2.0, 3.0], Statistics(5, 3.0, 1.0, 5.0, 3.0, 5.0)),
        ([float(v) for v in range(100, 0, -1)], Statistics(100, 50.5, 1.0, 100.0, 50.0, 99.0)),
        ([float(v) for v in range(1, 201)], Statistics(200, 100.5, 1.0, 200.0, 100.0, 198.0)),
    ],
    ids=["empty", "one", "five", "hundred", "two-hundred"],
)
def test_statistics_use_nearest_rank_percentiles(values: list[float], expected: Statistics) -> None:
    assert Statistics.of(values) == expected


def test_cache_hits_and_misses_are_metrics() -> None:
    gw = observed_gateway(caching={"enabled": True})

    send(gw, ["/pets/1", "/pets/1", "/fn/1", "/fn/1", "/fn/1", "/pets/1"])

    metrics = gw.metrics("prod")
    assert (metrics.cache_hit_count, metrics.cache_miss_count) == (4, 2)
    assert metrics.as_cloudwatch()["CacheHitCount"] == 4
    assert metrics.as_cloudwatch()["CacheMissCount"] == 2
    assert metrics.integration_latency.sample_count == 1  # one Lambda call reached the backend


def test_per_method_metrics_need_metrics_enabled() -> None:
    gw = observed_gateway()
    send(gw, ["/pets/1"])

    with pytest.raises(BadRequestError) as refused:
        gw.metrics("prod", route="GET /pets/{id}")

    assert str(refused.value) == (
        "No per-method metrics for GET /pets/{id} on stage prod: enable them with metrics: true "
        "(for the stage) or method_settings: {'GET /pets/{id}': {metrics: true}}"
    )


def test_stage_metrics_give_per_method_figures_for_that_route_only() -> None:
    gw = observed_gateway(metrics=True)
    send(gw, ["/pets/1", "/pets/2", "/missing", "/fn/1", "/pets/3", "/nowhere"])

    pets = gw.metrics("prod", route="GET /pets/{id}")
    missing = gw.metrics("prod", route="~1missing/GET")  # AWS's key form

    assert (pets.count, pets.error_4xx, pets.error_5xx) == (3, 0, 0)
    assert pets.latency.sample_count == 3
    assert (missing.count, missing.error_4xx) == (1, 1)
    assert gw.metrics("prod", route="GET /boom").count == 0
    assert gw.metrics("prod").count == 6  # the stage counts them all, unmatched ones too


def test_a_method_setting_enables_per_method_metrics_for_that_method_only() -> None:
    gw = observed_gateway(method_settings={"GET /missing": {"metrics": True}})
    send(gw, ["/missing", "/pets/1", "/missing"])

    assert gw.metrics("prod", route="GET /missing").count == 2
    with pytest.raises(BadRequestError, match=r"No per-method metrics for GET /pets/\{id\}"):
        gw.metrics("prod", route="GET /pets/{id}")


def test_a_method_setting_can_turn_off_per_method_metrics_the_stage_enables() -> None:
    gw = observed_gateway(metrics=True, method_settings={"GET /missing": {"metrics": False}})

    assert gw.metrics("prod", route="GET /pets/{id}").count == 0
    with pytest.raises(BadRequestError, match="No per-method metrics for GET /missing"):
        gw.metrics("prod", route="GET /missing")


def test_canary_metrics_are_kept_apart() -> None:
    gw = observed_gateway(metrics=True)
    gw.api.put_route("GET /pets/{id}", mock("broken", status=500))
    gw.deploy_canary("prod", 0)

    assert send(gw, ["/pets/1", "/missing"], canary=False) == [200, 404]
    assert send(gw, ["/pets/1", "/pets/2", "/nowhere"], canary=True) == [500, 500, 403]

    stage, canary = gw.metrics("prod"), gw.metrics("prod", canary=True)
    assert (stage.count, stage.error_4xx, stage.error_5xx) == (2, 1, 0)
    assert (canary.count, canary.error_4xx, canary.error_5xx) == (3, 1, 2)
    canary_pets = gw.metrics("prod", canary=True, route="GET /pets/{id}")
    assert (canary_pets.count, canary_pets.error_5xx) == (2, 2)
    assert gw.metrics("prod", route="GET /pets/{id}").count == 1


def test_metrics_logging_and_access_log_from_the_config() -> None:
    gw = Gateway.from_dict(
        {
            "api": {"id": API_ID, "routes": {"GET /pets": mock("[]"), "GET /x": mock()}},
            "stages": {
                "prod": {
                    "metrics": True,
                    "logging": {"level": "ERROR"},
                    "access_log": {
                        "format": "$context.requestId $context.status",
                        "destination": "arn:aws:logs:us-east-1:123456789012:log-group:prod-access",
                    },
                    "method_settings": {"GET /x": {"logging": "INFO"}},
                }
            },
        }
    )
    gw.clock.freeze(T0)
    api = gw.client("prod")

    pets, x = api.get("/pets"), api.get("/x")

    assert gw.metrics("prod", route="GET /pets").count == 1
    assert [e.request_id for e in gw.logs("prod")] == [x.invocation.request_id] * 6
    assert [(e.group, e.message) for e in gw.access_logs("prod")] == [
        ("prod-access", f"{pets.invocation.request_id} 200"),
        ("prod-access", f"{x.invocation.request_id} 200"),
    ]


# -- refused settings ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"logging": "DEBUG"}, "logging: unknown level 'DEBUG'; use one of OFF, ERROR, INFO"),
        (
            {"logging": {"level": "TRACE"}},
            "logging: unknown level 'TRACE'; use one of OFF, ERROR, INFO",
        ),
        (
            {"logging": {"level": "INFO", "verbose": True}},
            "logging: unknown key 'verbose'; use level, data_trace",
        ),
        (
            {"logging": {"level": "INFO", "data_trace": "yes"}},
            "data_trace must be true or false, got 'yes'",
        ),
        (
            {"method_settings": {"GET /pets/{id}": {"logging": "LOUD"}}},
            "method_settings.GET /pets/{id}.logging: unknown level 'LOUD'; use one of OFF, "
            "ERROR, INFO",
        ),
        ({"metrics": "yes"}, "metrics must be true or false, got 'yes'"),
        ({"metrics": 1}, "metrics must be true or false, got 1"),
        (
            {"method_settings": {"GET /pets/{id}": {"metrics": "on"}}},
            "method_settings.GET /pets/{id}.metrics must be true or false, got 'on'",
        ),
        (
            {"access_log": {"format": "$context.status", "destination": "access"}},
            "access_log.format must include $context.requestId (AWS refuses formats without it)",
        ),
        (
            {"access_log": {"destination": "access"}},
            "access_log.format must include $context.requestId (AWS refuses formats without it)",
        ),
        (
            {"access_log": {"format": "$context.requestId\n$context.status"}},
            "access_log.format must be one line",
        ),
        (
            {"access_log": {"format": "$context.requestId", "destination": ""}},
            # AWS's text (recorded: LocalStack's test_stage_access_log_settings_validation)
            "Access Log value must not be empty (access_log.destination)",
        ),
        (
            {"access_log": {"format": "$context.requestId", "group": "x"}},
            "access_log: unknown key 'group'; use format, destination",
        ),
    ],
    ids=[
        "level",
        "level-in-mapping",
        "logging-key",
        "data-trace",
        "method-level",
        "metrics-string",
        "metrics-int",
        "method-metrics",
        "access-log-no-request-id",
        "access-log-no-format",
        "access-log-newline",
        "access-log-no-destination",
        "access-log-key",
    ],
)
def test_invalid_observability_settings_are_refused_and_change_nothing(
    settings: dict[str, Any], message: str
) -> None:
    gw = observed_gateway()
    before = gw.stage("prod")

    with pytest.raises(BadRequestError) as refused:
        gw.update_stage("prod", **settings)

    assert str(refused.value) == message
    assert gw.stage("prod") == before


def test_logging_levels_are_case_insensitive() -> None:
    gw = observed_gateway(logging="error")

    assert gw.stage("prod").settings.for_route("GET /pets/{id}").logging_level == "ERROR"


def test_access_log_true_is_refused_not_ignored() -> None:
    """`access_log` takes the settings or False; True says nothing about format or destination."""
    gw = observed_gateway()

    with pytest.raises(BadRequestError, match="access_log"):
        gw.update_stage("prod", access_log=True)


def test_a_failing_function_still_has_an_integration_latency() -> None:
    gw = Gateway()

    def boom(event: object, context: object) -> object:
        raise RuntimeError("boom")

    gw.functions.register("boom", boom)
    gw.api.put_route("GET /x", "boom")
    gw.deploy("s")

    assert gw.client("s").get("/x").status_code == 502
    assert gw.metrics("s").integration_latency.sample_count == 1


def test_per_route_metrics_for_a_route_the_stage_does_not_serve_are_refused() -> None:
    gw = Gateway()
    gw.api.put_route("GET /x", {"type": "MOCK"})
    gw.deploy("s")
    gw.update_stage("s", metrics=True)

    with pytest.raises(BadRequestError, match=r"^No route GET /y on stage s \(routes: GET /x\)"):
        gw.metrics("s", route="GET /y")
