"""Progressive delivery in a test: move traffic to the new version step by step, drive traffic
at each step, judge that step's own requests (`observe.canary`), and end promoted or rolled
back at the first unhealthy step, as a CodeDeploy, Argo Rollouts or Flagger pipeline would."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .errors import BadRequestError
from .observe.canary import CanaryReport, compare, health_settings, tally_of
from .observe.records import Invocation

if TYPE_CHECKING:
    from .clients import StageClient
    from .gateway import Gateway

Traffic = Callable[["StageClient"], object] | Sequence[str]
# The CodeDeploy configurations SAM's DeploymentPreference names (Lambda's, as percents).
_CANARY = re.compile(r"Canary(\d+)Percent(\d+)Minutes?")
_LINEAR = re.compile(r"Linear(\d+)PercentEvery(\d+)Minutes?")
DEFAULT_INTERVAL = 60.0
DEFAULT_REQUESTS = 200


@dataclass(frozen=True)
class RolloutStep:
    percent: float
    report: CanaryReport


@dataclass(frozen=True)
class Rollout:
    """What a rollout did: every step's report and how it ended."""

    subject: str  # the stage, or `function:alias`
    outcome: str  # "promoted" or "rolled back"
    steps: tuple[RolloutStep, ...]

    @property
    def promoted(self) -> bool:
        return self.outcome == "promoted"

    def text(self) -> str:
        lines = [f"rollout of {self.subject}: {self.outcome} after {len(self.steps)} step(s)"]
        for step in self.steps:
            lines.append(f"step {step.percent:g}%: {step.report.verdict}")
            lines += [f"  {line}" for line in step.report.text().splitlines()[1:]]
        return "\n".join(lines)

    __str__ = text


