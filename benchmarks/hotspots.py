"""Where the gateway spends the time (cProfile) or keeps the memory (tracemalloc) of a row.

    python3 benchmarks/hotspots.py                 # every scenario, top 12 functions
    python3 benchmarks/hotspots.py deploy -n 15    # one scenario
    python3 benchmarks/hotspots.py --memory        # what the memory rows retain, by line

Profiles only the gateway side of a row (the baselines are not ours to speed up)."""

from __future__ import annotations

import argparse
import cProfile
import gc
import pstats
import sys
import time
import tracemalloc
from collections.abc import Callable
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any, cast

import requests
from rows import _responses_callback
from scenarios import (
    EDITED_PATH,
    LAMBDA_PATH,
    MOCK_PATH,
    PETS_PATH,
    bare_app,
    edit_and_deploy,
    editable_gateway,
    http_proxy_gateway,
    lambda_gateway,
)
from werkzeug.test import Client

import pytest_apistages

Workload = Callable[[int], None]  # runs n units of the scenario
FunctionKey = tuple[str, int, str]


def client_get(path: str) -> Workload:
    api = lambda_gateway().client("prod")
    return lambda n: _repeat(lambda: api.get(path), n)


def bare_client_get() -> Workload:
    bare = Client(bare_app)
    return lambda n: _repeat(lambda: bare.get(PETS_PATH), n)


def intercept_get(path: str, http_proxy: bool = False) -> Workload:
    gw = http_proxy_gateway() if http_proxy else lambda_gateway()
    return _session_get(gw.url("prod", path), gw.intercept)


def bare_responses_get() -> Workload:
    url = lambda_gateway().url("prod", MOCK_PATH)
    return _session_get(url, lambda: _responses_callback(url))


def _session_get(url: str, context: Callable[[], AbstractContextManager[Any]]) -> Workload:
    session = requests.Session()

    def run(n: int) -> None:
        with context():
            _repeat(lambda: session.get(url), n)

    return run


def deploy_and_request() -> Workload:
    gw = editable_gateway(300)
    client = gw.client("prod")
    counter = iter(range(1, 10**9))

    def run(n: int) -> None:
        for _ in range(n):
            edit_and_deploy(gw, next(counter))
            client.get(EDITED_PATH)

    return run


def _repeat(call: Callable[[], object], n: int) -> None:
    for _ in range(n):
        call()


# name: (the gateway's workload, the baseline's or None, default units)
SCENARIOS: dict[str, tuple[Callable[[], Workload], Callable[[], Workload] | None, int]] = {
    "client-lambda": (lambda: client_get(LAMBDA_PATH), bare_client_get, 5000),
    "client-mock": (lambda: client_get(MOCK_PATH), bare_client_get, 5000),
    "intercept-mock": (lambda: intercept_get(MOCK_PATH), bare_responses_get, 3000),
    "intercept-lambda": (lambda: intercept_get(LAMBDA_PATH), bare_responses_get, 3000),
    "http-proxy": (lambda: intercept_get(PETS_PATH, http_proxy=True), bare_responses_get, 3000),
    "deploy": (deploy_and_request, None, 30),
}


def profile(name: str, n: int, top: int) -> str:
    """The functions with the most own time (tottime) per unit; with a baseline, ranked by the
    time the gateway side spends beyond the baseline's in the same function."""
    make, make_baseline, default = SCENARIOS[name]
    n = n or default
    ours = _tottime_per_unit(make(), n)
    theirs = _tottime_per_unit(make_baseline(), n) if make_baseline else {}
    collector = gc_per_unit(make(), n)
    extra = {key: t - theirs.get(key, 0.0) for key, t in ours.items()}
    total, base_total = sum(ours.values()), sum(theirs.values())
    head = f"== {name}: {total:.0f} us/unit of own time"
    head += f", baseline {base_total:.0f} us/unit" if theirs else ""
    head += f"; gc {collector:.0f} us/unit unprofiled =="
    lines = [head, f"{'gateway':>9} {'baseline':>9} {'extra':>8}  us/unit  function"]
    for key in sorted(extra, key=extra.__getitem__, reverse=True)[:top]:
        filename, line, function = key
        where = _short_paths(f"{filename}:{line}({function})" if line else function)
        lines.append(f"{ours[key]:9.1f} {theirs.get(key, 0.0):9.1f} {extra[key]:8.1f}  {where}")
    by_module: dict[str, float] = {}
    for (filename, _, function), t in extra.items():
        module = _short_paths(filename) if filename != "~" else function
        by_module[module] = by_module.get(module, 0.0) + t
    ranked = sorted(by_module.items(), key=lambda item: item[1], reverse=True)[:6]
    lines.append("extra by module (us/unit): " + ", ".join(f"{m} {t:.0f}" for m, t in ranked))
    return "\n".join(lines)


