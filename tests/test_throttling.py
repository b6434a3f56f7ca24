"""Throttling, API keys, usage plans and quotas, on the gateway's controlled clock.

The tests freeze `gw.clock` (mostly at 2026-11-27T23:59:59Z, a Friday, one second before a day
ends and three days before a month ends) and move it with `gw.clock.advance`, so token buckets
and quota periods give the same answers on every run."""

from __future__ import annotations

import math
import re
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timezone
from typing import Any

import pytest
import requests

from pytest_apistages import BadRequestError, Gateway, Invocation, NotFoundError, StageClient
from pytest_apistages.assertions import assert_throttled
from pytest_apistages.clients import ApiResponse
from pytest_apistages.runtime.context import resource_id
from pytest_apistages.usage import Quota, Throttle

EPOCH = datetime(2026, 11, 27, 23, 59, 59, tzinfo=timezone.utc).timestamp()
PARTNER = "k-partner-0123456789abcdef"
OTHER = "k-other-0123456789abcdefg"
DISABLED = "k-disabled-0123456789abcd"
LOOSE = "k-loose-0123456789abcdefg"

TOO_MANY = b'{"message":"Too Many Requests"}'
LIMIT_EXCEEDED = b'{"message":"Limit Exceeded"}'
FORBIDDEN = b'{"message":"Forbidden"}'


def mock(status: int = 200, body: str = '{"ok":true}') -> dict[str, Any]:
    return {"type": "MOCK", "status": status, "body": body}


def utc(*when: int) -> float:
    return datetime(*when, tzinfo=timezone.utc).timestamp()


def statuses(api: StageClient, path: str, n: int, method: str = "GET", **kw: Any) -> list[int]:
    return [api.open(path, method=method, **kw).status_code for _ in range(n)]


def log_lines(gw: Gateway, record: Invocation) -> list[str]:
    return [e.message for e in gw.logs(record.stage) if e.request_id == record.request_id]


def check_error(response: ApiResponse, status: int, body: bytes, error_type: str) -> None:
    """One of API Gateway's default error answers, byte for byte, with its headers."""
    assert response.status_code == status
    assert response.get_data() == body
    assert response.headers["Content-Type"] == "application/json"
    assert response.headers["x-amzn-ErrorType"] == error_type
    assert response.headers["x-amzn-RequestId"] == response.invocation.request_id
    assert response.headers["x-amz-apigw-id"]


@pytest.fixture
def gw() -> Gateway:
    gateway = Gateway("shop")
    gateway.api.put_route("GET /pets", mock())
    gateway.api.put_route("POST /pets", mock(201))
    gateway.deploy("prod")
    gateway.deploy("dev")
    gateway.clock.freeze(EPOCH)
    return gateway


@pytest.fixture
def api(gw: Gateway) -> StageClient:
    return gw.client("prod")


# -- token buckets -----------------------------------------------------------------------------


def test_the_burst_passes_then_429_at_the_same_instant(gw: Gateway, api: StageClient) -> None:
    gw.update_stage("prod", throttling={"rate": 1, "burst": 5})

    assert statuses(api, "/pets", 8) == [200] * 5 + [429] * 3


def test_the_429_is_api_gateways_throttle_answer(gw: Gateway, api: StageClient) -> None:
    calls: list[str] = []

    def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
        calls.append(event["requestContext"]["requestId"])
        return {"statusCode": 200, "body": "fed"}

    gw.functions.register("feed", handler)
    gw.api.put_route("POST /feed", "feed")
    gw.deploy("prod")
    gw.update_stage("prod", throttling={"rate": 2, "burst": 3})

    passed = [api.post("/feed") for _ in range(3)]
    throttled = api.post("/feed")

    assert [r.status_code for r in passed] == [200, 200, 200]
    assert not any(r.invocation.throttled for r in passed)
    check_error(throttled, 429, TOO_MANY, "TooManyRequestsException")
    record = throttled.invocation
    assert record.throttled is True
    assert record.error == "THROTTLED"
    assert record.route == "POST /feed"
    assert calls == [r.invocation.request_id for r in passed]  # the function never saw it
    rid = resource_id(gw.api_id, "/feed")
    assert (
        f"Method throttle limit exceeded for RestApi {gw.api_id}, Stage prod, Resource {rid}, "
        f"HttpMethod POST. Limit: 2.00 Burst: 3"
    ) in log_lines(gw, record)
    assert log_lines(gw, record)[-1] == "Method completed with status: 429"


def test_tokens_refill_at_rate_per_second_up_to_the_burst(gw: Gateway, api: StageClient) -> None:
    gw.update_stage("prod", throttling={"rate": 2, "burst": 3})
    assert statuses(api, "/pets", 4) == [200, 200, 200, 429]

    gw.clock.advance(0.25)  # half a token
    assert statuses(api, "/pets", 1) == [429]
    gw.clock.advance(0.25)  # the other half
    assert statuses(api, "/pets", 2) == [200, 429]
    gw.clock.advance(0.5)
    assert statuses(api, "/pets", 2) == [200, 429]
    gw.clock.advance(1.0)
    assert statuses(api, "/pets", 3) == [200, 200, 429]
    gw.clock.advance(3600)  # an idle hour refills the bucket to its burst, no further
    assert statuses(api, "/pets", 4) == [200, 200, 200, 429]


def test_tenth_of_a_second_steps_at_ten_per_second_each_give_one_token(
    gw: Gateway, api: StageClient
) -> None:
    # At epoch scale advance(0.1) moves the clock by 0.0999999046 s; that must still be a token.
    gw.update_stage("prod", throttling={"rate": 10, "burst": 1})
    assert statuses(api, "/pets", 2) == [200, 429]

    for _ in range(50):
        gw.clock.advance(0.1)
        assert statuses(api, "/pets", 2) == [200, 429]


