"""Releasing: edits wait for a deploy, stage variables switch at once, rollback undoes a deploy."""

import pytest
import requests

from pytest_apistages.assertions import assert_routes_to


@pytest.mark.stage("prod")
def test_an_edit_is_not_live_until_deployed(gateway, api):
    gateway.api.put_route("GET /version", {"type": "MOCK", "body": {"version": "v2"}})

    assert gateway.pending_changes("prod") == ["GET /version: added, not deployed"]
    assert api.get("/version").status_code == 403  # API Gateway: no such route (yet)

    gateway.deploy("prod", description="version route")

    assert api.get("/version").json() == {"version": "v2"}
    assert gateway.pending_changes("prod") == []


@pytest.mark.stage("prod")
def test_switching_the_alias_variable_takes_effect_without_a_deploy(gateway, api):
    assert_routes_to(api, "GET /pets", version="1")

    gateway.update_stage("prod", variables={"petsAlias": "next"})

    assert_routes_to(api, "GET /pets", target="pets:next", version="2")


@pytest.mark.stage("prod")
def test_rollback_returns_prod_to_the_october_release(gateway, api):
    assert api.post("/orders", json={"pet_id": 2, "quantity": 1}).status_code == 201

    previous = gateway.rollback("prod")

    assert previous.id == "october"
    assert gateway.stage("prod").deployment_id == "october"
    assert api.post("/orders", json={"pet_id": 2, "quantity": 1}).status_code == 403
    assert api.get("/pets").status_code == 200
    assert "POST /orders: added, not deployed" in gateway.pending_changes("prod")


@pytest.mark.stage("prod")
def test_a_bad_release_is_rolled_back(gateway, api):
    gateway.functions.register("broken", lambda event, context: {"statusCode": "oops"})
    gateway.api.put_route("GET /pets", "broken")
    bad = gateway.deploy("prod", description="bad release")

    assert api.get("/pets").status_code == 502
    assert gateway.rollback("prod").id != bad.id
    assert api.get("/pets").status_code == 200


@pytest.mark.stage("prod")
def test_clients_using_requests_reach_the_gateway_in_process(gateway):
    with gateway.intercept():
        response = requests.get(gateway.url("prod", "/pets/2"))

    assert response.status_code == 200
    assert response.json()["name"] == "Tom"


def test_the_gateway_serves_real_http(gateway):
    with gateway.serve() as base_url:
        response = requests.get(f"{base_url}/dev/inventory/stock/cat-food", timeout=5)

    assert response.json()["stock"] == {"cat-food": 0}
