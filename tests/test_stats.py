"""The statistics behind assert_canary_ratio, checked against hand-derived values and an exact
rational reference (no SciPy), then the assertion's honesty: a correct canary fails it about
alpha of the time (no more), and 50 % where 5 % was meant fails it at the default sample size."""

from __future__ import annotations

import itertools
import math
import random
import re
import time
from bisect import bisect_left, bisect_right
from fractions import Fraction
from functools import cache, lru_cache
from statistics import NormalDist

import pytest

from pytest_apistages import Gateway
from pytest_apistages.assertions import CanaryRatio, assert_canary_ratio
from pytest_apistages.stats import (
    MannWhitney,
    _mann_whitney_normal,
    binomial_pmf,
    binomial_test,
    fisher_exact_greater,
    mann_whitney_greater,
    wilson_interval,
)

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


# -- fisher_exact_greater --------------------------------------------------------------------


def hypergeometric_pmf(x: int, n1: int, n2: int, failures: int) -> Fraction:
    """P(X = x): the canary's n1 requests hold x of all the failures, exactly."""
    ways = math.comb(failures, x) * math.comb(n1 + n2 - failures, n1 - x)
    return Fraction(ways, math.comb(n1 + n2, n1))


def fisher_reference(a: int, n1: int, b: int, n2: int) -> Fraction:
    """P(X >= a) by enumerating the hypergeometric distribution with math.comb."""
    failures = a + b
    return sum(
        (hypergeometric_pmf(x, n1, n2, failures) for x in range(a, min(failures, n1) + 1)),
        Fraction(0),
    )


def fisher_reference_large(a: int, n1: int, b: int, n2: int) -> Fraction:
    """The same for big tables: the exact integer counts C(K, x) C(N - K, n1 - x), each from
    the one before by exact integer division (math.comb per term is too slow at n = 20000)."""
    population, failures = n1 + n2, a + b
    ways = math.comb(failures, a) * math.comb(population - failures, n1 - a)
    total = 0
    for x in range(a, min(failures, n1) + 1):
        total += ways
        ways = ways * (failures - x) * (n1 - x) // ((x + 1) * (n2 - failures + x + 1))
    return Fraction(total, math.comb(population, n1))


SMALL_TABLES = [
    (a, n1, b, n2)
    for n1 in range(7)
    for n2 in range(7)
    for a in range(n1 + 1)
    for b in range(n2 + 1)
]


def test_fisher_matches_brute_force_on_every_small_table() -> None:
    for a, n1, b, n2 in SMALL_TABLES:
        expected = fisher_reference(a, n1, b, n2)
        p = fisher_exact_greater(a, n1, b, n2)
        assert p == pytest.approx(float(expected), rel=1e-12, abs=0), (a, n1, b, n2)
        assert (p == 1.0) == (expected == 1), (a, n1, b, n2)  # 1 exactly, and only when it is


@pytest.mark.parametrize(
    ("table", "expected"),
    [
        ((3, 4, 1, 4), 17 / 70),  # the lady tasting tea: (C(4,3) C(4,1) + 1) / C(8,4)
        ((4, 4, 0, 4), 1 / 70),
        ((1, 1, 0, 1), 1 / 2),
        ((2, 2, 0, 2), 1 / 6),
        ((1, 10, 0, 10), 1 / 2),  # one failure: it is the canary's with chance n1 / N
        ((1, 10, 0, 30), 1 / 4),
        ((10, 10, 0, 10), 1 / 184756),  # 1 / C(20, 10)
        ((3, 100, 0, 900), 100 * 99 * 98 / (1000 * 999 * 998)),  # all three on the canary
        ((0, 10, 4, 10), 1.0),
        ((0, 10, 0, 10), 1.0),  # no failures at all
        ((0, 0, 0, 0), 1.0),  # no requests at all
        ((0, 0, 3, 7), 1.0),  # an empty canary
        ((5, 5, 0, 0), 1.0),  # an empty base
        ((4, 4, 6, 6), 1.0),  # every request failed
        ((20000, 20000, 0, 20000), 0.0),  # 1 / C(40000, 20000): below the smallest float
    ],
)
def test_fisher_hand_derived_values(table: tuple[int, int, int, int], expected: float) -> None:
    assert fisher_exact_greater(*table) == pytest.approx(expected, rel=1e-12, abs=0)