def test_stage_throttling_gives_each_method_its_own_bucket(gw: Gateway, api: StageClient) -> None:
    gw.update_stage("prod", throttling={"rate": 0, "burst": 2})

    assert statuses(api, "/pets", 3) == [200, 200, 429]
    assert statuses(api, "/pets", 3, method="POST") == [201, 201, 429]
    # Other stages keep their own settings (AWS's defaults here).
    assert statuses(gw.client("dev"), "/pets", 10) == [200] * 10


@pytest.mark.parametrize("key", ["GET /pets", "~1pets/GET"])
def test_a_method_setting_overrides_only_what_it_sets(
    gw: Gateway, api: StageClient, key: str
) -> None:
    gw.update_stage(
        "prod",
        throttling={"rate": 0, "burst": 4},
        method_settings={key: {"throttling": {"burst": 2}}},
    )

    get = gw.stage("prod").settings.for_route("GET /pets")
    post = gw.stage("prod").settings.for_route("POST /pets")
    assert (get.throttling_rate, get.throttling_burst) == (0.0, 2)
    assert (post.throttling_rate, post.throttling_burst) == (0.0, 4)
    assert statuses(api, "/pets", 3) == [200, 200, 429]
    assert statuses(api, "/pets", 5, method="POST") == [201] * 4 + [429]
    gw.clock.advance(60)  # the rate, 0, is inherited from the stage: nothing refills
    assert statuses(api, "/pets", 1) == [429]


def test_a_method_rate_keeps_the_stage_burst(gw: Gateway, api: StageClient) -> None:
    gw.update_stage(
        "prod",
        throttling={"rate": 0, "burst": 2},
        method_settings={"GET /pets": {"throttling": {"rate": 1}}},
    )
    assert statuses(api, "/pets", 3) == [200, 200, 429]
    assert statuses(api, "/pets", 3, method="POST") == [201, 201, 429]

    gw.clock.advance(1)
    assert statuses(api, "/pets", 2) == [200, 429]
    assert statuses(api, "/pets", 1, method="POST") == [429]
    gw.clock.advance(10)
    assert statuses(api, "/pets", 3) == [200, 200, 429]


def test_update_stage_throttling_applies_at_once_without_a_deploy(
    gw: Gateway, api: StageClient
) -> None:
    deployments = [d.id for d in gw.deployments]
    served = gw.stage("prod").deployment_id
    assert statuses(api, "/pets", 3) == [200, 200, 200]  # AWS's defaults: 10000/s, burst 5000

    gw.update_stage("prod", throttling={"rate": 0, "burst": 1})
    assert statuses(api, "/pets", 3) == [200, 429, 429]

    gw.update_stage("prod", throttling={"rate": 5})
    assert statuses(api, "/pets", 1) == [429]  # the new rate counts from now, not before
    gw.clock.advance(0.2)
    assert statuses(api, "/pets", 2) == [200, 429]

    assert [d.id for d in gw.deployments] == deployments
    assert gw.stage("prod").deployment_id == served


def test_a_faster_rate_does_not_refill_the_time_before_it_was_set(
    gw: Gateway, api: StageClient
) -> None:
    gw.update_stage("prod", throttling={"rate": 0, "burst": 2})
    assert statuses(api, "/pets", 3) == [200, 200, 429]
    gw.clock.advance(10)  # ten idle seconds at rate 0, with no request to look at the bucket

    gw.update_stage("prod", throttling={"rate": 1})
    assert statuses(api, "/pets", 1) == [429]
    gw.clock.advance(1)
    assert statuses(api, "/pets", 2) == [200, 429]


def test_removing_a_method_setting_falls_back_to_the_stage(gw: Gateway, api: StageClient) -> None:
    gw.update_stage(
        "prod",
        throttling={"rate": 1, "burst": 3},
        method_settings={"GET /pets": {"throttling": {"rate": 0, "burst": 1}}},
    )
    assert statuses(api, "/pets", 2) == [200, 429]

    gw.update_stage("prod", method_settings={"GET /pets": None})
    assert "GET /pets" not in gw.stage("prod").settings.method_settings
    gw.clock.advance(3)
    assert statuses(api, "/pets", 4) == [200, 200, 200, 429]


def test_the_account_limit_is_shared_by_every_stage_and_method(gw: Gateway) -> None:
    prod, dev = gw.client("prod"), gw.client("dev")
    gw.update_account(throttling={"rate": 0, "burst": 3})

    assert statuses(prod, "/pets", 2) == [200, 200]
    assert statuses(dev, "/pets", 1) == [200]
    throttled = dev.post("/pets")
    check_error(throttled, 429, TOO_MANY, "TooManyRequestsException")
    assert statuses(prod, "/pets", 1) == [429]
    assert "Account throttle limit exceeded. Limit: 0.00 Burst: 3" in log_lines(
        gw, throttled.invocation
    )
    assert gw.account_throttle == Throttle(0.0, 3)


def test_a_throttled_request_takes_no_token_at_any_level(gw: Gateway, api: StageClient) -> None:
    gw.update_account(throttling={"rate": 0, "burst": 3})
    gw.update_stage("prod", method_settings={"GET /pets": {"throttling": {"rate": 0, "burst": 1}}})

    assert statuses(api, "/pets", 4) == [200, 429, 429, 429]
    # Only the one GET that passed took an account token: two are left for POST.
    assert statuses(api, "/pets", 3, method="POST") == [201, 201, 429]


def test_a_request_the_account_refuses_takes_no_method_token(gw: Gateway, api: StageClient) -> None:
    gw.update_account(throttling={"rate": 1, "burst": 2})
    gw.update_stage("prod", throttling={"rate": 0, "burst": 3})

    assert statuses(api, "/pets", 4) == [200, 200, 429, 429]  # the account's burst
    gw.clock.advance(1)
    # The method bucket still has its third token: the refused requests did not take it.
    assert statuses(api, "/pets", 1) == [200]
    gw.clock.advance(1)
    assert statuses(api, "/pets", 1) == [429]  # now the method's burst is spent


