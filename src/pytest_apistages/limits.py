"""Token buckets and quota windows, on the gateway's clock. The gateway's lock guards them, so
counts hold under the threaded server."""

from __future__ import annotations

import calendar
import time
from collections.abc import Sequence
from dataclasses import dataclass


@dataclass
class TokenBucket:
    """API Gateway's throttle: `burst` tokens, refilled at `rate` per second; one per request."""

    rate: float
    burst: int
    tokens: float
    updated: float

    @classmethod
    def full(cls, rate: float, burst: int, now: float) -> TokenBucket:
        return cls(rate, burst, float(burst), now)

    def refill(self, now: float) -> None:
        if now > self.updated:
            self.tokens = min(float(self.burst), self.tokens + (now - self.updated) * self.rate)
        self.updated = max(self.updated, now)

    def can_take(self, now: float) -> bool:
        self.refill(now)
        return self.tokens >= 1.0

    def take(self) -> None:
        self.tokens -= 1.0

    def reconfigure(self, rate: float, burst: int) -> None:
        """New limits apply at once; tokens above the new burst are dropped."""
        self.rate, self.burst = rate, burst
        self.tokens = min(self.tokens, float(burst))


def quota_window(period: str, now: float) -> float:
    """The start (epoch seconds, UTC) of the quota period containing `now`: DAY at midnight
    UTC, WEEK on Monday, MONTH on the 1st (the week's first day is our choice)."""
    t = time.gmtime(now)
    midnight = calendar.timegm((t.tm_year, t.tm_mon, t.tm_mday, 0, 0, 0))
    if period == "DAY":
        return float(midnight)
    if period == "WEEK":
        return float(midnight - t.tm_wday * 86400)
    return float(calendar.timegm((t.tm_year, t.tm_mon, 1, 0, 0, 0)))


class Limiter:
    """Every bucket and quota counter of one gateway, created on first use. Call under the
    gateway's lock."""

    def __init__(self) -> None:
        self._buckets: dict[tuple[str, ...], TokenBucket] = {}
        self._quotas: dict[tuple[str, ...], tuple[float, int]] = {}

    def admit(
        self, levels: Sequence[tuple[tuple[str, ...], float, int]], now: float
    ) -> tuple[str, ...] | None:
        """Take a token at every level, or none: the first empty level's key is returned."""
        buckets = []
        for key, rate, burst in levels:
            bucket = self._buckets.get(key)
            if bucket is None:
                bucket = self._buckets[key] = TokenBucket.full(rate, burst, now)
            elif (bucket.rate, bucket.burst) != (rate, burst):
                bucket.reconfigure(rate, burst)
            if not bucket.can_take(now):
                return key
            buckets.append(bucket)
        for bucket in buckets:
            bucket.take()
        return None

    def count(self, key: tuple[str, ...], limit: int, period: str, now: float) -> bool:
        """Count one request against a quota; False (and not counted) once it is used up."""
        window = quota_window(period, now)
        started, used = self._quotas.get(key, (window, 0))
        if started != window:
            used = 0
        if used >= limit:
            return False
        self._quotas[key] = (window, used + 1)
        return True

    def used(self, key: tuple[str, ...], period: str, now: float) -> int:
        started, used = self._quotas.get(key, (0.0, 0))
        return used if started == quota_window(period, now) else 0
