"""Each pipeline step on its own: a `Services` built from its real parts, a `Served` snapshot
built from model values, a `RequestContext` over a minimal WSGI environ, and one step called
directly. No `Gateway` anywhere."""

from __future__ import annotations

import io
import json
import re
from typing import Any

import pytest

from pytest_apistages import errors
from pytest_apistages.clock import Clock
from pytest_apistages.draws import Draws
from pytest_apistages.functions import Functions
from pytest_apistages.model import (
    ApiDefinition,
    Canary,
    Deployment,
    EffectiveSettings,
    Integration,
    MethodSettings,
    Route,
    Stage,
    StageSettings,
    frozen_map,
)
from pytest_apistages.observe.records import Invocation, Records
from pytest_apistages.runtime.cache import StageCaches, cache_lookup, cache_store
from pytest_apistages.runtime.context import (
    GatewayFailure,
    RequestContext,
    Served,
    Services,
    resource_id,
)
from pytest_apistages.runtime.integrations.http import Backends
from pytest_apistages.runtime.keys import check_api_key
from pytest_apistages.runtime.limits import Limiter
from pytest_apistages.runtime.pipeline import (
    FORCE_CANARY_KEY,
    choose_deployment,
    integrate,
    integration_request,
    integration_response,
    match_route,
    resolve_stage,
)
from pytest_apistages.runtime.request import MAX_PAYLOAD, RAW_HEADERS_KEY, read_body, read_request
from pytest_apistages.runtime.respond import RECORD_SINK_KEY, gateway_response, record
from pytest_apistages.runtime.throttling import throttle
from pytest_apistages.usage import ApiKeys, Throttle, UsagePlans

API_ID, REGION, ACCOUNT = "a1b2c3d4e5", "eu-west-1", "123456789012"
NOW = 1_700_000_000.0  # 14/Nov/2023:22:13:20 +0000
SEED = 7
KEY_VALUE = "k" * 20 + "-good"
UUID4 = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")


# -- building blocks -------------------------------------------------------------------------


def route(key: str, integration: Integration | None = None, **options: Any) -> Route:
    """A route; by default a MOCK answering with its own key."""
    method, path = key.split()
    return Route(method, path, integration or Integration("MOCK", body=json.dumps(key)), **options)


def deployment(deployment_id: str, *routes: Route) -> Deployment:
    api = ApiDefinition()
    for r in routes:
        api = api.with_route(r)
    return Deployment(deployment_id, api)


def serve(
    *routes: Route,
    variables: dict[str, str] | None = None,
    settings: StageSettings | None = None,
    canary: Canary | None = None,
    canary_routes: tuple[Route, ...] = (),
) -> Served:
    """What stage `prod` serves: deployment `d1` of `routes`, and canary `c1` when given."""
    stage = Stage(
        "prod",
        "d1",
        variables=frozen_map(variables or {}),
        settings=settings or StageSettings(),
        canary=canary,
    )
    if canary is None:
        return Served(stage, deployment("d1", *routes))
    return Served(
        stage,
        deployment("d1", *routes),
        deployment(canary.deployment_id, *(canary_routes or routes)),
        canary.stage_variables(stage.variables),
    )


def make_services(served: Served | None = None) -> Services:
    clock = Clock()
    clock.freeze(NOW)
    draws = Draws(SEED)
    keys = ApiKeys()
    return Services(
        api_id=API_ID,
        region=REGION,
        account_id=ACCOUNT,
        clock=clock,
        draws=draws,
        limiter=Limiter(),
        caches=StageCaches(),
        functions=Functions(REGION, ACCOUNT, draws.alias),
        backends=Backends(),
        api_keys=keys,
        usage_plans=UsagePlans(keys),
        records=Records(),
        account_throttle=Throttle(10000.0, 5000),
        served={"prod": served} if served is not None else {},
    )


