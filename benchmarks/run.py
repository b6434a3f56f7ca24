"""Per-request cost of the gateway, measured side by side with a bare werkzeug app in one run.

    python3 benchmarks/run.py [--requests N]

Prints microseconds per request for each path through the gateway and its ratio to the same
request against a plain WSGI app through the same werkzeug test client (the floor we add to)."""

from __future__ import annotations

import argparse
import json
import statistics
import time
from collections.abc import Callable

from werkzeug.test import Client
from werkzeug.wrappers import Request, Response

from pytest_apistages import Gateway


@Request.application  # type: ignore[arg-type]
def bare_app(request: Request) -> Response:
    return Response(json.dumps({"id": 1}), mimetype="application/json")


def handler(event: dict, context: object) -> dict:
    return {"statusCode": 200, "body": json.dumps({"id": event["pathParameters"]["id"]})}


def build() -> Gateway:
    gw = Gateway("bench")
    gw.functions.register("pets", handler)
    gw.functions.publish_version("pets")
    gw.functions.set_alias("pets", "live", "1")
    gw.backends.mount("pets.internal", bare_app)
    gw.api.put_route("GET /mock/{id}", {"type": "MOCK", "body": '{"id": 1}'})
    gw.api.put_route("GET /lambda/{id}", "pets:${stageVariables.alias}")
    gw.api.put_route("GET /http/{id}", "http://pets.internal/pets/{id}")
    for i in range(200):  # a realistic number of other routes to match past
        gw.api.put_route(f"GET /other{i}/{{id}}", {"type": "MOCK"})
    gw.deploy("prod", variables={"alias": "live"})
    return gw


def per_request_us(call: Callable[[], object], n: int) -> float:
    for _ in range(min(200, n)):
        call()
    start = time.perf_counter()
    for _ in range(n):
        call()
    return (time.perf_counter() - start) / n * 1e6


def side_by_side_us(
    first: Callable[[], object], second: Callable[[], object], n: int
) -> tuple[float, float]:
    """Both costs measured in alternating rounds of 500 and summarised by the median round, so
    drift and noise (GC, the machine's other work) hit both alike."""
    rounds: list[list[float]] = [[], []]
    for _ in range(max(1, n // 500)):
        for i, call in enumerate((first, second)):
            start = time.perf_counter()
            for _ in range(500):
                call()
            rounds[i].append((time.perf_counter() - start) / 500 * 1e6)
    return statistics.median(rounds[0]), statistics.median(rounds[1])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=10_000)
    n = parser.parse_args().requests
    gw = build()
    api = gw.client("prod")
    bare = Client(bare_app)
    baseline = per_request_us(lambda: bare.get("/pets/1"), n)
    print(f"{n} requests each; werkzeug test client to a bare WSGI app: {baseline:.1f} us/request")
    print(f"{'path':<28}{'us/request':>12}{'x bare':>10}")
    for label, path in [
        ("MOCK", "/mock/1"),
        ("AWS_PROXY (alias)", "/lambda/1"),
        ("HTTP_PROXY (mounted)", "/http/1"),
        ("no route (403)", "/nothing"),
    ]:
        cost = per_request_us(lambda p=path: api.get(p), n)
        print(f"{label:<28}{cost:>12.1f}{cost / baseline:>10.1f}")
    gw.api.put_route("GET /lambda/{id}", "pets:live")
    gw.deploy_canary("prod", percent=10, variables={"alias": "live"})
    off_canary = gw.client("prod", canary=False)
    plain, split = side_by_side_us(
        lambda: off_canary.get("/lambda/1"), lambda: api.get("/lambda/1"), n
    )
    print(f"{'AWS_PROXY, 10 % canary split':<28}{split:>12.1f}{split / baseline:>10.1f}")
    print(f"canary split vs the same request without the draw: {split / plain:.2f}x")
    print(f"invocation records kept: {len(gw.invocations())}")


if __name__ == "__main__":
    main()
