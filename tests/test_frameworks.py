"""A new user's project: FastAPI behind Mangum, Flask behind apig-wsgi, and Powertools' REST
resolver, each reached the three ways a test reaches the gateway (test client, `requests`
interception, a real server). Every way runs every handler as Lambda would."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import requests

from pytest_apistages import Gateway

fastapi = pytest.importorskip("fastapi")
flask = pytest.importorskip("flask")
mangum = pytest.importorskip("mangum")
apig_wsgi = pytest.importorskip("apig_wsgi")
powertools = pytest.importorskip("aws_lambda_powertools.event_handler")


def fastapi_handler() -> Callable[..., Any]:
    app = fastapi.FastAPI()

    @app.get("/pets/{pet_id}")
    async def pet(pet_id: str, request: fastapi.Request) -> dict[str, Any]:
        event = request.scope["aws.event"]
        return {"id": pet_id, "stage": event["requestContext"]["stage"], "via": "fastapi"}

    @app.post("/pets")
    async def create(body: dict[str, Any]) -> dict[str, Any]:
        return {"created": body["name"], "via": "fastapi"}

    return mangum.Mangum(app, lifespan="off")


def flask_handler() -> Callable[..., Any]:
    app = flask.Flask("pets")

    @app.get("/pets/<pet_id>")
    def pet(pet_id: str) -> dict[str, Any]:
        event = flask.request.environ["apig_wsgi.full_event"]
        return {"id": pet_id, "stage": event["requestContext"]["stage"], "via": "flask"}

    @app.post("/pets")
    def create() -> dict[str, Any]:
        return {"created": flask.request.get_json()["name"], "via": "flask"}

    return apig_wsgi.make_lambda_handler(app)


def powertools_handler() -> Callable[..., Any]:
    app = powertools.APIGatewayRestResolver()

    @app.get("/pets/<pet_id>")
    def pet(pet_id: str) -> dict[str, Any]:
        stage = app.current_event.request_context.stage
        return {"id": pet_id, "stage": stage, "via": "powertools"}

    @app.post("/pets")
    def create() -> dict[str, Any]:
        return {"created": app.current_event.json_body["name"], "via": "powertools"}

    return lambda event, context: app.resolve(event, context)


FRAMEWORKS = {"fastapi": fastapi_handler, "flask": flask_handler, "powertools": powertools_handler}


def through_client(gw: Gateway) -> list[tuple[int, Any]]:
    client = gw.client("prod")
    got = client.get("/pets/7")
    made = client.post("/pets", json={"name": "Rex"})
    return [(got.status_code, got.json()), (made.status_code, made.json())]


def through_requests(base_url: str) -> list[tuple[int, Any]]:
    with requests.Session() as session:
        got = session.get(f"{base_url}/pets/7", timeout=10)
        made = session.post(f"{base_url}/pets", json={"name": "Rex"}, timeout=10)
    return [(got.status_code, got.json()), (made.status_code, made.json())]


def through_intercept(gw: Gateway) -> list[tuple[int, Any]]:
    with gw.intercept():
        return through_requests(gw.url("prod"))


def through_serve(gw: Gateway) -> list[tuple[int, Any]]:
    with gw.serve() as base_url:
        return through_requests(f"{base_url}/prod")


WAYS = {"client": through_client, "intercept": through_intercept, "serve": through_serve}


@pytest.mark.parametrize("way", WAYS)
@pytest.mark.parametrize("framework", FRAMEWORKS)
def test_each_framework_runs_the_same_through_every_way_in(framework: str, way: str) -> None:
    gw = Gateway("pets")
    gw.functions.register("app", FRAMEWORKS[framework]())
    gw.api.put_route("ANY /{proxy+}", "app")
    gw.deploy("prod")

    (got_status, got), (made_status, made) = WAYS[way](gw)

    assert (got_status, got) == (200, {"id": "7", "stage": "prod", "via": framework})
    assert made_status in (200, 201)
    assert made == {"created": "Rex", "via": framework}
    assert [r.status for r in gw.invocations()] == [got_status, made_status]
