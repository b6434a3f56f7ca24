"""The stage cache (reference section 8, and the canary's `useStageCache` in section 4): which
methods cache, TTL on the gateway's clock, cache keys, the 1 MB limit, `Cache-Control: max-age=0`
and its authorization strategies, flushing, canaries, metrics, throttling and `assert_cached`.

Every test freezes the gateway's clock, so expiry is exact and nothing depends on timing."""

from __future__ import annotations

import json
from typing import Any

import pytest

from pytest_apistages import BadRequestError, Gateway, NotFoundError
from pytest_apistages.assertions import assert_cached
from pytest_apistages.clients import ApiResponse
from pytest_apistages.runtime.cache import MAX_ENTRY_BYTES, UNAUTHORIZED_WARNING

T0 = 1_700_000_000.0
MB = 1_048_576
SIGNED = (
    "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20231114/us-east-1/execute-api/aws4_request, "
    "SignedHeaders=host;x-amz-date, Signature=5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400"
)


class Backend:
    """A Lambda handler that numbers its calls, so a test tells a cached answer from a fresh
    one. `/big/{size}` answers a body of exactly `size` bytes."""

    def __init__(self) -> None:
        self.calls = 0

    def __call__(self, event: dict[str, Any], context: Any) -> dict[str, Any]:
        self.calls += 1
        if event["resource"] == "/big/{size}":
            body = "x" * int(event["pathParameters"]["size"])
        else:
            body = json.dumps(
                {
                    "call": self.calls,
                    "path": event["path"],
                    "query": event["queryStringParameters"],
                    "stageVariables": event["stageVariables"],
                }
            )
        return {"statusCode": 200, "headers": {"Content-Type": "application/json"}, "body": body}


def fn(keys: list[str] | None = None) -> dict[str, Any]:
    return {"function": "backend", "cache_key_parameters": keys or []}


def cached_gateway(**settings: Any) -> tuple[Gateway, Backend]:
    """Stage prod with the routes below, its clock frozen at T0; `settings` go to
    `update_stage` (default: the stage cache on, as `caching: {enabled: true}`)."""
    gw = Gateway()
    backend = Backend()
    gw.functions.register("backend", backend)
    gw.api.put_route("GET /pets", fn(["method.request.querystring.type"]))
    gw.api.put_route("GET /pets/{id}", fn())
    gw.api.put_route("GET /owners/{id}", fn(["method.request.path.id"]))
    gw.api.put_route("GET /tenant", fn(["method.request.header.X-Tenant"]))
    gw.api.put_route("GET /other", fn())
    gw.api.put_route("POST /other", fn())
    gw.api.put_route("GET /big/{size}", fn(["method.request.path.size"]))
    gw.deploy("prod")
    gw.update_stage("prod", **(settings or {"caching": {"enabled": True}}))
    gw.clock.freeze(T0)
    return gw, backend


def use(response: ApiResponse) -> str:
    """How the request used the cache, from its invocation record."""
    record = response.invocation
    assert not (record.cache_hit and record.cache_miss), record
    return "hit" if record.cache_hit else "miss" if record.cache_miss else "none"


def call(response: ApiResponse) -> int:
    """Which backend call produced the answer."""
    assert response.status_code == 200, response.get_data(as_text=True)
    number = response.json()["call"]
    assert isinstance(number, int)
    return number


# -- which methods cache ---------------------------------------------------------------------


def test_a_get_is_answered_from_the_cache_once_the_stage_enables_caching() -> None:
    gw, backend = cached_gateway()
    api = gw.client("prod")

    first, second, third = (api.get("/other") for _ in range(3))

    assert [use(r) for r in (first, second, third)] == ["miss", "hit", "hit"]
    assert [call(r) for r in (first, second, third)] == [1, 1, 1]
    assert backend.calls == 1
    assert second.get_data() == first.get_data()
    assert second.headers["Content-Type"] == "application/json"
    # each answer is still its own request
    assert second.headers["x-amzn-RequestId"] == second.invocation.request_id
    assert second.headers["x-amzn-RequestId"] != first.headers["x-amzn-RequestId"]