@pytest.mark.parametrize(
    "table",
    [
        (3, 100, 0, 900),
        (10, 1000, 2, 1000),
        (50, 1000, 30, 1000),
        (20, 1000, 30, 1000),
        (1, 20000, 0, 3),
        (7, 40, 900, 20000),
        (130, 20000, 100, 20000),
        (10500, 20000, 10000, 20000),  # many failures: p about 3e-7, 500 standard deviations in
    ],
)
def test_fisher_matches_exact_integers_on_large_tables(table: tuple[int, int, int, int]) -> None:
    expected = float(fisher_reference_large(*table))
    assert fisher_exact_greater(*table) == pytest.approx(expected, rel=1e-12, abs=0)
    if table[1] <= 1000:
        assert expected == float(fisher_reference(*table))  # the two references agree


def test_fisher_symmetries() -> None:
    for a, n1, b, n2 in SMALL_TABLES:
        p = fisher_exact_greater(a, n1, b, n2)
        swapped = fisher_exact_greater(b, n2, a, n1)  # P(X <= a)
        # P(X >= a) + P(X <= a) = 1 + P(X = a)
        if n1 and n2:
            at_a = float(hypergeometric_pmf(a, n1, n2, a + b))
            assert p + swapped == pytest.approx(1 + at_a, rel=1e-12), (a, n1, b, n2)
        # Successes for failures: more canary successes is fewer canary failures.
        assert fisher_exact_greater(n1 - a, n1, n2 - b, n2) == pytest.approx(swapped, rel=1e-12)


