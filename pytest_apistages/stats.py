"""The statistics behind `assert_canary_ratio`: an exact two-sided binomial test and the Wilson
score interval; behind the canary health report: Fisher's exact test of two failure rates and
the Mann-Whitney U test of two latency histograms. Plain Python (no SciPy needed for a few
thousand samples)."""

from __future__ import annotations

import itertools
import math
import numbers
import operator
from collections.abc import Mapping
from dataclasses import dataclass
from statistics import NormalDist


def _check_counts(k: int, n: int, what: str) -> None:
    """`k` of `n`: whole numbers (Python's or NumPy's, not floats or bools), 0 <= k <= n >= 1."""
    try:
        whole = not isinstance(n, bool) and operator.index(n) >= 1
    except TypeError:
        whole = False
    if not whole:
        raise ValueError(f"{what} needs at least one sample, got n={n!r}")
    try:
        whole = not isinstance(k, bool) and 0 <= operator.index(k) <= n
    except TypeError:
        whole = False
    if not whole:
        raise ValueError(f"{what}: the count must be a whole number from 0 to n={n}, got {k!r}")


def binomial_pmf(k: int, n: int, p: float) -> float:
    if not 0 <= k <= n:
        return 0.0
    if p <= 0.0:
        return 1.0 if k == 0 else 0.0
    if p >= 1.0:
        return 1.0 if k == n else 0.0
    log = (
        math.lgamma(n + 1)
        - math.lgamma(k + 1)
        - math.lgamma(n - k + 1)
        + k * math.log(p)
        + (n - k) * math.log1p(-p)
    )
    return math.exp(log)


def binomial_test(k: int, n: int, p: float) -> float:
    """Two-sided exact p-value: the probability, under share `p`, of an outcome no more likely
    than `k` of `n` (the "minimum likelihood" method SciPy's binomtest uses)."""
    _check_counts(k, n, "binomial_test")
    if not 0.0 <= p <= 1.0:  # also refuses NaN
        raise ValueError(f"binomial_test: the share p must be from 0.0 to 1.0, got {p!r}")
    observed = binomial_pmf(k, n, p)
    tolerance = observed * (1 + 1e-7)
    included = [q for q in (binomial_pmf(i, n, p) for i in range(n + 1)) if q <= tolerance]
    if len(included) == n + 1:
        return 1.0  # no outcome is more likely than k: exactly 1, not a rounded sum
    return min(1.0, math.fsum(included))


def wilson_interval(k: int, n: int, alpha: float) -> tuple[float, float]:
    """The 1-alpha Wilson score interval for a share observed as `k` of `n`."""
    _check_counts(k, n, "wilson_interval")
    if not 0.0 < alpha < 1.0:  # also refuses NaN
        raise ValueError(f"wilson_interval: alpha must be between 0 and 1, got {alpha!r}")
    z = NormalDist().inv_cdf(1 - alpha / 2)
    share = k / n
    denominator = 1 + z * z / n
    centre = (share + z * z / (2 * n)) / denominator
    half = z * math.sqrt(share * (1 - share) / n + z * z / (4 * n * n)) / denominator
    # At k = 0 (k = n) the bound is 0 (1) exactly; the formula leaves rounding noise there.
    low = 0.0 if k == 0 else max(0.0, centre - half)
    high = 1.0 if k == n else min(1.0, centre + half)
    return low, high


# -- Fisher's exact test ----------------------------------------------------------------------


def _whole(value: object) -> int:
    """`value` as a Python int if it is a whole number (not a bool), else -1."""
    if isinstance(value, bool):
        return -1
    try:
        return operator.index(value)  # type: ignore[arg-type]
    except TypeError:
        return -1


def _check_side(k: int, n: int, what: str) -> tuple[int, int]:
    """`k` failures of `n` requests as Python ints: whole numbers, 0 <= k <= n (n may be 0)."""
    size = _whole(n)
    if size < 0:
        raise ValueError(
            f"fisher_exact_greater: {what}_n must be a whole number of at least 0, got {n!r}"
        )
    count = _whole(k)
    if not 0 <= count <= size:
        raise ValueError(
            f"fisher_exact_greater: {what}_failures must be a whole number from 0 to "
            f"{what}_n={size}, got {k!r}"
        )
    return count, size


def fisher_exact_greater(
    canary_failures: int, canary_n: int, base_failures: int, base_n: int
) -> float:
    """One-sided p-value of Fisher's exact test that the canary fails more often than the base:
    given all the failures, the chance that the canary's requests would hold at least as many
    of them as they did. Exact (no normal approximation), so honest for rare failures too."""
    a, n1 = _check_side(canary_failures, canary_n, "canary")
    b, n2 = _check_side(base_failures, base_n, "base")
    failures = a + b
    lowest, highest = max(0, failures - n2), min(failures, n1)
    if a <= lowest:  # also an empty side and no failures: nothing could have been better
        return 1.0
    # X ~ Hypergeometric: the probabilities relative to the one at the mode, each from its
    # neighbour (P(x + 1) / P(x) is a ratio of small integers), then p = tail / total. The
    # distribution is log-concave, so the terms shrink at least geometrically away from the mode
    # and a walk stops once the rest is below 1e-17 of what it adds to.
    mode = (n1 + 1) * (failures + 1) // (n1 + n2 + 2)
    upper, term, x = [], 1.0, mode  # the terms for mode, mode + 1, ...
    reference = 1.0  # the first term of the tail, once reached (the mode's when a <= mode)
    while True:
        if x == a:
            reference = term
        upper.append(term)
        if x == highest:
            break
        ratio = (failures - x) * (n1 - x) / ((x + 1) * (n2 - failures + x + 1))
        if x >= a and term * ratio <= 1e-17 * (1 - ratio) * reference:
            break
        term *= ratio
        x += 1
        if term == 0.0:
            if x <= a:
                return 0.0  # the tail is below the smallest float
            break
    lower, term, x = [], 1.0, mode  # the terms for mode - 1, mode - 2, ...
    while x > lowest:
        ratio = x * (n2 - failures + x) / ((failures - x + 1) * (n1 - x + 1))
        if term * ratio <= 1e-17 * (1 - ratio):
            break
        term *= ratio
        x -= 1
        lower.append(term)
    if a >= mode:
        tail = math.fsum(upper[a - mode :])
    else:
        tail = math.fsum(upper) + math.fsum(lower[: mode - a])
    return min(1.0, tail / (math.fsum(upper) + math.fsum(lower)))


