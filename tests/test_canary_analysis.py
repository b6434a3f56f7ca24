"""Canary analysis and progressive rollout: a healthy canary is promoted through every step, a
canary that fails 3 % of its requests or is twice as slow is rolled back at the first step with
enough requests, an alias shift with a failing new version returns to the old one, and on
identical base and canary the check raises a false alarm at most `alpha` of the time."""

from __future__ import annotations

import itertools
import json
import random
import re
import uuid
from typing import Any

import pytest

from pytest_apistages import BadRequestError, ConfigError, Gateway
from pytest_apistages.assertions import assert_canary_healthy
from pytest_apistages.observe.canary import compare
from pytest_apistages.observe.metrics import Tally
from pytest_apistages.rollout import plan


def handler(fail_every: int = 0):
    """Answers 200, except every `fail_every`-th call (a 3 % bug is fail_every=33)."""
    calls = itertools.count(1)

    def run(event: dict[str, Any], context: Any) -> dict[str, Any]:
        if fail_every and next(calls) % fail_every == 0:
            return {"statusCode": 500, "body": json.dumps({"error": "bug"})}
        return {"statusCode": 200, "body": "{}"}

    return run


def release(
    new: Any = None, *, new_duration: float = 40.0, duration: float = 40.0, seed: int = 0
) -> Gateway:
    """prod serves version 1 of `pets` (alias live); its canary, at 0 %, version 2 (next)."""
    gw = Gateway(seed=seed)
    gw.functions.register("pets", handler(), duration_ms=duration)
    gw.functions.publish_version("pets")
    gw.functions.publish_version("pets", new or handler(), duration_ms=new_duration)
    gw.functions.set_alias("pets", "live", "1")
    gw.functions.set_alias("pets", "next", "2")
    gw.api.put_route("GET /pets", "pets:${stageVariables.alias}")
    gw.deploy("prod", variables={"alias": "live"})
    gw.deploy_canary("prod", percent=0, variables={"alias": "next"})
    return gw


def test_a_healthy_canary_is_promoted_through_every_step():
    gw = release()
    canary_deployment = gw.stage("prod").canary.deployment_id

    result = gw.rollout("prod", steps=[5, 25, 50, 100], traffic=["/pets"], requests=600)

    assert result.outcome == "promoted"
    assert [s.percent for s in result.steps] == [5, 25, 50, 100]
    assert all(s.report.verdict != "unhealthy" for s in result.steps)
    assert [s.report.verdict for s in result.steps][1:3] == ["healthy", "healthy"]
    assert gw.stage("prod").deployment_id == canary_deployment
    assert gw.stage("prod").canary is None
    assert gw.stage("prod").variables["alias"] == "next"


def test_a_canary_failing_3_percent_is_rolled_back_at_the_first_step_with_enough_requests():
    gw = release(handler(fail_every=33))
    base_deployment = gw.stage("prod").deployment_id

    result = gw.rollout("prod", steps=[5, 25, 50, 100], traffic=["/pets"], requests=600)

    assert result.outcome == "rolled back"
    first, second = result.steps
    assert first.report.verdict == "insufficient"  # about 30 canary requests at 5 %
    assert second.report.verdict == "unhealthy"
    five_xx = second.report.comparisons[0]
    assert (five_xx.metric, five_xx.verdict) == ("5XX rate", "fail")
    assert five_xx.canary == pytest.approx(1 / 33, abs=0.02) and five_xx.base == 0.0
    assert gw.stage("prod").canary is None
    assert gw.stage("prod").deployment_id == base_deployment


def test_a_canary_twice_as_slow_is_rolled_back():
    # Long function times, so the gateway's own (real, ~0.3 ms, more on a loaded machine) time
    # in each latency is negligible beside them.
    gw = release(duration=400.0, new_duration=800.0)

    result = gw.rollout("prod", steps="Linear10PercentEvery1Minute", traffic=["/pets"],
                        requests=600)  # fmt: skip

    assert result.outcome == "rolled back"
    latency = result.steps[-1].report.comparisons[2]
    assert (latency.metric, latency.verdict) == ("latency p99", "fail")
    assert latency.effect == pytest.approx(2.0, rel=0.02)
    assert latency.p_value < 1e-6


def test_each_step_waits_its_interval_on_the_gateways_clock():
    gw = release()
    start = gw.clock.freeze()

    gw.rollout("prod", steps="Canary10Percent5Minutes", traffic=["/pets"], requests=100)

    assert gw.clock.now() == start + 2 * 300