def environ(
    method: str = "GET",
    path: str = "/prod/pets",
    query: str = "",
    headers: list[tuple[str, str]] | None = None,
    body: bytes = b"",
    **extra: Any,
) -> dict[str, Any]:
    """A minimal WSGI environ, with the client's headers under `apistages.raw_headers`."""
    env: dict[str, Any] = {
        "REQUEST_METHOD": method,
        "PATH_INFO": path,
        "QUERY_STRING": query,
        "REMOTE_ADDR": "10.0.0.1",
        "HTTP_HOST": f"{API_ID}.execute-api.{REGION}.amazonaws.com",
        "wsgi.input": io.BytesIO(body),
    }
    if body:
        env["CONTENT_LENGTH"] = str(len(body))
    if headers:
        env[RAW_HEADERS_KEY] = headers
    env.update(extra)
    return env


ROUTING = (read_request, read_body, resolve_stage, choose_deployment, match_route)


def routed(services: Services, method: str = "GET", path: str = "/prod/pets", **env: Any):
    """A context taken through the steps up to route matching."""
    ctx = RequestContext(services, environ(method, path, **env))
    for step in ROUTING:
        step(ctx)
    return ctx


def fails(step, ctx: RequestContext, kind: errors.GatewayErrorKind) -> GatewayFailure:
    with pytest.raises(GatewayFailure) as failed:
        step(ctx)
    assert failed.value.kind is kind
    return failed.value


PETS = (route("GET /pets"), route("GET /pets/mine"), route("GET /pets/{id}"))


@pytest.fixture
def services() -> Services:
    return make_services(serve(*PETS))


# -- read request ----------------------------------------------------------------------------


def test_read_request_keeps_the_raw_path_and_query(services):
    ctx = RequestContext(services, environ(path="/prod/a/b c", RAW_URI="/prod/a%2Fb%20c?q=%2F&x=1"))

    read_request(ctx)

    assert (ctx.raw_path, ctx.query_string) == ("/prod/a%2Fb%20c", "q=%2F&x=1")


def test_read_request_quotes_a_decoded_path_info_without_a_raw_uri(services):
    ctx = RequestContext(services, environ(path="/prod/a b", query="x=1"))

    read_request(ctx)

    assert (ctx.method, ctx.raw_path, ctx.query_string) == ("GET", "/prod/a%20b", "x=1")


def test_read_request_keeps_the_client_header_case(services):
    sent = [("x-CuStOm", "1"), ("Content-Length", "0"), ("accept", "*/*")]
    ctx = RequestContext(services, environ(headers=sent))

    read_request(ctx)

    assert ctx.headers == [
        ("x-CuStOm", "1"),
        ("accept", "*/*"),
        ("X-Forwarded-For", "10.0.0.1"),
        ("X-Amzn-Trace-Id", ctx.trace_id),
        ("X-Forwarded-Port", "443"),
        ("X-Forwarded-Proto", "https"),
    ]
    assert ctx.header("X-CUSTOM") == "1"


def test_read_request_without_raw_headers_spells_environ_headers_as_usual(services):
    ctx = RequestContext(services, environ(HTTP_X_CUSTOM_THING="1", CONTENT_TYPE="text/plain"))

    read_request(ctx)

    assert ("X-Custom-Thing", "1") in ctx.headers
    assert ("Content-Type", "text/plain") in ctx.headers


def test_read_request_appends_the_source_ip_to_x_forwarded_for(services):
    sent = [("X-Forwarded-For", "203.0.113.9"), ("X-Forwarded-Proto", "http")]
    ctx = RequestContext(services, environ(headers=sent))

    read_request(ctx)

    assert ctx.header("X-Forwarded-For") == "203.0.113.9, 10.0.0.1"
    assert [v for k, v in ctx.headers if k.lower() == "x-forwarded-proto"] == ["http"]


def test_read_request_sets_the_ids_and_time_from_the_services(services):
    ctx = RequestContext(services, environ(method="post"))

    read_request(ctx)

    assert (ctx.request_id, ctx.extended_request_id) == Draws(SEED).request_ids()
    assert UUID4.match(ctx.request_id)
    assert re.match(r"^[A-Za-z0-9_-]{15}=$", ctx.extended_request_id)
    assert ctx.started == NOW
    assert ctx.method == "POST"
    assert ctx.source_ip == "10.0.0.1"
    assert ctx.host == f"{API_ID}.execute-api.{REGION}.amazonaws.com"
    assert ctx.log[0] == ("INFO", "Starting execution for request: {}", (ctx.request_id,))