# -- the Mann-Whitney U test ------------------------------------------------------------------


@dataclass(frozen=True)
class MannWhitney:
    """U: the (canary, base) pairs where the canary's value is larger, ties counting half.
    p_value: P(U >= u) if both samples came from one distribution. exact: from the exact
    distribution of U rather than the normal approximation (also when p = 1 is certain)."""

    u: float
    p_value: float
    exact: bool


def _check_histogram(histogram: Mapping[float, int], what: str) -> dict[float, int]:
    """{value: count} with real, non-NaN values and whole counts >= 0; zero counts dropped."""
    if not isinstance(histogram, Mapping):
        raise ValueError(
            f"mann_whitney_greater: {what} must be a histogram {{value: count}}, "
            f"got {type(histogram).__name__}"
        )
    checked: dict[float, int] = {}
    for value, count in histogram.items():
        if not isinstance(value, numbers.Real) or isinstance(value, bool) or math.isnan(value):
            raise ValueError(
                f"mann_whitney_greater: {what} values must be numbers (not NaN), got {value!r}"
            )
        whole = _whole(count)
        if whole < 0:
            raise ValueError(
                f"mann_whitney_greater: {what} counts must be whole numbers of at least 0, "
                f"got {count!r} for {value!r}"
            )
        if whole:
            checked[value] = whole
    return checked


def mann_whitney_greater(canary: Mapping[float, int], base: Mapping[float, int]) -> MannWhitney:
    """One-sided Mann-Whitney U test that the canary's values tend to be larger than the base's
    (latencies: slower), from two histograms {value: count}. Rank-based, so it needs no
    assumption about the shape of the distribution and a few outliers cannot sway it."""
    ours, theirs = _check_histogram(canary, "canary"), _check_histogram(base, "base")
    n1, n2 = sum(ours.values()), sum(theirs.values())
    if not n1 or not n2:
        return MannWhitney(0.0, 1.0, True)
    # Twice U and the tie term sum(t^3 - t) in integers, over the merged distinct values.
    twice_u = ties = below = 0  # below: the base's values smaller than the current one
    for value in sorted(ours.keys() | theirs.keys()):
        c, b = ours.get(value, 0), theirs.get(value, 0)
        twice_u += c * (2 * below + b)
        below += b
        ties += (c + b) ** 3 - (c + b)
    if not ties and n1 * n2 <= 10_000:
        return MannWhitney(twice_u / 2, _mann_whitney_exact(twice_u // 2, n1, n2), True)
    if ties == (n1 + n2) ** 3 - (n1 + n2):  # one value for all: U = n1 n2 / 2 for any split
        return MannWhitney(twice_u / 2, 1.0, True)
    return MannWhitney(twice_u / 2, _mann_whitney_normal(twice_u, n1, n2, ties), False)


def _mann_whitney_exact(u: int, n1: int, n2: int) -> float:
    """P(U >= u) over the C(n1 + n2, n1) equally likely orders of the untied pooled values.
    The orders with U = k number the coefficient of q^k in the Gaussian binomial
    [n1 + n2 choose n1]_q, which is what the classic recursion on (n1, n2, u) builds; here as
    the product of (1 - q^(n - s + i)) / (1 - q^i), i = 1..s = min(n1, n2), in integers (so
    exact), and only up to the degree needed: U is symmetric about n1 n2 / 2, so the smaller of
    P(U <= n1 n2 - u) and 1 - P(U <= u - 1) is the one counted."""
    if u <= 0:
        return 1.0
    if u > n1 * n2:
        return 0.0
    degree, complement = n1 * n2 - u, False
    if degree > u - 1:
        degree, complement = u - 1, True
    n, s = n1 + n2, min(n1, n2)
    counts = [1] + [0] * degree  # truncated at q^degree: the terms above it never come back
    for i in range(1, min(s, degree) + 1):
        step = n - s + i
        if step <= degree:  # times (1 - q^step)
            counts[step:] = map(operator.sub, counts[step:], counts[: degree + 1 - step])
        for start in range(i):  # divided by (1 - q^i): running sums along every i-th power
            counts[start::i] = itertools.accumulate(counts[start::i])
    total = math.comb(n, n1)
    at_most = sum(counts)
    return (total - at_most if complement else at_most) / total


def _mann_whitney_normal(twice_u: int, n1: int, n2: int, ties: int) -> float:
    """P(U >= u) by the normal approximation, with the variance corrected for ties (`ties` is
    sum(t^3 - t) over the tied groups) and a continuity correction of 1/2."""
    n = n1 + n2
    spread = n1 * n2 * ((n + 1) * n * (n - 1) - ties)  # 12 n (n - 1) sigma^2, exactly
    if spread <= 0:
        return 1.0
    sigma = math.sqrt(spread / (12 * n * (n - 1)))
    z = (twice_u - n1 * n2 - 1) / (2 * sigma)
    return 0.5 * math.erfc(z / math.sqrt(2))
