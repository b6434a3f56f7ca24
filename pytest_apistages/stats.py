"""The statistics behind `assert_canary_ratio`: an exact two-sided binomial test and the Wilson
score interval, in plain Python (no SciPy needed for a few thousand samples)."""

from __future__ import annotations

import math
import operator
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