def test_an_alias_shift_with_a_failing_new_version_returns_to_the_old_one():
    gw = release(handler(fail_every=10))

    result = gw.functions.shift_traffic(
        "pets", "live", "2", steps=[10, 50, 100], traffic=["/pets"], stage="prod", requests=600
    )

    assert result.outcome == "rolled back"
    assert result.subject == "pets:live"
    assert [s.report.verdict for s in result.steps] == ["unhealthy"]
    alias = gw.functions.aliases("pets")["live"]
    assert (alias.version, dict(alias.weights)) == ("1", {})


def test_a_healthy_alias_shift_ends_on_the_new_version():
    gw = release()

    result = gw.functions.shift_traffic(
        "pets", "live", "2", steps=[10, 50, 100], traffic=["/pets"], stage="prod", requests=600
    )

    assert result.promoted
    assert gw.functions.aliases("pets")["live"].version == "2"
    assert gw.client("prod").get("/pets").invocation.version == "2"


def test_an_alias_shift_follows_its_deployment_preference():
    gw = release()
    gw.functions.set_alias("pets", "live", "1", deployment_preference="Linear10PercentEvery1Minute")

    result = gw.functions.shift_traffic("pets", "live", "2", traffic=["/pets"], stage="prod")

    assert result.promoted
    assert [s.percent for s in result.steps] == [10.0 * i for i in range(1, 11)]
    assert gw.functions.aliases("pets")["live"].deployment_preference == (
        "Linear10PercentEvery1Minute"  # kept through every move of the shift
    )


def test_an_alias_shift_without_steps_or_preference_is_refused():
    gw = release()

    with pytest.raises(BadRequestError) as error:
        gw.functions.shift_traffic("pets", "live", "2", traffic=["/pets"], stage="prod")

    assert str(error.value) == (
        "shift_traffic: give steps= (alias pets:live has no deployment_preference to take them "
        "from)"
    )


def test_a_config_alias_takes_a_deployment_preference(tmp_path):
    module = f"handlers_{uuid.uuid4().hex}"  # a module name no other test imported
    (tmp_path / f"{module}.py").write_text(
        "def pets(event, context):\n    return {'statusCode': 200, 'body': '{}'}\n"
    )
    live = {"version": "1", "deployment_preference": "Canary10Percent5Minutes"}
    config = {
        "api": {"routes": {"GET /pets": "pets:live"}},
        "functions": {"pets": {
            "handler": f"{module}:pets",
            "versions": {"1": f"{module}:pets", "2": f"{module}:pets"},
            "aliases": {"live": live},
        }},
        "stages": {"prod": {}},
    }  # fmt: skip
    gw = Gateway.from_dict(config, base_dir=tmp_path)
    assert gw.functions.aliases("pets")["live"].deployment_preference == "Canary10Percent5Minutes"

    live["deployment_preference"] = "Canary5Percent"
    with pytest.raises(ConfigError) as error:
        Gateway.from_dict(config, base_dir=tmp_path)
    assert str(error.value).startswith(
        "config: functions.pets.aliases.live: unknown deployment preset 'Canary5Percent'"
    )


def test_assert_canary_healthy_shows_the_report_and_the_allowances():
    gw = release(handler(fail_every=10))
    gw.update_canary("prod", percent=50)
    client = gw.client("prod")
    for _ in range(400):
        client.get("/pets")

    with pytest.raises(AssertionError) as failure:
        assert_canary_healthy(gw, "prod")

    message = str(failure.value)
    assert "canary analysis of stage prod: unhealthy" in message
    assert re.search(
        r"5XX rate: \+9\.\d+% \(allowed \+1\.00%\), Fisher exact p = .*: fail", message
    )
    assert "allowances: max_5xx_increase=0.01" in message


def test_too_few_requests_says_how_many_more_are_needed():
    gw = release()
    gw.update_canary("prod", percent=50)
    for _ in range(20):
        gw.client("prod").get("/pets")

    with pytest.raises(AssertionError) as failure:
        assert_canary_healthy(gw, "prod", min_requests=30)

    assert "too few requests to judge the canary of stage 'prod': it needs" in str(failure.value)