def test_nothing_is_cached_while_the_stage_has_no_cache_cluster() -> None:
    gw, backend = cached_gateway(method_settings={"GET /other": {"caching": {"enabled": True}}})
    api = gw.client("prod")
    assert gw.stage("prod").settings.cache_cluster_enabled is False
    assert gw.stage("prod").settings.for_route("GET /other").caching_enabled is True

    responses = [api.get("/other") for _ in range(2)]

    assert [use(r) for r in responses] == ["none", "none"]
    assert [call(r) for r in responses] == [1, 2]
    assert gw.metrics("prod").cache_hit_count == gw.metrics("prod").cache_miss_count == 0


def test_a_get_method_setting_can_turn_caching_off_for_that_method_only() -> None:
    gw, backend = cached_gateway(
        caching={"enabled": True},
        method_settings={"GET /other": {"caching": {"enabled": False}}},
    )
    api = gw.client("prod")

    other = [api.get("/other") for _ in range(2)]
    pets = [api.get("/pets/1") for _ in range(2)]

    assert [use(r) for r in other] == ["none", "none"]
    assert [use(r) for r in pets] == ["miss", "hit"]
    assert backend.calls == 3


def test_post_is_not_cached_by_the_stage_setting_only_by_its_own_method_setting() -> None:
    gw, backend = cached_gateway()
    api = gw.client("prod")
    assert gw.stage("prod").settings.for_route("POST /other").caching_enabled is False

    before = [api.post("/other") for _ in range(2)]
    assert [use(r) for r in before] == ["none", "none"]
    assert [call(r) for r in before] == [1, 2]

    gw.update_stage("prod", method_settings={"POST /other": {"caching": {"enabled": True}}})
    after = [api.post("/other") for _ in range(2)]
    assert [use(r) for r in after] == ["miss", "hit"]
    assert [call(r) for r in after] == [3, 3]
    # the POST entry is not the GET one: the method is part of the key
    get = [api.get("/other") for _ in range(2)]
    assert [use(r) for r in get] == ["miss", "hit"]
    assert [call(r) for r in get] == [4, 4]


def test_aws_key_form_of_a_method_setting_enables_caching_for_that_post() -> None:
    gw, _ = cached_gateway(
        caching={"enabled": True},
        method_settings={"~1other/POST": {"caching": {"enabled": True}}},
    )
    api = gw.client("prod")
    assert [use(api.post("/other")) for _ in range(2)] == ["miss", "hit"]


# -- time to live ----------------------------------------------------------------------------


@pytest.mark.parametrize("ttl", [None, 1, 60, 3600], ids=["default-300", "1", "60", "3600"])
def test_an_entry_lives_exactly_its_ttl(ttl: int | None) -> None:
    caching: dict[str, Any] = {"enabled": True} if ttl is None else {"enabled": True, "ttl": ttl}
    lifetime = 300 if ttl is None else ttl
    gw, backend = cached_gateway(caching=caching)
    api = gw.client("prod")
    assert gw.stage("prod").settings.for_route("GET /other").cache_ttl == lifetime

    first = api.get("/other")
    gw.clock.advance(lifetime - 1)
    almost = api.get("/other")
    gw.clock.advance(1)  # now exactly `ttl` seconds after the entry was stored
    expired = api.get("/other")
    gw.clock.advance(lifetime - 1)
    refilled = api.get("/other")

    assert [use(r) for r in (first, almost, expired, refilled)] == ["miss", "hit", "miss", "hit"]
    assert [call(r) for r in (first, almost, expired, refilled)] == [1, 1, 2, 2]


