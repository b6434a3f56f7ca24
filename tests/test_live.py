"""`--apistages-base-url`: the `api` fixture over real HTTP to a deployed API. Here the deployed
API is our own gateway behind `gw.serve()` on 127.0.0.1, so what reached it can be checked."""

from __future__ import annotations

import json
import socket
import textwrap
from collections.abc import Iterator
from typing import Any

import pytest
from werkzeug.wrappers import Request, Response

from pytest_apistages import Gateway
from pytest_apistages.live import LiveStageClient, check_base_url, stage_url


def echo(event: dict[str, Any], context: Any) -> dict[str, Any]:
    body = {
        "path": event["path"],
        "method": event["httpMethod"],
        "query": event["multiValueQueryStringParameters"],
        "caller": (event["headers"] or {}).get("X-Caller"),
        "cookie": (event["headers"] or {}).get("Cookie"),
        "content_type": (event["headers"] or {}).get("Content-Type"),
        "body": event["body"],
        "stage": event["requestContext"]["stage"],
    }
    return {"statusCode": 200, "body": json.dumps(body)}


@Request.application
def cookies(request: Request) -> Response:
    response = Response(b"\x00\xff binary", content_type="application/octet-stream")
    response.headers.add("Set-Cookie", "a=1")
    response.headers.add("Set-Cookie", "b=2")
    return response


@pytest.fixture
def gw() -> Gateway:
    gateway = Gateway("live-tests")
    gateway.functions.register("echo", echo)
    gateway.backends.mount("cookies.internal", cookies)
    gateway.api.put_route("ANY /echo/{proxy+}", "echo")
    gateway.api.put_route("GET /cookies", "http://cookies.internal/")
    gateway.api.put_route(
        "GET /old",
        {"type": "MOCK", "status": 302, "headers": {"Location": "/dev/echo/new"}, "body": ""},
    )
    gateway.api.put_route(
        "POST /moved",
        {"type": "MOCK", "status": 307, "headers": {"Location": "/dev/echo/moved"}, "body": ""},
    )
    gateway.deploy("dev")
    return gateway


@pytest.fixture
def live(gw: Gateway) -> Iterator[LiveStageClient]:
    with gw.serve() as base_url:
        client = LiveStageClient(base_url, "dev")
        yield client
        client.close()


REQUESTS = [
    ("GET", "/echo/a", {"query_string": {"q": ["1", "2"]}, "headers": {"X-Caller": "me"}}),
    ("POST", "/echo/b", {"json": {"n": 1}}),
    ("DELETE", "/echo/c/d", {"data": "plain"}),
    ("GET", "/nowhere", {}),
    ("PATCH", "/cookies", {}),
]


@pytest.mark.parametrize(("method", "path", "kwargs"), REQUESTS, ids=[r[1] for r in REQUESTS])
def test_live_client_takes_the_same_calls_and_gets_the_same_answers(
    gw: Gateway, live: LiveStageClient, method: str, path: str, kwargs: dict[str, Any]
) -> None:
    in_process = gw.client("dev").open(path, method=method, **kwargs)
    over_http = live.open(path, method=method, **kwargs)

    assert over_http.status_code == in_process.status_code
    assert over_http.get_data() == in_process.get_data()
    assert over_http.headers["Content-Type"] == in_process.headers["Content-Type"]
    assert over_http.headers["x-amzn-RequestId"] == gw.invocations()[-1].request_id


def test_live_requests_reach_the_stage_over_http(gw: Gateway, live: LiveStageClient) -> None:
    response = live.get("/echo/x", headers={"X-Caller": "live"})

    assert response.json()["caller"] == "live"
    (record,) = gw.invocations()
    assert record.stage == "dev"
    assert record.route == "ANY /echo/{proxy+}"


def test_live_client_joins_a_repeated_request_header(live: LiveStageClient) -> None:
    response = live.get("/echo/x", headers=[("X-Caller", "a"), ("X-Caller", "b")])

    assert response.json()["caller"] == "a, b"