def test_read_request_ids_differ_between_requests(services):
    first, second = RequestContext(services, environ()), RequestContext(services, environ())

    read_request(first)
    read_request(second)

    assert first.request_id != second.request_id
    assert first.extended_request_id != second.extended_request_id


# -- read body -------------------------------------------------------------------------------


def test_read_body_reads_content_length_bytes(services):
    ctx = RequestContext(services, environ(body=b'{"a": 1}'))

    read_body(ctx)

    assert ctx.body == b'{"a": 1}'


def test_read_body_accepts_exactly_ten_megabytes(services):
    ctx = RequestContext(services, environ(body=b"x" * MAX_PAYLOAD))

    read_body(ctx)

    assert len(ctx.body) == MAX_PAYLOAD == 10 * 1024 * 1024


def test_read_body_refuses_a_declared_length_over_ten_megabytes(services):
    ctx = RequestContext(services, environ(CONTENT_LENGTH=str(MAX_PAYLOAD + 1)))

    fails(read_body, ctx, errors.PAYLOAD_TOO_LARGE)


def test_read_body_answers_400_when_the_body_is_shorter_than_declared(services):
    env = environ(body=b"short", CONTENT_LENGTH="100")
    ctx = RequestContext(services, env)

    failure = fails(read_body, ctx, errors.TRUNCATED_BODY)
    assert "Content-Length (100)" in failure.reason


def test_read_body_reads_a_chunked_body_the_server_terminates(services):
    env = environ(HTTP_TRANSFER_ENCODING="chunked", **{"wsgi.input_terminated": True})
    env["wsgi.input"] = io.BytesIO(b"chunked body")
    ctx = RequestContext(services, env)

    read_body(ctx)

    assert ctx.body == b"chunked body"


def test_read_body_refuses_a_chunked_body_over_ten_megabytes(services):
    env = environ(HTTP_TRANSFER_ENCODING="chunked", **{"wsgi.input_terminated": True})
    env["wsgi.input"] = io.BytesIO(b"x" * (MAX_PAYLOAD + 1))
    ctx = RequestContext(services, env)

    fails(read_body, ctx, errors.PAYLOAD_TOO_LARGE)


# -- resolve stage ---------------------------------------------------------------------------


def test_resolve_stage_unknown_stage_is_missing_authentication_token(services):
    ctx = RequestContext(services, environ(path="/dev/pets"))
    read_request(ctx)

    failure = fails(resolve_stage, ctx, errors.MISSING_AUTHENTICATION_TOKEN)

    assert failure.reason == "No stage named 'dev'"
    assert (ctx.stage_name, ctx.served) == ("dev", None)


@pytest.mark.parametrize(
    ("raw_path", "path"),
    [("/prod/pets", "/pets"), ("/prod//x", "/x"), ("//prod/x", "/x"), ("/prod", "/")],
)
def test_resolve_stage_splits_stage_and_path(services, raw_path, path):
    ctx = RequestContext(services, environ())
    ctx.raw_path = raw_path

    resolve_stage(ctx)

    assert (ctx.stage_name, ctx.path) == ("prod", path)
    assert ctx.served is services.served["prod"]


def test_resolve_stage_takes_the_snapshot_of_that_instant(services):
    before = services.served["prod"]
    ctx = RequestContext(services, environ(path="/prod/pets"))
    read_request(ctx)
    resolve_stage(ctx)

    services.served["prod"] = serve(route("GET /other"))  # the stage moves mid-request
    choose_deployment(ctx)
    match_route(ctx)

    assert ctx.served is before
    assert ctx.deployment is before.deployment
    assert ctx.match is not None and ctx.match.route.key == "GET /pets"


# -- choose deployment -----------------------------------------------------------------------


def canary_services(percent: float) -> Services:
    canary = Canary(percent, "c1", frozen_map({"colour": "blue", "extra": "1"}))
    return make_services(serve(*PETS, variables={"colour": "red", "size": "L"}, canary=canary))


def chosen(services: Services, **env: Any) -> RequestContext:
    ctx = RequestContext(services, environ(**env))
    read_request(ctx)
    resolve_stage(ctx)
    choose_deployment(ctx)
    return ctx


