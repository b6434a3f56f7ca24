"""Measuring side by side, and the rows the suite prints.

Why interleaved rounds and medians: on a shared 2-core machine the speed of the same code can
drift by tens of percent within a minute (frequency scaling, other tenants, the garbage
collector's rhythm, caches warming). Timing side A for ten seconds and then side B for ten
seconds puts that drift into the ratio. Instead every comparison runs in rounds, and each round
runs every side once, for the same number of calls, in alternating order (A B, then B A, ...),
so slow and fast moments hit all sides alike. The per-round costs are summarised by their
median, which ignores the odd round that a pause or another process spoiled, where a mean
would absorb it."""

from __future__ import annotations

import gc
import os
import resource
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field

Call = Callable[[], object]


@dataclass(frozen=True)
class Side:
    """One side of a comparison: the call to time, and a context it runs in (entered once per
    round, outside the timer: an interception, a mock)."""

    call: Call
    context: Callable[[], AbstractContextManager[object]] = field(default=nullcontext)


@dataclass(frozen=True)
class Row:
    """One printed line: what the gateway measured, what it is compared with, the verdict.

    `ratio` is always gateway / baseline (of costs, or of throughputs); `limit` is the target
    on the ratio, or on `value` when there is no baseline; `higher_is_better` says which side
    of the limit passes, `strict` whether the limit itself fails ("under 50 MB")."""

    label: str
    value: float | None
    unit: str
    baseline: float | None = None
    limit: float | None = None
    higher_is_better: bool = False
    note: str = ""
    skip_reason: str = ""
    stretch: float | None = None
    strict: bool = False

    @property
    def ratio(self) -> float | None:
        if self.value is None or self.baseline is None or self.baseline == 0:
            return None
        return self.value / self.baseline

    @property
    def measured(self) -> float | None:
        """What the limit applies to: the ratio when there is a baseline, else the value."""
        return self.ratio if self.baseline is not None else self.value

    @property
    def verdict(self) -> str:
        if self.skip_reason or self.measured is None or self.limit is None:
            return "SKIP"
        return "PASS" if self._meets(self.limit) else "MISS"

    def _meets(self, limit: float) -> bool:
        assert self.measured is not None
        if self.strict:
            return self.measured > limit if self.higher_is_better else self.measured < limit
        return self.measured >= limit if self.higher_is_better else self.measured <= limit

    @property
    def target(self) -> str:
        if self.limit is None:
            return "-"
        sign = (">" if self.higher_is_better else "<") + ("" if self.strict else "=")
        unit = "x" if self.baseline is not None else f" {self.unit}"
        text = f"{sign} {self.limit:g}{unit}"
        if self.stretch is not None:
            met = "met" if self.measured is not None and self._meets(self.stretch) else "not met"
            text += f" (stretch {self.stretch:g}x {met})"
        return text


COLUMNS = f"{'row':<44} {'gateway':>14} {'baseline':>14} {'ratio':>7}  {'target':<28} result"


def format_row(row: Row) -> str:
    def amount(x: float | None) -> str:
        return "-" if x is None else f"{_number(x)} {row.unit}"

    ratio = "-" if row.ratio is None else f"{row.ratio:.3f}x"
    line = (
        f"{row.label:<44} {amount(row.value):>14} {amount(row.baseline):>14} {ratio:>7}  "
        f"{row.target:<28} {row.verdict}"
    )
    if row.skip_reason:
        line += f"  ({row.skip_reason})"
    return line


def _number(x: float) -> str:
    if abs(x) >= 1000:
        return f"{x:,.0f}"
    if abs(x) >= 100:
        return f"{x:.0f}"
    return f"{x:.1f}" if abs(x) >= 10 else f"{x:.2f}"


def interleaved_costs(sides: Sequence[Side], *, rounds: int, round_seconds: float) -> list[float]:
    """Median seconds per call of each side, over `rounds` interleaved rounds.

    Each round runs every side the same number of calls, chosen once so that the slowest side
    takes about `round_seconds` per round; the order of the sides alternates between rounds.
    Every side is warmed up first (imports, caches, lazily built routers)."""
    slowest = 0.0
    for side in sides:
        with side.context():
            _time(side.call, 20)
            slowest = max(slowest, _time(side.call, 20) / 20)
    calls = max(10, int(round_seconds / slowest))

    def one_round(side: Side) -> Callable[[], float]:
        def measure() -> float:
            with side.context():
                return _time(side.call, calls) / calls

        return measure

    return interleaved_rounds([one_round(side) for side in sides], rounds=rounds)


def interleaved_rounds(sides: Sequence[Callable[[], float]], *, rounds: int) -> list[float]:
    """Median of per-round measurements; each side measures one whole round when called (a
    batch of calls, a throughput window, a deploy-and-request cycle)."""
    per_round: list[list[float]] = [[] for _ in sides]
    for r in range(rounds):
        order = range(len(sides)) if r % 2 == 0 else reversed(range(len(sides)))
        for i in order:
            per_round[i].append(sides[i]())
    return [statistics.median(values) for values in per_round]


def _time(call: Call, n: int) -> float:
    start = time.perf_counter()
    for _ in range(n):
        call()
    return time.perf_counter() - start


def rss_mb() -> float:
    """Resident set size of this process now, after a full collection (Linux: /proc; elsewhere
    the peak, which only grows, so growth is still bounded by it)."""
    gc.collect()
    try:
        with open("/proc/self/statm") as f:
            pages = int(f.read().split()[1])
        return pages * os.sysconf("SC_PAGE_SIZE") / 2**20
    except (OSError, ValueError):
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        return peak / 2**20 if sys.platform == "darwin" else peak / 2**10
