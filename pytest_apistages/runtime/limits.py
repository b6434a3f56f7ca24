"""Token buckets and quota windows, on the gateway's clock. The limiter's own lock guards them,
so counts hold under the threaded server."""

from __future__ import annotations

import calendar
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace

# Epoch timestamps (about 1.8e9 s) carry float noise of a few 1e-7 s, so `advance(0.1)` moves
# the clock by 0.09999990463... s. Elapsed time is rounded to the microsecond and a token counts
# as whole within _TOKEN_SLACK, so `rate` tokens per second means exactly that.
_TIME_DIGITS = 6
_TOKEN_SLACK = 1e-9


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
            elapsed = round(now - self.updated, _TIME_DIGITS)
            self.tokens = min(float(self.burst), self.tokens + elapsed * self.rate)
        self.updated = max(self.updated, now)

    def can_take(self, now: float) -> bool:
        self.refill(now)
        return self.tokens >= 1.0 - _TOKEN_SLACK

    def take(self) -> None:
        self.tokens = max(0.0, self.tokens - 1.0)

    def reconfigure(self, rate: float, burst: int, since: float) -> None:
        """New limits, set at `since`: the time before refills at the old rate (not
        retroactively at the new one), and tokens above the new burst are dropped."""
        self.refill(since)
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


@dataclass(frozen=True)
class Level:
    """One token bucket a request must take from: its key, its limits, and when those limits
    were set if known (else the limiter learns of a change only at the next request)."""

    key: tuple[str, ...]
    rate: float
    burst: int
    since: float | None = None


class Limiter:
    """Every bucket and quota counter of one gateway, created on first use; safe to call from
    the live server's threads."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._buckets: dict[tuple[str, ...], TokenBucket] = {}
        self._quotas: dict[tuple[str, ...], tuple[float, int]] = {}

    def admit(self, levels: Sequence[Level], now: float) -> Level | None:
        """Take a token at every level, or none: the first empty level is returned."""
        with self._lock:
            return self._admit(levels, now)

    def _admit(self, levels: Sequence[Level], now: float) -> Level | None:
        buckets = []
        for level in levels:
            bucket = self._buckets.get(level.key)
            if bucket is None:
                bucket = self._buckets[level.key] = TokenBucket.full(level.rate, level.burst, now)
            elif (bucket.rate, bucket.burst) != (level.rate, level.burst):
                since = now if level.since is None else min(level.since, now)
                bucket.reconfigure(level.rate, level.burst, since)
            if not bucket.can_take(now):
                return level
            buckets.append(bucket)
        for bucket in buckets:
            bucket.take()
        return None

    @contextmanager
    def unchanged(self) -> Iterator[None]:
        """Whatever is admitted or counted inside, every bucket and quota is left as it was
        (for a measurement, such as assert_canary_ratio's sample, that must not spend them)."""
        with self._lock:
            buckets = {key: replace(bucket) for key, bucket in self._buckets.items()}
            quotas = dict(self._quotas)
        try:
            yield
        finally:
            with self._lock:
                self._buckets, self._quotas = buckets, quotas

    def count(self, key: tuple[str, ...], limit: int, period: str, now: float) -> bool:
        """Count one request against a quota; False (and not counted) once it is used up."""
        window = quota_window(period, now)
        with self._lock:
            started, used = self._quotas.get(key, (window, 0))
            if started != window:
                used = 0
            if used >= limit:
                return False
            self._quotas[key] = (window, used + 1)
            return True