def test_a_method_ttl_overrides_the_stage_ttl_for_that_method_only() -> None:
    gw, _ = cached_gateway(
        caching={"enabled": True}, method_settings={"GET /other": {"caching": {"ttl": 10}}}
    )
    api = gw.client("prod")
    api.get("/other")
    api.get("/pets/1")

    gw.clock.advance(10)

    assert use(api.get("/other")) == "miss"
    assert use(api.get("/pets/1")) == "hit"


def test_ttl_zero_disables_caching() -> None:
    gw, backend = cached_gateway(caching={"enabled": True, "ttl": 0})
    api = gw.client("prod")

    responses = [api.get("/other") for _ in range(3)]

    assert [use(r) for r in responses] == ["none", "none", "none"]
    assert [call(r) for r in responses] == [1, 2, 3]


# -- the cache key ---------------------------------------------------------------------------


def test_unkeyed_parameters_do_not_split_entries_the_aws_example() -> None:
    """With only `type` keyed, `?type=admin&department=A` serves `...&department=B`."""
    gw, backend = cached_gateway()
    api = gw.client("prod")

    a = api.get("/pets?type=admin&department=A")
    b = api.get("/pets?type=admin&department=B")

    assert [use(a), use(b)] == ["miss", "hit"]
    assert b.json()["query"] == {"type": "admin", "department": "A"}
    assert backend.calls == 1


def test_different_values_of_a_keyed_query_parameter_miss() -> None:
    gw, _ = cached_gateway()
    api = gw.client("prod")

    admin, user, none, admin_again = (
        api.get(path)
        for path in ("/pets?type=admin", "/pets?type=user", "/pets", "/pets?type=admin")
    )

    assert [use(r) for r in (admin, user, none, admin_again)] == ["miss", "miss", "miss", "hit"]
    assert [call(r) for r in (admin, user, none, admin_again)] == [1, 2, 3, 1]
    assert user.json()["query"] == {"type": "user"}


def test_a_keyed_header_splits_entries_and_an_unkeyed_one_does_not() -> None:
    gw, _ = cached_gateway()
    api = gw.client("prod")

    acme = api.get("/tenant", headers={"X-Tenant": "acme", "X-Other": "1"})
    acme_again = api.get("/tenant", headers={"x-tenant": "acme", "X-Other": "2"})
    globex = api.get("/tenant", headers={"X-Tenant": "globex"})

    assert [use(r) for r in (acme, acme_again, globex)] == ["miss", "hit", "miss"]
    assert [call(r) for r in (acme, acme_again, globex)] == [1, 1, 2]


def test_a_keyed_path_parameter_splits_entries() -> None:
    gw, _ = cached_gateway()
    api = gw.client("prod")

    one, two, one_again = (api.get(p) for p in ("/owners/1", "/owners/2", "/owners/1"))

    assert [use(r) for r in (one, two, one_again)] == ["miss", "miss", "hit"]
    paths = [r.json()["path"] for r in (one, two, one_again)]
    assert paths == ["/owners/1", "/owners/2", "/owners/1"]


def test_an_unkeyed_path_parameter_shares_the_resource_entry() -> None:
    """The key is the resource (`/pets/{id}`), not the path: without
    `method.request.path.id` in cacheKeyParameters, /pets/2 gets /pets/1's answer."""
    gw, backend = cached_gateway()
    api = gw.client("prod")

    one, two = api.get("/pets/1"), api.get("/pets/2")

    assert [use(one), use(two)] == ["miss", "hit"]
    assert two.json()["path"] == "/pets/1"
    assert backend.calls == 1


def test_each_resource_and_each_stage_has_its_own_entries() -> None:
    gw, _ = cached_gateway()
    gw.create_stage("dev", gw.stage("prod").deployment_id)
    gw.update_stage("dev", caching={"enabled": True})
    prod, dev = gw.client("prod"), gw.client("dev")

    assert use(prod.get("/other")) == "miss"
    assert use(prod.get("/pets/1")) == "miss"
    assert use(dev.get("/other")) == "miss"
    assert use(dev.get("/other")) == "hit"
    assert use(prod.get("/other")) == "hit"


