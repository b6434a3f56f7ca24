"""Bounded memory with exact figures: the latest records and log lines are kept, while metrics,
the run summary and the canary counts are counted as requests happen."""

import textwrap

import pytest

from pytest_apistages import BadRequestError, ConfigError, Gateway
from pytest_apistages.observe.metrics import Statistics


def small_gateway(max_records: int) -> Gateway:
    gw = Gateway(max_records=max_records)
    gw.functions.register("echo", lambda event, context: {"statusCode": 200, "body": "{}"})
    gw.api.put_route("GET /ok", "echo")
    gw.api.put_route("GET /gone", {"type": "MOCK", "status": 410})
    gw.deploy("prod")
    return gw


def test_records_and_log_lines_are_kept_for_the_latest_requests_only():
    gw = small_gateway(max_records=5)
    client = gw.client("prod")
    ids = [client.get("/ok").invocation.request_id for _ in range(12)]

    kept = gw.invocations("prod")
    assert [r.request_id for r in kept] == ids[-5:]
    assert {e.request_id for e in gw.logs("prod")} == set(ids[-5:])
    assert gw.invocation(ids[-1]).request_id == ids[-1]
    with pytest.raises(LookupError, match="among the last 5"):
        gw.invocation(ids[0])


def test_metrics_count_every_request_however_few_records_are_kept():
    gw = small_gateway(max_records=3)
    client = gw.client("prod")
    for _ in range(40):
        client.get("/ok")
    for _ in range(7):
        client.get("/gone")
    client.get("/nothing")

    metrics = gw.metrics("prod")
    assert (metrics.count, metrics.error_4xx, metrics.error_5xx) == (48, 8, 0)
    assert metrics.latency.sample_count == 48
    assert metrics.integration_latency.sample_count == 40  # the Lambda calls
    assert len(gw.invocations()) == 3


def test_listeners_see_every_request_beyond_the_buffer():
    gw = small_gateway(max_records=2)
    seen = []
    gw.on_invocation(seen.append)
    for _ in range(9):
        gw.client("prod").get("/ok")

    assert len(seen) == 9
    assert len(gw.invocations()) == 2


def test_canary_counts_stay_exact_beyond_the_buffer():
    gw = small_gateway(max_records=10)
    gw.deploy_canary("prod", percent=50)
    client = gw.client("prod")
    records = [client.get("/ok").invocation for _ in range(400)]

    canary = sum(r.canary for r in records)
    assert gw.metrics("prod", canary=True).count == canary
    assert gw.metrics("prod").count == 400 - canary


@pytest.mark.parametrize("bad", [0, -1, 1.5, True, "10", 10**8])
def test_max_records_must_be_a_sensible_whole_number(bad):
    with pytest.raises(BadRequestError, match="max_records must be a whole number from 1 to"):
        Gateway(max_records=bad)


def test_config_file_sets_max_records(tmp_path):
    path = tmp_path / "apistages.yaml"
    path.write_text(
        textwrap.dedent(
            """
            api: {routes: {GET /ok: {type: MOCK}}}
            stages: {prod: {}}
            max_records: 4
            """
        )
    )
    gw = Gateway.from_file(path)
    for _ in range(6):
        gw.client("prod").get("/ok")

    assert gw.max_records == 4
    assert len(gw.invocations()) == 4


def test_config_file_refuses_a_bad_max_records(tmp_path):
    path = tmp_path / "apistages.yaml"
    path.write_text("api: {routes: {GET /ok: {type: MOCK}}}\nstages: {prod: {}}\nmax_records: 0\n")

    with pytest.raises(ConfigError, match=r"max_records: .*got 0"):
        Gateway.from_file(path)


def test_ini_option_sets_max_records_for_each_test(pytester):
    pytester.makefile(
        ".yaml", apistages="api: {routes: {GET /ok: {type: MOCK}}}\nstages: {prod: {}}\n"
    )
    pytester.makeini("[pytest]\napistages_max_records = 3\n")
    pytester.makepyfile(
        """
        def test_bounded(gateway):
            for _ in range(5):
                gateway.client("prod").get("/ok")
            assert gateway.max_records == 3
            assert len(gateway.invocations()) == 3
            assert gateway.metrics("prod").count == 5
        """
    )
    pytester.runpytest("-p", "no:cacheprovider").assert_outcomes(passed=1)


def test_ini_option_refuses_a_bad_value(pytester):
    pytester.makeini("[pytest]\napistages_max_records = lots\n")
    pytester.makepyfile("def test_x():\n    pass\n")
    result = pytester.runpytest()
    assert result.ret != 0
    result.stderr.fnmatch_lines(["*apistages_max_records: expected a whole number*'lots'*"])


@pytest.mark.parametrize(
    "values",
    [
        [0.5, 0.25, 0.125],
        [float(v) for v in range(1, 513)],
        [1.0] * 99 + [1000.0],
    ],
)
def test_percentiles_are_exact_for_values_with_few_significant_bits(values):
    ordered = sorted(values)

    def nearest_rank(p: float) -> float:
        rank = max(1, -(-len(ordered) * p // 100))
        return ordered[int(rank) - 1]

    stats = Statistics.of(values)
    assert (stats.p50, stats.p99) == (nearest_rank(50), nearest_rank(99))
    assert (stats.minimum, stats.maximum) == (ordered[0], ordered[-1])


def test_percentiles_of_arbitrary_values_are_at_most_half_a_percent_low():
    values = [((i * 7919) % 10007) / 3.7 + 0.01 for i in range(5000)]
    ordered = sorted(values)
    stats = Statistics.of(values)
    for got, exact in ((stats.p50, ordered[2499]), (stats.p99, ordered[4949])):
        assert exact * 0.995 <= got <= exact
    assert stats.average == pytest.approx(sum(values) / len(values))


def test_a_log_read_renders_what_the_request_kept_as_facts():
    gw = small_gateway(max_records=10)
    gw.update_stage("prod", logging={"level": "INFO", "data_trace": True})
    response = gw.client("prod").get("/ok?q=1")

    lines = [e.message for e in gw.logs("prod")]
    assert "Method request query string: {q=1}" in lines
    body = next(e for e in gw.logs("prod") if e.message.startswith("Endpoint request body"))
    assert body.message.startswith(
        'Endpoint request body after transformations: {"resource": "/ok", "path": "/ok"'
    )
    assert body.message.endswith(" [TRUNCATED]")  # the event's text is cut at 1024 bytes
    assert len(body.text.encode()) == 1024
    assert body.request_id == response.invocation.request_id
