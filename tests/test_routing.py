"""Route matching with API Gateway's precedence, and its answers when nothing matches."""

import json

import pytest

from pytest_apistages import BadRequestError, Gateway

MISSING_TOKEN = b'{"message":"Missing Authentication Token"}'


def route_names(*keys: str) -> Gateway:
    """A gateway whose every route answers with its own key."""
    gw = Gateway()
    for key in keys:
        gw.api.put_route(key, {"type": "MOCK", "body": json.dumps(key)})
    gw.deploy("s")
    return gw


def served(gw: Gateway, method: str, path: str) -> str | None:
    response = gw.client("s").open(path, method=method)
    return response.json() if response.status_code == 200 else None


def test_literal_beats_variable_beats_greedy():
    gw = route_names("GET /pets/mine", "GET /pets/{id}", "GET /{proxy+}")

    assert served(gw, "GET", "/pets/mine") == "GET /pets/mine"
    assert served(gw, "GET", "/pets/7") == "GET /pets/{id}"
    assert served(gw, "GET", "/pets/7/toys") == "GET /{proxy+}"
    assert served(gw, "GET", "/elsewhere") == "GET /{proxy+}"


def test_greedy_sibling_catches_a_verb_the_literal_lacks():
    """Recorded on AWS: OPTIONS /test reaches /{proxy+} when /test has only POST."""
    gw = route_names("POST /test", "ANY /{proxy+}")

    assert served(gw, "OPTIONS", "/test") == "ANY /{proxy+}"
    assert served(gw, "POST", "/test") == "POST /test"


def test_greedy_fallback_from_a_literal_branch_without_a_match():
    """Recorded on AWS: /part1/random-value reaches /{param+} beside /part1/hardcoded-value."""
    gw = route_names("GET /part1", "GET /part1/hardcoded-value", "GET /{param+}")

    assert served(gw, "GET", "/part1/random-value") == "GET /{param+}"
    assert served(gw, "GET", "/part1/hardcoded-value") == "GET /part1/hardcoded-value"
    assert served(gw, "GET", "/part1") == "GET /part1"


def test_concrete_verb_beats_any_on_the_same_resource():
    gw = route_names("ANY /pets", "GET /pets")

    assert served(gw, "GET", "/pets") == "GET /pets"
    assert served(gw, "DELETE", "/pets") == "ANY /pets"


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/nothing"),
        ("DELETE", "/pets"),  # wrong verb on an existing resource
        ("HEAD", "/pets"),  # API Gateway does not turn HEAD into GET
        ("GET", "/pets/1/2"),
        ("GET", "/"),
    ],
)
def test_no_match_is_403_missing_authentication_token(method, path):
    gw = route_names("GET /pets", "GET /pets/{id}")

    response = gw.client("s").open(path, method=method)

    assert response.status_code == 403
    if method != "HEAD":
        assert response.get_data() == MISSING_TOKEN
    assert response.headers["Content-Type"] == "application/json"
    assert response.headers["x-amzn-ErrorType"] == "MissingAuthenticationTokenException"
    assert response.headers["x-amzn-RequestId"]
    assert response.headers["x-amz-apigw-id"].endswith("=")
    record = gw.invocations()[-1]
    assert (record.route, record.status, record.error) == (
        None, 403, "MISSING_AUTHENTICATION_TOKEN",
    )  # fmt: skip


def test_unknown_stage_is_403_and_recorded():
    gw = route_names("GET /pets")

    response = gw.client("nope").get("/pets")

    assert response.status_code == 403
    assert response.get_data() == MISSING_TOKEN
    assert gw.invocations()[-1].deployment_id is None


def test_root_resource_and_trailing_slash():
    gw = route_names("GET /", "GET /pets")

    assert served(gw, "GET", "/") == "GET /"
    assert served(gw, "GET", "/pets/") == "GET /pets"


def test_path_parameters_named_as_in_the_route():
    gw = Gateway()
    gw.functions.register("echo", lambda event, context: {"body": json.dumps(event)})
    gw.api.put_route("GET /shops/{shop-id}/pets/{pet.id}", "echo")
    gw.deploy("s")

    event = gw.client("s").get("/shops/s1/pets/p%2F2").json()

    assert event["pathParameters"] == {"shop-id": "s1", "pet.id": "p%2F2"}
    assert gw.invocations()[-1].path_parameters == {"shop-id": "s1", "pet.id": "p%2F2"}