def test_live_client_keeps_repeated_headers_and_binary_bodies(live: LiveStageClient) -> None:
    response = live.get("/cookies")

    assert response.headers.getlist("Set-Cookie") == ["a=1", "b=2"]
    assert response.get_data() == b"\x00\xff binary"


def test_live_client_does_not_follow_redirects_unless_asked(live: LiveStageClient) -> None:
    response = live.get("/old")

    assert response.status_code == 302
    assert response.headers["Location"] == "/dev/echo/new"


def test_live_client_follows_redirects_when_asked(gw: Gateway, live: LiveStageClient) -> None:
    in_process = gw.client("dev").get("/old", follow_redirects=True)
    over_http = live.get("/old", follow_redirects=True)

    assert over_http.status_code == in_process.status_code == 200
    assert over_http.json()["path"] == in_process.json()["path"] == "/echo/new"
    assert [r.status_code for r in over_http.history] == [302]


@pytest.mark.parametrize("client", ["in-process", "live"])
def test_a_307_redirect_sends_the_body_again(
    gw: Gateway, live: LiveStageClient, client: str
) -> None:
    api = live if client == "live" else gw.client("dev")

    response = api.post("/moved", json={"n": 1}, follow_redirects=True)

    assert response.status_code == 200
    assert response.json()["method"] == "POST"
    assert response.json()["body"] == '{"n": 1}'


def test_live_client_takes_paths_as_the_test_client_does(
    gw: Gateway, live: LiveStageClient
) -> None:
    in_process = gw.client("dev")
    for path in ("echo/relative", "/echo/q?x=1"):
        assert live.get(path).json() == in_process.get(path).json()


def test_live_client_refuses_urls_and_prepared_requests(live: LiveStageClient) -> None:
    with pytest.raises(TypeError, match="takes a path, not a URL"):
        live.get("http://elsewhere.example/echo/x")
    with pytest.raises(TypeError, match="not a prepared request"):
        live.open({"PATH_INFO": "/echo/x"})


def test_live_client_keeps_encoded_slashes(gw: Gateway, live: LiveStageClient) -> None:
    over_http = live.get("/echo/a%2Fb", query_string="q=x%26y")
    in_process = gw.client("dev").get("/echo/a%2Fb", query_string="q=x%26y")

    assert over_http.json()["path"] == in_process.json()["path"] == "/echo/a%2Fb"
    assert over_http.json()["query"] == in_process.json()["query"] == {"q": ["x&y"]}


def test_live_client_cookies_live_in_the_test_client_only(live: LiveStageClient) -> None:
    live.get("/cookies")
    assert live.get("/echo/c").json()["cookie"] == "a=1; b=2"

    live.delete_cookie("a", domain="127.0.0.1", path="/dev")
    live.delete_cookie("b", domain="127.0.0.1", path="/dev")

    assert live.get("/echo/c").json()["cookie"] is None
    assert not live.session.cookies


def test_live_client_base_url_is_the_options(live: LiveStageClient) -> None:
    with pytest.raises(TypeError, match="comes from --apistages-base-url"):
        live.get("/echo/x", base_url="http://elsewhere.example")


def test_live_head_request_has_no_body(live: LiveStageClient) -> None:
    response = live.head("/echo/h")

    assert response.status_code == 200
    assert response.get_data() == b""


def test_live_response_has_no_invocation_record_so_the_test_skips(
    live: LiveStageClient,
) -> None:
    response = live.get("/echo/x")

    with pytest.raises(pytest.skip.Exception, match="invocation record"):
        response.invocation  # noqa: B018
    with pytest.raises(pytest.skip.Exception, match="api.gateway"):
        live.gateway  # noqa: B018


def test_stage_placeholder_in_the_base_url(gw: Gateway) -> None:
    assert stage_url("https://abc.execute-api.eu-west-1.amazonaws.com", "prod") == (
        "https://abc.execute-api.eu-west-1.amazonaws.com/prod"
    )
    assert stage_url("https://{stage}.api.example.com", "prod") == "https://prod.api.example.com"
    with gw.serve() as base_url:
        client = LiveStageClient(f"{base_url}/{{stage}}/echo", "dev")
        response = client.get("/tail")
        client.close()

    assert response.json()["path"] == "/echo/tail"


