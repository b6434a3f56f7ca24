"""Canary analysis: is the canary worse than the base, by more than an allowance, beyond chance?

Each comparison has an effect (how much worse) and an exact or well-established one-sided test
(is it worse at all): Fisher's exact test for the 5XX and 4XX rates, the Mann-Whitney U test
for latencies, as Kayenta judges a canary. A comparison fails only when both say so: the
effect exceeds its allowance and the test rejects at `alpha / 3` (Bonferroni over the three
comparisons, so identical base and canary fail with probability at most `alpha`)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from ..stats import fisher_exact_greater, mann_whitney_greater
from .metrics import Latencies, Tally
from .records import Invocation

HEALTH_DEFAULTS: Mapping[str, float] = {
    "max_5xx_increase": 0.01,  # one percentage point more 5XX than the base
    "max_4xx_increase": 0.05,
    "max_latency_ratio": 1.5,  # the canary's p99 latency at most 1.5x the base's
    "alpha": 0.05,
    "min_requests": 50,  # on each side
}
PASS, FAIL, INSUFFICIENT = "pass", "fail", "insufficient"


def health_settings(health: Mapping[str, Any] | None) -> dict[str, float]:
    """The allowances with their defaults, refusing a keyword that is none of them."""
    given = dict(health or {})
    unknown = [k for k in given if k not in HEALTH_DEFAULTS]
    if unknown:
        raise TypeError(f"unknown health setting {unknown[0]!r}; use {', '.join(HEALTH_DEFAULTS)}")
    settings = {**HEALTH_DEFAULTS, **given}
    if not 0 < settings["alpha"] < 1:
        raise ValueError(f"alpha must be between 0 and 1, got {settings['alpha']!r}")
    if settings["min_requests"] < 1:
        raise ValueError(f"min_requests must be at least 1, got {settings['min_requests']!r}")
    return settings


@dataclass(frozen=True)
class Side:
    """One side's traffic: requests, error counts and rates, latency percentiles (ms)."""

    requests: int
    errors_4xx: int
    errors_5xx: int
    latency: tuple[float, float, float]  # p50, p90, p99
    integration_latency: tuple[float, float, float]
    latencies: Latencies = field(repr=False, compare=False)

    @classmethod
    def of(cls, tally: Tally) -> Side:
        return cls(
            tally.count,
            tally.error_4xx,
            tally.error_5xx,
            _percentiles(tally.latency),
            _percentiles(tally.integration_latency),
            tally.latency,
        )

    @property
    def rate_4xx(self) -> float:
        return self.errors_4xx / self.requests if self.requests else 0.0

    @property
    def rate_5xx(self) -> float:
        return self.errors_5xx / self.requests if self.requests else 0.0


@dataclass(frozen=True)
class Comparison:
    """One metric, base beside canary: the effect, the allowance, the test and its verdict."""

    metric: str
    base: float
    canary: float
    effect: float  # a rate's increase, or a latency's ratio
    allowance: float
    test: str
    p_value: float
    verdict: str

    def line(self, alpha: float) -> str:
        rate = self.metric.endswith("rate")
        shown = f"{self.effect:+.2%}" if rate else f"{self.effect:.2f}x"
        limit = f"{self.allowance:+.2%}" if rate else f"{self.allowance:.2f}x"
        return (
            f"{self.metric}: {shown} (allowed {limit}), {self.test} p = {self.p_value:.3g} "
            f"(alpha/3 = {alpha / 3:.3g}): {self.verdict}"
        )