# -- what is stored --------------------------------------------------------------------------


def test_a_response_of_exactly_one_megabyte_is_cached_one_byte_more_is_not() -> None:
    assert MAX_ENTRY_BYTES == MB
    gw, backend = cached_gateway()
    api = gw.client("prod")

    at_limit = [api.get(f"/big/{MB}") for _ in range(2)]
    over = [api.get(f"/big/{MB + 1}") for _ in range(2)]

    assert [len(r.get_data()) for r in at_limit + over] == [MB, MB, MB + 1, MB + 1]
    assert [use(r) for r in at_limit] == ["miss", "hit"]
    assert [use(r) for r in over] == ["miss", "miss"]
    assert backend.calls == 3


# -- Cache-Control: max-age=0 ----------------------------------------------------------------


@pytest.mark.parametrize(
    "cache_control", ["max-age=0", "max-age = 0", "no-cache, max-age=0", "Max-Age=0"]
)
def test_max_age_zero_refreshes_and_replaces_the_entry_when_authorization_is_not_required(
    cache_control: str,
) -> None:
    gw, backend = cached_gateway(caching={"enabled": True, "require_authorization": False})
    api = gw.client("prod")
    first = api.get("/other")
    gw.clock.advance(100)

    refreshed = api.get("/other", headers={"Cache-Control": cache_control})
    gw.clock.advance(250)  # past the first entry's expiry (T0 + 300), before the new one's
    after = api.get("/other")

    assert [use(r) for r in (first, refreshed, after)] == ["miss", "miss", "hit"]
    assert [call(r) for r in (first, refreshed, after)] == [1, 2, 2]
    assert "Warning" not in refreshed.headers
    gw.clock.advance(50)  # T0 + 400: the replacing entry expires
    assert use(api.get("/other")) == "miss"


@pytest.mark.parametrize("cache_control", ["max-age=05", "max-age=60", "s-maxage=0", "no-cache"])
def test_other_cache_control_values_do_not_refresh(cache_control: str) -> None:
    gw, backend = cached_gateway(caching={"enabled": True, "require_authorization": False})
    api = gw.client("prod")
    api.get("/other")

    response = api.get("/other", headers={"Cache-Control": cache_control})

    assert (use(response), call(response)) == ("hit", 1)


def test_by_default_an_unsigned_max_age_zero_is_served_from_the_cache_with_a_warning() -> None:
    """requireAuthorizationForCacheControl defaults to true and the strategy to
    SUCCEED_WITH_RESPONSE_HEADER (reference section 1, MethodSetting defaults)."""
    gw, backend = cached_gateway()
    settings = gw.stage("prod").settings.for_route("GET /other")
    assert settings.require_authorization_for_cache_control is True
    assert settings.unauthorized_cache_control_strategy == "SUCCEED_WITH_RESPONSE_HEADER"
    api = gw.client("prod")
    api.get("/other")

    response = api.get("/other", headers={"Cache-Control": "max-age=0"})

    assert (use(response), call(response)) == ("hit", 1)
    assert response.headers["Warning"] == UNAUTHORIZED_WARNING
    assert response.headers["Warning"].startswith("199 ")
    assert "Warning" not in api.get("/other").headers  # the warning is not cached


@pytest.mark.parametrize(
    ("strategy", "status", "warning"),
    [
        ("FAIL_WITH_403", 403, None),
        ("SUCCEED_WITH_RESPONSE_HEADER", 200, UNAUTHORIZED_WARNING),
        ("SUCCEED_WITHOUT_RESPONSE_HEADER", 200, None),
    ],
)
def test_an_unsigned_max_age_zero_follows_the_unauthorized_strategy(
    strategy: str, status: int, warning: str | None
) -> None:
    gw, backend = cached_gateway(
        caching={"enabled": True, "require_authorization": True, "unauthorized_strategy": strategy}
    )
    api = gw.client("prod")
    api.get("/other")

    response = api.get("/other", headers={"Cache-Control": "max-age=0"})

    assert response.status_code == status
    assert response.headers.get("Warning") == warning
    assert backend.calls == 1  # the backend was not asked again
    if status == 200:
        assert (use(response), call(response)) == ("hit", 1)
    else:
        assert use(response) == "none"
        assert response.json() == {"message": "Forbidden"}
    after = api.get("/other")  # the entry is still there
    assert (use(after), call(after)) == ("hit", 1)