# -- API keys ----------------------------------------------------------------------------------


@pytest.fixture
def events() -> list[dict[str, Any]]:
    return []


@pytest.fixture
def keyed(gw: Gateway, events: list[dict[str, Any]]) -> Gateway:
    """GET /pets needs an API key, GET /open does not; both run a Lambda that keeps its event.
    partner (and a disabled key) are in plan gold for prod, other in plan silver for dev, loose
    in no plan."""

    def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
        events.append(event)
        return {"statusCode": 200, "body": "ok"}

    gw.functions.register("pets", handler)
    gw.api.put_route("GET /pets", "pets", api_key_required=True)
    gw.api.put_route("GET /open", "pets")
    gw.deploy("prod")
    gw.deploy("dev")
    gw.api_keys.create("partner", PARTNER)
    gw.api_keys.create("other", OTHER)
    gw.api_keys.create("disabled", DISABLED, enabled=False)
    gw.api_keys.create("loose", LOOSE)
    gw.usage_plans.create("gold", stages=["prod"], keys=["partner", "disabled"])
    gw.usage_plans.create("silver", stages=["dev"], keys=["other"])
    return gw


@pytest.mark.parametrize(
    ("headers", "why"),
    [
        ({}, "no API key was sent"),
        ({"x-api-key": "k-nobody-0123456789abcdef"}, "API Key not found"),
        ({"x-api-key": DISABLED}, "API Key is disabled"),
        ({"x-api-key": OTHER}, "API Key is not associated with a Usage Plan for API Stage"),
        ({"x-api-key": LOOSE}, "API Key is not associated with a Usage Plan for API Stage"),
    ],
    ids=["missing", "wrong", "disabled", "plan-for-another-stage", "in-no-plan"],
)
def test_a_key_required_method_refuses_without_a_valid_key_for_the_stage(
    keyed: Gateway, events: list[dict[str, Any]], headers: dict[str, str], why: str
) -> None:
    response = keyed.client("prod").get("/pets", headers=headers)

    check_error(response, 403, FORBIDDEN, "ForbiddenException")
    record = response.invocation
    assert record.error == "INVALID_API_KEY"
    assert record.api_key_id is None
    assert not record.throttled
    assert events == []
    assert any(
        "not authorized because method 'GET /pets' requires API Key" in line and why in line
        for line in log_lines(keyed, record)
    )


def test_a_valid_key_passes_and_the_event_carries_it(
    keyed: Gateway, events: list[dict[str, Any]]
) -> None:
    api = keyed.client("prod")
    key = keyed.api_keys.get("partner")

    response = api.get("/pets", headers={"X-API-Key": PARTNER})

    assert (response.status_code, response.text) == (200, "ok")
    identity = events[-1]["requestContext"]["identity"]
    assert (identity["apiKey"], identity["apiKeyId"]) == (PARTNER, key.id)
    assert response.invocation.api_key_id == key.id
    # The other key works on the stage its plan covers.
    other = keyed.client("dev").get("/pets", headers={"x-api-key": OTHER})
    assert other.status_code == 200
    assert events[-1]["requestContext"]["identity"]["apiKeyId"] == keyed.api_keys.get("other").id


def test_without_api_keys_the_event_has_no_key_fields(
    keyed: Gateway, events: list[dict[str, Any]]
) -> None:
    response = keyed.client("prod").get("/open")

    assert response.status_code == 200
    identity = events[-1]["requestContext"]["identity"]
    assert "apiKey" not in identity and "apiKeyId" not in identity
    assert identity["sourceIp"] == "127.0.0.1"
    assert response.invocation.api_key_id is None


def test_disabling_a_key_takes_effect_at_once(keyed: Gateway) -> None:
    api = keyed.client("prod")
    headers = {"x-api-key": PARTNER}
    assert api.get("/pets", headers=headers).status_code == 200

    keyed.api_keys.update("partner", enabled=False)
    check_error(api.get("/pets", headers=headers), 403, FORBIDDEN, "ForbiddenException")
    keyed.api_keys.update("partner", enabled=True)
    assert api.get("/pets", headers=headers).status_code == 200


def test_an_api_key_value_has_at_least_20_characters(gw: Gateway) -> None:
    with pytest.raises(BadRequestError, match=r"^API Key value should be at least 20 characters"):
        gw.api_keys.create("short", "x" * 19)

    assert gw.api_keys.create("exact", "x" * 20).value == "x" * 20
    assert len(gw.api_keys.create("generated").value) >= 20
    assert [k.name for k in gw.api_keys.all()] == ["exact", "generated"]


def test_a_key_may_be_in_one_plan_per_stage(gw: Gateway) -> None:
    gw.api_keys.create("partner", PARTNER)
    gw.usage_plans.create("gold", stages=["prod"], keys=["partner"])

    with pytest.raises(
        BadRequestError,
        match=r"^Usage plan 'silver': API key 'partner' is already in plan 'gold' for stage "
        r"'prod'; a key may be in one plan per stage$",
    ):
        gw.usage_plans.create("silver", stages=["dev", "prod"], keys=["partner"])
    assert [p.name for p in gw.usage_plans.all()] == ["gold"]

    gw.usage_plans.create("bronze", stages=["dev"], keys=["partner"])
    partner = gw.api_keys.get("partner")
    assert [p.name for p in gw.usage_plans.all()] == ["gold", "bronze"]
    plans = {stage: gw.usage_plans.for_key(partner, stage) for stage in ("prod", "dev")}
    assert {stage: plan and plan.name for stage, plan in plans.items()} == {
        "prod": "gold",
        "dev": "bronze",
    }