def _tottime_per_unit(workload: Workload, n: int) -> dict[FunctionKey, float]:
    """Own time per unit of each function, with the collector off: its pauses would land on
    whichever function happened to allocate (`gc_per_unit` measures them apart)."""
    workload(10)  # warm: routers, imports, caches
    profiler = cProfile.Profile()
    gc.disable()
    try:
        profiler.runcall(workload, n)
    finally:
        gc.enable()
    # {key: (primitive calls, calls, tottime, cumtime, callers)}; undocumented but stable
    stats: dict[FunctionKey, Any] = cast(Any, pstats.Stats(profiler)).stats
    return {key: value[2] / n * 1e6 for key, value in stats.items()}


def gc_per_unit(workload: Workload, n: int) -> float:
    """Microseconds per unit that the cyclic garbage collector ran, unprofiled."""
    spent, started = [0.0], [0.0]

    def track(phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            started[0] = time.perf_counter()
        else:
            spent[0] += time.perf_counter() - started[0]

    workload(10)
    gc.callbacks.append(track)
    try:
        workload(n)
    finally:
        gc.callbacks.remove(track)
    return spent[0] / n * 1e6


def retained(name: str, n: int, top: int) -> str:
    """Memory the gateway side still holds after n units, by the line that allocated it."""
    make, _, default = SCENARIOS[name]
    n = n or default
    workload = make()
    workload(10)
    tracemalloc.start(1)
    before = tracemalloc.take_snapshot()
    workload(n)
    after = tracemalloc.take_snapshot()
    tracemalloc.stop()
    lines = [f"== {name}: retained after {n} units, by line =="]
    for stat in after.compare_to(before, "lineno")[:top]:
        frame = stat.traceback[0]
        where = _short_paths(f"{frame.filename}:{frame.lineno}")
        lines.append(f"{stat.size_diff / 2**20:8.2f} MB {stat.size_diff / n:9.0f} B/unit  {where}")
    return "\n".join(lines)


def _short_paths(text: str) -> str:
    """Paths relative to the import roots: no machine's directories in the output."""
    package_parent = Path(pytest_apistages.__file__).resolve().parent.parent  # editable install
    paths = {str(Path(p).resolve()) for p in sys.path if p} | {str(package_parent)}
    roots = sorted(paths, key=len, reverse=True)
    for root in roots:
        text = text.replace(root + "/", "")
    return text


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("scenarios", nargs="*", help=f"any of {', '.join(SCENARIOS)}")
    parser.add_argument("-n", type=int, default=0, help="units of work (default per scenario)")
    parser.add_argument("--top", type=int, default=12)
    parser.add_argument("--memory", action="store_true", help="tracemalloc instead of cProfile")
    args = parser.parse_args()
    unknown = sorted(set(args.scenarios) - set(SCENARIOS))
    if unknown:
        parser.error(f"unknown scenario {unknown[0]!r} (known: {', '.join(SCENARIOS)})")
    names = args.scenarios or (["client-lambda", "deploy"] if args.memory else list(SCENARIOS))
    for name in names:
        print(retained(name, args.n, args.top) if args.memory else profile(name, args.n, args.top))
        print()


if __name__ == "__main__":
    main()
