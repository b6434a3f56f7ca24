"""Releasing pets v2 to production through a canary, as a team would on AWS."""

import pytest

from pytest_apistages.assertions import assert_canary_ratio, assert_served_by


@pytest.mark.stage("prod")
def test_canary_release_of_pets_v2(gateway, api):
    # 10 % of prod traffic runs the next alias; the rest stays on live.
    gateway.deploy_canary("prod", percent=10, variables={"petsAlias": "next"})

    assert_canary_ratio(gateway, "prod", "/pets")  # exact binomial test, 2000 requests
    canary = gateway.client("prod", canary=True).get("/pets")
    assert_served_by(canary, canary=True, version="2")
    assert canary.json()["table"] == "pets-main"
    assert_served_by(gateway.client("prod", canary=False).get("/pets"), canary=False, version="1")

    # Promote: prod takes the canary's deployment and its overrides; all traffic moves.
    gateway.promote_canary("prod")

    assert gateway.stage("prod").variables["petsAlias"] == "next"
    assert_canary_ratio(gateway, "prod", "/pets", expected=0, samples=200)
    assert {api.get("/pets").invocation.version for _ in range(50)} == {"2"}


@pytest.mark.stage("prod")
def test_a_failing_canary_is_removed_and_prod_recovers(gateway, api):
    gateway.functions.register("pets-broken", lambda event, context: {"statusCode": "oops"})
    gateway.api.put_route("GET /pets", "pets-broken")
    gateway.deploy_canary("prod", percent=20)

    statuses = [api.get("/pets").status_code for _ in range(300)]

    assert 0 < statuses.count(502) < 300
    assert gateway.metrics("prod", canary=True).error_5xx == statuses.count(502)
    assert gateway.metrics("prod").error_5xx == 0

    gateway.remove_canary("prod")

    assert {api.get("/pets").status_code for _ in range(100)} == {200}


@pytest.mark.stage("prod")
@pytest.mark.canary(percent=25, variables={"petsAlias": "next"})
def test_the_canary_marker_puts_a_canary_on_the_stage(gateway):
    assert gateway.stage("prod").canary.percent == 25
    assert_canary_ratio(gateway, "prod", "/pets")


@pytest.mark.stage("prod")
def test_lambda_alias_traffic_shifting(gateway, api):
    gateway.update_stage("prod", variables={"petsAlias": "shifting"})

    versions = [api.get("/pets").invocation.version for _ in range(1000)]

    assert versions.count("2") + versions.count("1") == 1000
    assert 60 < versions.count("2") < 140  # the alias sends 10 % to version 2
