"""Non-proxy routes: a MOCK CORS preflight, a Lambda behind mapping templates, and the
gateway's own answers customised with a CORS header."""

import pytest


@pytest.mark.stage("dev", "prod")
def test_the_cors_preflight_answers_from_its_mock(api):
    response = api.options("/pets")

    assert response.status_code == 200
    assert response.data == b""
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert response.headers["Access-Control-Allow-Methods"] == "GET,OPTIONS"


@pytest.mark.stage("prod")
def test_the_pet_card_is_made_by_the_templates(api):
    response = api.get("/pets/2/card", query_string={"lang": "es"})

    assert response.status_code == 200
    assert response.json() == {"card": "Hola, I am Tom the cat", "stage": "prod"}


@pytest.mark.stage("prod")
def test_the_functions_error_message_selects_the_404(api):
    response = api.get("/pets/9/card")

    assert response.status_code == 404
    assert response.json() == {"message": "no pet 9"}


@pytest.mark.stage("prod")
def test_the_gateways_own_answers_carry_the_cors_header(api):
    response = api.get("/no/such/route")

    assert response.status_code == 403
    assert response.json() == {"message": "Missing Authentication Token"}
    assert response.headers["Access-Control-Allow-Origin"] == "*"