def test_choose_deployment_without_canary_serves_the_stage_deployment(services):
    ctx = chosen(services)

    assert ctx.canary is False
    assert ctx.deployment is services.served["prod"].deployment


def test_choose_deployment_canary_percent_zero_never_picks_the_canary():
    services = canary_services(0.0)

    assert not any(chosen(services).canary for _ in range(200))


def test_choose_deployment_canary_percent_hundred_always_picks_the_canary():
    services = canary_services(100.0)

    contexts = [chosen(services) for _ in range(200)]

    assert all(ctx.canary for ctx in contexts)
    assert {ctx.deployment.id for ctx in contexts} == {"c1"}


def test_choose_deployment_canary_sees_the_variables_overlaid():
    services = canary_services(100.0)

    assert chosen(services).variables == {"colour": "blue", "size": "L", "extra": "1"}


def test_choose_deployment_stage_request_sees_the_stage_variables():
    services = canary_services(0.0)

    ctx = chosen(services)

    assert ctx.variables == {"colour": "red", "size": "L"}
    assert ctx.deployment.id == "d1"


def test_choose_deployment_force_canary_key_overrides_the_draw():
    forced_in = chosen(canary_services(0.0), **{FORCE_CANARY_KEY: True})
    forced_out = chosen(canary_services(100.0), **{FORCE_CANARY_KEY: False})

    assert (forced_in.canary, forced_in.deployment.id) == (True, "c1")
    assert (forced_out.canary, forced_out.deployment.id) == (False, "d1")


def test_choose_deployment_forcing_a_missing_canary_serves_the_stage(services):
    """The test client refuses canary=True without a canary before sending; a raw environ
    that asks for it anyway is served by the stage's deployment."""
    ctx = chosen(services, **{FORCE_CANARY_KEY: True})

    assert (ctx.canary, ctx.deployment.id) == (False, "d1")


# -- match route -----------------------------------------------------------------------------


def test_match_route_applies_aws_precedence():
    services = make_services(serve(*PETS, route("GET /{proxy+}")))

    assert routed(services, path="/prod/pets/mine").match.route.key == "GET /pets/mine"
    found = routed(services, path="/prod/pets/7").match
    assert (found.route.key, dict(found.path_parameters)) == ("GET /pets/{id}", {"id": "7"})
    assert routed(services, path="/prod/pets/7/toys").match.route.key == "GET /{proxy+}"


def test_match_route_looks_up_the_route_settings():
    settings = StageSettings(
        frozen_map(
            {
                "*/*": MethodSettings(throttling_rate=5.0, logging_level="ERROR"),
                "GET /pets/{id}": MethodSettings(caching_enabled=True, cache_ttl=60),
            }
        )
    )
    services = make_services(serve(*PETS, settings=settings))

    ctx = routed(services, path="/prod/pets/7")

    assert ctx.settings == EffectiveSettings(
        logging_level="ERROR", throttling_rate=5.0, caching_enabled=True, cache_ttl=60
    )
    assert routed(services, path="/prod/pets").settings == EffectiveSettings(
        logging_level="ERROR", throttling_rate=5.0
    )


def test_match_route_without_a_route_is_missing_authentication_token(services):
    ctx = chosen(services, method="DELETE", path="/prod/pets")

    failure = fails(match_route, ctx, errors.MISSING_AUTHENTICATION_TOKEN)

    assert failure.reason == "No route for DELETE /pets in deployment d1"
    assert ctx.match is None


# -- API key ---------------------------------------------------------------------------------


@pytest.fixture
def keyed() -> Services:
    services = make_services(serve(route("GET /pets", api_key_required=True), route("GET /free")))
    services.api_keys.create("good", KEY_VALUE)
    services.api_keys.create("off", "o" * 20, enabled=False)
    services.api_keys.create("loose", "l" * 20)
    services.usage_plans.create("gold", stages=["prod"], keys=["good", "off"])
    services.usage_plans.create("elsewhere", stages=["dev"], keys=["loose"])
    return services


def key_request(services: Services, value: str | None, path: str = "/prod/pets"):
    return routed(services, path=path, headers=[("x-api-key", value)] if value else None)


