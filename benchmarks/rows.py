"""The benchmark rows, one function per target of the issue; each returns the rows it prints."""

from __future__ import annotations

import re
import statistics
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, replace
from functools import partial
from typing import Any

import requests
import responses
from harness import Row, Side, interleaved_costs, interleaved_rounds
from loadgen import LoadClient
from memrows import Growth, deploy_growth, in_fresh_process, request_growth
from scenarios import (
    BODY,
    EDITED_PATH,
    JSON_HEADERS,
    LAMBDA_PATH,
    MOCK_PATH,
    PETS_PATH,
    bare_app,
    edit_and_deploy,
    editable_gateway,
    http_proxy_gateway,
    lambda_gateway,
)
from werkzeug.serving import WSGIRequestHandler, make_server
from werkzeug.test import Client

US = 1e6


@dataclass(frozen=True)
class Plan:
    """How much work each row does: the full run, or the --quick smoke run."""

    quick: bool
    rounds: int  # interleaved rounds per per-request comparison
    round_seconds: float  # about how long the slowest side runs per round
    window_seconds: float  # one throughput measurement window
    throughput_rounds: int
    deploy_rounds: int  # deploy + first request rounds
    fill_requests: int  # requests before the memory reading of row 7


FULL = Plan(False, 21, 0.1, 0.5, 7, 40, 100_000)
QUICK = Plan(True, 5, 0.04, 0.25, 3, 8, 20_000)


# -- 1. gw.client against a bare werkzeug test client ----------------------------------------


def client_rows(plan: Plan) -> list[Row]:
    gw = lambda_gateway()
    api, bare = gw.client("prod"), Client(bare_app)
    for response in (api.get(LAMBDA_PATH), api.get(MOCK_PATH), bare.get(PETS_PATH)):
        _check(response.status_code, response.data, "gw.client / werkzeug Client")
    base, lam, mock = interleaved_costs(
        [
            Side(lambda: bare.get(PETS_PATH)),
            Side(lambda: api.get(LAMBDA_PATH)),
            Side(lambda: api.get(MOCK_PATH)),
        ],
        rounds=plan.rounds,
        round_seconds=plan.round_seconds,
    )
    lambda_label = "1 gw.client Lambda proxy vs werkzeug Client"
    return [
        Row(lambda_label, lam * US, "us", base * US, 2.0, stretch=1.5),
        Row("1 gw.client MOCK vs werkzeug Client", mock * US, "us", base * US, 1.5),
    ]


# -- 2. gw.intercept() against a bare responses callback -------------------------------------


def intercept_rows(plan: Plan) -> list[Row]:
    gw = lambda_gateway()
    session = requests.Session()
    lambda_url, mock_url = gw.url("prod", LAMBDA_PATH), gw.url("prod", MOCK_PATH)
    with gw.intercept():
        for url in (lambda_url, mock_url):
            response = session.get(url)
            _check(response.status_code, response.content, "gw.intercept()")
    with _responses_callback(mock_url):
        response = session.get(mock_url)
        _check(response.status_code, response.content, "responses callback")
    base, mock, lam = interleaved_costs(
        [
            Side(lambda: session.get(mock_url), lambda: _responses_callback(mock_url)),
            Side(lambda: session.get(mock_url), gw.intercept),
            Side(lambda: session.get(lambda_url), gw.intercept),
        ],
        rounds=plan.rounds,
        round_seconds=plan.round_seconds,
    )
    return [
        Row("2 intercept MOCK vs responses callback", mock * US, "us", base * US, 1.3),
        Row("2 intercept Lambda vs responses callback", lam * US, "us", base * US, 1.3),
    ]


def _responses_callback(url: str) -> AbstractContextManager[Any]:
    mock = responses.RequestsMock(assert_all_requests_are_fired=False)
    mock.add_callback("GET", url, callback=lambda request: (200, dict(JSON_HEADERS), BODY))
    return mock


# -- 3. HTTP_PROXY through gw.intercept() against moto's execute-api emulation ---------------