def test_the_report_reads_as_a_table():
    gw = release()
    gw.update_canary("prod", percent=50)
    for _ in range(200):
        gw.client("prod").get("/pets")

    text = str(gw.canary_report("prod"))

    lines = text.splitlines()
    assert lines[0] == "canary analysis of stage prod: healthy"
    assert lines[1].split() == ["base", "canary"]
    assert lines[2].split()[0] == "requests"
    assert any(line.strip().startswith("latency p50/p90/p99 ms") for line in lines)
    assert sum(1 for line in lines if "p = " in line) == 3


def test_unknown_health_settings_and_presets_are_refused():
    gw = release()
    with pytest.raises(TypeError, match="unknown health setting 'max_errors'"):
        gw.canary_report("prod", max_errors=1)
    with pytest.raises(BadRequestError, match="unknown deployment preset"):
        gw.rollout("prod", steps="Canary10PercentSoon", traffic=["/pets"])
    with pytest.raises(BadRequestError, match="rising percents"):
        gw.rollout("prod", steps=[50, 10], traffic=["/pets"])


@pytest.mark.parametrize(
    ("preset", "percents", "seconds"),
    [
        ("AllAtOnce", [100.0], 0.0),
        ("Canary10Percent5Minutes", [10.0, 100.0], 300.0),
        ("Canary10Percent30Minutes", [10.0, 100.0], 1800.0),
        ("Linear10PercentEvery1Minute", [10.0 * i for i in range(1, 11)], 60.0),
        ("Linear10PercentEvery3Minutes", [10.0 * i for i in range(1, 11)], 180.0),
    ],
)
def test_codedeploy_presets(preset, percents, seconds):
    assert plan(preset, None) == (percents, seconds)


def synthetic(rng: random.Random, n: int, error_rate: float) -> Tally:
    tally = Tally()
    for _ in range(n):
        status = 500 if rng.random() < error_rate else 200
        tally.add(status, rng.lognormvariate(3.0, 0.5), 0.0, False, False)
    return tally


def test_false_alarms_on_identical_base_and_canary_stay_within_alpha():
    """The allowances at zero, so only the tests decide: over 600 seeded pairs of samples
    drawn from one distribution the three Bonferroni-corrected tests together raise an alarm
    in at most alpha of them (Fisher's exact test is conservative, so fewer)."""
    strict = {"max_5xx_increase": 0.0, "max_4xx_increase": 0.0, "max_latency_ratio": 1.0}
    alarms = 0
    runs = 600
    for seed in range(runs):
        rng = random.Random(seed)
        report = compare("s", synthetic(rng, 200, 0.05), synthetic(rng, 100, 0.05), strict)
        alarms += report.verdict == "unhealthy"
    assert alarms / runs <= 0.05


def test_a_real_difference_is_caught_with_the_same_zero_allowances():
    rng = random.Random(1)
    report = compare(
        "s",
        synthetic(rng, 300, 0.0),
        synthetic(rng, 300, 0.06),
        {"max_5xx_increase": 0.0, "max_4xx_increase": 0.0, "max_latency_ratio": 1.0},
    )
    assert report.comparisons[0].verdict == "fail"


def test_the_run_summary_shows_the_canary_beside_the_base(pytester: pytest.Pytester):
    pytester.makepyfile(
        test_rollout="""
        import itertools
        from pytest_apistages import Gateway

        def test_canary(gateway):
            fails = itertools.count(1)
            gateway.functions.register("ok", lambda e, c: {"body": "{}"}, duration_ms=10)
            gateway.functions.register(
                "bad",
                lambda e, c: {"statusCode": 500 if next(fails) % 4 == 0 else 200, "body": "{}"},
                duration_ms=30,
            )
            gateway.api.put_route("GET /x", "ok")
            gateway.deploy("prod")
            gateway.api.put_route("GET /x", "bad")
            gateway.deploy_canary("prod", percent=50)
            for _ in range(200):
                gateway.client("prod").get("/x")
        """
    )

    result = pytester.runpytest("-p", "no:cacheprovider")

    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["canary beside base (while a canary was set):"])
    line = next(line for line in result.outlines if line.startswith("  prod: canary 5XX"))
    found = re.fullmatch(
        r"  prod: canary 5XX (\S+)% of (\d+), p99 (\S+) ms; base 5XX 0.0% of (\d+), p99 (\S+) ms",
        line,
    )
    assert found, line
    rate, canary, canary_p99, base, base_p99 = found.groups()
    assert 20 <= float(rate) <= 30 and int(canary) + int(base) == 200
    # 30 ms and 10 ms simulated, plus the gateway's own time (more under a loaded machine)
    assert float(canary_p99) >= 30 > float(base_p99) >= 10