@pytest.mark.parametrize("strategy", ["FAIL_WITH_403", "SUCCEED_WITH_RESPONSE_HEADER"])
def test_a_signed_request_may_invalidate_when_authorization_is_required(strategy: str) -> None:
    gw, backend = cached_gateway(caching={"enabled": True, "unauthorized_strategy": strategy})
    api = gw.client("prod")
    api.get("/other")

    refreshed = api.get("/other", headers={"Cache-Control": "max-age=0", "Authorization": SIGNED})
    after = api.get("/other")

    assert [use(refreshed), use(after)] == ["miss", "hit"]
    assert [call(refreshed), call(after)] == [2, 2]
    assert "Warning" not in refreshed.headers


def test_a_signed_request_without_cache_control_is_an_ordinary_hit() -> None:
    gw, _ = cached_gateway()
    api = gw.client("prod")
    api.get("/other")

    response = api.get("/other", headers={"Authorization": SIGNED})

    assert (use(response), call(response)) == ("hit", 1)


# -- emptying the cache ----------------------------------------------------------------------


def test_flush_cache_empties_the_stage_cache() -> None:
    gw, backend = cached_gateway()
    api = gw.client("prod")
    api.get("/other")
    api.get("/pets?type=a")
    assert use(api.get("/other")) == "hit"

    gw.flush_cache("prod")

    assert [use(api.get("/other")), use(api.get("/pets?type=a"))] == ["miss", "miss"]
    assert backend.calls == 4
    with pytest.raises(NotFoundError, match="Invalid stage identifier specified: 'nope'"):
        gw.flush_cache("nope")


def test_resizing_the_cache_empties_it_and_keeping_the_size_does_not() -> None:
    gw, _ = cached_gateway()
    api = gw.client("prod")
    api.get("/other")

    gw.update_stage("prod", caching={"size": "0.5"})  # the size it already has
    assert use(api.get("/other")) == "hit"

    gw.update_stage("prod", caching={"size": "1.6"})
    assert gw.stage("prod").settings.cache_cluster_size == "1.6"
    assert use(api.get("/other")) == "miss"
    assert use(api.get("/other")) == "hit"


def test_disabling_the_cache_empties_it() -> None:
    gw, _ = cached_gateway()
    api = gw.client("prod")
    api.get("/other")

    gw.update_stage("prod", caching={"enabled": False})
    assert use(api.get("/other")) == "none"
    gw.update_stage("prod", caching={"enabled": True})

    assert [use(api.get("/other")) for _ in range(2)] == ["miss", "hit"]


# -- canaries --------------------------------------------------------------------------------


def canary_gateway(*, use_stage_cache: bool, same_deployment: bool = False) -> Gateway:
    """prod serves v1 with its cache on; a canary runs v2 (or v1 again) at 0 %; the tests
    force requests to one side with `gw.client(..., canary=...)`."""
    gw = Gateway()
    gw.api.put_route("GET /hello", {"type": "MOCK", "body": '"v1"'})
    first = gw.deploy("prod").id
    gw.update_stage("prod", caching={"enabled": True})
    gw.api.put_route("GET /hello", {"type": "MOCK", "body": '"v2"'})
    gw.deploy_canary("prod", 0, use_stage_cache=use_stage_cache)
    if same_deployment:
        gw.update_canary("prod", deployment_id=first)
    gw.clock.freeze(T0)
    return gw