def plan(steps: str | Sequence[float], interval: float | None) -> tuple[list[float], float]:
    """Percents and the seconds between steps, from a list or a CodeDeploy preset name."""
    if isinstance(steps, str):
        canary, linear = _CANARY.fullmatch(steps), _LINEAR.fullmatch(steps)
        if steps == "AllAtOnce":
            percents, minutes = [100.0], 0.0
        elif canary:
            percents, minutes = [float(canary.group(1)), 100.0], float(canary.group(2))
        elif linear:
            step = float(linear.group(1))
            percents = [min(100.0, step * i) for i in range(1, int(-(-100 // step)) + 1)]
            minutes = float(linear.group(2))
        else:
            raise BadRequestError(
                f"unknown deployment preset {steps!r}: use a list of percents, AllAtOnce, "
                f"CanaryNPercentMMinutes (e.g. Canary10Percent5Minutes) or "
                f"LinearNPercentEveryMMinutes (e.g. Linear10PercentEvery1Minute)"
            )
        return percents, interval if interval is not None else minutes * 60
    percents = [float(p) for p in steps]
    if not percents or any(not 0 < p <= 100 for p in percents) or percents != sorted(percents):
        raise BadRequestError(
            f"rollout steps must be rising percents in (0, 100], got {list(steps)!r}"
        )
    return percents, interval if interval is not None else DEFAULT_INTERVAL


def drive(traffic: Traffic, client: StageClient, requests: int) -> None:
    """A callable gets the client; a list of paths is requested in turn, `requests` times."""
    if callable(traffic):
        traffic(client)
        return
    paths = list(traffic)
    if not paths:
        raise BadRequestError("rollout traffic: give paths to request, or a callable")
    for i in range(requests):
        client.get(paths[i % len(paths)])


def run(
    subject: str,
    percents: Iterable[float],
    *,
    shift: Callable[[float], object],
    step: Callable[[], tuple[Iterable[Invocation], Iterable[Invocation]]],
    advance: Callable[[], object],
    health: Mapping[str, Any] | None,
    promote: Callable[[], object],
    roll_back: Callable[[], object],
) -> Rollout:
    """The loop both rollouts share: shift, drive and collect (base, canary), wait, judge."""
    health_settings(health)  # refuse a bad keyword before any traffic moves
    done: list[RolloutStep] = []
    for percent in percents:
        shift(percent)
        base, canary = step()
        advance()
        report = compare(subject, tally_of(base), tally_of(canary), health)
        done.append(RolloutStep(percent, report))
        if report.verdict == "unhealthy":
            roll_back()
            return Rollout(subject, "rolled back", tuple(done))
    promote()
    return Rollout(subject, "promoted", tuple(done))


def stage_rollout(
    gateway: Gateway,
    stage: str,
    *,
    steps: str | Sequence[float],
    traffic: Traffic,
    health: Mapping[str, Any] | None = None,
    interval: float | None = None,
    requests: int = DEFAULT_REQUESTS,
) -> Rollout:
    """`gw.rollout`: the stage's canary, step by step, judged against the stage's base."""
    if gateway.stage(stage).canary is None:
        raise BadRequestError(
            f"stage {stage!r} has no canary to roll out: deploy_canary({stage!r}, percent=0) first"
        )
    percents, seconds = plan(steps, interval)

    def step() -> tuple[list[Invocation], list[Invocation]]:
        with gateway.watch(stage) as seen:
            drive(traffic, gateway.client(stage), requests)
        return [r for r in seen if not r.canary], [r for r in seen if r.canary]

    def promote() -> None:
        gateway.promote_canary(stage)
        gateway.remove_canary(stage)

    return run(
        stage, percents,
        shift=lambda percent: gateway.update_canary(stage, percent=percent),
        step=step,
        advance=lambda: gateway.clock.advance(seconds),
        health=health, promote=promote,
        roll_back=lambda: gateway.remove_canary(stage),
    )  # fmt: skip


def alias_rollout(
    gateway: Gateway,
    function: str,
    alias: str,
    to_version: str,
    *,
    steps: str | Sequence[float] | None = None,
    traffic: Traffic,
    stage: str | None = None,
    health: Mapping[str, Any] | None = None,
    interval: float | None = None,
    requests: int = DEFAULT_REQUESTS,
) -> Rollout:
    """`gw.functions.shift_traffic`: an alias's weights moved onto `to_version` step by step
    (SAM's AutoPublishAlias with a DeploymentPreference, whose preset is the default
    `steps`), judged from per-version figures."""
    functions = gateway.functions
    current = functions.aliases(function).get(alias)
    if current is None:
        raise BadRequestError(f"function {function!r} has no alias {alias!r} to shift")
    if steps is None:
        steps = current.deployment_preference
        if steps is None:
            raise BadRequestError(
                f"shift_traffic: give steps= (alias {function}:{alias} has no "
                "deployment_preference to take them from)"
            )
    old, new = current.version, str(to_version)
    if new == old:
        raise BadRequestError(f"alias {function}:{alias} already points at version {new}")
    if not callable(traffic) and stage is None:
        raise BadRequestError("shift_traffic: paths need stage= to send them to")
    percents, seconds = plan(steps, interval)

    def shift(percent: float) -> None:
        if percent >= 100:
            functions.set_alias(function, alias, new)
        else:
            functions.set_alias(function, alias, old, weights={new: percent / 100})

    def step() -> tuple[list[Invocation], list[Invocation]]:
        with gateway.watch(stage) as seen:
            if stage is None:
                assert callable(traffic)
                traffic()  # type: ignore[call-arg]  # it sends through its own client
            else:
                assert stage is not None
                drive(traffic, gateway.client(stage), requests)
        ran = [r for r in seen if (r.target or "").split(":")[0] == function]
        return [r for r in ran if r.version == old], [r for r in ran if r.version == new]

    return run(
        f"{function}:{alias}", percents,
        shift=shift, step=step,
        advance=lambda: gateway.clock.advance(seconds),
        health=health,
        promote=lambda: functions.set_alias(function, alias, new),
        roll_back=lambda: functions.set_alias(function, alias, old),
    )  # fmt: skip


@contextmanager
def watching(
    listeners: list[Callable[[Invocation], None]], stage: str | None
) -> Iterator[list[Invocation]]:
    """Every record of `stage` (or of any stage) served while the block runs."""
    seen: list[Invocation] = []

    def keep(record: Invocation) -> None:
        if stage is None or record.stage == stage:
            seen.append(record)

    listeners.append(keep)
    try:
        yield seen
    finally:
        listeners.remove(keep)