def test_two_keys_of_one_plan_are_throttled_apart(gw: Gateway) -> None:
    gw.api.put_route("GET /pets", mock(), api_key_required=True)
    gw.deploy("prod")
    gw.api_keys.create("a", "k-a-0123456789abcdefghij")
    gw.api_keys.create("b", "k-b-0123456789abcdefghij")
    plan = gw.usage_plans.create(
        "gold", stages=["prod"], keys=["a", "b"], throttle={"rate": 0, "burst": 2}
    )
    api = gw.client("prod")

    first = [api.get("/pets", headers={"x-api-key": "k-a-0123456789abcdefghij"}) for _ in range(3)]
    second = statuses(api, "/pets", 3, headers={"x-api-key": "k-b-0123456789abcdefghij"})

    assert [r.status_code for r in first] == [200, 200, 429]
    assert second == [200, 200, 429]
    check_error(first[-1], 429, TOO_MANY, "TooManyRequestsException")
    record = first[-1].invocation
    assert record.throttled and record.api_key_id == gw.api_keys.get("a").id
    rid = resource_id(gw.api_id, "/pets")
    assert (
        f"Key throttle limit exceeded for Usage Plan ID {plan.id}, RestApi {gw.api_id}, "
        f"Stage prod, Resource {rid}, HttpMethod GET. Limit: 0.00 Burst: 2"
    ) in log_lines(gw, record)


def test_a_plans_method_throttle_is_the_first_level(gw: Gateway) -> None:
    gw.api.put_route("GET /pets", mock(), api_key_required=True)
    gw.api.put_route("GET /toys", mock(), api_key_required=True)
    gw.deploy("prod")
    gw.api_keys.create("partner", PARTNER)
    plan = gw.usage_plans.create(
        "gold",
        stages=["prod"],
        keys=["partner"],
        throttle={"rate": 0, "burst": 4},
        method_throttles={"GET /pets": {"rate": 0, "burst": 2}},
    )
    gw.update_stage("prod", throttling={"rate": 0, "burst": 3})
    api = gw.client("prod")
    key = {"x-api-key": PARTNER}

    pets = [api.get("/pets", headers=key) for _ in range(3)]
    assert [r.status_code for r in pets] == [200, 200, 429]
    assert any(
        line.startswith(f"Key throttle limit exceeded for Usage Plan ID {plan.id}")
        and line.endswith("HttpMethod GET. Limit: 0.00 Burst: 2")
        for line in log_lines(gw, pets[-1].invocation)
    )
    # GET /toys has no method throttle; the plan's bucket lost only the two tokens that passed.
    assert statuses(api, "/toys", 3, headers=key) == [200, 200, 429]
    assert plan.method_throttles == {"GET /pets": Throttle(0.0, 2)}


def quota_gateway(gw: Gateway, period: str, limit: int, stages: list[str]) -> Gateway:
    gw.api.put_route("GET /pets", mock(), api_key_required=True)
    gw.api.put_route("GET /open", mock())
    gw.deploy("prod")
    gw.deploy("dev")
    gw.api_keys.create("partner", PARTNER)
    gw.api_keys.create("other", OTHER)
    gw.usage_plans.create(
        "gold", stages=stages, keys=["partner", "other"], quota={"limit": limit, "period": period}
    )
    return gw


@pytest.mark.parametrize(
    ("period", "still_used_up", "reset"),
    [
        ("DAY", [], utc(2026, 11, 28)),
        ("WEEK", [utc(2026, 11, 28), utc(2026, 11, 29, 23, 59, 59)], utc(2026, 11, 30)),
        ("MONTH", [utc(2026, 11, 28), utc(2026, 11, 30, 23, 59, 59)], utc(2026, 12, 1)),
    ],
)
def test_a_quota_runs_out_and_resets_at_the_next_period(
    gw: Gateway, period: str, still_used_up: list[float], reset: float
) -> None:
    plan = quota_gateway(gw, period, 2, ["prod"]).usage_plans.get("gold")
    api = gw.client("prod")
    key = {"x-api-key": PARTNER}

    assert statuses(api, "/pets", 2, headers=key) == [200, 200]
    exhausted = api.get("/pets", headers=key)
    check_error(exhausted, 429, LIMIT_EXCEEDED, "LimitExceededException")
    assert exhausted.invocation.error == "QUOTA_EXCEEDED"
    assert (
        f"Key quota exhausted for Usage Plan ID {plan.id}. Quota Limit: 2 Period: {period}"
        in log_lines(gw, exhausted.invocation)
    )
    for when in still_used_up:
        gw.clock.advance(when - gw.clock.now())
        assert statuses(api, "/pets", 1, headers=key) == [429]

    gw.clock.advance(reset - gw.clock.now())
    assert gw.clock.now() == reset
    assert statuses(api, "/pets", 3, headers=key) == [200, 200, 429]


def test_a_quota_counts_per_key_across_the_plans_stages(gw: Gateway) -> None:
    quota_gateway(gw, "DAY", 3, ["prod", "dev"])
    prod, dev = gw.client("prod"), gw.client("dev")
    partner, other = {"x-api-key": PARTNER}, {"x-api-key": OTHER}

    assert statuses(prod, "/pets", 2, headers=partner) == [200, 200]
    assert statuses(dev, "/pets", 1, headers=partner) == [200]
    check_error(dev.get("/pets", headers=partner), 429, LIMIT_EXCEEDED, "LimitExceededException")
    check_error(prod.get("/pets", headers=partner), 429, LIMIT_EXCEEDED, "LimitExceededException")
    # The other key of the same plan has its own quota.
    assert statuses(dev, "/pets", 4, headers=other) == [200, 200, 200, 429]


