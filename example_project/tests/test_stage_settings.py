"""prod and dev share a deployment but not their settings: caching, throttling, logging."""

import pytest

from pytest_apistages.assertions import assert_cached, assert_throttled

ACME = {"x-api-key": "acme-0123456789abcdef0123"}


@pytest.mark.stage("prod")
def test_prod_caches_inventory_but_not_the_pet_list(gateway, api):
    assert_cached(api, "/inventory/stock/dog-food")

    api.get("/pets")
    assert not api.get("/pets").invocation.cache_hit
    metrics = gateway.metrics("prod", route="GET /inventory/{proxy+}")
    assert (metrics.cache_hit_count, metrics.cache_miss_count) == (1, 1)


@pytest.mark.stage("dev")
def test_dev_has_no_cache(api):
    api.get("/inventory/stock/dog-food")
    assert not api.get("/inventory/stock/dog-food").invocation.cache_hit


@pytest.mark.stage("prod")
def test_cached_answers_expire_after_the_ttl(gateway, api):
    gateway.clock.freeze()
    api.get("/inventory/stock/cat-food")

    gateway.clock.advance(299)
    assert api.get("/inventory/stock/cat-food").invocation.cache_hit
    gateway.clock.advance(1)
    assert not api.get("/inventory/stock/cat-food").invocation.cache_hit


@pytest.mark.stage("prod")
def test_prod_throttles_orders(api):
    records = assert_throttled(api, "/orders", after=10, method="POST",
                               json={"pet_id": 1, "quantity": 1})  # fmt: skip

    assert records[-1].status == 429
    assert api.gateway.metrics("prod", route="POST /orders").error_4xx == 1


@pytest.mark.stage("dev")
def test_dev_does_not_throttle_orders(api):
    statuses = {api.post("/orders", json={"pet_id": 1, "quantity": 1}).status_code
                for _ in range(30)}  # fmt: skip
    assert statuses == {201}


@pytest.mark.stage("dev", "prod")
def test_partners_need_their_api_key(api, stage_name):
    assert api.get("/partner/stock/dog-food").status_code == 403
    assert api.get("/partner/stock/dog-food", headers={"x-api-key": "x" * 24}).status_code == 403

    response = api.get("/partner/stock/dog-food", headers=ACME)

    assert response.status_code == 200
    assert response.invocation.api_key_id == api.gateway.api_keys.get("acme").id


@pytest.mark.stage("prod")
def test_partner_throttle_is_per_key(gateway, api):
    records = assert_throttled(api, "/partner/stock/cat-food", after=5, headers=ACME)

    assert "Key throttle limit exceeded" in gateway.logs("prod")[-2].message
    assert [r.cache_hit for r in records[:5]] == [False, True, True, True, True]


@pytest.mark.stage("prod")
def test_prod_writes_access_logs(api):
    api.get("/health")

    (line,) = api.gateway.access_logs("prod")
    assert line.group == "petshop-access"
    assert line.message == f"{api.gateway.invocations()[-1].request_id} GET /health 200"


@pytest.mark.stage("dev")
def test_dev_logs_errors_only(gateway, api):
    api.get("/health")
    assert gateway.logs("dev") == []

    gateway.functions.register("pets-broken", lambda event, context: None)
    gateway.api.put_route("GET /pets", "pets-broken")
    gateway.deploy("dev")
    assert api.get("/pets").status_code == 502

    messages = [event.message for event in gateway.logs("dev")]
    assert messages[0].startswith("Execution failed due to configuration error: Malformed")
    assert messages[-1] == "Method completed with status: 502"