@pytest.mark.parametrize("value", ["ftp://host", "not a url", "https://", "https://h/x?a=1"])
def test_a_bad_base_url_is_refused_with_examples(value: str) -> None:
    with pytest.raises(ValueError) as error:
        check_base_url(value)

    assert str(error.value).startswith(f"--apistages-base-url {value}: expected http(s)://host")


def test_a_mistyped_placeholder_is_refused() -> None:
    with pytest.raises(ValueError) as error:
        check_base_url("https://api.example.com/{stg}")

    assert str(error.value) == (
        "--apistages-base-url https://api.example.com/{stg}: unknown placeholder {stg}; the "
        "only one is {stage}"
    )


def test_a_base_url_with_credentials_is_refused_without_showing_them() -> None:
    with pytest.raises(ValueError) as error:
        check_base_url("https://me:secret@api.example.com")

    assert str(error.value) == (
        "--apistages-base-url https://...@api.example.com: credentials do not go in the URL; "
        "send them as headers from the test"
    )


# -- the plugin --------------------------------------------------------------------------------

CONFIG = """
    api:
      name: shop
      routes:
        GET /hello: {type: AWS_PROXY, function: hello}
    functions:
      hello: {handler: "{module}:hello"}
    stages:
      dev: {}
      prod: {}
"""

HANDLER = """
    import json


    def hello(event, context):
        return {"statusCode": 200, "body": json.dumps({"stage": event["requestContext"]["stage"]})}
"""

TESTS = """
    import pytest

    from pytest_apistages.assertions import assert_routes_to


    @pytest.mark.stage("dev", "prod")
    def test_contract(api, stage_name):
        response = api.get("/hello")
        assert response.status_code == 200
        assert response.json() == {"stage": stage_name}


    def test_internals(gateway):
        raise AssertionError("not reached against a live API")


    @pytest.mark.stage("prod")
    def test_record(api):
        assert_routes_to(api, "GET /hello", route="GET /hello")


    @pytest.mark.stage("prod")
    def test_stage_state(api):
        api.gateway.update_stage("prod", variables={"x": "1"})


    @pytest.mark.stage("prod")
    @pytest.mark.canary(percent=10)
    def test_canary(api):
        raise AssertionError("a canary cannot be deployed to a live API from here")
"""


@pytest.fixture
def served(pytester: pytest.Pytester) -> Iterator[tuple[Gateway, str]]:
    """The pytester project's own config, served on 127.0.0.1 as its 'deployed' API."""
    module = f"live_handlers_{pytester.path.name}"
    pytester.makepyfile(**{module: textwrap.dedent(HANDLER)})
    config = pytester.path / "apistages.yaml"
    config.write_text(textwrap.dedent(CONFIG).replace("{module}", module))
    pytester.makepyfile(test_live_api=textwrap.dedent(TESTS))
    gateway = Gateway.from_file(config)
    with gateway.serve() as base_url:
        yield gateway, base_url


@pytest.mark.parametrize("options", [(), ("-n", "2"), ("--strict-markers",)])
def test_api_tests_run_against_a_live_url_and_internals_skip(
    pytester: pytest.Pytester, served: tuple[Gateway, str], options: tuple[str, ...]
) -> None:
    gateway, base_url = served

    result = pytester.runpytest("--apistages-base-url", base_url, "-rs", *options)

    result.assert_outcomes(passed=2, skipped=4)
    # Only the passing test's requests arrived: the skipped ones skip before sending anything.
    assert sorted(r.stage for r in gateway.invocations()) == ["dev", "prod"]
    # One pattern at a time: under xdist the skip lines come in any order.
    for line in [
        f"apistages: live API at {base_url} (tests needing the in-process gateway skip)",
        "SKIPPED [[]1[]] test_live_api.py:*(the gateway fixture)*",
        "SKIPPED [[]1[]] test_live_api.py:*(assert_routes_to reads invocation records)*",
        "SKIPPED [[]1[]] test_live_api.py:*(api.gateway)*",
        "SKIPPED [[]1[]] test_live_api.py:*(@pytest.mark.canary deploys to it)*",
    ]:
        result.stdout.fnmatch_lines([line])