def test_requests_over_10_mb_get_the_plain_text_413():
    gw = route_names("POST /upload")

    response = gw.client("s").post("/upload", data=b"x" * (10 * 1024 * 1024 + 1))

    assert response.status_code == 413
    assert response.get_data() == b"HTTP content length exceeded 10485760 bytes."
    assert response.headers["Content-Type"] == "text; charset=utf-8"
    assert "x-amzn-ErrorType" not in response.headers
    assert gw.client("s").post("/upload", data=b"x" * 1024).status_code == 200


@pytest.mark.parametrize(
    ("routes", "message"),
    [
        (
            ["GET /pets/{id}", "GET /pets/{petId}"],
            "A sibling ({id}) of this resource already has a variable path part -- only one is "
            "allowed",
        ),
        (["GET /{proxy+}/more"], "Cannot create a child of a resource with a greedy path variable"),
        (["GET /pets/{id"], "Resource's path part only allow a-zA-Z0-9._-"),
        (["FETCH /pets"], "Invalid HTTP method 'FETCH'"),
        (["GET pets"], "Invalid resource path 'pets': it must start with '/'"),
        (["GET /pets/"], "no empty segments or trailing '/'"),
        (["/pets"], "write it as 'VERB /path'"),
    ],
)
def test_bad_routes_are_refused_with_aws_wording(routes, message):
    gw = Gateway()
    with pytest.raises(BadRequestError) as refused:
        for key in routes:
            gw.api.put_route(key, {"type": "MOCK"})
    assert message in str(refused.value)


def test_any_covers_the_seven_verbs_and_nothing_else():
    gw = route_names("ANY /things")

    for method in ("DELETE", "GET", "HEAD", "OPTIONS", "PATCH", "POST", "PUT"):
        assert gw.client("s").open("/things", method=method).status_code == 200, method
    assert gw.client("s").open("/things", method="PROPFIND").status_code == 403


def test_non_ascii_paths_stay_percent_encoded_as_on_aws():
    gw = Gateway()
    gw.functions.register("echo", lambda event, context: {"body": json.dumps(event)})
    gw.api.put_route("GET /pets/{id}", "echo")
    gw.deploy("s")

    event = gw.client("s").get("/pets/café").json()

    assert event["path"] == "/pets/caf%C3%A9"
    assert event["pathParameters"] == {"id": "caf%C3%A9"}


def test_execution_log_lines_reach_python_logging_for_pytest_to_show(caplog):
    gw = Gateway()
    gw.api.put_route("GET /x", "missing-function")
    gw.deploy("s")

    with caplog.at_level("INFO", logger="pytest_apistages"):
        assert gw.client("s").get("/x").status_code == 500
        assert gw.client("s").get("/nothing").status_code == 403

    errors = [r.getMessage() for r in caplog.records if r.levelname == "ERROR"]
    infos = [r.getMessage() for r in caplog.records if r.levelname == "INFO"]
    assert any("Function not found" in m and "function:missing-function" in m for m in errors)
    assert any("Method completed with status: 500" in m for m in errors)
    assert any("No route for GET /nothing" in m for m in infos)  # a 4XX is not an error
    assert all(m.startswith(f"{gw.log_group('s')} (") for m in errors + infos)
    assert [e.message for e in gw.logs("s")][-1] == "Method completed with status: 403"


def test_no_route_is_a_warning_naming_the_request_and_the_nearest_routes(caplog):
    gw = route_names("GET /pets", "GET /pets/{id}", "POST /orders")

    response = gw.client("s").get("/pet")

    assert response.status_code == 403  # AWS's answer stays the same
    [warning] = [r for r in caplog.records if r.levelname == "WARNING"]
    deployment = gw.stage("s").deployment_id
    assert warning.getMessage() == (
        f"GET /pet: no route on stage s (deployment {deployment}); answered 403 Missing "
        f"Authentication Token. Nearest routes: GET /pets, GET /pets/{{id}}"
    )


def test_an_unknown_stage_is_a_warning_with_a_did_you_mean(caplog):
    gw = route_names("GET /pets")

    gw.client("z").get("/pets")
    gw.client("ss").get("/pets")

    messages = [r.getMessage() for r in caplog.records if r.levelname == "WARNING"]
    assert messages[1] == (
        "GET /ss/pets: no stage 'ss' (did you mean 's'?); answered 403 Missing Authentication "
        "Token (stages: s)"
    )