def test_methods_without_api_key_required_are_outside_the_plan(gw: Gateway) -> None:
    quota_gateway(gw, "DAY", 1, ["prod"])
    api = gw.client("prod")
    key = {"x-api-key": PARTNER}

    assert statuses(api, "/open", 5, headers=key) == [200] * 5  # no quota used
    assert statuses(api, "/pets", 2, headers=key) == [200, 429]
    assert statuses(api, "/open", 5, headers=key) == [200] * 5  # not blocked by it either
    assert {r.api_key_id for r in gw.invocations("prod") if r.route == "GET /open"} == {None}


def test_throttled_requests_do_not_count_against_the_quota(gw: Gateway) -> None:
    gw.clock.freeze(utc(2026, 11, 27, 12))  # noon: the day's quota holds for the whole test
    gw.api.put_route("GET /pets", mock(), api_key_required=True)
    gw.deploy("prod")
    gw.api_keys.create("partner", PARTNER)
    gw.usage_plans.create(
        "gold",
        stages=["prod"],
        keys=["partner"],
        throttle={"rate": 1, "burst": 2},
        quota={"limit": 3, "period": "DAY"},
    )
    api = gw.client("prod")
    key = {"x-api-key": PARTNER}

    answers = [api.get("/pets", headers=key) for _ in range(5)]
    assert [r.status_code for r in answers] == [200, 200, 429, 429, 429]
    assert {r.get_data() for r in answers[2:]} == {TOO_MANY}
    gw.clock.advance(1)
    assert statuses(api, "/pets", 1, headers=key) == [200]  # the third of three
    gw.clock.advance(1)
    check_error(api.get("/pets", headers=key), 429, LIMIT_EXCEEDED, "LimitExceededException")


# -- bad inputs --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("throttling", "message"),
    [
        ({"rate": -1, "burst": 1}, "throttling.rate must be >= 0, got -1"),
        ({"burst": -5}, "throttling.burst must be >= 0, got -5"),
        ({"rate": "fast"}, "throttling.rate must be a number >= 0, got 'fast'"),
        ({"burst": None}, "throttling.burst must be a number >= 0, got None"),
        ({"rate": True}, "throttling.rate must be a number >= 0, got True"),
        ({"rate": math.nan}, "throttling.rate must be a number >= 0, got nan"),
        ({"burst": 2.5}, "throttling.burst must be a whole number, got 2.5"),
        ({"rate": 1, "burst": 2, "limit": 3}, "throttling: unknown key 'limit'; use rate, burst"),
    ],
)
def test_bad_stage_throttling_is_refused_and_changes_nothing(
    gw: Gateway, throttling: dict[str, Any], message: str
) -> None:
    gw.update_stage("prod", throttling={"rate": 7, "burst": 8})
    before = gw.stage("prod")

    with pytest.raises(BadRequestError) as refused:
        gw.update_stage("prod", throttling=throttling)
    assert str(refused.value) == message
    with pytest.raises(BadRequestError) as refused:
        gw.update_stage("prod", method_settings={"GET /pets": {"throttling": throttling}})
    assert str(refused.value) == f"method_settings.GET /pets.{message}"
    assert gw.stage("prod") == before


@pytest.mark.parametrize(
    ("throttling", "message"),
    [
        ({"rate": -1, "burst": 1}, "account throttling.rate must be >= 0, got -1"),
        ({"rate": 1, "burst": -1}, "account throttling.burst must be >= 0, got -1"),
        ({"rate": "x", "burst": 1}, "account throttling.rate must be a number >= 0, got 'x'"),
        ({"rate": math.inf, "burst": 1}, "account throttling.rate must be a number >= 0, got inf"),
        ({"rate": 1, "burst": 1.5}, "account throttling.burst must be a whole number, got 1.5"),
        (
            {"rate": 1},
            "account throttling takes rate and burst (or rateLimit and burstLimit), "
            "got {'rate': 1}",
        ),
        (
            {"rate": 1, "burst": 1, "limit": 1},
            "account throttling takes rate and burst (or rateLimit and burstLimit), "
            "got {'rate': 1, 'burst': 1, 'limit': 1}",
        ),
    ],
)
def test_bad_account_throttling_is_refused_and_changes_nothing(
    gw: Gateway, throttling: dict[str, Any], message: str
) -> None:
    with pytest.raises(BadRequestError) as refused:
        gw.update_account(throttling=throttling)
    assert str(refused.value) == message
    assert gw.account_throttle == Throttle(10000.0, 5000)


@pytest.mark.parametrize(
    ("plan", "message"),
    [
        (
            {"throttle": {"rate": -2, "burst": 1}},
            "usage plan gold: throttle.rate must be >= 0, got -2",
        ),
        (
            {"throttle": {"rate": 1, "burst": "ten"}},
            "usage plan gold: throttle.burst must be a number >= 0, got 'ten'",
        ),
        (
            {"throttle": {"rate": 1, "burst": 0.5}},
            "usage plan gold: throttle.burst must be a whole number, got 0.5",
        ),
        (
            {"throttle": {"rate": 1, "burst": 1, "period": "DAY"}},
            "usage plan gold: throttle takes rate and burst (or rateLimit and burstLimit), got "
            "{'rate': 1, 'burst': 1, 'period': 'DAY'}",
        ),
        (
            {"quota": {"limit": 10, "period": "YEAR"}},
            "usage plan gold: quota.period must be one of DAY, WEEK, MONTH, got 'YEAR'",
        ),
        (
            {"quota": {"limit": 10}},
            "usage plan gold: quota.period must be one of DAY, WEEK, MONTH, got None",
        ),
        (
            {"quota": {"limit": -1, "period": "DAY"}},
            "usage plan gold: quota.limit must be a whole number >= 0, got -1",
        ),
        (
            {"quota": {"limit": 2.5, "period": "DAY"}},
            "usage plan gold: quota.limit must be a whole number >= 0, got 2.5",
        ),
        (
            {"quota": {"limit": 10, "period": "DAY", "offset": 1}},
            "usage plan gold: quota: unknown key 'offset'",
        ),
        (
            {"method_throttles": {"GET /pets": {"rate": 1, "burst": -1}}},
            "usage plan gold: method_throttles.GET /pets.burst must be >= 0, got -1",
        ),
    ],
)
def test_bad_usage_plans_are_refused(gw: Gateway, plan: dict[str, Any], message: str) -> None:
    gw.api_keys.create("partner", PARTNER)

    with pytest.raises(BadRequestError) as refused:
        gw.usage_plans.create("gold", stages=["prod"], keys=["partner"], **plan)
    assert str(refused.value) == message
    assert gw.usage_plans.all() == []