@pytest.mark.parametrize(
    ("value", "why"),
    [
        (None, "no API key was sent"),
        ("u" * 24, "API Key not found"),
        ("o" * 20, "API Key is disabled"),
        ("l" * 20, f"API Key is not associated with a Usage Plan for API Stage {API_ID}/prod"),
    ],
)
def test_check_api_key_refuses_without_a_usable_key(keyed, value, why):
    ctx = key_request(keyed, value)

    failure = fails(check_api_key, ctx, errors.INVALID_API_KEY)

    assert failure.reason.endswith(f"requires API Key: {why}")
    assert ctx.api_key is None


def test_check_api_key_accepts_a_key_in_a_plan_for_the_stage(keyed):
    ctx = key_request(keyed, KEY_VALUE)

    check_api_key(ctx)

    assert ctx.api_key == keyed.api_keys.get("good")
    assert ctx.usage_plan == keyed.usage_plans.get("gold")


def test_check_api_key_ignores_methods_that_need_none(keyed):
    ctx = key_request(keyed, None, path="/prod/free")

    check_api_key(ctx)

    assert ctx.api_key is None


# -- throttle --------------------------------------------------------------------------------


def throttled_services(rate: float, burst: int) -> Services:
    settings = StageSettings(
        frozen_map({"*/*": MethodSettings(throttling_rate=rate, throttling_burst=burst)})
    )
    return make_services(serve(*PETS, settings=settings))


def test_throttle_admits_the_burst_on_a_frozen_clock():
    services = throttled_services(1.0, 2)

    for _ in range(2):
        ctx = routed(services)
        throttle(ctx)
        assert ctx.throttled is False


def test_throttle_refuses_once_the_burst_is_used_up():
    services = throttled_services(1.0, 2)
    for _ in range(2):
        throttle(routed(services))
    ctx = routed(services)

    failure = fails(throttle, ctx, errors.THROTTLED)

    assert ctx.throttled is True
    assert failure.reason == (
        f"Method throttle limit exceeded for RestApi {API_ID}, Stage prod, Resource "
        f"{resource_id(API_ID, '/pets')}, HttpMethod GET. Limit: 1.00 Burst: 2"
    )


def test_throttle_refills_as_the_clock_advances():
    services = throttled_services(1.0, 1)
    throttle(routed(services))
    fails(throttle, routed(services), errors.THROTTLED)

    services.clock.advance(1.0)

    throttle(routed(services))


def test_throttle_counts_the_usage_plan_quota(keyed):
    keyed.usage_plans.create(
        "tiny", stages=["prod"], keys=["loose"], quota={"limit": 1, "period": "DAY"}
    )
    first, second = key_request(keyed, "l" * 20), key_request(keyed, "l" * 20)
    for ctx in (first, second):
        check_api_key(ctx)

    throttle(first)
    failure = fails(throttle, second, errors.QUOTA_EXCEEDED)

    assert second.throttled is False
    plan = keyed.usage_plans.get("tiny")
    assert failure.reason == (
        f"Key quota exhausted for Usage Plan ID {plan.id}. Quota Limit: 1 Period: DAY"
    )


# -- cache -----------------------------------------------------------------------------------


def cached_services(ttl: int = 60) -> Services:
    settings = StageSettings(
        frozen_map({"*/*": MethodSettings(caching_enabled=True, cache_ttl=ttl)}),
        cache_cluster_enabled=True,
    )
    return make_services(serve(*PETS, settings=settings))


def answer_and_store(services: Services, body: bytes) -> RequestContext:
    ctx = routed(services)
    cache_lookup(ctx)
    ctx.status, ctx.response_headers, ctx.response_body = 200, [("X-Answer", "1")], body
    cache_store(ctx)
    return ctx


def test_cache_lookup_misses_then_hits():
    services = cached_services()
    first = answer_and_store(services, b"first")

    second = routed(services)
    cache_lookup(second)

    assert (first.cache_miss, first.cache_hit, first.answered) == (True, False, False)
    assert (second.cache_hit, second.answered, second.cache_miss) == (True, True, False)
    assert (second.status, second.response_headers, second.response_body) == (
        200,
        [("X-Answer", "1")],
        b"first",
    )
    assert second.cache_key == ("d1", "GET", "/pets")


