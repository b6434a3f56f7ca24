"""CloudWatch-style metrics for a stage (namespace AWS/ApiGateway), counted as requests happen:
O(1) per request and per read however many requests were served, and exact for counts, sums,
minimum and maximum. Percentiles come from values kept to 9 significant bits: exact for whole
milliseconds up to 512, else at most 0.4 % low (CloudWatch's percentiles are approximate too)."""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Statistics:
    """The statistics CloudWatch offers for a latency metric, in milliseconds."""

    sample_count: int
    average: float
    minimum: float
    maximum: float
    p50: float
    p99: float

    @classmethod
    def of(cls, values: Iterable[float]) -> Statistics:
        latencies = Latencies()
        for value in values:
            latencies.add(value)
        return latencies.statistics()


@dataclass
class Latencies:
    """A running latency distribution: exact count, sum, minimum and maximum, and a histogram
    of values cut to 9 significant bits for the percentiles (an HDR histogram's idea)."""

    count: int = 0
    total: float = 0.0
    minimum: float = float("inf")
    maximum: float = float("-inf")
    histogram: dict[int, int] = field(default_factory=dict)  # bucket key -> count

    def add(self, value: float) -> None:
        self.count += 1
        self.total += value
        if value < self.minimum:
            self.minimum = value
        if value > self.maximum:
            self.maximum = value
        key = bucket(value)
        self.histogram[key] = self.histogram.get(key, 0) + 1

    def merge(self, other: Latencies) -> None:
        self.count += other.count
        self.total += other.total
        self.minimum = min(self.minimum, other.minimum)
        self.maximum = max(self.maximum, other.maximum)
        for key, count in other.histogram.items():
            self.histogram[key] = self.histogram.get(key, 0) + count

    def values(self) -> dict[float, int]:
        """The histogram as {value: count}, each bucket at its value."""
        return {_value(key): count for key, count in self.histogram.items()}

    def percentile(self, p: float) -> float:
        """Nearest rank, as CloudWatch's pNN statistics approximate; within [min, max]."""
        return min(max(histogram_percentile(self.histogram, p), self.minimum), self.maximum)

    def statistics(self) -> Statistics:
        if not self.count:
            return Statistics(0, 0.0, 0.0, 0.0, 0.0, 0.0)
        return Statistics(
            self.count,
            self.total / self.count,
            self.minimum,
            self.maximum,
            self.percentile(50),
            self.percentile(99),
        )


def histogram_percentile(histogram: dict[int, int], p: float) -> float:
    """The nearest-rank percentile of a bucket histogram (0 when it is empty)."""
    rank = max(1, -(-sum(histogram.values()) * p // 100))
    seen = 0
    for key in sorted(histogram):
        seen += histogram[key]
        if seen >= rank:
            return _value(key)
    return 0.0


def bucket(value: float) -> int:
    """An ordered key for `value` (>= 0): its binary exponent, then 9 bits of mantissa."""
    if value <= 0:
        return 0
    mantissa, exponent = math.frexp(value)
    return (exponent + 1100) * 512 + int(mantissa * 512)


def _value(key: int) -> float:
    exponent, mantissa = divmod(key, 512)
    return math.ldexp(mantissa, exponent - 1100 - 9) if key else 0.0


@dataclass
class Tally:
    """The running counts behind one `Metrics` (a stage, its canary, or one method)."""

    count: int = 0
    error_4xx: int = 0
    error_5xx: int = 0
    cache_hits: int = 0
    cache_misses: int = 0
    latency: Latencies = field(default_factory=Latencies)
    integration_latency: Latencies = field(default_factory=Latencies)

    def add(
        self, status: int, latency_ms: float, integration_ms: float, hit: bool, miss: bool
    ) -> None:
        self.count += 1
        if status >= 500:
            self.error_5xx += 1
        elif status >= 400:
            self.error_4xx += 1
        self.cache_hits += hit
        self.cache_misses += miss
        self.latency.add(latency_ms)
        if integration_ms:
            self.integration_latency.add(integration_ms)

    def merge(self, other: Tally) -> None:
        self.count += other.count
        self.error_4xx += other.error_4xx
        self.error_5xx += other.error_5xx
        self.cache_hits += other.cache_hits
        self.cache_misses += other.cache_misses
        self.latency.merge(other.latency)
        self.integration_latency.merge(other.integration_latency)

    def metrics(self) -> Metrics:
        return Metrics(
            self.count,
            self.error_4xx,
            self.error_5xx,
            self.latency.statistics(),
            self.integration_latency.statistics(),
            self.cache_hits,
            self.cache_misses,
        )


@dataclass(frozen=True)
class Metrics:
    """Count, 4XXError, 5XXError, Latency, IntegrationLatency, CacheHitCount and CacheMissCount
    for one stage (or its canary, or one method)."""

    count: int
    error_4xx: int
    error_5xx: int
    latency: Statistics
    integration_latency: Statistics
    cache_hit_count: int = 0
    cache_miss_count: int = 0

    def as_cloudwatch(self) -> dict[str, float]:
        """The same figures under CloudWatch's metric names (Sum, or Average for latencies)."""
        return {
            "Count": self.count,
            "4XXError": self.error_4xx,
            "5XXError": self.error_5xx,
            "Latency": self.latency.average,
            "IntegrationLatency": self.integration_latency.average,
            "CacheHitCount": self.cache_hit_count,
            "CacheMissCount": self.cache_miss_count,
        }