def test_without_use_stage_cache_canary_requests_bypass_the_cache() -> None:
    gw = canary_gateway(use_stage_cache=False)
    stage, canary = gw.client("prod", canary=False), gw.client("prod", canary=True)
    assert use(stage.get("/hello")) == "miss"

    answers = [canary.get("/hello") for _ in range(2)]

    assert [use(r) for r in answers] == ["none", "none"]
    assert [r.json() for r in answers] == ["v2", "v2"]
    assert all(r.invocation.canary for r in answers)
    hit = stage.get("/hello")
    assert (use(hit), hit.json()) == ("hit", "v1")
    canary_metrics = gw.metrics("prod", canary=True)
    assert (canary_metrics.cache_hit_count, canary_metrics.cache_miss_count) == (0, 0)


def test_with_use_stage_cache_a_canary_of_another_deployment_is_cached_separately() -> None:
    gw = canary_gateway(use_stage_cache=True)
    stage, canary = gw.client("prod", canary=False), gw.client("prod", canary=True)
    assert use(stage.get("/hello")) == "miss"

    first, second = canary.get("/hello"), canary.get("/hello")
    from_stage = stage.get("/hello")

    assert [(use(r), r.json()) for r in (first, second, from_stage)] == [
        ("miss", "v2"),
        ("hit", "v2"),
        ("hit", "v1"),
    ]
    assert [r.invocation.canary for r in (first, second, from_stage)] == [True, True, False]
    canary_metrics, stage_metrics = gw.metrics("prod", canary=True), gw.metrics("prod")
    assert (canary_metrics.cache_hit_count, canary_metrics.cache_miss_count) == (1, 1)
    assert (stage_metrics.cache_hit_count, stage_metrics.cache_miss_count) == (1, 1)


def test_with_use_stage_cache_a_canary_of_the_same_deployment_shares_the_entries() -> None:
    gw = canary_gateway(use_stage_cache=True, same_deployment=True)
    stage, canary = gw.client("prod", canary=False), gw.client("prod", canary=True)
    settings = gw.stage("prod").canary
    assert settings is not None and settings.use_stage_cache
    assert settings.deployment_id == gw.stage("prod").deployment_id

    filled_by_stage = stage.get("/hello")
    canary_hit = canary.get("/hello")
    gw.flush_cache("prod")
    filled_by_canary = canary.get("/hello")
    stage_hit = stage.get("/hello")

    assert [use(r) for r in (filled_by_stage, canary_hit, filled_by_canary, stage_hit)] == [
        "miss",
        "hit",
        "miss",
        "hit",
    ]
    assert [r.invocation.canary for r in (canary_hit, filled_by_canary, stage_hit)] == [
        True,
        True,
        False,
    ]


# -- hits and misses where they are reported -------------------------------------------------


def test_hits_and_misses_are_in_the_records_and_the_metrics() -> None:
    gw, _ = cached_gateway()
    api = gw.client("prod")
    paths = ["/other", "/other", "/pets?type=a", "/pets?type=b", "/pets?type=a", "/other"]
    responses = [api.get(p) for p in paths]
    api.post("/other")  # not cached: neither a hit nor a miss

    assert [use(r) for r in responses] == ["miss", "hit", "miss", "miss", "hit", "hit"]
    records = gw.invocations("prod")
    assert [(r.cache_hit, r.cache_miss) for r in records] == [
        (False, True),
        (True, False),
        (False, True),
        (False, True),
        (True, False),
        (True, False),
        (False, False),
    ]
    metrics = gw.metrics("prod")
    assert (metrics.count, metrics.cache_hit_count, metrics.cache_miss_count) == (7, 3, 3)
    figures = metrics.as_cloudwatch()
    assert (figures["CacheHitCount"], figures["CacheMissCount"]) == (3, 3)
    assert "from the cache" in records[1].describe()
    assert "from the cache" not in records[0].describe()
    # a hit does not reach the integration: no IntegrationLatency sample for it
    assert metrics.integration_latency.sample_count == 4