def moto_rows(plan: Plan) -> list[Row]:
    label = "3 intercept HTTP_PROXY vs moto execute-api"
    try:
        import boto3  # type: ignore[import-untyped]
        import moto
        from moto import mock_aws
    except ImportError as e:
        return [Row(label, None, "us", skip_reason=f"moto not importable: {e.name}")]
    gw = http_proxy_gateway()
    session = requests.Session()
    gw_url = gw.url("prod", PETS_PATH)
    with mock_aws(), _pets_backend():
        client = boto3.client(
            "apigateway",
            region_name="us-east-1",
            aws_access_key_id="bench",
            aws_secret_access_key="bench",
        )
        moto_url, note = _moto_pets_api(client, session, moto.__version__)
        with gw.intercept():
            response = session.get(gw_url)
            _check(response.status_code, response.content, "gw.intercept() HTTP_PROXY")
        moto_cost, gw_cost = interleaved_costs(
            [Side(lambda: session.get(moto_url)), Side(lambda: session.get(gw_url), gw.intercept)],
            rounds=plan.rounds,
            round_seconds=plan.round_seconds,
        )
    return [Row(label, gw_cost * US, "us", moto_cost * US, 0.5, note=note)]


@contextmanager
def _pets_backend() -> Iterator[None]:
    """http://pets.internal answered by `responses`, layered over moto's own mock (which
    answers every AWS URL, execute-api included), as a moto user would write it."""
    backend = responses.RequestsMock(
        assert_all_requests_are_fired=False,
        # moto's send, now that mock_aws is active: everything but pets.internal goes to moto
        real_adapter_send=requests.adapters.HTTPAdapter.send,  # type: ignore[arg-type]
    )
    backend.add_callback(
        "GET",
        re.compile(r"http://pets\.internal/.*"),
        callback=lambda request: (200, dict(JSON_HEADERS), BODY),
    )
    backend.add_passthru(re.compile(r".*"))
    with backend:
        yield


def _moto_pets_api(client: Any, session: requests.Session, version: str) -> tuple[str, str]:
    """The same API in moto (resource /pets/{id}, GET, HTTP_PROXY) if moto serves it, else the
    closest API moto does serve (resource /pets/1, integration HTTP); the URL and a note."""
    url = _moto_api(client, "{id}", "HTTP_PROXY")
    answer = _answer(session, url)
    if answer == "200":
        return url, "moto serves the same API"
    url = _moto_api(client, "1", "HTTP")
    if _answer(session, url) != "200":
        raise RuntimeError(f"moto /pets/1 HTTP answered {_answer(session, url)}")
    return url, (
        f"moto {version} answers GET /pets/{{id}} HTTP_PROXY with {answer}; its side is the "
        "closest API it serves: literal resource /pets/1, integration type HTTP"
    )


def _moto_api(client: Any, leaf: str, integration_type: str) -> str:
    api = client.create_rest_api(name=f"bench-{leaf}")["id"]
    root = client.get_resources(restApiId=api)["items"][0]["id"]
    pets = client.create_resource(restApiId=api, parentId=root, pathPart="pets")["id"]
    resource = client.create_resource(restApiId=api, parentId=pets, pathPart=leaf)["id"]
    client.put_method(
        restApiId=api, resourceId=resource, httpMethod="GET", authorizationType="NONE"
    )
    client.put_integration(
        restApiId=api,
        resourceId=resource,
        httpMethod="GET",
        type=integration_type,
        integrationHttpMethod="GET",
        uri=f"http://pets.internal/pets/{leaf}",
    )
    client.create_deployment(restApiId=api, stageName="prod")
    return f"https://{api}.execute-api.us-east-1.amazonaws.com/prod{PETS_PATH}"


def _answer(session: requests.Session, url: str) -> str:
    """'200' when the URL answers the benchmark body, else what it answered instead."""
    try:
        response = session.get(url)
    except Exception as e:
        return f"{type(e).__name__}: {e}"
    if response.status_code == 200 and response.content == BODY:
        return "200"
    return f"{response.status_code} {response.text[:60]!r}"


# -- 4. gw.serve() throughput against a bare threaded werkzeug server ------------------------


def serve_rows(plan: Plan, threads: int = 4) -> list[Row]:
    gw = lambda_gateway()
    with LoadClient() as load, gw.serve(port=0) as gw_url, _bare_server() as bare_url:
        sides = [
            (bare_url, PETS_PATH),
            (gw_url, f"/prod{LAMBDA_PATH}"),
            (gw_url, f"/prod{MOCK_PATH}"),
        ]
        for base_url, path in sides:  # a short window each: checks 200s, warms up
            load.throughput(base_url, path, threads, 0.1)
        bare, lam, mock = interleaved_rounds(
            [partial(load.throughput, u, p, threads, plan.window_seconds) for u, p in sides],
            rounds=plan.throughput_rounds,
        )
    return [
        Row("4 serve Lambda req/s vs werkzeug server", lam, "req/s", bare, 0.9, True),
        Row("4 serve MOCK req/s vs werkzeug server", mock, "req/s", bare, 0.9, True),
    ]


