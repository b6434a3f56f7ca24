"""Each stage serves its own deployment with its own variables."""

import pytest

from pytest_apistages.assertions import assert_no_pending_changes, assert_routes_to


@pytest.mark.stage("dev", "prod")
def test_health_check_is_served_on_every_stage(api):
    response = api.get("/health")

    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert response.headers["x-amzn-RequestId"]


@pytest.mark.stage("dev", "prod")
def test_every_stage_serves_the_working_definition(gateway, stage_name):
    assert_no_pending_changes(gateway, stage_name)


@pytest.mark.stage("prod")
def test_prod_runs_the_live_alias_of_pets(api):
    record = assert_routes_to(api, "GET /pets", route="GET /pets", target="pets:live", version="1")

    assert record.stage_variables["petsAlias"] == "live"
    assert api.get("/pets").json() == {"pets": ["Rex", "Tom", "Nemo"]}


@pytest.mark.stage("dev")
def test_dev_runs_the_next_alias_with_its_environment(api):
    response = api.get("/pets", query_string={"species": "cat"})

    assert response.status_code == 200
    assert response.headers["X-Function-Version"] == "2"
    assert response.json() == {
        "pets": [{"id": 2, "name": "Tom", "species": "cat", "age": 2}],
        "table": "pets-main",
    }


@pytest.mark.stage("dev", "prod")
def test_inventory_goes_to_the_stage_backend(api, stage_name):
    expected_backend = {"dev": "staging", "prod": "production"}[stage_name]

    response = api.get("/inventory/stock/dog-food", headers={"X-Caller": "shop-web"})

    assert response.status_code == 200
    assert response.json()["environment"] == expected_backend
    assert response.json()["caller"] == "shop-web"


@pytest.mark.stage("dev", "prod")
def test_inventory_proxies_to_version_1_of_the_backend_api(api):
    record = assert_routes_to(api, "GET /inventory/stock/dog-food", route="GET /inventory/{proxy+}")

    assert record.target.endswith(".internal/v1/stock/dog-food")


@pytest.mark.stage("prod")
def test_order_is_created_through_the_lambda_arn_integration(api):
    response = api.post("/orders", json={"pet_id": 1, "quantity": 2})

    assert response.status_code == 201
    assert response.json() == {"order": {"pet_id": 1, "quantity": 2}, "stage": "prod"}


@pytest.mark.stage("prod")
def test_unknown_route_and_wrong_verb_get_api_gateway_403(api):
    for response in (api.get("/no-such-thing"), api.delete("/pets")):
        assert response.status_code == 403
        assert response.get_data() == b'{"message":"Missing Authentication Token"}'
        assert response.headers["x-amzn-ErrorType"] == "MissingAuthenticationTokenException"