def test_throttling_still_applies_to_answers_the_cache_would_give() -> None:
    gw, backend = cached_gateway(caching={"enabled": True}, throttling={"rate": 1, "burst": 2})
    api = gw.client("prod")

    miss, hit, throttled = (api.get("/other") for _ in range(3))

    assert [r.status_code for r in (miss, hit, throttled)] == [200, 200, 429]
    assert [use(r) for r in (miss, hit, throttled)] == ["miss", "hit", "none"]
    assert throttled.invocation.throttled
    assert throttled.json() == {"message": "Too Many Requests"}
    gw.clock.advance(1)  # one token back
    later = api.get("/other")
    assert (later.status_code, use(later), call(later)) == (200, "hit", 1)
    assert backend.calls == 1


# -- assert_cached ---------------------------------------------------------------------------


def test_assert_cached_passes_when_the_second_answer_comes_from_the_cache() -> None:
    gw, backend = cached_gateway()

    record = assert_cached(gw.client("prod"), "/pets", query_string={"type": "x"})

    assert record.cache_hit and record.route == "GET /pets"
    assert backend.calls == 1


def test_assert_cached_fails_with_the_settings_that_explain_why() -> None:
    gw, _ = cached_gateway(logging="INFO")  # no cache cluster

    with pytest.raises(AssertionError) as failure:
        assert_cached(gw.client("prod"), "/other")

    # (pytest's assertion rewriting indents the message's later lines: compare them stripped)
    first_line, served, why = (line.strip() for line in str(failure.value).splitlines()[:3])
    assert first_line == "GET /other on stage 'prod' was not served from the cache the second time"
    assert served.startswith("served by: GET /other on stage prod: route GET /other")
    assert served.endswith("status 200")
    assert why == "why: stage prod has no cache cluster: set caching: {enabled: true} on the stage"


def test_assert_cached_fails_for_a_post_without_its_method_setting() -> None:
    gw, _ = cached_gateway()

    with pytest.raises(AssertionError) as failure:
        assert_cached(gw.client("prod"), "/other", method="POST")

    message = str(failure.value)
    assert message.startswith(
        "POST /other on stage 'prod' was not served from the cache the second time"
    )
    assert (
        "why: stage-level caching applies to GET methods only; enable it for POST /other in "
        "method_settings: {'POST /other': {caching: {enabled: true}}}"
    ) in " ".join(line.strip() for line in message.splitlines())


# -- settings and config ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"caching": {"ttl": 3601}}, "caching.ttl must be from 0 to 3600, got 3601"),
        ({"caching": {"ttl": -1}}, "caching.ttl must be from 0 to 3600, got -1"),
        ({"caching": {"ttl": 1.5}}, "caching.ttl must be whole seconds, got 1.5"),
        ({"caching": {"ttl": "300"}}, "caching.ttl must be a number from 0 to 3600, got '300'"),
        (
            {"caching": {"size": "2"}},
            "caching.size: '2' is not a cache size; use one of 0.5, 1.6, 6.1, 13.5, 28.4, "
            "58.2, 118, 237 (GB)",
        ),
        (
            {"caching": {"unauthorized_strategy": "FAIL"}},
            "caching.unauthorized_strategy: unknown value 'FAIL'; use one of FAIL_WITH_403, "
            "SUCCEED_WITH_RESPONSE_HEADER, SUCCEED_WITHOUT_RESPONSE_HEADER",
        ),
        ({"caching": {"enabled": "yes"}}, "caching.enabled must be true or false, got 'yes'"),
        (
            {"caching": {"require_authorization": 1}},
            "caching.require_authorization must be true or false, got 1",
        ),
        (
            {"method_settings": {"GET /pets": {"caching": {"ttl": 4000}}}},
            "method_settings.GET /pets.caching.ttl must be from 0 to 3600, got 4000",
        ),
    ],
    ids=[
        "ttl-over-3600",
        "ttl-negative",
        "ttl-fraction",
        "ttl-string",
        "size",
        "strategy",
        "enabled",
        "require-authorization",
        "method-ttl",
    ],
)
def test_invalid_caching_settings_are_refused_and_change_nothing(
    settings: dict[str, Any], message: str
) -> None:
    gw, _ = cached_gateway()
    before = gw.stage("prod")

    with pytest.raises(BadRequestError) as refused:
        gw.update_stage("prod", **settings)

    assert str(refused.value) == message
    assert gw.stage("prod") == before


