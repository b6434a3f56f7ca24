"""The APIs and the bare baselines the benchmark rows compare, built only with the public API.

Every side of every comparison answers the same body, `{"id": "1"}` (the Lambda handler echoes
the path parameter, so it is a string), with `Content-Type: application/json`."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from typing import Any

from pytest_apistages import Gateway

BODY = json.dumps({"id": "1"}).encode()
JSON_HEADERS = [("Content-Type", "application/json"), ("Content-Length", str(len(BODY)))]

LAMBDA_PATH = "/lambda/1"
MOCK_PATH = "/mock/1"
PETS_PATH = "/pets/1"
EDITED_PATH = "/edited/1"

StartResponse = Callable[[str, list[tuple[str, str]]], Any]


def bare_app(environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
    """The floor: the most trivial WSGI app that answers the same JSON."""
    start_response("200 OK", list(JSON_HEADERS))
    return [BODY]


def pets_handler(event: dict[str, Any], context: object) -> dict[str, Any]:
    """An ordinary Lambda proxy handler, as in the project's issue."""
    return {"statusCode": 200, "body": json.dumps({"id": event["pathParameters"]["id"]})}


def _register_pets(gw: Gateway) -> None:
    gw.functions.register("pets", pets_handler)
    version = gw.functions.publish_version("pets")
    gw.functions.set_alias("pets", "live", version)


def _put_other_routes(gw: Gateway, count: int) -> None:
    """Routes the request has to be matched past: distinct static prefixes, one parameter."""
    for i in range(count):
        gw.api.put_route(f"GET /other{i}/{{id}}", {"type": "MOCK", "body": '{"other": true}'})


def _put_served_routes(gw: Gateway) -> None:
    gw.api.put_route("GET /mock/{id}", {"type": "MOCK", "body": BODY.decode()})
    lambda_proxy = {"type": "AWS_PROXY", "function": "pets:${stageVariables.alias}"}
    gw.api.put_route("GET /lambda/{id}", lambda_proxy)


def lambda_gateway(total_routes: int = 202, stages: int = 1, deployments: int = 1) -> Gateway:
    """An API of `total_routes` routes, among them GET /lambda/{id} (AWS_PROXY to
    `pets:${stageVariables.alias}`, alias `live` -> version 1) and GET /mock/{id} (MOCK), served
    on `prod`. With more stages or deployments, `deployments` snapshots are spread over
    `stages` stages (prod among them, and it gets the last one)."""
    gw = Gateway("bench")
    _register_pets(gw)
    _put_other_routes(gw, total_routes - 2)  # the served routes come last
    _put_served_routes(gw)
    names = ["prod", *(f"stage{i}" for i in range(1, stages))]
    for i in range(deployments):
        gw.deploy(names[(deployments - 1 - i) % stages], variables={"alias": "live"})
    return gw


def http_proxy_gateway() -> Gateway:
    """GET /pets/{id}, HTTP_PROXY to http://pets.internal/pets/{id}, served by a mounted app."""
    gw = Gateway("bench")
    gw.backends.mount("pets.internal", bare_app)
    gw.api.put_route(
        "GET /pets/{id}",
        {"type": "HTTP_PROXY", "httpMethod": "GET", "uri": "http://pets.internal/pets/{id}"},
    )
    gw.deploy("prod")
    return gw


def editable_gateway(total_routes: int = 300) -> Gateway:
    """A `total_routes`-route API whose GET /edited/{id} MOCK each round edits and deploys."""
    gw = Gateway("bench")
    _put_other_routes(gw, total_routes - 1)
    edit_and_deploy(gw, 0)
    return gw


def edit_and_deploy(gw: Gateway, n: int) -> None:
    """Edit one route (its body carries `n`) and deploy the API to prod."""
    gw.api.put_route("GET /edited/{id}", {"type": "MOCK", "body": json.dumps({"n": n})})
    gw.deploy("prod")
