"""Memory growth, each measured in a fresh interpreter.

A fresh process has no memory freed by earlier rows that new allocations could silently reuse,
so its RSS growth is the growth of the work itself. RSS (not tracemalloc) because tracemalloc
slows every allocation several times, which a million requests cannot afford; every reading
follows a full `gc.collect()`.

When the work does not fit its time budget it stops early and the growth is extrapolated
linearly to the full count; the result says so."""

from __future__ import annotations

import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from multiprocessing import get_context
from typing import Any

from harness import rss_mb
from scenarios import EDITED_PATH, LAMBDA_PATH, edit_and_deploy, editable_gateway, lambda_gateway


@dataclass(frozen=True)
class Growth:
    planned: int  # units of work after the first reading (1,000 deploys, 1,000,000 requests...)
    done: int  # units actually run before the budget ran out
    growth_mb: float  # RSS growth over the units done
    seconds: float
    records: int  # invocation records the gateway kept at the end

    @property
    def extrapolated(self) -> bool:
        return self.done < self.planned

    @property
    def planned_growth_mb(self) -> float:
        """Growth over all planned units: measured, or extrapolated linearly if cut short."""
        return self.growth_mb * self.planned / self.done


def in_fresh_process(function: Any, *args: Any) -> Growth:
    with ProcessPoolExecutor(max_workers=1, mp_context=get_context("spawn")) as pool:
        result: Growth = pool.submit(function, *args).result()
        return result


def deploy_growth(cycles: int, warmup: int, budget_s: float) -> Growth:
    """Edit one route of a 300-route API, deploy it to prod, serve the new deployment once;
    `cycles` times after `warmup` cycles, within `budget_s` seconds in all."""
    deadline = time.perf_counter() + budget_s
    gw = editable_gateway(300)
    client = gw.client("prod")

    def cycle(n: int) -> None:
        edit_and_deploy(gw, n)
        response = client.get(EDITED_PATH)
        if response.json() != {"n": n}:
            raise RuntimeError(f"deployment {n} served {response.text!r}")

    for n in range(1, warmup + 1):
        cycle(n)
    return _grow(cycle, warmup + 1, cycles, deadline, lambda: len(gw.invocations()))


def request_growth(total: int, fill: int, budget_s: float) -> Growth:
    """GET /lambda/1 on prod through `gw.client`, `total` times in all; the growth is read
    after the first `fill` requests (when bounded buffers, if any, are full); all within
    `budget_s` seconds."""
    deadline = time.perf_counter() + budget_s
    gw = lambda_gateway()
    client = gw.client("prod")

    def request(n: int) -> None:
        client.get(LAMBDA_PATH)

    for n in range(fill):
        request(n)
    return _grow(request, fill, total - fill, deadline, lambda: len(gw.invocations()))


def _grow(step: Any, first: int, planned: int, deadline: float, records: Any) -> Growth:
    """Run `step(n)` for n = first, first + 1, ... `planned` times or until the deadline
    (checked every 1 % of the work, which runs at least once), reading RSS before and after."""
    before = rss_mb()
    began = time.perf_counter()
    done = 0
    chunk = max(1, planned // 100)
    while done < planned and (done == 0 or time.perf_counter() < deadline):
        for n in range(first + done, first + min(done + chunk, planned)):
            step(n)
        done = min(done + chunk, planned)
    return Growth(planned, done, rss_mb() - before, time.perf_counter() - began, records())
