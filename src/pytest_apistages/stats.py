"""The statistics behind `assert_canary_ratio`: an exact two-sided binomial test and the Wilson
score interval, in plain Python (no SciPy needed for a few thousand samples)."""

from __future__ import annotations

import math
from statistics import NormalDist


def binomial_pmf(k: int, n: int, p: float) -> float:
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
    if n <= 0:
        raise ValueError("binomial_test needs at least one sample")
    observed = binomial_pmf(k, n, p)
    tolerance = observed * (1 + 1e-7)
    total = sum(q for q in (binomial_pmf(i, n, p) for i in range(n + 1)) if q <= tolerance)
    return min(1.0, total)


def wilson_interval(k: int, n: int, alpha: float) -> tuple[float, float]:
    """The 1-alpha Wilson score interval for a share observed as `k` of `n`."""
    z = NormalDist().inv_cdf(1 - alpha / 2)
    share = k / n
    denominator = 1 + z * z / n
    centre = (share + z * z / (2 * n)) / denominator
    half = z * math.sqrt(share * (1 - share) / n + z * z / (4 * n * n)) / denominator
    return max(0.0, centre - half), min(1.0, centre + half)