class _QuietHandler(WSGIRequestHandler):
    def log_request(self, *args: Any, **kwargs: Any) -> None:
        """No access log line per request (gw.serve() writes none either)."""


@contextmanager
def _bare_server() -> Iterator[str]:
    server = make_server("127.0.0.1", 0, bare_app, threaded=True, request_handler=_QuietHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


# -- 5. scaling with routes, stages and deployments ------------------------------------------


def scaling_rows(plan: Plan) -> list[Row]:
    small, routes, stages = (
        lambda_gateway(10),
        lambda_gateway(1000),
        lambda_gateway(10, stages=100, deployments=1000),
    )
    clients = [gw.client("prod") for gw in (small, routes, stages)]
    for client in clients:
        response = client.get(LAMBDA_PATH)
        _check(response.status_code, response.data, "scaling gateways")
    base, many_routes, many_stages = interleaved_costs(
        [Side(partial(c.get, LAMBDA_PATH)) for c in clients],
        rounds=plan.rounds,
        round_seconds=plan.round_seconds,
    )
    return [
        Row("5 1,000 routes vs 10 routes", many_routes * US, "us", base * US, 1.1),
        Row("5 100 stages+1,000 deployments vs 1+1", many_stages * US, "us", base * US, 1.1),
    ]


# -- 6. deploy latency and deploy memory -----------------------------------------------------


def deploy_latency_row(plan: Plan) -> Row:
    gw = editable_gateway(300)
    client = gw.client("prod")
    client.get(EDITED_PATH)
    deploys: list[float] = []
    firsts: list[float] = []
    for n in range(1, plan.deploy_rounds + 1):
        start = time.perf_counter()
        edit_and_deploy(gw, n)
        deployed = time.perf_counter()
        response = client.get(EDITED_PATH)
        firsts.append(time.perf_counter() - deployed)
        deploys.append(deployed - start)
        if response.json() != {"n": n}:
            raise RuntimeError(f"deployment {n} served {response.text!r}")
    totals = [d + f for d, f in zip(deploys, firsts, strict=True)]
    note = (
        f"median edit+deploy {statistics.median(deploys) * 1e3:.2f} ms, first request "
        f"{statistics.median(firsts) * 1e3:.2f} ms, over {plan.deploy_rounds} rounds"
    )
    label = "6 edit+deploy+first request, 300 routes"
    return Row(label, statistics.median(totals) * 1e3, "ms", limit=5.0, note=note)


def deploy_memory_row(budget_s: float) -> Row:
    growth = in_fresh_process(deploy_growth, 1000, 5, budget_s)
    return _growth_row("6 RSS growth, 1,000 deploys of 300 routes", growth, 50.0, "cycles")


# -- 7. memory over a million requests -------------------------------------------------------


def request_memory_row(plan: Plan, budget_s: float) -> Row:
    growth = in_fresh_process(request_growth, 1_000_000, plan.fill_requests, budget_s)
    row = _growth_row("7 RSS growth, 1,000,000 gw.client requests", growth, 20.0, "requests")
    return replace(row, note=f"after a fill of {plan.fill_requests:,} requests; {row.note}")


def _growth_row(label: str, growth: Growth, limit_mb: float, units: str) -> Row:
    if growth.extrapolated:
        how = (
            f"EXTRAPOLATED linearly from {growth.done:,} {units} "
            f"({growth.growth_mb:.1f} MB in {growth.seconds:.0f} s)"
        )
    else:
        how = f"measured over all {growth.done:,} {units} in {growth.seconds:.1f} s"
    note = f"RSS in a fresh process; {how}; {growth.records:,} invocation records kept"
    return Row(label, growth.planned_growth_mb, "MB", limit=limit_mb, note=note, strict=True)


def _check(status: int, body: bytes, what: str) -> None:
    if status != 200 or body != BODY:
        raise RuntimeError(f"{what} answered {status} {body[:80]!r}, expected 200 {BODY!r}")


# The per-request and throughput rows, in the order; run.py adds rows 6 and 7, whose
# memory rows share what is left of the time budget.
ROWS: list[Callable[[Plan], list[Row]]] = [
    client_rows,
    intercept_rows,
    moto_rows,
    serve_rows,
    scaling_rows,
]
