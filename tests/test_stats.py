"""The statistics behind assert_canary_ratio, checked against hand-derived values and an exact
rational reference (no SciPy), then the assertion's honesty: a correct canary fails it about
alpha of the time (no more), and 50 % where 5 % was meant fails it at the default sample size."""

from __future__ import annotations

import math
import random
import re
from fractions import Fraction
from functools import lru_cache
from statistics import NormalDist

import pytest

from pytest_apistages import Gateway
from pytest_apistages.assertions import CanaryRatio, assert_canary_ratio
from pytest_apistages.stats import binomial_pmf, binomial_test, wilson_interval

# -- independent references ------------------------------------------------------------------


def exact_pmf(k: int, n: int, p: Fraction) -> Fraction:
    return math.comb(n, k) * p**k * (1 - p) ** (n - k)


def exact_p_value(k: int, n: int, p: Fraction) -> Fraction:
    """The two-sided minimum-likelihood p-value in rational arithmetic: ties are exact."""
    observed = exact_pmf(k, n, p)
    return sum((q for i in range(n + 1) if (q := exact_pmf(i, n, p)) <= observed), Fraction(0))


def log_pmf(k: int, n: int, p: float) -> float:
    """A float pmf by math.comb (exact integers), not by lgamma as the library does."""
    return math.log(math.comb(n, k)) + k * math.log(p) + (n - k) * math.log1p(-p)


def upper_tail(r: int, n: int, p: float) -> float:
    """P(X >= r) for X ~ Binomial(n, p)."""
    return math.fsum(math.exp(log_pmf(i, n, p)) for i in range(r, n + 1))


def canary_draws(seed: int, n: int, percent: float, stage: str = "prod") -> int:
    """How many of the first n requests to a stage a Gateway(seed=seed) sends to a `percent`
    canary: the gateway's own draw, replayed."""
    draw = random.Random(f"{seed}:canary:{stage}").random
    return sum(draw() * 100 < percent for _ in range(n))


# -- binomial_test ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("k", "n", "p", "expected"),
    [
        # n=10, p=1/2: pmf(i) = C(10, i)/1024; symmetric, so each tail is counted twice.
        (0, 10, 0.5, 2 / 1024),
        (10, 10, 0.5, 2 / 1024),
        (1, 10, 0.5, 2 * (1 + 10) / 1024),
        (9, 10, 0.5, 2 * (1 + 10) / 1024),
        (2, 10, 0.5, 2 * (1 + 10 + 45) / 1024),
        (3, 10, 0.5, 2 * (1 + 10 + 45 + 120) / 1024),
        (7, 10, 0.5, 2 * (1 + 10 + 45 + 120) / 1024),
        (5, 10, 0.5, 1.0),  # the mode: nothing is less likely than everything
        # n=3, p=1/2: 1/8, 3/8, 3/8, 1/8
        (0, 3, 0.5, 2 / 8),
        (3, 3, 0.5, 2 / 8),
        (1, 3, 0.5, 1.0),
        # n=5, p=1/5: .32768 .4096 .2048 .0512 .0064 .00032 (asymmetric)
        (0, 5, 0.2, 1 - 0.4096),
        (2, 5, 0.2, 0.2048 + 0.0512 + 0.0064 + 0.00032),
        (3, 5, 0.2, 0.0512 + 0.0064 + 0.00032),
        (5, 5, 0.2, 0.00032),
        (1, 5, 0.2, 1.0),
        # n=1: one coin
        (0, 1, 0.5, 1.0),
        (1, 1, 0.3, 0.3),
        (0, 1, 0.3, 1.0),
    ],
)
def test_binomial_test_hand_derived_values(k: int, n: int, p: float, expected: float) -> None:
    assert binomial_test(k, n, p) == pytest.approx(expected, rel=1e-12, abs=0)


def test_binomial_test_at_the_mode_is_exactly_one() -> None:
    assert binomial_test(5, 10, 0.5) == 1.0
    assert binomial_test(100, 2000, 0.05) == 1.0


@pytest.mark.parametrize("n", [1, 2, 7, 10, 13])
@pytest.mark.parametrize("p", ["0.5", "0.1", "0.3", "0.75", "0.05"])
def test_binomial_test_matches_exact_rational_reference(n: int, p: str) -> None:
    share = Fraction(p)
    for k in range(n + 1):
        assert binomial_test(k, n, float(share)) == pytest.approx(
            float(exact_p_value(k, n, share)), rel=1e-9, abs=0
        ), (k, n, p)