def test_cache_entry_lives_its_ttl_on_the_services_clock():
    services = cached_services(ttl=60)
    answer_and_store(services, b"first")

    services.clock.advance(59)
    alive = routed(services)
    cache_lookup(alive)
    services.clock.advance(1)
    expired = routed(services)
    cache_lookup(expired)

    assert alive.cache_hit is True
    assert (expired.cache_hit, expired.cache_miss, expired.answered) == (False, True, False)


def test_cache_lookup_does_nothing_without_a_cache_cluster(services):
    ctx = routed(services)

    cache_lookup(ctx)
    cache_store(ctx)

    assert (ctx.cache_key, ctx.cache_hit, ctx.cache_miss) == (None, False, False)


# -- integrations: MOCK ----------------------------------------------------------------------


def mock_services() -> Services:
    mock = Integration(
        "MOCK",
        status=201,
        headers=frozen_map({"X-Who": "${stageVariables.who}", "X-None": "${stageVariables.no}"}),
        body='{"ok": true}',
    )
    return make_services(serve(route("POST /pets", mock), variables={"who": "alice"}))


def integrated(ctx: RequestContext) -> RequestContext:
    for step in (integration_request, integrate, integration_response):
        step(ctx)
    return ctx


def test_mock_integration_request_names_its_target():
    ctx = routed(mock_services(), method="POST")

    integration_request(ctx)

    assert ctx.target == "MOCK 201"


def test_mock_integration_answers_with_its_own_response():
    ctx = integrated(routed(mock_services(), method="POST"))

    assert ctx.integrated is True
    assert (ctx.status, ctx.integration_status) == (201, 201)
    assert ctx.response_headers == [
        ("Content-Type", "application/json"),
        ("X-Who", "alice"),
        ("X-None", ""),
    ]
    assert ctx.response_body == b'{"ok": true}'


# -- integrations: AWS_PROXY -----------------------------------------------------------------


def lambda_services(handler, target: str = "pets-fn") -> Services:
    services = make_services(
        serve(route("GET /pets/{id}", Integration("AWS_PROXY", target)), variables={"v": "1"})
    )
    services.functions.register("pets-fn", handler)
    return services


def lambda_request(services: Services) -> RequestContext:
    return routed(
        services,
        path="/prod/pets/7",
        query="a=1&b=2&b=3",
        headers=[("user-agent", "tests/1"), ("X-Custom", "v")],
    )


def test_aws_proxy_integration_request_builds_the_event():
    services = lambda_services(lambda event, context: {})
    ctx = lambda_request(services)

    integration_request(ctx)

    assert (ctx.target, ctx.version) == ("pets-fn", "$LATEST")
    event = ctx.event
    assert event is not None
    assert (event["resource"], event["path"], event["httpMethod"]) == (
        "/pets/{id}",
        "/pets/7",
        "GET",
    )
    assert event["pathParameters"] == {"id": "7"}
    assert event["stageVariables"] == {"v": "1"}
    assert event["queryStringParameters"] == {"a": "1", "b": "3"}
    assert event["multiValueQueryStringParameters"] == {"a": ["1"], "b": ["2", "3"]}
    assert event["headers"]["User-Agent"] == "tests/1"
    assert event["headers"]["X-Custom"] == "v"
    assert (event["body"], event["isBase64Encoded"]) == (None, False)
    context = event["requestContext"]
    assert context["accountId"] == ACCOUNT
    assert context["apiId"] == API_ID
    assert context["deploymentId"] == "d1"
    assert context["stage"] == "prod"
    assert context["path"] == "/prod/pets/7"
    assert context["resourcePath"] == "/pets/{id}"
    assert context["resourceId"] == resource_id(API_ID, "/pets/{id}")
    assert context["requestId"] == ctx.request_id
    assert context["extendedRequestId"] == ctx.extended_request_id
    assert context["requestTime"] == "14/Nov/2023:22:13:20 +0000"
    assert context["requestTimeEpoch"] == 1_700_000_000_000
    assert context["identity"]["sourceIp"] == "10.0.0.1"
    assert context["identity"]["userAgent"] == "tests/1"


