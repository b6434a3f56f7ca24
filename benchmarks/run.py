"""The performance targets of pytest-apistages, each measured side by side in one run.

    python3 benchmarks/run.py            # the full suite, under 3 minutes on 2 cores
    python3 benchmarks/run.py --quick    # a ~20 s smoke run (fewer rounds, shorter windows)

Each comparison runs its sides in interleaved rounds and reports the median per-round cost
(see harness.py for why). Each row prints the gateway's figure, the baseline's, their ratio,
the target and PASS, MISS or SKIP; notes under the table say how rows were measured."""

from __future__ import annotations

import argparse
import datetime
import os
import platform
import sys
import time
from importlib import metadata

from harness import COLUMNS, Row, format_row
from rows import FULL, QUICK, ROWS, Plan, deploy_latency_row, deploy_memory_row, request_memory_row

FULL_BUDGET_S = 170.0  # the whole run: the memory rows get what the others leave
QUICK_BUDGET_S = 19.0
DEPLOY_MEMORY_SHARE = 0.3  # of the time left for the two memory rows
SPAWN_S = 1.5  # starting a fresh interpreter and importing the package, per memory row


def machine() -> str:
    cpu = "unknown CPU"
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next(line.split(":", 1)[1].strip() for line in f if line.startswith("model name"))
    except (OSError, StopIteration):
        cpu = platform.processor() or cpu
    versions = ", ".join(
        f"{name} {_version(name)}" for name in ("werkzeug", "requests", "responses", "moto")
    )
    return (
        f"{datetime.date.today()}  {os.cpu_count()} cores ({cpu}), Python "
        f"{platform.python_version()}, {versions}"
    )


def _version(name: str) -> str:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return "absent"


def run(plan: Plan, deadline: float) -> list[Row]:
    """Every row, printed as it completes; the memory rows stop by `deadline` (perf_counter)."""
    rows: list[Row] = []

    def emit(new: list[Row]) -> None:
        for row in new:
            print(format_row(row), flush=True)
        rows.extend(new)

    for measure in ROWS:
        emit(measure(plan))
    emit([deploy_latency_row(plan)])
    left = deadline - time.perf_counter() - 2 * SPAWN_S
    emit([deploy_memory_row(max(2.0, left * DEPLOY_MEMORY_SHARE))])
    left = deadline - time.perf_counter() - SPAWN_S
    emit([request_memory_row(plan, max(3.0, left))])
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a ~20 s smoke run")
    args = parser.parse_args(argv)
    plan, budget = (QUICK, QUICK_BUDGET_S) if args.quick else (FULL, FULL_BUDGET_S)
    started = time.perf_counter()  # after the imports, which take about a second
    print(machine())
    print(f"{'quick smoke run' if plan.quick else 'full run'}; us = microseconds per request")
    print(COLUMNS)
    rows = run(plan, started + budget)
    print("\nnotes:")
    for row in rows:
        if row.note:
            print(f"  {row.label}: {row.note}")
    verdicts = [row.verdict for row in rows]
    print(
        f"\n{verdicts.count('PASS')} PASS, {verdicts.count('MISS')} MISS, "
        f"{verdicts.count('SKIP')} SKIP in {time.perf_counter() - started:.0f} s"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