@pytest.mark.parametrize(("n", "p"), [(20, 0.5), (50, 0.5), (2000, 0.5), (101, 0.5)])
def test_binomial_test_is_symmetric_for_a_fair_coin(n: int, p: float) -> None:
    for k in range(0, n + 1, max(1, n // 40)):
        assert binomial_test(k, n, p) == pytest.approx(binomial_test(n - k, n, p), rel=1e-9)


@pytest.mark.parametrize(("n", "p"), [(30, 0.2), (200, 0.05)])
def test_binomial_test_mirrors_under_p_and_one_minus_p(n: int, p: float) -> None:
    for k in range(n + 1):
        assert binomial_test(k, n, p) == pytest.approx(binomial_test(n - k, n, 1 - p), rel=1e-9)


@pytest.mark.parametrize("n", [1, 5, 2000])
def test_binomial_test_degenerate_shares(n: int) -> None:
    # p = 0: only k = 0 can happen; p = 1: only k = n.
    assert binomial_test(0, n, 0.0) == 1.0
    assert binomial_test(n, n, 1.0) == 1.0
    for k in {1, n // 2, n} - {0}:
        assert binomial_test(k, n, 0.0) == 0.0
    for k in {0, n // 2, n - 1} - {n}:
        assert binomial_test(k, n, 1.0) == 0.0


def test_binomial_pmf_matches_exact_reference() -> None:
    for n, p in [(10, 0.5), (40, 0.05), (2000, 0.05), (2000, 0.5)]:
        for k in range(0, n + 1, max(1, n // 100)):
            assert binomial_pmf(k, n, p) == pytest.approx(math.exp(log_pmf(k, n, p)), rel=1e-9)
    assert math.fsum(binomial_pmf(k, 2000, 0.05) for k in range(2001)) == pytest.approx(1.0)


@pytest.mark.parametrize(
    ("k", "n", "p", "message"),
    [
        (0, 0, 0.5, "binomial_test needs at least one sample, got n=0"),
        (11, 10, 0.5, "binomial_test: the count must be a whole number from 0 to n=10, got 11"),
        (-1, 10, 0.5, "binomial_test: the count must be a whole number from 0 to n=10, got -1"),
        (2.5, 10, 0.5, "binomial_test: the count must be a whole number from 0 to n=10, got 2.5"),
        (3, 10, 1.5, "binomial_test: the share p must be from 0.0 to 1.0, got 1.5"),
        (3, 10, -0.1, "binomial_test: the share p must be from 0.0 to 1.0, got -0.1"),
        (3, 10, math.nan, "binomial_test: the share p must be from 0.0 to 1.0, got nan"),
    ],
)
def test_binomial_test_refuses_impossible_input(k: int, n: int, p: float, message: str) -> None:
    with pytest.raises(ValueError, match=f"^{re.escape(message)}$"):
        binomial_test(k, n, p)


# -- wilson_interval -------------------------------------------------------------------------

Z95 = NormalDist().inv_cdf(0.975)


@pytest.mark.parametrize("n", [1, 10, 2000])
def test_wilson_interval_at_zero_and_all(n: int) -> None:
    # k = 0: the centre equals the half-width, so the bounds are 0 and z^2 / (n + z^2).
    assert wilson_interval(0, n, 0.05) == (0.0, pytest.approx(Z95**2 / (n + Z95**2), rel=1e-12))
    # k = n mirrors it: n / (n + z^2) and 1.
    assert wilson_interval(n, n, 0.05) == (pytest.approx(n / (n + Z95**2), rel=1e-12), 1.0)


def test_wilson_interval_known_value() -> None:
    # 5 of 10 at 95 %: (5 + z^2/2 -+ z sqrt(2.5 + z^2/4)) / (10 + z^2)
    half = Z95 * math.sqrt(2.5 + Z95**2 / 4)
    low, high = wilson_interval(5, 10, 0.05)
    assert low == pytest.approx((5 + Z95**2 / 2 - half) / (10 + Z95**2), rel=1e-12)
    assert high == pytest.approx((5 + Z95**2 / 2 + half) / (10 + Z95**2), rel=1e-12)
    assert (round(low, 4), round(high, 4)) == (0.2366, 0.7634)


@pytest.mark.parametrize(("n", "alpha"), [(10, 0.05), (37, 0.001), (2000, 0.2)])
def test_wilson_interval_is_symmetric_and_contains_the_share(n: int, alpha: float) -> None:
    for k in range(n + 1):
        low, high = wilson_interval(k, n, alpha)
        mirror_low, mirror_high = wilson_interval(n - k, n, alpha)
        assert low == pytest.approx(1 - mirror_high, abs=1e-12)
        assert high == pytest.approx(1 - mirror_low, abs=1e-12)
        assert 0.0 <= low <= k / n <= high <= 1.0


def test_wilson_interval_narrows_with_alpha_and_samples() -> None:
    wide = wilson_interval(50, 1000, 0.001)
    narrow = wilson_interval(50, 1000, 0.05)
    more = wilson_interval(500, 10000, 0.05)
    assert wide[0] < narrow[0] < 0.05 < narrow[1] < wide[1]
    assert narrow[0] < more[0] < 0.05 < more[1] < narrow[1]


@pytest.mark.parametrize(
    ("k", "n", "alpha", "message"),
    [
        (0, 0, 0.05, "wilson_interval needs at least one sample, got n=0"),
        (11, 10, 0.05, "wilson_interval: the count must be a whole number from 0 to n=10, got 11"),
        (5, 10, 0.0, "wilson_interval: alpha must be between 0 and 1, got 0.0"),
        (5, 10, 1.0, "wilson_interval: alpha must be between 0 and 1, got 1.0"),
        (5, 10, math.nan, "wilson_interval: alpha must be between 0 and 1, got nan"),
    ],
)
def test_wilson_interval_refuses_impossible_input(
    k: int, n: int, alpha: float, message: str
) -> None:
    with pytest.raises(ValueError, match=f"^{re.escape(message)}$"):
        wilson_interval(k, n, alpha)


# -- honesty of assert_canary_ratio ----------------------------------------------------------

SEEDS = 2000
SAMPLES = 2000
PERCENT = 5.0
ALPHA = 0.05


def exact_size(n: int, p: float, alpha: float) -> float:
    """The probability that a correct canary is rejected: the mass of {k: p-value < alpha}."""
    sd = math.sqrt(n * p * (1 - p))
    first, last = max(0, int(n * p - 8 * sd)), min(n, int(n * p + 8 * sd))
    # Beyond the window every outcome is rejected (checked at its edges) and weighs < 1e-14.
    assert binomial_test(first, n, p) < alpha and binomial_test(last, n, p) < alpha
    outside = 1 - math.fsum(math.exp(log_pmf(k, n, p)) for k in range(first, last + 1))
    rejected = [k for k in range(first, last + 1) if binomial_test(k, n, p) < alpha]
    return outside + math.fsum(math.exp(log_pmf(k, n, p)) for k in rejected)


def test_false_failure_rate_of_a_correct_canary_is_at_most_alpha() -> None:
    """2000 gateways (seeds 0-1999) with a correct 5 % canary, 2000 requests each, replayed by
    the gateway's own draw; the test assert_canary_ratio runs rejects about alpha of them."""
    p_value = lru_cache(maxsize=None)(lambda k: binomial_test(k, SAMPLES, PERCENT / 100))
    rejections = sum(p_value(canary_draws(seed, SAMPLES, PERCENT)) < ALPHA for seed in range(SEEDS))
    size = exact_size(SAMPLES, PERCENT / 100, ALPHA)

    # The exact test is conservative: its true size is at most alpha, and not far below.
    assert 0.8 * ALPHA <= size <= ALPHA
    # The observed rejections are what that size predicts (two-sided, at the 0.001 level) ...
    assert binomial_test(rejections, SEEDS, size) >= 0.001, (rejections, size)
    # ... and not significantly more than alpha (one-sided, at the 0.001 level).
    assert upper_tail(rejections, SEEDS, ALPHA) >= 0.001, rejections


def test_end_to_end_rejections_match_the_replayed_draws() -> None:
    """The same through a real Gateway and assert_canary_ratio, for 30 seeds: each run sees
    exactly the replayed count, fails exactly when that count's p-value is below alpha, and the
    failures stay within what alpha allows (seeds 108 and 115 are the unlucky ones)."""
    seeds, samples = range(90, 120), 300
    failures = 0
    for seed in seeds:
        gw = Gateway(seed=seed)
        gw.api.put_route("GET /x", {"type": "MOCK", "status": 200})
        gw.deploy("prod")
        gw.deploy_canary("prod", PERCENT)
        replayed = canary_draws(seed, samples, PERCENT)
        expected_p = binomial_test(replayed, samples, PERCENT / 100)
        if expected_p < ALPHA:
            failures += 1
            with pytest.raises(
                AssertionError, match=rf"^canary share .*: {replayed} of {samples} "
            ):
                assert_canary_ratio(gw, "prod", "/x", samples=samples, alpha=ALPHA)
        else:
            result = assert_canary_ratio(gw, "prod", "/x", samples=samples, alpha=ALPHA)
            assert result == CanaryRatio(
                replayed,
                samples,
                PERCENT,
                expected_p,
                wilson_interval(replayed, samples, ALPHA),
            )
        assert len(gw.invocations("prod")) == samples
        assert sum(r.canary for r in gw.invocations("prod")) == replayed
    assert failures == 2  # both branches above ran; fixed by the seeds
    assert upper_tail(failures, len(seeds), ALPHA) >= 0.001, failures


def test_fifty_percent_where_five_was_meant_fails_at_the_default_sample_size() -> None:
    gw = Gateway(seed=11)
    gw.api.put_route("GET /x", {"type": "MOCK", "status": 200})
    gw.deploy("prod")
    gw.deploy_canary("prod", 50)
    served = canary_draws(11, 2000, 50)

    with pytest.raises(AssertionError) as caught:
        assert_canary_ratio(gw, "prod", "/x", expected=5)

    low, high = wilson_interval(served, 2000, 0.001)
    p_value = binomial_test(served, 2000, 0.05)
    message = str(caught.value)
    assert f"{served} of 2000 requests ({served / 2000:.2%}) went to the canary" in message
    assert "expected 5%" in message
    assert f"exact binomial test: p = {p_value:.3g} < alpha = 0.001" in message
    assert f"99.9% Wilson interval of the observed share: {low:.2%} - {high:.2%}" in message
    assert "statuses: 200: 2000" in message
    assert "seed: 11 (replay with Gateway(seed=11))" in message
    assert len(gw.invocations("prod")) == 2000


def test_fifty_percent_where_five_was_meant_is_caught_with_near_certainty() -> None:
    """The power, computed: at the defaults (2000 samples, alpha 0.001) a 5 % canary is
    accepted only for counts in [low, high]; a 50 % canary lands there with probability
    below 1e-250."""
    n, p = 2000, 0.05
    low = high = round(n * p)
    while binomial_test(low - 1, n, p) >= 0.001:
        low -= 1
    while binomial_test(high + 1, n, p) >= 0.001:
        high += 1
    assert 60 < low < high < 150
    assert binomial_test(low - 1, n, p) < 0.001 and binomial_test(high + 1, n, p) < 0.001
    accepted_at_fifty = math.fsum(math.exp(log_pmf(k, n, 0.5)) for k in range(low, high + 1))
    assert accepted_at_fifty < 1e-250


def test_the_configured_percent_is_the_default_expectation() -> None:
    gw = Gateway(seed=5)
    gw.api.put_route("GET /x", {"type": "MOCK", "status": 200})
    gw.deploy("prod")
    gw.deploy_canary("prod", 50)
    result = assert_canary_ratio(gw, "prod", "/x", samples=400)
    assert result.expected_percent == 50.0
    assert result.canary == canary_draws(5, 400, 50)
    assert result.p_value == binomial_test(result.canary, 400, 0.5) >= 0.001


def test_assert_canary_ratio_leaves_the_stages_throttles_as_it_found_them() -> None:
    from pytest_apistages import Gateway
    from pytest_apistages.assertions import assert_canary_ratio

    gw = Gateway()
    gw.api.put_route("GET /pets", {"type": "MOCK"})
    gw.deploy("prod")
    gw.update_stage("prod", throttling={"rate": 1, "burst": 5})
    gw.deploy_canary("prod", percent=20)
    gw.clock.freeze()
    client = gw.client("prod")
    assert client.get("/pets").status_code == 200  # one of the five tokens spent

    assert_canary_ratio(gw, "prod", "/pets", samples=400)

    statuses = [client.get("/pets").status_code for _ in range(5)]
    assert statuses == [200, 200, 200, 200, 429]  # the four tokens left before the sample