def test_aws_proxy_calls_the_function_and_maps_its_answer():
    seen: list[tuple[Any, Any]] = []

    def handler(event, context):
        seen.append((event, context))
        return {"statusCode": 201, "headers": {"X-Seen": event["path"]}, "body": "made"}

    ctx = integrated(lambda_request(lambda_services(handler)))

    assert len(seen) == 1 and seen[0][0] is ctx.event
    assert seen[0][1].function_name == "pets-fn"
    assert ctx.integrated is True
    assert (ctx.status, ctx.integration_status) == (201, 201)
    assert ctx.response_headers == [("X-Seen", "/pets/7"), ("Content-Type", "application/json")]
    assert ctx.response_body == b"made"


def test_aws_proxy_malformed_result_is_a_lambda_error():
    ctx = lambda_request(lambda_services(lambda event, context: {"statusCode": 200, "bad": 1}))
    integration_request(ctx)
    integrate(ctx)

    failure = fails(integration_response, ctx, errors.INTEGRATION_FAILURE)

    assert failure.reason == (
        "Execution failed due to configuration error: Malformed Lambda proxy response "
        "(unknown key(s) ['bad'])"
    )


def test_aws_proxy_function_raising_is_a_lambda_error():
    def handler(event, context):
        raise ValueError("boom")

    ctx = lambda_request(lambda_services(handler))
    integration_request(ctx)

    failure = fails(integrate, ctx, errors.INTEGRATION_FAILURE)

    assert failure.reason.startswith(
        "Lambda execution failed with status 200 due to customer function error: "
        "ValueError('boom'). Lambda request id: "
    )
    assert ctx.integrated is True


def test_aws_proxy_unknown_function_is_a_configuration_error():
    ctx = lambda_request(lambda_services(lambda event, context: {}, target="pets-fn"))
    ctx.services.functions = Functions(REGION, ACCOUNT)  # nothing registered

    failure = fails(integration_request, ctx, errors.API_CONFIGURATION_ERROR)

    assert failure.reason == (
        "Execution failed due to configuration error: Function not found: "
        f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:pets-fn"
    )


def test_aws_proxy_undefined_stage_variable_is_a_configuration_error():
    services = make_services(
        serve(route("GET /pets", Integration("AWS_PROXY", "${stageVariables.fn}")))
    )
    ctx = routed(services)

    failure = fails(integration_request, ctx, errors.API_CONFIGURATION_ERROR)

    assert failure.reason == (
        "Execution failed due to configuration error: stage variable fn is not defined on "
        "stage prod"
    )


# -- gateway response ------------------------------------------------------------------------


def read(services: Services, **env: Any) -> RequestContext:
    ctx = RequestContext(services, environ(**env))
    read_request(ctx)
    return ctx


def id_headers(ctx: RequestContext) -> list[tuple[str, str]]:
    """The ids on an answer given before any integration ran: no X-Amzn-Trace-Id (recorded
    for a refused mapping's 500, test_apigateway_header_remapping)."""
    return [
        ("x-amzn-RequestId", ctx.request_id),
        ("x-amz-apigw-id", ctx.extended_request_id),
    ]


@pytest.mark.parametrize(
    ("kind", "status", "body", "error_type"),
    [
        (
            errors.MISSING_AUTHENTICATION_TOKEN,
            403,
            b'{"message":"Missing Authentication Token"}',
            "MissingAuthenticationTokenException",
        ),
        (errors.THROTTLED, 429, b'{"message":"Too Many Requests"}', "TooManyRequestsException"),
        (errors.INVALID_API_KEY, 403, b'{"message":"Forbidden"}', "ForbiddenException"),
        (
            errors.INTEGRATION_FAILURE,
            502,
            b'{"message": "Internal server error"}',
            "InternalServerErrorException",
        ),
    ],
)
def test_gateway_response_answers_a_failure_as_aws(services, kind, status, body, error_type):
    ctx = read(services)
    ctx.response_headers = [("X-From-Integration", "dropped")]
    ctx.failure = GatewayFailure(kind, "why it failed")

    gateway_response(ctx)

    assert (ctx.status, ctx.response_body) == (status, body)
    assert ctx.response_headers == [
        ("Content-Type", "application/json"),
        ("x-amzn-ErrorType", error_type),
        *id_headers(ctx),
    ]
    level = "ERROR" if status >= 500 else "INFO"
    assert (level, "why it failed", ()) in ctx.log