@pytest.mark.parametrize(
    ("stage", "message"),
    [
        (
            5,
            "usage plan gold: stages[0]: expected a stage name or {stage: NAME, throttle: "
            "{...}}, got 5",
        ),
        (
            {"stage": "prod", "limit": 1},
            "usage plan gold: stages[0]: unknown key 'limit' (known keys: stage, throttle)",
        ),
        (
            {"stage": "prod", "throttle": {"*/*": {"rate": 1, "burst": 1}}},
            "usage plan gold: stages[0].throttle: a method throttle names one method "
            "('GET /pets' or '/pets/GET'); for all methods use the plan's throttle",
        ),
        (
            {"stage": "prod", "throttle": {"/pets/GET": {"rateLimit": 1}}},
            "usage plan gold: stages[0].throttle./pets/GET takes rate and burst (or rateLimit "
            "and burstLimit), got {'rate': 1}",
        ),
        (
            {"stage": "prod", "throttle": {"/pets/GET": 5}},
            "usage plan gold: stages[0].throttle./pets/GET: expected {rate, burst}, got 5",
        ),
        (
            [{"stage": "prod"}, "prod"],
            "usage plan gold: stages[1]: stage 'prod' is listed twice",
        ),
        (
            {"stage": "production"},
            "Invalid API Stage specified: usage plan 'gold' names stage 'production' "
            "(stages: dev, prod)",
        ),
    ],
)
def test_bad_api_stages_of_a_plan_are_refused(gw: Gateway, stage: Any, message: str) -> None:
    with pytest.raises(BadRequestError) as refused:
        gw.usage_plans.create("gold", stages=stage if isinstance(stage, list) else [stage])
    assert str(refused.value) == message
    assert gw.usage_plans.all() == []


def test_per_stage_method_throttles_in_aws_form(gw: Gateway) -> None:
    """AWS's apiStages[].throttle: keys `/path/VERB` (root `//GET`), limits rateLimit and
    burstLimit, each stage its own; `method_throttles` gives every stage the same limits."""
    gw.api.put_route("GET /", mock(), api_key_required=True)
    gw.api.put_route("GET /pets", mock(), api_key_required=True)
    gw.deploy("prod")
    gw.deploy("dev")
    gw.api_keys.create("partner", PARTNER)
    plan = gw.usage_plans.create(
        "gold",
        stages=[
            {"stage": "prod", "throttle": {"/pets/GET": {"rateLimit": 0, "burstLimit": 1}}},
            "dev",
        ],
        keys=["partner"],
        method_throttles={"//GET": {"rate": 0, "burst": 2}},
    )
    key = {"x-api-key": PARTNER}
    prod, dev = gw.client("prod"), gw.client("dev")

    assert plan.stages == ("prod", "dev")
    assert plan.method_throttle("prod", "GET /pets") == Throttle(0.0, 1)
    assert plan.method_throttle("dev", "GET /pets") is None
    assert statuses(prod, "/pets", 2, headers=key) == [200, 429]
    assert statuses(dev, "/pets", 3, headers=key) == [200, 200, 200]
    # The plan-wide limit on the root method: each stage has its own bucket of 2.
    assert statuses(prod, "/", 3, headers=key) == [200, 200, 429]
    assert statuses(dev, "/", 3, headers=key) == [200, 200, 429]


def test_a_plan_naming_an_unknown_key_is_refused(gw: Gateway) -> None:
    gw.api_keys.create("partner", PARTNER)

    with pytest.raises(NotFoundError) as refused:
        gw.usage_plans.create("gold", stages=["prod"], keys=["partner", "ghost"])
    assert str(refused.value) == "Invalid API Key identifier specified: 'ghost' (keys: partner)"
    assert gw.usage_plans.all() == []


def test_removing_a_method_setting_that_does_not_exist_is_refused(gw: Gateway) -> None:
    gw.update_stage("prod", method_settings={"GET /pets": {"throttling": {"burst": 1}}})
    before = gw.stage("prod")

    with pytest.raises(BadRequestError) as refused:
        gw.update_stage("prod", method_settings={"GET /missing": None})
    # AWS's text, trailing space included; the method may be named as written or as AWS's key.
    assert re.fullmatch(
        r"Cannot remove method setting (GET /missing|~1missing/GET|missing/GET) because there "
        r"is no method setting for this method ",
        str(refused.value),
    )
    assert gw.stage("prod") == before


# -- assert_throttled --------------------------------------------------------------------------


def test_assert_throttled_passes_when_the_limit_holds(gw: Gateway, api: StageClient) -> None:
    gw.clock.unfreeze()  # assert_throttled freezes time for its requests, then lets it run on
    gw.update_stage("prod", throttling={"rate": 0, "burst": 3})

    records = assert_throttled(api, "/pets", after=3)

    assert [r.status for r in records] == [200, 200, 200, 429]
    assert [r.throttled for r in records] == [False, False, False, True]
    assert len({r.timestamp for r in records}) == 1
    assert not gw.clock.frozen

    gw.update_stage("prod", method_settings={"POST /pets": {"throttling": {"burst": 1}}})
    posts = assert_throttled(api, "/pets", after=1, method="POST", json={"name": "rex"})
    assert [(r.method, r.status) for r in posts] == [("POST", 201), ("POST", 429)]


