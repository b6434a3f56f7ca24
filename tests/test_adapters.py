"""Code written for real API Gateway runs unchanged behind ours: Lambda web frameworks and
adapters that parse the proxy event see what they would see on AWS."""

import base64
import json

import pytest

from pytest_apistages import Gateway

powertools = pytest.importorskip("aws_lambda_powertools.event_handler")
apig_wsgi = pytest.importorskip("apig_wsgi")
mangum = pytest.importorskip("mangum")


def gateway_for(handler, **options) -> Gateway:
    gw = Gateway("adapters", **options)
    gw.functions.register("app", handler)
    gw.api.put_route("ANY /{proxy+}", "app")
    gw.api.put_route("ANY /", "app")
    gw.deploy("live", variables={"flavour": "vanilla"})
    return gw


def test_powertools_rest_resolver():
    app = powertools.APIGatewayRestResolver()

    @app.get("/pets/<pet_id>")
    def get_pet(pet_id):
        event = app.current_event
        return {
            "pet_id": pet_id,
            "verbose": event.get_query_string_value("verbose"),
            "tags": event.get_multi_value_query_string_values("tag"),
            "stage": event.request_context.stage,
            "source_ip": event.request_context.identity.source_ip,
            "flavour": event.stage_variables["flavour"],
            "trace": event.headers.get("x-amzn-trace-id") is not None,
        }

    @app.post("/pets")
    def create_pet():
        return {"created": app.current_event.json_body}, 201

    gw = gateway_for(lambda event, context: app.resolve(event, context))
    client = gw.client("live")

    found = client.get("/pets/7?verbose=yes&tag=a&tag=b")
    created = client.post("/pets", json={"name": "Rex"})
    missing = client.get("/nothing")

    assert found.status_code == 200
    assert found.json() == {
        "pet_id": "7",
        "verbose": "yes",
        "tags": ["a", "b"],
        "stage": "live",
        "source_ip": "127.0.0.1",
        "flavour": "vanilla",
        "trace": True,
    }
    assert created.status_code == 201
    assert created.json() == {"created": {"name": "Rex"}}
    assert missing.status_code == 404  # the framework's own 404, passed through
    assert [r.route for r in gw.invocations()] == ["ANY /{proxy+}"] * 3


def wsgi_echo(environ, start_response):
    body = environ["wsgi.input"].read()
    answer = {
        "path": environ["PATH_INFO"],
        "query": environ["QUERY_STRING"],
        "script_name": environ["SCRIPT_NAME"],
        "content_type": environ.get("CONTENT_TYPE"),
        "x_custom": environ.get("HTTP_X_CUSTOM"),
        "body_b64": base64.b64encode(body).decode(),
    }
    start_response("200 OK", [("Content-Type", "application/json")])
    return [json.dumps(answer).encode()]


def test_apig_wsgi_runs_a_wsgi_app_including_binary_bodies():
    handler = apig_wsgi.make_lambda_handler(wsgi_echo, binary_support=True)
    gw = gateway_for(handler, binary_media_types=["image/png"])
    png = b"\x89PNG\r\n\x1a\n\x00\xff"

    response = gw.client("live").post(
        "/upload/a%20b?x=1&y=two+words",
        data=png,
        headers={"Content-Type": "image/png", "X-Custom": "kept"},
    )

    assert response.status_code == 200
    answer = response.json()
    assert answer["path"] == "/upload/a b"
    assert answer["query"] == "x=1&y=two+words"
    assert answer["content_type"] == "image/png"
    assert answer["x_custom"] == "kept"
    assert base64.b64decode(answer["body_b64"]) == png


async def asgi_app(scope, receive, send):
    request = await receive()
    body = json.dumps(
        {
            "path": scope["path"],
            "method": scope["method"],
            "query": scope["query_string"].decode(),
            "body": request["body"].decode(),
            "stage": scope["aws.event"]["requestContext"]["stage"],
        }
    ).encode()
    await send(
        {
            "type": "http.response.start",
            "status": 202,
            "headers": [(b"content-type", b"application/json"), (b"x-app", b"asgi")],
        }
    )
    await send({"type": "http.response.body", "body": body})


def test_mangum_recognises_the_event_as_api_gateway_rest():
    handler = mangum.Mangum(asgi_app, lifespan="off")
    gw = gateway_for(handler)

    response = gw.client("live").put("/things/1?force=true", data="payload")

    assert response.status_code == 202
    assert response.headers["x-app"] == "asgi"
    assert response.json() == {
        "path": "/things/1",
        "method": "PUT",
        "query": "force=true",
        "body": "payload",
        "stage": "live",
    }