def test_gateway_response_payload_too_large_has_no_gateway_headers(services):
    ctx = read(services)
    ctx.failure = GatewayFailure(errors.PAYLOAD_TOO_LARGE)

    gateway_response(ctx)

    assert ctx.status == 413
    assert ctx.response_body == b"HTTP content length exceeded 10485760 bytes."
    assert ctx.response_headers == [("Content-Type", "text; charset=utf-8")]


def test_gateway_response_adds_the_request_ids_to_an_answer(services):
    ctx = read(services)
    ctx.status, ctx.response_headers, ctx.response_body = 200, [("X-A", "1")], b"ok"

    gateway_response(ctx)

    assert (ctx.status, ctx.response_body) == (200, b"ok")
    assert ctx.response_headers == [("X-A", "1"), *id_headers(ctx)]
    assert ctx.log[-2:] == [
        ("INFO", "Successfully completed execution", ()),
        ("INFO", "Method completed with status: {}", (200,)),
    ]


# -- record ----------------------------------------------------------------------------------


def served_request(services: Services, **env: Any) -> RequestContext:
    ctx = integrated(routed(services, path="/prod/pets/7", **env))
    gateway_response(ctx)
    return ctx


def test_record_keeps_the_invocation(services):
    ctx = served_request(services)

    record(ctx)

    assert ctx.record is not None
    assert services.records.invocations() == [ctx.record]
    assert services.records.find(ctx.request_id) is ctx.record
    expected = Invocation(
        request_id=ctx.request_id,
        stage="prod",
        method="GET",
        path="/pets/7",
        deployment_id="d1",
        canary=False,
        canary_percent=None,
        route="GET /pets/{id}",
        path_parameters={"id": "7"},
        stage_variables={},
        integration="MOCK",
        target="MOCK 200",
        version=None,
        status=200,
        latency_ms=ctx.record.latency_ms,
        integration_latency_ms=0.0,
        cache_hit=False,
        cache_miss=False,
        throttled=False,
        api_key_id=None,
        error=None,
        timestamp=NOW,
    )
    assert ctx.record == expected
    assert ctx.record.latency_ms >= 0


def test_record_tells_the_listeners_and_the_sink(services):
    heard: list[Invocation] = []
    sink: list[Invocation] = []
    services.listeners.append(heard.append)
    ctx = served_request(services, **{RECORD_SINK_KEY: sink})

    record(ctx)

    assert heard == [ctx.record] and sink == [ctx.record]


def test_record_counts_the_metrics(services):
    for _ in range(2):
        record(served_request(services))
    refused = read(services, method="DELETE", path="/prod/pets/7")
    for step in (resolve_stage, choose_deployment):
        step(refused)
    refused.failure = fails(match_route, refused, errors.MISSING_AUTHENTICATION_TOKEN)
    gateway_response(refused)
    record(refused)

    stage = services.records.metrics("prod", False)
    method = services.records.metrics("prod", False, "GET /pets/{id}")
    assert (stage.count, stage.error_4xx, stage.error_5xx) == (3, 1, 0)
    assert (method.count, method.error_4xx) == (2, 0)
    assert refused.record.route is None
    assert refused.record.error == "MISSING_AUTHENTICATION_TOKEN"
    assert services.records.logs(services.log_group("prod"))  # the execution log was kept


def test_record_of_an_unknown_stage_has_no_metrics(services):
    ctx = read(services, path="/dev/pets")
    ctx.failure = fails(resolve_stage, ctx, errors.MISSING_AUTHENTICATION_TOKEN)
    gateway_response(ctx)

    record(ctx)

    assert ctx.record.stage == "dev"
    assert (ctx.record.deployment_id, ctx.record.status) == (None, 403)
    assert services.records.total == 1
    assert services.records.metrics("dev", False).count == 0