def test_assert_throttled_fails_when_the_last_request_passes(gw: Gateway, api: StageClient) -> None:
    gw.update_stage("prod", throttling={"rate": 0, "burst": 3})

    with pytest.raises(AssertionError) as failed:
        assert_throttled(api, "/pets", after=2)

    # pytest indents the lines of an assertion message it rewrites: compare them stripped.
    assert [line.strip() for line in str(failed.value).splitlines()[:3]] == [
        "GET /pets on stage 'prod': expected 2 requests to pass and request 3 to get 429; "
        "the last one got 200",
        "statuses: [200, 200, 200]",
        "limits: method 0/s burst 3, account 10000/s burst 5000",
    ]


def test_assert_throttled_fails_when_a_request_is_throttled_early(
    gw: Gateway, api: StageClient
) -> None:
    gw.update_stage("prod", throttling={"rate": 0, "burst": 3})

    with pytest.raises(AssertionError) as failed:
        assert_throttled(api, "/pets", after=4)

    # pytest indents the lines of an assertion message it rewrites: compare them stripped.
    assert [line.strip() for line in str(failed.value).splitlines()[:3]] == [
        "GET /pets on stage 'prod': expected 4 requests to pass and request 5 to get 429; "
        "request 4 got 429 from the gateway (THROTTLED)",
        "statuses: [200, 200, 200, 429, 429]",
        "limits: method 0/s burst 3, account 10000/s burst 5000",
    ]


def test_assert_throttled_fails_when_requests_never_reach_the_integration(gw: Gateway) -> None:
    """A broken route answering 502 (or a missing key's 403) is not 'passing'."""
    gw.functions.register("broken", lambda event, context: {"statusCode": "oops"})
    gw.api.put_route("GET /broken", "broken")
    gw.deploy("prod")
    gw.update_stage("prod", throttling={"rate": 0, "burst": 2})

    with pytest.raises(AssertionError) as failed:
        assert_throttled(gw.client("prod"), "/broken", after=2)

    assert [line.strip() for line in str(failed.value).splitlines()[:2]] == [
        "GET /broken on stage 'prod': expected 2 requests to pass and request 3 to get 429; "
        "request 1 got 502 from the gateway (INTEGRATION_FAILURE)",
        "statuses: [502, 502, 429]",
    ]


def test_assert_throttled_takes_a_quota_and_shows_the_plans_limits(gw: Gateway) -> None:
    gw.api.put_route("GET /pets", mock(), api_key_required=True)
    gw.deploy("prod")
    gw.api_keys.create("partner", PARTNER)
    gw.usage_plans.create(
        "gold",
        stages=[{"stage": "prod", "throttle": {"/pets/GET": {"rate": 0, "burst": 5}}}],
        keys=["partner"],
        throttle={"rate": 100, "burst": 50},
        quota={"limit": 2, "period": "DAY"},
    )
    api, key = gw.client("prod"), {"x-api-key": PARTNER}

    records = assert_throttled(api, "/pets", after=2, headers=key)
    assert records[-1].error == "QUOTA_EXCEEDED"
    with pytest.raises(AssertionError) as failed:
        assert_throttled(api, "/pets", after=1, headers=key)

    assert [line.strip() for line in str(failed.value).splitlines()[1:3]] == [
        "statuses: [429, 429]",
        "limits: plan gold method 0/s burst 5, plan gold 100/s burst 50, plan gold quota 2/DAY, "
        "method 10000/s burst 5000, account 10000/s burst 5000",
    ]


# -- concurrency over real HTTP ----------------------------------------------------------------


def test_concurrent_requests_over_real_http_pass_exactly_the_burst(gw: Gateway) -> None:
    threads, per_thread, burst = 8, 50, 150
    sent = threads * per_thread
    gw.update_stage("dev", throttling={"rate": 0, "burst": burst})  # frozen clock: no refill

    def client(base_url: str) -> list[tuple[int, bytes, str | None]]:
        with requests.Session() as session:
            answers = []
            for _ in range(per_thread):
                r = session.get(f"{base_url}/dev/pets", timeout=10)
                answers.append((r.status_code, r.content, r.headers.get("x-amzn-ErrorType")))
            return answers

    with gw.serve() as base_url, ThreadPoolExecutor(threads) as pool:
        answers = [a for batch in pool.map(client, [base_url] * threads) for a in batch]

    assert len(answers) == sent
    passed = [a for a in answers if a[0] == 200]
    throttled = [a for a in answers if a[0] == 429]
    assert len(passed) == burst
    assert len(passed) + len(throttled) == sent  # nothing but 200 and 429
    assert {a[1:] for a in throttled} == {(TOO_MANY, "TooManyRequestsException")}
    metrics = gw.metrics("dev")
    assert metrics.count == sent
    assert metrics.error_4xx == len(throttled)
    assert metrics.error_5xx == 0
    records = gw.invocations("dev")
    assert len(records) == sent
    assert sum(r.throttled for r in records) == len(throttled)
    assert len({r.request_id for r in records}) == sent


# -- config ------------------------------------------------------------------------------------