@dataclass(frozen=True)
class CanaryReport:
    """Base and canary side by side, each comparison judged; `str()` is a small table."""

    stage: str
    base: Side
    canary: Side
    comparisons: tuple[Comparison, ...]
    alpha: float
    min_requests: int

    @property
    def verdict(self) -> str:
        """`healthy`, `unhealthy` (a comparison failed) or `insufficient` (too few requests)."""
        verdicts = {c.verdict for c in self.comparisons}
        if FAIL in verdicts:
            return "unhealthy"
        return "insufficient" if INSUFFICIENT in verdicts else "healthy"

    @property
    def healthy(self) -> bool:
        return self.verdict == "healthy"

    @property
    def needed(self) -> int:
        """How many more requests the side with fewer needs before a verdict."""
        return max(0, self.min_requests - min(self.base.requests, self.canary.requests))

    def text(self) -> str:
        b, c = self.base, self.canary
        rows = [
            ("", "base", "canary"),
            ("requests", str(b.requests), str(c.requests)),
            ("5XX", _rate(b.errors_5xx, b.rate_5xx), _rate(c.errors_5xx, c.rate_5xx)),
            ("4XX", _rate(b.errors_4xx, b.rate_4xx), _rate(c.errors_4xx, c.rate_4xx)),
            ("latency p50/p90/p99 ms", _ms(b.latency), _ms(c.latency)),
            ("integration p50/p90/p99", _ms(b.integration_latency), _ms(c.integration_latency)),
        ]
        widths = [max(len(row[i]) for row in rows) for i in range(3)]
        lines = [f"canary analysis of stage {self.stage}: {self.verdict}"]
        lines += [
            f"  {a.ljust(widths[0])}  {b.rjust(widths[1])}  {c.rjust(widths[2])}"
            for a, b, c in rows
        ]
        for comparison in self.comparisons:
            lines.append(f"  {comparison.line(self.alpha)}")
        if self.verdict == "insufficient":
            lines.append(
                f"  needs {self.needed} more requests on the side with fewer "
                f"(min_requests={self.min_requests})"
            )
        return "\n".join(lines)

    __str__ = text


def tally_of(records: Iterable[Invocation]) -> Tally:
    tally = Tally()
    for r in records:
        tally.add(r.status, r.latency_ms, r.integration_latency_ms, r.cache_hit, r.cache_miss)
    return tally


def compare(
    stage: str, base: Tally, canary: Tally, health: Mapping[str, Any] | None
) -> CanaryReport:
    """Judge the canary against the base under the allowances (`health_settings`)."""
    settings = health_settings(health)
    alpha, least = settings["alpha"], int(settings["min_requests"])
    b, c = Side.of(base), Side.of(canary)
    enough = min(b.requests, c.requests) >= least
    level = alpha / 3
    comparisons = []
    for metric, key, b_errors, c_errors in (
        ("5XX rate", "max_5xx_increase", b.errors_5xx, c.errors_5xx),
        ("4XX rate", "max_4xx_increase", b.errors_4xx, c.errors_4xx),
    ):
        b_rate = b_errors / b.requests if b.requests else 0.0
        c_rate = c_errors / c.requests if c.requests else 0.0
        p = fisher_exact_greater(c_errors, c.requests, b_errors, b.requests)
        effect = c_rate - b_rate
        verdict = _verdict(enough, effect > settings[key] and p < level)
        comparisons.append(
            Comparison(metric, b_rate, c_rate, effect, settings[key], "Fisher exact", p, verdict)
        )
    b_p99, c_p99 = b.latency[2], c.latency[2]
    ratio = c_p99 / b_p99 if b_p99 > 0 else (1.0 if c_p99 == 0 else float("inf"))
    test = mann_whitney_greater(canary.latency.values(), base.latency.values())
    verdict = _verdict(enough, ratio > settings["max_latency_ratio"] and test.p_value < level)
    comparisons.append(
        Comparison(
            "latency p99",
            b_p99,
            c_p99,
            ratio,
            settings["max_latency_ratio"],
            "Mann-Whitney U",
            test.p_value,
            verdict,
        )  # fmt: skip
    )
    return CanaryReport(stage, b, c, tuple(comparisons), alpha, least)


def _verdict(enough: bool, worse: bool) -> str:
    if not enough:
        return INSUFFICIENT
    return FAIL if worse else PASS


def _percentiles(latencies: Latencies) -> tuple[float, float, float]:
    if not latencies.count:
        return (0.0, 0.0, 0.0)
    return (latencies.percentile(50), latencies.percentile(90), latencies.percentile(99))


def _rate(count: int, rate: float) -> str:
    return f"{count} ({rate:.1%})"


def _ms(values: tuple[float, float, float]) -> str:
    return "/".join(f"{v:.1f}" for v in values)