def test_a_cache_size_in_a_method_setting_is_refused_not_ignored() -> None:
    """The cache cluster (and its size) belongs to the stage; a method entry cannot size it."""
    gw, _ = cached_gateway()

    with pytest.raises(BadRequestError, match="size"):
        gw.update_stage("prod", method_settings={"GET /pets": {"caching": {"size": "1.6"}}})


def test_caching_and_cache_key_parameters_from_the_config() -> None:
    gw = Gateway.from_dict(
        {
            "api": {
                "routes": {
                    "GET /pets": {
                        "type": "MOCK",
                        "body": "[]",
                        "cacheKeyParameters": ["method.request.querystring.type"],
                    },
                    "POST /pets": {"type": "MOCK", "status": 201},
                }
            },
            "stages": {
                "prod": {
                    "caching": {"enabled": True, "ttl": 60, "size": "1.6"},
                    "method_settings": {"POST /pets": {"caching": {"enabled": True}}},
                }
            },
        }
    )
    gw.clock.freeze(T0)
    settings = gw.stage("prod").settings
    assert (settings.cache_cluster_enabled, settings.cache_cluster_size) == (True, "1.6")
    assert settings.for_route("GET /pets").cache_ttl == 60
    api = gw.client("prod")

    assert [use(api.get(p)) for p in ("/pets?type=a&x=1", "/pets?type=a&x=2", "/pets")] == [
        "miss",
        "hit",
        "miss",
    ]
    assert [use(api.post("/pets")) for _ in range(2)] == ["miss", "hit"]
    gw.clock.advance(60)
    assert use(api.get("/pets?type=a")) == "miss"


def test_an_answer_fetched_before_a_flush_is_not_stored_after_it() -> None:
    """A request in flight while the cache is flushed (the live server's threads) must not
    bring back what the flush removed."""
    from pytest_apistages.runtime.cache import CachedResponse, StageCaches

    caches = StageCaches()
    entry = CachedResponse(200, (), b"old", expires=100.0)
    missing, flushes = caches.get("prod", ("k",), now=0.0)
    caches.flush("prod")

    assert missing is None
    assert caches.put("prod", ("k",), entry, flushes) is False
    assert caches.get("prod", ("k",), now=0.0)[0] is None
    _, flushes = caches.get("prod", ("k",), now=0.0)
    assert caches.put("prod", ("k",), entry, flushes) is True
    assert caches.get("prod", ("k",), now=0.0)[0] == entry
    assert caches.get("dev", ("k",), now=0.0)[0] is None


def test_a_cached_lambda_answer_keeps_its_trace_id() -> None:
    """Only refusals given before the integration runs lack X-Amzn-Trace-Id; a cache hit is
    the integration's answer replayed and carries one, as a Lambda answer does."""
    from pytest_apistages import Gateway

    gw = Gateway()
    gw.functions.register("f", lambda event, context: {"statusCode": 200, "body": "ok"})
    gw.api.put_route("GET /x", "f")
    gw.deploy("prod")
    gw.update_stage("prod", caching={"enabled": True, "ttl": 300})
    client = gw.client("prod")

    first, second = client.get("/x"), client.get("/x")

    assert second.invocation.cache_hit
    assert "X-Amzn-Trace-Id" in first.headers and "X-Amzn-Trace-Id" in second.headers
