"""Canary releases (reference section 4) and weighted Lambda aliases: the control plane, the
seeded traffic split and its guarantees, the canary's logs and metrics, and the config forms."""

from __future__ import annotations

import json
import math
import random
import re
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from pytest_apistages import BadRequestError, Gateway, NotFoundError
from pytest_apistages.assertions import assert_served_by
from pytest_apistages.functions import Alias
from pytest_apistages.model import Canary
from pytest_apistages.stats import binomial_test

MISSING_STAGE = (
    "Invalid deployment content specified.Stage {} must already be created before making a "
    "canary release deployment"
)
NO_CANARY = "Promotion not available. Canary does not exist."
IN_USE = "Active stages pointing to this deployment must be moved or deleted"


def mock(body: str, status: int = 200, headers: dict[str, str] | None = None) -> dict[str, Any]:
    return {"type": "MOCK", "status": status, "body": body, "headers": headers or {}}


def echo(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return {
        "statusCode": 200,
        "body": json.dumps(
            {
                "stageVariables": event["stageVariables"],
                "deploymentId": event["requestContext"]["deploymentId"],
                "version": context.function_version,
            }
        ),
    }


def replay(seed: int, n: int, percent: float, stage: str = "prod") -> list[bool]:
    """The canary decisions of the first n drawing requests to a stage of Gateway(seed=seed)."""
    draw = random.Random(f"{seed}:canary:{stage}").random
    return [draw() * 100 < percent for _ in range(n)]


def two_releases(seed: int = 0) -> tuple[Gateway, str, str]:
    """Stage prod on release 1, a canary of release 2 at 0 % (tests set the percent)."""
    gw = Gateway(seed=seed)
    gw.api.put_route("GET /hello", mock("v1"))
    first = gw.deploy("prod").id
    gw.api.put_route("GET /hello", mock("v2"))
    second = gw.deploy_canary("prod", 0).id
    return gw, first, second


# -- control plane ---------------------------------------------------------------------------


def test_deploy_canary_snapshots_the_working_api_and_leaves_the_stage_where_it_was() -> None:
    gw = Gateway()
    gw.api.put_route("GET /hello", mock("v1"))
    first = gw.deploy("prod", variables={"a": "1"})
    gw.api.put_route("GET /hello", mock("v2"))
    gw.api.put_route("GET /new", mock("new"))

    canary = gw.deploy_canary("prod", 10, {"b": "2"}, use_stage_cache=True, description="release 2")

    stage = gw.stage("prod")
    assert (stage.deployment_id, stage.history, dict(stage.variables)) == (
        first.id,
        (first.id,),
        {"a": "1"},
    )
    assert stage.canary == Canary(10.0, canary.id, {"b": "2"}, True)
    assert gw.deployments == [first, canary]
    assert canary.description == "release 2"
    assert canary.api == gw.api.definition
    assert gw.pending_changes("prod")  # the stage itself still serves release 1

    # A snapshot: later edits of the working API reach neither deployment.
    gw.api.put_route("GET /later", mock("later"))
    assert set(gw.deployment(canary.id).api.routes) == {"GET /hello", "GET /new"}
    canary_client, stage_client = gw.client("prod", canary=True), gw.client("prod", canary=False)
    assert canary_client.get("/new").text == "new"
    assert stage_client.get("/new").status_code == 403
    assert canary_client.get("/later").status_code == 403


@pytest.mark.parametrize("stage", ["nonexisting", "prod2"])
def test_deploy_canary_on_a_missing_stage_is_awss_400(stage: str) -> None:
    gw = Gateway()
    gw.api.put_route("GET /hello", mock("v1"))
    gw.deploy("prod")

    with pytest.raises(BadRequestError) as caught:
        gw.deploy_canary(stage, 10)

    assert str(caught.value) == MISSING_STAGE.format(stage)
    assert len(gw.deployments) == 1  # nothing snapshotted
    assert gw.stage("prod").canary is None


BAD_PERCENTS = [math.nan, -1, -0.001, 100.5, math.inf, "10", True, False, None]


@pytest.mark.parametrize("percent", BAD_PERCENTS, ids=repr)
def test_deploy_canary_refuses_a_bad_percent_and_changes_nothing(percent: Any) -> None:
    gw = Gateway()
    gw.api.put_route("GET /hello", mock("v1"))
    gw.deploy("prod")

    with pytest.raises(BadRequestError, match=r"^Canary percent must be (a number )?from 0\.0"):
        gw.deploy_canary("prod", percent)

    assert len(gw.deployments) == 1
    assert gw.stage("prod").canary is None


@pytest.mark.parametrize("percent", [p for p in BAD_PERCENTS if p is not None], ids=repr)
def test_update_canary_refuses_a_bad_percent_and_changes_nothing(percent: Any) -> None:
    gw, _, second = two_releases()
    gw.update_canary("prod", percent=20, variables={"x": "1"})
    before = gw.stage("prod")

    with pytest.raises(BadRequestError, match=r"^Canary percent must be (a number )?from 0\.0"):
        gw.update_canary("prod", percent=percent, variables={"y": "2"})

    assert gw.stage("prod") == before
    assert gw.stage("prod").canary == Canary(20.0, second, {"x": "1"})


@pytest.mark.parametrize("percent", [0, 0.0, 12.5, 100, 100.0])
def test_percent_from_0_to_100_is_accepted_as_a_float(percent: float) -> None:
    gw = Gateway()
    gw.api.put_route("GET /hello", mock("v1"))
    gw.deploy("prod")
    gw.deploy_canary("prod", percent)
    canary = gw.stage("prod").canary
    assert canary is not None and canary.percent == float(percent)
    assert type(canary.percent) is float
    assert type(gw.update_canary("prod", percent=percent).percent) is float


def test_update_canary_creates_one_with_awss_defaults() -> None:
    gw = Gateway()
    gw.api.put_route("GET /hello", mock("v1"))
    first = gw.deploy("prod", variables={"a": "1"})

    created = gw.update_canary("prod", variables={"x": "1"})

    # 0 %, on the stage's current deployment, no stage cache (section 1, CanarySettings)
    assert created == Canary(0.0, first.id, {"x": "1"}, False)
    assert gw.stage("prod").canary == created
    assert gw.stage("prod").deployment_id == first.id
    assert dict(gw.stage("prod").variables) == {"a": "1"}  # overrides are not stage variables


def test_update_canary_merges_and_removes_overrides() -> None:
    gw, first, second = two_releases()
    gw.update_canary("prod", variables={"x": "1", "y": "2"})

    assert dict(gw.update_canary("prod", variables={"z": "3"}).variables) == {
        "x": "1",
        "y": "2",
        "z": "3",
    }
    assert dict(gw.update_canary("prod", variables={"x": None, "y": "two"}).variables) == {
        "y": "two",
        "z": "3",
    }
    changed = gw.update_canary("prod", percent=30, use_stage_cache=True, deployment_id=first)
    assert changed == Canary(30.0, first, {"y": "two", "z": "3"}, True)
    assert gw.update_canary("prod", deployment_id=second).deployment_id == second


@pytest.mark.parametrize(
    ("changes", "error", "message"),
    [
        ({"deployment_id": "nosuch"}, BadRequestError, "^Deployment id does not exist$"),
        ({"variables": {"bad-name": "x"}}, BadRequestError, "^Invalid stage variable name: "),
        ({"variables": {"v": "has space"}}, BadRequestError, "^Invalid stage variable value: "),
    ],
)
def test_a_refused_update_canary_changes_nothing(
    changes: dict[str, Any], error: type[Exception], message: str
) -> None:
    gw, _, second = two_releases()
    gw.update_canary("prod", percent=5, variables={"x": "1"})
    before = gw.stage("prod")

    with pytest.raises(error, match=message):
        gw.update_canary("prod", percent=50, **changes)

    assert gw.stage("prod") == before


def test_update_canary_on_a_missing_stage() -> None:
    gw, _, _ = two_releases()
    with pytest.raises(NotFoundError, match="^Invalid stage identifier specified: 'nope'"):
        gw.update_canary("nope", percent=5)


def test_promote_merges_variables_as_aws_recorded_and_keeps_the_canary_at_zero() -> None:
    gw = Gateway(seed=1)
    gw.functions.register("echo", echo)
    gw.api.put_route("GET /vars", {"type": "MOCK", "body": "v1"})
    first = gw.deploy("prod", variables={"testVar": "test", "testVar2": "test2"})
    gw.api.put_route("GET /vars", "echo")
    second = gw.deploy_canary("prod", 25, {"testVar": "override"})

    promoted = gw.promote_canary("prod")

    assert promoted == gw.stage("prod")
    assert promoted.deployment_id == second.id
    assert promoted.history == (first.id, second.id)
    assert dict(promoted.variables) == {"testVar": "override", "testVar2": "test2"}
    assert promoted.canary == Canary(0.0, second.id, {"testVar": "override"}, False)

    client = gw.client("prod")
    for _ in range(50):
        response = client.get("/vars")
        assert_served_by(response, deployment=second.id, canary=False)
        assert response.json()["stageVariables"] == {"testVar": "override", "testVar2": "test2"}
    assert gw.metrics("prod", canary=True).count == 0

    finished = gw.remove_canary("prod")
    assert finished.canary is None
    assert (finished.deployment_id, dict(finished.variables)) == (second.id, promoted.variables)


def test_promote_without_a_canary_is_awss_400() -> None:
    gw = Gateway()
    gw.api.put_route("GET /hello", mock("v1"))
    gw.deploy("prod")
    before = gw.stage("prod")

    with pytest.raises(BadRequestError) as caught:
        gw.promote_canary("prod")

    assert str(caught.value) == NO_CANARY
    assert gw.stage("prod") == before


def test_remove_canary_sends_everything_back_to_the_stage() -> None:
    gw, first, second = two_releases()
    gw.update_canary("prod", percent=100, variables={"x": "1"})
    assert_served_by(gw.client("prod").get("/hello"), deployment=second, canary=True)

    removed = gw.remove_canary("prod")

    assert removed.canary is None and removed == gw.stage("prod")
    assert (removed.deployment_id, removed.history) == (first, (first,))
    client = gw.client("prod")
    for _ in range(20):
        response = client.get("/hello")
        assert response.text == "v1"
        assert_served_by(response, deployment=first, canary=False)
    assert all(r.canary_percent is None for r in gw.invocations("prod")[1:])


def test_delete_deployment_is_refused_while_a_canary_uses_it() -> None:
    gw, first, second = two_releases()

    with pytest.raises(BadRequestError) as caught:
        gw.delete_deployment(second)
    assert str(caught.value) == f"{IN_USE} (deployment {second} is served by: prod (canary))"

    gw.update_canary("prod", deployment_id=first)  # the stage and its canary on one deployment
    with pytest.raises(BadRequestError) as caught:
        gw.delete_deployment(first)
    assert str(caught.value) == f"{IN_USE} (deployment {first} is served by: prod, prod (canary))"

    gw.delete_deployment(second)  # no longer used
    assert [d.id for d in gw.deployments] == [first]
    gw.remove_canary("prod")
    third = gw.deploy("prod").id
    gw.delete_deployment(first)
    assert [d.id for d in gw.deployments] == [third]


def test_rollback_moves_the_stage_and_leaves_the_canary() -> None:
    gw = Gateway()
    gw.api.put_route("GET /hello", mock("v1"))
    first = gw.deploy("prod").id
    gw.api.put_route("GET /hello", mock("v2"))
    second = gw.deploy("prod").id
    gw.api.put_route("GET /hello", mock("v3"))
    third = gw.deploy_canary("prod", 100, {"x": "1"}).id

    back = gw.rollback("prod")

    assert back.id == first
    stage = gw.stage("prod")
    assert stage.deployment_id == first
    assert stage.canary == Canary(100.0, third, {"x": "1"})
    assert gw.client("prod", canary=False).get("/hello").text == "v1"
    assert gw.client("prod").get("/hello").text == "v3"

    assert gw.rollback("prod", to=second).id == second
    assert gw.client("prod", canary=False).get("/hello").text == "v2"
    assert gw.stage("prod").canary == Canary(100.0, third, {"x": "1"})


# -- data plane ------------------------------------------------------------------------------


def test_canary_request_sees_stage_variables_overlaid_as_aws_recorded() -> None:
    gw = Gateway()
    gw.functions.register("echo", echo)
    gw.api.put_route("GET /echo", "echo")
    gw.api.put_route("GET /template", mock("", headers={"X-Test": "${stageVariables.testVar}"}))
    gw.deploy("prod", variables={"testVar": "default", "defaultVar": "default"})
    gw.deploy_canary("prod", 100, {"testVar": "canary", "noStageVar": "canary"})

    canary = gw.client("prod").get("/echo")
    stage = gw.client("prod", canary=False).get("/echo")

    assert canary.json()["stageVariables"] == {
        "testVar": "canary",
        "defaultVar": "default",
        "noStageVar": "canary",
    }
    assert dict(canary.invocation.stage_variables) == canary.json()["stageVariables"]
    assert stage.json()["stageVariables"] == {"testVar": "default", "defaultVar": "default"}
    assert gw.client("prod").get("/template").headers["X-Test"] == "canary"
    assert gw.client("prod", canary=False).get("/template").headers["X-Test"] == "default"
    assert dict(gw.stage("prod").variables) == {"testVar": "default", "defaultVar": "default"}


def test_a_canary_request_is_recorded_with_the_canary_deployment() -> None:
    gw = Gateway()
    gw.functions.register("echo", echo)
    gw.api.put_route("GET /echo", "echo")
    first = gw.deploy("prod").id
    second = gw.deploy_canary("prod", 100).id

    canary = gw.client("prod").get("/echo")
    stage = gw.client("prod", canary=False).get("/echo")

    record = assert_served_by(canary, deployment=second, canary=True, route="GET /echo")
    assert (record.canary_percent, record.stage) == (100.0, "prod")
    assert canary.json()["deploymentId"] == second
    assert gw.invocation(canary.headers["x-amzn-RequestId"]) == record
    assert "(canary)" in record.describe()
    assert_served_by(stage, deployment=first, canary=False)
    assert stage.json()["deploymentId"] == first
    with pytest.raises(AssertionError, match="canary: expected False, got True"):
        assert_served_by(canary, canary=False)


def decisions(seed: int, n: int, percent: float) -> list[bool]:
    gw, _, _ = two_releases(seed)
    gw.update_canary("prod", percent=percent)
    client = gw.client("prod")
    return [client.get("/hello").invocation.canary for _ in range(n)]


def test_the_same_seed_gives_the_same_decisions_and_another_seed_others() -> None:
    first = decisions(3, 200, 30)
    assert decisions(3, 200, 30) == first == replay(3, 200, 30)
    assert decisions(4, 200, 30) == replay(4, 200, 30) != first
    assert 20 < sum(first) < 100  # a split, not all or nothing


def test_each_unforced_request_to_a_canary_stage_takes_exactly_one_draw() -> None:
    """The n-th unforced request to the stage gets the n-th draw of the seeded canary stream,
    whatever happens in between: requests to a missing stage (403), to a stage without a
    canary, forced requests, Lambda invocations and weighted-alias draws take none of it; a
    request to the canary stage that no route matches (403) takes its draw like any other."""
    plan = ["/hello", "/nosuch"] * 30

    quiet, _, _ = two_releases(seed=9)
    quiet.update_canary("prod", percent=50)
    alone = [quiet.client("prod").get(path).invocation for path in plan]

    busy, _, _ = two_releases(seed=9)
    busy.update_canary("prod", percent=50)
    busy.functions.register("echo", echo)
    busy.functions.publish_version("echo")
    busy.functions.publish_version("echo")
    busy.functions.set_alias("echo", "live", "1", weights={"2": 0.5})
    busy.api.put_route("GET /fn", "echo:live")
    busy.deploy("other")
    prod, other = busy.client("prod"), busy.client("other")
    forced_in, forced_out = busy.client("prod", canary=True), busy.client("prod", canary=False)
    interleaved = []
    for path in plan:
        assert busy.client("missing").get("/hello").status_code == 403
        assert other.get("/fn").status_code == 200
        assert forced_in.get("/hello").invocation.canary is True
        assert forced_out.get("/hello").invocation.canary is False
        interleaved.append(prod.get(path).invocation)

    expected = replay(9, len(plan), 50)
    assert [r.canary for r in alone] == [r.canary for r in interleaved] == expected
    assert [r.status for r in interleaved] == [200, 403] * 30
    assert any(r.canary for r in interleaved[1::2]) and not all(r.canary for r in interleaved[1::2])
    # The request ids did move with the extra traffic; the decisions did not.
    assert [r.request_id for r in alone] != [r.request_id for r in interleaved]


def test_forcing_takes_no_draw_and_overrides_the_percent() -> None:
    gw, first, second = two_releases(seed=2)
    gw.update_canary("prod", percent=50)
    plain, forced_in, forced_out = (
        gw.client("prod"),
        gw.client("prod", canary=True),
        gw.client("prod", canary=False),
    )
    drawn = []
    for _ in range(40):
        assert_served_by(forced_in.get("/hello"), deployment=second, canary=True)
        drawn.append(plain.get("/hello").invocation.canary)
        assert_served_by(forced_out.get("/hello"), deployment=first, canary=False)
    assert drawn == replay(2, 40, 50)

    gw.update_canary("prod", percent=0)
    assert_served_by(forced_in.get("/hello"), deployment=second, canary=True)
    gw.update_canary("prod", percent=100)
    assert_served_by(forced_out.get("/hello"), deployment=first, canary=False)


@pytest.mark.parametrize(("percent", "canary"), [(0, False), (100, True)])
def test_zero_percent_never_and_a_hundred_always(percent: float, canary: bool) -> None:
    gw, first, second = two_releases(seed=8)
    gw.update_canary("prod", percent=percent)
    client = gw.client("prod")
    for _ in range(500):
        assert_served_by(
            client.get("/hello"), canary=canary, deployment=second if canary else first
        )


# -- observability ---------------------------------------------------------------------------


def test_canary_execution_logs_go_to_their_own_group() -> None:
    gw, _, _ = two_releases(seed=6)
    gw.update_canary("prod", percent=50)
    records = [gw.client("prod").get("/hello").invocation for _ in range(30)]
    canary_ids = [r.request_id for r in records if r.canary]
    stage_ids = [r.request_id for r in records if not r.canary]
    assert canary_ids and stage_ids

    group = f"API-Gateway-Execution-Logs_{gw.api_id}/prod"
    assert gw.log_group("prod") == group
    assert gw.log_group("prod", canary=True) == f"{group}/Canary"
    canary_log, stage_log = gw.logs("prod", canary=True), gw.logs("prod")
    assert {e.group for e in canary_log} == {f"{group}/Canary"}
    assert {e.group for e in stage_log} == {group}
    assert list(dict.fromkeys(e.request_id for e in canary_log)) == canary_ids
    assert list(dict.fromkeys(e.request_id for e in stage_log)) == stage_ids
    for log, ids in ((canary_log, canary_ids), (stage_log, stage_ids)):
        starts = [e.message for e in log if e.message.startswith("Starting execution")]
        assert starts == [f"Starting execution for request: {i}" for i in ids]
        ends = [e.message for e in log if e.message.startswith("Method completed")]
        assert ends == ["Method completed with status: 200"] * len(ids)


def test_metrics_of_stage_and_canary_add_up_with_errors_per_side() -> None:
    """A bad canary: /boom answers 500 only in the canary's deployment; /nosuch is 403 on both."""
    gw = Gateway(seed=12)
    gw.api.put_route("GET /ok", mock("ok"))
    gw.api.put_route("GET /boom", mock("fine"))
    gw.deploy("prod")
    gw.api.put_route("GET /boom", mock("broken", status=500))
    gw.deploy_canary("prod", 40)
    gw.deploy("other")
    plan = ["/ok", "/ok", "/boom", "/nosuch"] * 25
    client = gw.client("prod")
    for path in plan:
        client.get(path)
    gw.client("other").get("/nosuch")

    sides = replay(12, len(plan), 40)
    stage, canary = gw.metrics("prod"), gw.metrics("prod", canary=True)
    assert stage.count + canary.count == len(plan)
    assert canary.count == sum(sides)
    sent = list(zip(plan, sides, strict=True))
    expected = {
        side: {
            "Count": sum(1 for _, s in sent if s == side),
            "4XXError": sum(1 for p, s in sent if s == side and p == "/nosuch"),
            "5XXError": sum(1 for p, s in sent if s == side and p == "/boom" and s),
        }
        for side in (False, True)
    }
    for side, metrics in ((False, stage), (True, canary)):
        figures = metrics.as_cloudwatch()
        assert {k: figures[k] for k in ("Count", "4XXError", "5XXError")} == expected[side]
        assert metrics.latency.sample_count == metrics.count
    assert expected[True]["5XXError"] > 0 and expected[False]["4XXError"] > 0
    assert gw.metrics("other").count == gw.metrics("other").error_4xx == 1
    assert gw.metrics("other", canary=True).count == 0


# -- weighted aliases ------------------------------------------------------------------------


def labelled(version: str) -> Any:
    def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
        return {"statusCode": 200, "body": version}

    return handler


def three_versions(seed: int = 0) -> Gateway:
    gw = Gateway(seed=seed)
    gw.functions.register("fn", labelled("latest"))
    for version in ("1", "2", "3"):
        assert gw.functions.publish_version("fn", labelled(version)) == version
    return gw


def test_a_weighted_alias_sends_its_share_to_the_other_version() -> None:
    gw = three_versions(seed=4)
    gw.functions.set_alias("fn", "live", "2", weights={"3": 0.1})
    assert gw.functions.aliases("fn")["live"] == Alias("live", "2", {"3": 0.1})
    gw.api.put_route("GET /w", "fn:live")
    gw.deploy("prod")
    client = gw.client("prod")

    responses = [client.get("/w") for _ in range(1000)]

    versions = [r.invocation.version for r in responses]
    assert [r.text for r in responses] == versions  # the record names the version that ran
    assert {r.invocation.target for r in responses} == {"fn:live"}
    assert set(versions) == {"2", "3"}
    to_three = versions.count("3")
    assert binomial_test(to_three, 1000, 0.1) >= 0.001, to_three
    draw = random.Random("4:alias").random
    assert versions == ["3" if draw() < 0.1 else "2" for _ in range(1000)]


def test_alias_pick_walks_the_weights() -> None:
    alias = Alias("live", "2", {"3": 0.1})
    assert [alias.pick(d) for d in (0.0, 0.0999, 0.1, 0.5, 0.999)] == ["3", "3", "2", "2", "2"]
    assert Alias("live", "2").pick(0.0) == "2"
    assert Alias("live", "2", {"3": 0.0}).pick(0.0) == "2"


@pytest.mark.parametrize(
    ("version", "weights", "message"),
    [
        ("2", {"1": 0.1, "3": 0.1}, "weights may name one additional version, got 1, 3"),
        ("2", {"3": 1.5}, "weight of version 3 must be 0.0-1.0, got 1.5"),
        ("2", {"3": -0.1}, "weight of version 3 must be 0.0-1.0, got -0.1"),
        ("2", {"3": math.nan}, "weight of version 3 must be 0.0-1.0, got nan"),
        ("2", {"3": True}, "weight of version 3 must be 0.0-1.0, got True"),
        ("2", {"3": "0.1"}, "weight of version 3 must be 0.0-1.0, got '0.1'"),
        ("2", {"2": 0.1}, "weighted version '2' must be a published version other than '2'"),
        ("2", {"$LATEST": 0.1}, "weighted version '$LATEST' must be a published version"),
        ("2", {"9": 0.1}, "weighted version '9' must be a published version"),
        ("$LATEST", {"3": 0.1}, "a weighted alias must point at a published version"),
    ],
)
def test_set_alias_refuses_bad_weights_and_changes_nothing(
    version: str, weights: dict[str, Any], message: str
) -> None:
    gw = three_versions()
    gw.functions.set_alias("fn", "live", "1")

    with pytest.raises(BadRequestError, match=re.escape(f"Alias fn:live: {message}")):
        gw.functions.set_alias("fn", "live", version, weights=weights)

    assert gw.functions.aliases("fn") == {"live": Alias("live", "1")}


@pytest.mark.parametrize("weight", [0.0, 1.0])
def test_weights_at_the_bounds(weight: float) -> None:
    gw = three_versions(seed=1)
    gw.functions.set_alias("fn", "live", "2", weights={"3": weight})
    gw.api.put_route("GET /w", "fn:live")
    gw.deploy("prod")
    client = gw.client("prod")
    assert {client.get("/w").text for _ in range(200)} == {"3" if weight else "2"}


# -- config ----------------------------------------------------------------------------------

HANDLERS = """
import json

def make(label):
    def handler(event, context):
        return {"statusCode": 200, "body": json.dumps(
            {"label": label, "vars": event["stageVariables"],
             "deploymentId": event["requestContext"]["deploymentId"]})}
    return handler

latest, v1, v2, v3 = make("latest"), make("1"), make("2"), make("3")
"""


@pytest.fixture
def handlers(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A handler module in tmp_path under a name no other test uses; forgotten after."""
    name = f"canary_handlers_{uuid.uuid4().hex}"
    (tmp_path / f"{name}.py").write_text(HANDLERS)
    monkeypatch.setattr(sys, "path", list(sys.path))
    yield name
    sys.modules.pop(name, None)


def config(module: str, canary: dict[str, Any]) -> dict[str, Any]:
    return {
        "api": {"routes": {"GET /w": {"function": "fn:${stageVariables.alias}"}}},
        "functions": {
            "fn": {
                "handler": f"{module}:latest",
                "versions": {"1": f"{module}:v1", "2": f"{module}:v2", "3": f"{module}:v3"},
                "aliases": {"live": {"version": "2", "weights": {"3": 0.1}}, "stable": "1"},
            }
        },
        "deployments": {"release1": {"routes": {"GET /w": {"function": "fn:stable"}}}},
        "stages": {
            "prod": {"deployment": "release1", "variables": {"alias": "live"}, "canary": canary}
        },
    }


def test_config_builds_weighted_aliases_and_the_stage_canary(handlers: str, tmp_path: Path) -> None:
    canary = {
        "percent": 10,
        "variables": {"alias": "stable", "extra": "yes"},
        "deployment": "current",
        "use_stage_cache": True,
    }
    gw = Gateway.from_dict(config(handlers, canary), base_dir=tmp_path, seed=21)

    assert gw.functions.aliases("fn") == {
        "live": Alias("live", "2", {"3": 0.1}),
        "stable": Alias("stable", "1"),
    }
    stage = gw.stage("prod")
    assert stage.deployment_id == "release1"
    assert stage.canary is not None
    current = stage.canary.deployment_id
    assert stage.canary == Canary(10.0, current, {"alias": "stable", "extra": "yes"}, True)
    assert current != "release1"
    assert gw.deployment(current).api.routes == gw.api.routes

    on_canary = gw.client("prod", canary=True).get("/w").json()
    assert on_canary == {
        "label": "1",
        "vars": {"alias": "stable", "extra": "yes"},
        "deploymentId": current,
    }
    on_stage = gw.client("prod", canary=False).get("/w").json()
    assert (on_stage["label"], on_stage["deploymentId"]) == ("1", "release1")

    client = gw.client("prod")
    records = [client.get("/w").invocation for _ in range(300)]
    assert [r.canary for r in records] == replay(21, 300, 10)


def test_config_canary_defaults_and_the_weighted_alias_at_work(
    handlers: str, tmp_path: Path
) -> None:
    data = config(handlers, {"percent": 0})
    data["stages"]["prod"].pop("deployment")  # the stage serves the current definition
    gw = Gateway.from_dict(data, base_dir=tmp_path, seed=22)

    stage = gw.stage("prod")
    assert stage.canary == Canary(0.0, stage.deployment_id, {}, False)

    client = gw.client("prod")
    versions = [client.get("/w").invocation.version for _ in range(400)]
    draw = random.Random("22:alias").random
    assert versions == ["3" if draw() < 0.1 else "2" for _ in range(400)]
    assert binomial_test(versions.count("3"), 400, 0.1) >= 0.001
