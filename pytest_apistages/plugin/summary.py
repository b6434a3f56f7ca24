"""The end-of-run table: per stage, requests, canary share configured vs observed, errors,
throttled requests and cache hits.
Workers of pytest-xdist send theirs to the controller as plain dicts, which add up."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from typing import Any

from ..observe.metrics import bucket, histogram_percentile
from ..observe.records import Invocation


@dataclass
class StageTotals:
    requests: int = 0
    errors_4xx: int = 0
    errors_5xx: int = 0
    canary_eligible: int = 0  # requests sent while the stage had a canary
    canary_served: int = 0
    canary_expected: float = 0.0  # sum of the configured shares of those requests
    throttled: int = 0
    cache_hits: int = 0
    # while a canary was set: each side's 5XX count and latency histogram (9-bit buckets)
    canary_5xx: int = 0
    base_requests: int = 0
    base_5xx: int = 0
    base_latency: dict[int, int] = field(default_factory=dict)
    canary_latency: dict[int, int] = field(default_factory=dict)

    def add(self, record: Invocation) -> None:
        self.requests += 1
        self.errors_4xx += 400 <= record.status < 500
        self.errors_5xx += record.status >= 500
        self.throttled += record.throttled
        self.cache_hits += record.cache_hit
        if record.canary_percent is not None:
            self.canary_eligible += 1
            self.canary_served += record.canary
            self.canary_expected += record.canary_percent / 100
            histogram = self.canary_latency if record.canary else self.base_latency
            key = bucket(record.latency_ms)
            histogram[key] = histogram.get(key, 0) + 1
            if record.canary:
                self.canary_5xx += record.status >= 500
            else:
                self.base_requests += 1
                self.base_5xx += record.status >= 500

    def merge(self, other: dict[str, Any]) -> None:
        for f in fields(self):
            mine, theirs = getattr(self, f.name), other[f.name]
            if isinstance(mine, dict):
                for key, count in theirs.items():
                    mine[int(key)] = mine.get(int(key), 0) + count
            else:
                setattr(self, f.name, mine + theirs)

    def canary_line(self, name: str) -> str | None:
        """The canary's 5XX rate and p99 latency beside the base's, while it was set."""
        served = self.canary_served
        if not served:
            return None
        base, canary = (
            histogram_percentile(self.base_latency, 99),
            histogram_percentile(self.canary_latency, 99),
        )
        base_rate = self.base_5xx / self.base_requests if self.base_requests else 0.0
        return (
            f"  {name}: canary 5XX {self.canary_5xx / served:.1%} of {served}, p99 "
            f"{canary:.1f} ms; base 5XX {base_rate:.1%} of {self.base_requests}, p99 {base:.1f} ms"
        )


class RunSummary:
    """Totals per stage over every gateway the run's tests used."""

    def __init__(self) -> None:
        self.stages: dict[str, StageTotals] = {}

    def add(self, record: Invocation) -> None:
        if record.deployment_id is not None:  # requests to an unknown stage have no stage
            self.stages.setdefault(record.stage, StageTotals()).add(record)

    def to_dict(self) -> dict[str, dict[str, Any]]:
        return {name: asdict(totals) for name, totals in self.stages.items()}

    def merge(self, data: dict[str, dict[str, Any]]) -> None:
        for name, totals in data.items():
            self.stages.setdefault(name, StageTotals()).merge(totals)

    def lines(self) -> list[str]:
        rows = [
            ("stage", "requests", "canary configured", "canary observed", "4XX", "5XX",
             "throttled", "cache hits")
        ]  # fmt: skip
        for name, t in sorted(self.stages.items()):
            configured = observed = "-"
            if t.canary_eligible:
                configured = f"{t.canary_expected / t.canary_eligible:.1%}"
                observed = f"{t.canary_served / t.canary_eligible:.1%} of {t.canary_eligible}"
            rows.append(
                (name, str(t.requests), configured, observed, str(t.errors_4xx),
                 str(t.errors_5xx), str(t.throttled), str(t.cache_hits))
            )  # fmt: skip
        widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
        canaries = [line for n, t in sorted(self.stages.items()) if (line := t.canary_line(n))]
        table = [
            "  ".join(
                cell.ljust(w) if i == 0 else cell.rjust(w)
                for i, (cell, w) in enumerate(zip(row, widths, strict=True))
            )  # fmt: skip
            for row in rows
        ]
        if canaries:
            table += ["canary beside base (while a canary was set):", *canaries]
        return table