@pytest.mark.parametrize(("n1", "n2"), [(6, 6), (40, 60), (120, 80)])
def test_fisher_is_monotone_in_each_count(n1: int, n2: int) -> None:
    """More canary failures can only lower p, more base failures only raise it."""
    for b in range(0, n2 + 1, max(1, n2 // 20)):
        row = [fisher_exact_greater(a, n1, b, n2) for a in range(n1 + 1)]
        assert all(later <= earlier * (1 + 1e-12) for earlier, later in itertools.pairwise(row))
    for a in range(0, n1 + 1, max(1, n1 // 20)):
        column = [fisher_exact_greater(a, n1, b, n2) for b in range(n2 + 1)]
        assert all(later >= earlier * (1 - 1e-12) for earlier, later in itertools.pairwise(column))


@pytest.mark.parametrize(
    ("n1", "n2", "failures"),
    [(6, 6, 4), (10, 15, 7), (30, 30, 12), (100, 900, 3), (50, 50, 50), (200, 300, 40)],
)
def test_fisher_is_valid_a_correct_canary_is_rejected_at_most_alpha_of_the_time(
    n1: int, n2: int, failures: int
) -> None:
    """Under H0 (the failures fall on the requests at random, given the margins) the exact
    probability of p <= alpha is at most alpha, for every alpha: enumerated, not sampled."""
    support = range(max(0, failures - n2), min(failures, n1) + 1)
    pmf = {x: hypergeometric_pmf(x, n1, n2, failures) for x in support}
    assert sum(pmf.values()) == 1
    p_values = {x: fisher_exact_greater(x, n1, failures - x, n2) for x in support}
    for alpha in (0.001, 0.01, 0.05, 0.1, 0.2, 0.5):
        size = sum((pmf[x] for x in support if p_values[x] <= alpha), Fraction(0))
        assert size <= Fraction(alpha), (alpha, float(size))
        # The rejections are an upper tail {x >= first}, and the whole budget it can use: one
        # outcome more would take the size over alpha.
        rejected = [x for x in support if p_values[x] <= alpha]
        first = rejected[0] if rejected else support[-1] + 1
        assert rejected == list(range(first, support[-1] + 1))
        if first - 1 in support:
            assert size + pmf[first - 1] > Fraction(alpha), alpha


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            (0, -1, 0, 5),
            "fisher_exact_greater: canary_n must be a whole number of at least 0, got -1",
        ),
        (
            (0, 5, 0, 2.5),
            "fisher_exact_greater: base_n must be a whole number of at least 0, got 2.5",
        ),
        (
            (0, True, 0, 5),
            "fisher_exact_greater: canary_n must be a whole number of at least 0, got True",
        ),
        (
            (5, 4, 0, 5),
            "fisher_exact_greater: canary_failures must be a whole number from 0 to "
            "canary_n=4, got 5",
        ),
        (
            (-1, 4, 0, 5),
            "fisher_exact_greater: canary_failures must be a whole number from 0 to "
            "canary_n=4, got -1",
        ),
        (
            (0, 4, 1.0, 5),
            "fisher_exact_greater: base_failures must be a whole number from 0 to "
            "base_n=5, got 1.0",
        ),
        (
            (0, 4, "3", 5),
            "fisher_exact_greater: base_failures must be a whole number from 0 to "
            "base_n=5, got '3'",
        ),
        (
            (0, 4, 6, 5),
            "fisher_exact_greater: base_failures must be a whole number from 0 to base_n=5, got 6",
        ),
    ],
)
def test_fisher_refuses_impossible_input(args: tuple[int, int, int, int], message: str) -> None:
    with pytest.raises(ValueError, match=f"^{re.escape(message)}$"):
        fisher_exact_greater(*args)


def test_fisher_is_fast_at_twenty_thousand_per_side() -> None:
    tables = [(130, 20000, 100, 20000), (10500, 20000, 10000, 20000), (20000, 20000, 0, 20000)]
    tables += [(10000, 20000, 10000, 20000), (0, 20000, 20000, 20000)]
    start = time.perf_counter()
    for table in tables:
        assert 0.0 <= fisher_exact_greater(*table) <= 1.0
    assert time.perf_counter() - start < 1.0


# -- mann_whitney_greater --------------------------------------------------------------------


def expand(histogram: dict[float, int]) -> list[float]:
    return [value for value, count in histogram.items() for _ in range(count)]


def pair_count(canary: list[float], base: list[float]) -> float:
    """U by its definition: every (canary, base) pair, the canary's larger, ties counting half."""
    return sum(1.0 if x > y else 0.5 if x == y else 0.0 for x in canary for y in base)


def random_histogram(rng: random.Random, values: int, top: int) -> dict[float, int]:
    """Up to `values` distinct small integers (so ties within and across samples)."""
    return {rng.randrange(top): rng.randint(1, 4) for _ in range(rng.randint(1, values))}


def permutation_p_value(canary: list[float], base: list[float]) -> Fraction:
    """P(U >= observed) over all C(n1 + n2, n1) ways to split the pooled values."""
    pooled, n1 = canary + base, len(canary)
    observed = pair_count(canary, base)
    hits = total = 0
    for chosen in itertools.combinations(range(len(pooled)), n1):
        rest = set(range(len(pooled))) - set(chosen)
        u = pair_count([pooled[i] for i in chosen], [pooled[i] for i in rest])
        hits += u >= observed
        total += 1
    return Fraction(hits, total)


def distinct_sample(rng: random.Random, n1: int, n2: int) -> tuple[dict[float, int], ...]:
    """Two samples of distinct floats (no ties), the canary's shifted up by a random amount."""
    shift = rng.uniform(-1, 2)
    canary = {rng.gauss(shift, 1): 1 for _ in range(n1)}
    base = {rng.gauss(0, 1): 1 for _ in range(n2)}
    assert len(canary) == n1 and len(base) == n2 and not canary.keys() & base.keys()
    return canary, base


def test_mann_whitney_u_counts_the_pairs() -> None:
    rng = random.Random(7)
    for _ in range(300):
        canary, base = random_histogram(rng, 6, 8), random_histogram(rng, 6, 8)
        result = mann_whitney_greater(canary, base)
        assert result.u == pair_count(expand(canary), expand(base)), (canary, base)
    # 1 and 1.0 are one value, wherever they come from; zero counts are no values.
    assert mann_whitney_greater({1: 2, 3.5: 1}, {1.0: 1, 2: 1, 7: 0}).u == 2 * 0.5 + 2 * 1


def test_mann_whitney_exact_p_matches_permutation_enumeration() -> None:
    rng = random.Random(11)
    for n1 in range(1, 12):
        for n2 in range(1, 13 - n1):
            for _ in range(2):
                canary, base = distinct_sample(rng, n1, n2)
                expected = permutation_p_value(expand(canary), expand(base))
                result = mann_whitney_greater(canary, base)
                assert result.exact
                assert result.p_value == pytest.approx(float(expected), rel=1e-12, abs=0)
    # The extremes: the canary all larger (1 / C(N, n1)), all smaller (1).
    top = mann_whitney_greater({float(v): 1 for v in range(5, 12)}, {float(v): 1 for v in range(5)})
    assert (top.u, top.p_value) == (35.0, pytest.approx(1 / math.comb(12, 5), rel=1e-12))
    assert mann_whitney_greater({0.5: 1, 0.25: 1}, {1: 1, 2: 1, 3: 1}) == MannWhitney(0, 1, True)


def u_distribution(n1: int, n2: int) -> dict[int, int]:
    """How many of the splits of the ranks 1..n1+n2 give each U (enumerated)."""
    counts: dict[int, int] = {}
    for chosen in itertools.combinations(range(1, n1 + n2 + 1), n1):
        u = sum(chosen) - n1 * (n1 + 1) // 2
        counts[u] = counts.get(u, 0) + 1
    return counts


@pytest.mark.parametrize(("n1", "n2"), [(1, 9), (3, 4), (5, 5), (4, 8), (6, 7), (7, 7)])
def test_mann_whitney_exact_test_is_valid(n1: int, n2: int) -> None:
    """Under H0 every split is equally likely; the chance of p <= alpha is at most alpha."""
    counts = u_distribution(n1, n2)
    total = math.comb(n1 + n2, n1)
    p_of = {}
    for u in counts:
        # A sample with that U: base 0..n2-1, canary value j above `above[j]` of them.
        above = [min(n2, max(0, u - n2 * j)) for j in range(n1)]
        canary = {k - 0.5 + 0.001 * j: 1 for j, k in enumerate(above)}
        result = mann_whitney_greater(canary, {float(k): 1 for k in range(n2)})
        assert result.u == u and result.exact
        p_of[u] = result.p_value
    for alpha in (0.001, 0.01, 0.05, 0.1, 0.25):
        size = Fraction(sum(c for u, c in counts.items() if p_of[u] <= alpha), total)
        assert size <= Fraction(alpha), (alpha, float(size))


@cache
def arrangements(n1: int, n2: int) -> tuple[int, ...]:
    """The classic recursion: of the orders of n1 canary and n2 base values, how many have
    U = u, by whether the largest value is the canary's (beating all n2) or the base's."""
    if n1 == 0 or n2 == 0:
        return (1,)
    counts = [0] * (n1 * n2 + 1)
    for u, ways in enumerate(arrangements(n1 - 1, n2)):
        counts[u + n2] += ways
    for u, ways in enumerate(arrangements(n1, n2 - 1)):
        counts[u] += ways
    return tuple(counts)


@pytest.mark.parametrize("seed", [1, 2, 3, 4, 5])
def test_mann_whitney_normal_approximation_is_close_to_exact_at_thirty(seed: int) -> None:
    """At n1 = n2 = 30 (no ties) the public function is exact; it matches the classic
    recursion, and the normal approximation it uses beyond 10,000 pairs is within 0.02."""
    canary, base = distinct_sample(random.Random(seed), 30, 30)
    result = mann_whitney_greater(canary, base)
    counts = arrangements(30, 30)
    expected = Fraction(sum(counts[int(result.u) :]), math.comb(60, 30))
    assert result.exact
    assert result.p_value == pytest.approx(float(expected), rel=1e-12, abs=0)
    approximate = _mann_whitney_normal(int(2 * result.u), 30, 30, 0)
    assert abs(approximate - result.p_value) < 0.02, (approximate, result.p_value)


def permutation_moments(canary: list[float], base: list[float]) -> tuple[Fraction, Fraction]:
    """The mean and variance of U over all splits of the pooled (tied) values."""
    pooled, n1 = canary + base, len(canary)
    us = []
    for chosen in itertools.combinations(range(len(pooled)), n1):
        rest = set(range(len(pooled))) - set(chosen)
        us.append(Fraction(pair_count([pooled[i] for i in chosen], [pooled[i] for i in rest])))
    mean = sum(us, Fraction(0)) / len(us)
    return mean, sum(((u - mean) ** 2 for u in us), Fraction(0)) / len(us)


@pytest.mark.parametrize("seed", [1, 2, 3, 4])
def test_mann_whitney_tie_correction_is_the_exact_permutation_variance(seed: int) -> None:
    """With ties the normal approximation's variance is the true variance of U given the tied
    values (enumerated), so p = P(Z >= (u - mean - 1/2) / sd) with that variance."""
    rng = random.Random(seed)
    canary, base = {}, {}
    while not (2 <= sum(canary.values()) <= 6 and 2 <= sum(base.values()) <= 6):
        canary, base = random_histogram(rng, 3, 4), random_histogram(rng, 3, 4)
    n1, n2 = sum(canary.values()), sum(base.values())
    mean, variance = permutation_moments(expand(canary), expand(base))
    assert mean == Fraction(n1 * n2, 2)
    result = mann_whitney_greater(canary, base)
    if variance == 0:
        assert result == MannWhitney(n1 * n2 / 2, 1.0, True)
        return
    z = (result.u - n1 * n2 / 2 - 0.5) / math.sqrt(variance)
    assert not result.exact
    assert result.p_value == pytest.approx(1 - NormalDist().cdf(z), rel=1e-9)


def test_mann_whitney_all_values_equal_is_no_evidence() -> None:
    assert mann_whitney_greater({5.0: 50}, {5: 70}) == MannWhitney(1750.0, 1.0, True)
    assert mann_whitney_greater({1: 1}, {1: 1}) == MannWhitney(0.5, 1.0, True)
    assert mann_whitney_greater({0.0: 300}, {0.0: 200}).p_value == 1.0


@pytest.mark.parametrize(
    ("canary", "base"), [({}, {1.0: 2}), ({1.0: 2}, {}), ({}, {}), ({1: 0}, {2: 3})]
)
def test_mann_whitney_with_an_empty_side_is_no_evidence(
    canary: dict[float, int], base: dict[float, int]
) -> None:
    assert mann_whitney_greater(canary, base) == MannWhitney(0.0, 1.0, True)


def test_mann_whitney_a_clearly_slower_canary_is_significant() -> None:
    # No ties: exact, and p = 1 / C(100, 50) (one split of all the 100 is this extreme).
    slower = mann_whitney_greater(
        {100.0 + i: 1 for i in range(50)}, {float(i): 1 for i in range(50)}
    )
    assert slower == MannWhitney(2500.0, pytest.approx(1 / math.comb(100, 50), rel=1e-12), True)
    # Ties within each sample (25 values twice): the normal approximation, still decisive.
    tied = mann_whitney_greater({100.0 + i: 2 for i in range(25)}, {float(i): 2 for i in range(25)})
    assert not tied.exact and tied.u == 2500.0 and tied.p_value < 1e-6
    # The other way round is no evidence that the canary is slower.
    faster = mann_whitney_greater(
        {float(i): 2 for i in range(25)}, {100.0 + i: 2 for i in range(25)}
    )
    assert faster.u == 0.0 and faster.p_value > 1 - 1e-6


@pytest.mark.parametrize(
    ("canary", "base", "message"),
    [
        (
            [1.0, 2.0],
            {1.0: 1},
            "mann_whitney_greater: canary must be a histogram {value: count}, got list",
        ),
        (
            {1.0: 1},
            {math.nan: 1},
            "mann_whitney_greater: base values must be numbers (not NaN), got nan",
        ),
        (
            {"1": 1},
            {1.0: 1},
            "mann_whitney_greater: canary values must be numbers (not NaN), got '1'",
        ),
        (
            {1.0: -1},
            {1.0: 1},
            "mann_whitney_greater: canary counts must be whole numbers of at "
            "least 0, got -1 for 1.0",
        ),
        (
            {1.0: 1},
            {2.0: 1.5},
            "mann_whitney_greater: base counts must be whole numbers of at "
            "least 0, got 1.5 for 2.0",
        ),
        (
            {1.0: True},
            {2.0: 1},
            "mann_whitney_greater: canary counts must be whole numbers of at "
            "least 0, got True for 1.0",
        ),
    ],
)
def test_mann_whitney_refuses_impossible_input(canary: object, base: object, message: str) -> None:
    with pytest.raises(ValueError, match=f"^{re.escape(message)}$"):
        mann_whitney_greater(canary, base)  # type: ignore[arg-type]


def test_mann_whitney_is_fast_on_large_histograms() -> None:
    rng = random.Random(3)
    canary = {rng.uniform(10, 110): rng.randint(1, 20) for _ in range(5000)}
    base = {rng.uniform(0, 100): rng.randint(1, 20) for _ in range(5000)}
    start = time.perf_counter()
    result = mann_whitney_greater(canary, base)
    exact = mann_whitney_greater(*distinct_sample(rng, 100, 100))  # the exact path's largest
    assert time.perf_counter() - start < 1.0
    assert exact.exact and not result.exact
    assert result.p_value < 1e-6  # shifted by a tenth of the range
    # U by bisection in the expanded base, as a check on the merge.
    ordered = sorted(expand(base))
    expected = sum(
        count
        * (
            bisect_left(ordered, value)
            + (bisect_right(ordered, value) - bisect_left(ordered, value)) / 2
        )
        for value, count in canary.items()
    )
    assert result.u == expected
