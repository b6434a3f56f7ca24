"""CloudWatch-style metrics for a stage (namespace AWS/ApiGateway), computed from the
invocation records so the counts can never disagree with what was served."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from .records import Invocation


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
    def of(cls, values: Sequence[float]) -> Statistics:
        if not values:
            return cls(0, 0.0, 0.0, 0.0, 0.0, 0.0)
        ordered = sorted(values)
        return cls(
            len(ordered),
            sum(ordered) / len(ordered),
            ordered[0],
            ordered[-1],
            _percentile(ordered, 50),
            _percentile(ordered, 99),
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

    @classmethod
    def of(cls, records: Iterable[Invocation]) -> Metrics:
        records = list(records)
        return cls(
            count=len(records),
            error_4xx=sum(1 for r in records if 400 <= r.status < 500),
            error_5xx=sum(1 for r in records if r.status >= 500),
            latency=Statistics.of([r.latency_ms for r in records]),
            integration_latency=Statistics.of(
                [r.integration_latency_ms for r in records if r.integration_latency_ms]
            ),
            cache_hit_count=sum(1 for r in records if r.cache_hit),
            cache_miss_count=sum(1 for r in records if r.cache_miss),
        )

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


def _percentile(ordered: Sequence[float], p: float) -> float:
    """Nearest-rank percentile, as CloudWatch's pNN statistics approximate."""
    rank = max(1, -(-len(ordered) * p // 100))
    return ordered[int(rank) - 1]