def test_without_the_option_the_same_tests_run_in_process(
    pytester: pytest.Pytester, served: tuple[Gateway, str]
) -> None:
    gateway, _ = served

    result = pytester.runpytest("-k", "contract or record or stage_state")

    result.assert_outcomes(passed=4)
    assert gateway.invocations() == []


def test_without_a_config_any_stage_name_goes_to_the_live_api(
    pytester: pytest.Pytester, served: tuple[Gateway, str]
) -> None:
    _, base_url = served
    (pytester.path / "apistages.yaml").unlink()
    pytester.makepyfile(
        test_other="""
        import pytest

        @pytest.mark.stage("staging")
        def test_unknown_stage(api):
            assert api.get("/hello").status_code == 403
        """
    )

    result = pytester.runpytest("--apistages-base-url", base_url, "test_other.py")

    result.assert_outcomes(passed=1)


def test_a_base_url_ending_in_a_stage_stops_the_run(
    pytester: pytest.Pytester, served: tuple[Gateway, str]
) -> None:
    _, base_url = served

    result = pytester.runpytest("--apistages-base-url", f"{base_url}/prod/")

    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(
        [
            f"ERROR: --apistages-base-url {base_url}/prod: ends in stage 'prod', and each "
            f"test's stage is appended to it; give the URL without the stage, or put {{stage}} "
            f"where the stage goes"
        ]
    )


def test_a_bad_base_url_stops_the_run_with_one_line(pytester: pytest.Pytester) -> None:
    result = pytester.runpytest("--apistages-base-url", "localhost:8080")

    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["ERROR: --apistages-base-url localhost:8080: expected http*"])
    assert "Traceback" not in result.stderr.str()


def test_an_empty_base_url_stops_the_run_instead_of_testing_in_process(
    pytester: pytest.Pytester,
) -> None:
    """`--apistages-base-url "$URL"` with the variable unset must not pass in-process."""
    result = pytester.runpytest("--apistages-base-url", "")

    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(
        ["ERROR: --apistages-base-url is empty (an unset variable in CI?)*"]
    )


def test_an_unreachable_api_fails_each_test_in_one_line(
    pytester: pytest.Pytester, served: tuple[Gateway, str]
) -> None:
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]

    result = pytester.runpytest(
        "--apistages-base-url", f"http://127.0.0.1:{port}", "-k", "contract"
    )

    result.assert_outcomes(failed=2)
    result.stdout.fnmatch_lines(
        [
            f"*GET http://127.0.0.1:{port}/dev/hello: no answer from the API given by "
            f"--apistages-base-url (ConnectionError: Connection refused)"
        ]
    )
    assert "Traceback" not in result.stdout.str()
    assert "urllib3" not in result.stdout.str()
    assert "During handling of the above exception" not in result.stdout.str()
    assert "Max retries exceeded" not in result.stdout.str()


@pytest.mark.parametrize("mode", ["in-process", "live"])
def test_jar_cookies_and_the_tests_own_cookie_header_both_reach_the_function(
    gw: Gateway, mode: str
) -> None:
    """The same test body behaves the same in both modes: an explicit Cookie header is sent
    with an empty jar, and merged with the jar's cookies (the test's value first) after a
    Set-Cookie."""

    def run(client: Any) -> list[Any]:
        seen = [client.get("/echo/x", headers={"Cookie": "mine=1"}).json()["cookie"]]
        client.get("/cookies")  # Set-Cookie: a=1, b=2
        seen.append(client.get("/echo/x").json()["cookie"])
        seen.append(client.get("/echo/x", headers={"Cookie": "a=9; mine=1"}).json()["cookie"])
        return seen

    if mode == "in-process":
        seen = run(gw.client("dev"))
    else:
        with gw.serve() as base_url:
            client = LiveStageClient(base_url, "dev")
            seen = run(client)
            client.close()

    assert seen == ["mine=1", "a=1; b=2", "a=9; mine=1; b=2"]