@pytest.fixture
def configured() -> Gateway:
    gw = Gateway.from_dict(
        {
            "api": {
                "name": "shop",
                "routes": {
                    "GET /pets": {"type": "MOCK", "body": "[]", "api_key_required": True},
                    "POST /orders": {"type": "MOCK", "status": 201, "body": "{}"},
                    "GET /health": {"type": "MOCK", "body": {"status": "ok"}},
                },
            },
            "stages": {
                "prod": {
                    "throttling": {"rate": 100, "burst": 50},
                    "method_settings": {"POST /orders": {"throttling": {"rate": 5, "burst": 10}}},
                },
                "dev": {},
            },
            "api_keys": {"partner": {"value": "k-partner-0123456789abcdef"}},
            "usage_plans": {
                "gold": {
                    "stages": ["prod"],
                    "keys": ["partner"],
                    "throttle": {"rate": 100, "burst": 10},
                    "quota": {"limit": 1000, "period": "DAY"},
                }
            },
            "account": {"throttling": {"rate": 1000, "burst": 200}},
        }
    )
    gw.clock.freeze(utc(2026, 11, 27, 12))
    return gw


def test_a_config_sets_up_throttling_keys_plans_and_the_account(configured: Gateway) -> None:
    gw = configured
    prod, dev = gw.client("prod"), gw.client("dev")
    key = {"x-api-key": PARTNER}
    plan = gw.usage_plans.get("gold")
    assert (plan.stages, plan.keys) == (("prod",), ("partner",))
    assert (plan.throttle, plan.quota) == (Throttle(100.0, 10), Quota(1000, "DAY"))
    assert gw.api_keys.get("partner").value == PARTNER
    assert gw.account_throttle == Throttle(1000.0, 200)

    # The method setting, then the stage's per-method limit, then the plan's per-key limit.
    orders = assert_throttled(prod, "/orders", after=10, method="POST", json={"pet": 1})
    assert log_lines(gw, orders[-1])[-2].endswith("Limit: 5.00 Burst: 10")
    health = assert_throttled(prod, "/health", after=50)
    assert log_lines(gw, health[-1])[-2].endswith("Limit: 100.00 Burst: 50")
    check_error(prod.get("/pets"), 403, FORBIDDEN, "ForbiddenException")
    check_error(dev.get("/pets", headers=key), 403, FORBIDDEN, "ForbiddenException")
    pets = assert_throttled(prod, "/pets", after=10, headers=key)
    assert log_lines(gw, pets[-1])[-2].startswith(
        f"Key throttle limit exceeded for Usage Plan ID {plan.id}"
    )

    # 70 requests passed on prod; the account's 200 tokens are shared with dev.
    health = assert_throttled(dev, "/health", after=130)
    assert log_lines(gw, health[-1])[-2] == (
        "Account throttle limit exceeded. Limit: 1000.00 Burst: 200"
    )

    # The daily quota: 10 used above, 990 more at the plan's 100/s, then Limit Exceeded.
    gw.clock.advance(1)
    passed = 0
    for _ in range(99):
        passed += statuses(prod, "/pets", 10, headers=key).count(200)
        gw.clock.advance(0.1)
    assert passed == 990
    check_error(prod.get("/pets", headers=key), 429, LIMIT_EXCEEDED, "LimitExceededException")
    gw.clock.advance(utc(2026, 11, 28) - gw.clock.now())
    assert prod.get("/pets", headers=key).status_code == 200


def test_a_usage_plan_for_a_stage_that_does_not_exist_is_refused() -> None:
    gw = Gateway()
    gw.api.put_route("GET /pets", {"type": "MOCK"})
    gw.deploy("prod")

    with pytest.raises(BadRequestError, match=r"^Invalid API Stage specified: usage plan 'gold'"):
        gw.usage_plans.create("gold", stages=["production"])


@pytest.mark.parametrize("limits", [{"rate": math.inf}, {"burst": math.inf}])
def test_infinite_limits_are_refused(limits: dict[str, float]) -> None:
    gw = Gateway()
    gw.api.put_route("GET /pets", {"type": "MOCK"})
    gw.deploy("prod")

    with pytest.raises(BadRequestError, match=r"must be a number >= 0, got inf"):
        gw.update_stage("prod", throttling=limits)


def test_stage_throttling_is_removed_with_its_method_settings_entry() -> None:
    gw = Gateway()
    gw.api.put_route("GET /pets", {"type": "MOCK"})
    gw.deploy("prod")
    gw.update_stage("prod", throttling={"rate": 0, "burst": 1})
    gw.update_stage("prod", variables={"a": "b"})  # other updates leave the entry alone
    assert gw.stage("prod").settings.for_route("GET /pets").throttling_burst == 1

    gw.update_stage("prod", method_settings={"*/*": None})

    assert gw.stage("prod").settings.for_route("GET /pets").throttling_burst == 5000
    with pytest.raises(BadRequestError, match=r"^Cannot remove method setting \*/\* because"):
        gw.update_stage("prod", method_settings={"*/*": None})
    with pytest.raises(BadRequestError, match=r"throttling: expected a mapping of rate, burst"):
        gw.update_stage("prod", throttling=False)  # type: ignore[arg-type]


def test_a_config_takes_a_plans_api_stages_in_aws_form() -> None:
    gw = Gateway.from_dict(
        {
            "api": {"routes": {"GET /pets": {**mock(), "apiKeyRequired": True}}},
            "stages": {"prod": {}, "dev": {}},
            "api_keys": {"partner": {"value": PARTNER}},
            "usage_plans": {
                "gold": {
                    "stages": [
                        "dev",
                        {
                            "stage": "prod",
                            "throttle": {"/pets/GET": {"rateLimit": 0, "burstLimit": 1}},
                        },
                    ],
                    "keys": ["partner"],
                }
            },
        }
    )
    gw.clock.freeze(EPOCH)
    key = {"x-api-key": PARTNER}

    assert gw.usage_plans.get("gold").stage_throttles == {"prod": {"GET /pets": Throttle(0.0, 1)}}
    assert statuses(gw.client("prod"), "/pets", 2, headers=key) == [200, 429]
    assert statuses(gw.client("dev"), "/pets", 2, headers=key) == [200, 200]
