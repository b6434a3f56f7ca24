"""Assertion helpers whose failure messages show the request beside what served it."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any

from . import errors
from .clients import ApiResponse, StageClient
from .gateway import Gateway
from .live import LiveStageClient, skip_live
from .observe.canary import CanaryReport, health_settings
from .observe.records import Invocation
from .stats import binomial_test, wilson_interval


def assert_routes_to(
    api: StageClient,
    request: str,
    *,
    route: str | None = None,
    target: str | None = None,
    version: str | None = None,
    deployment: str | None = None,
    status: int | None = None,
    **request_kwargs: Any,
) -> Invocation:
    """Send `request` ("GET /pets/1") through `api` and check what served it; returns the record.

    Every keyword given must match the invocation record (route key, integration target after
    stage-variable substitution, function version, deployment id, HTTP status)."""
    __tracebackhide__ = True
    method, _, path = request.strip().partition(" ")
    if not path:
        raise ValueError(f"assert_routes_to: write the request as 'VERB /path', got {request!r}")
    _in_process(api, "assert_routes_to")
    record = api.open(path, method=method.upper(), **request_kwargs).invocation
    expected = {
        "route": route,
        "target": target,
        "version": version,
        "deployment_id": deployment,
        "status": status,
    }
    wrong = {
        name: (want, getattr(record, name))
        for name, want in expected.items()
        if want is not None and getattr(record, name) != want
    }
    assert not wrong, _routing_message(api, request, record, wrong)
    return record


def _in_process(api: StageClient, helper: str) -> Gateway:
    """The client's gateway. Against a live API (`--apistages-base-url`) the test skips here,
    before any request is sent."""
    if isinstance(api, LiveStageClient):
        skip_live(f"{helper} reads invocation records")
    return api.gateway


def assert_no_pending_changes(gateway: Gateway, stage: str) -> None:
    """The stage serves exactly the working API: nothing edited since the last deploy."""
    __tracebackhide__ = True
    changes = gateway.pending_changes(stage)
    served = gateway.stage(stage).deployment_id
    assert not changes, (
        f"stage {stage!r} (deployment {served}) does not serve the working API; "
        f"{len(changes)} undeployed change(s):\n" + "\n".join(f"  - {c}" for c in changes)
    )


def _routing_message(
    api: StageClient, request: str, record: Invocation, wrong: dict[str, tuple[Any, Any]]
) -> str:
    gw = api.gateway
    lines = [f"{request} on stage {api.stage!r} was not served as expected:"]
    lines += [f"  {name}: expected {want!r}, got {got!r}" for name, (want, got) in wrong.items()]
    lines.append(f"  served by: {record.describe()}")
    if api.stage in gw.stages:
        deployment = gw.deployment(gw.stage(api.stage).deployment_id)
        lines.append(f"  routes in deployment {deployment.id}:")
        lines += [
            f"    {key} -> {r.integration.describe()}" for key, r in deployment.api.routes.items()
        ]
        if record.stage_variables:
            variables = ", ".join(f"{k}={v}" for k, v in record.stage_variables.items())
            lines.append(f"  stage variables: {variables}")
    return "\n".join(lines)


def assert_served_by(
    served: Invocation | ApiResponse,
    *,
    deployment: str | None = None,
    canary: bool | None = None,
    version: str | None = None,
    route: str | None = None,
    target: str | None = None,
) -> Invocation:
    """Check what served one request (its record, or a response from `gw.client`)."""
    __tracebackhide__ = True
    record = served.invocation if isinstance(served, ApiResponse) else served
    expected = {
        "deployment_id": deployment,
        "canary": canary,
        "version": version,
        "route": route,
        "target": target,
    }
    wrong = [
        f"  {name}: expected {want!r}, got {getattr(record, name)!r}"
        for name, want in expected.items()
        if want is not None and getattr(record, name) != want
    ]
    assert not wrong, "\n".join(
        [f"{record.method} {record.path} on stage {record.stage!r} was not served as expected:"]
        + wrong
        + [f"  served by: {record.describe()}"]
    )
    return record


@dataclass(frozen=True)
class CanaryRatio:
    """What `assert_canary_ratio` measured."""

    canary: int
    samples: int
    expected_percent: float
    p_value: float
    interval: tuple[float, float]

    @property
    def share(self) -> float:
        return self.canary / self.samples


def assert_canary_ratio(
    gateway: Gateway,
    stage: str,
    path: str,
    *,
    expected: float | None = None,
    samples: int = 2000,
    alpha: float = 0.001,
    method: str = "GET",
    **request_kwargs: Any,
) -> CanaryRatio:
    """Send `samples` requests and test, with an exact two-sided binomial test at level `alpha`,
    that the share served by the canary is `expected` percent (default: the configured one).

    A correct canary fails this with probability at most `alpha`; a wrong one (50 % where 5 %
    was meant) fails it with near certainty at the default sample size. The sample leaves the
    stage's throttles and quotas as it found them."""
    __tracebackhide__ = True
    if expected is None:
        settings = gateway.stage(stage).canary
        if settings is None:
            raise ValueError(
                f"assert_canary_ratio: stage {stage!r} has no canary; deploy one or pass expected="
            )
        expected = settings.percent
    if not 0.0 <= expected <= 100.0:
        raise ValueError(f"assert_canary_ratio: expected must be a percent 0-100, got {expected}")
    if samples < 1 or not 0.0 < alpha < 1.0:
        raise ValueError(
            f"assert_canary_ratio: need samples >= 1 and 0 < alpha < 1, got {samples}, {alpha}"
        )
    client = gateway.client(stage)
    with gateway.services.limiter.unchanged():  # a measurement: the test's throttles stay
        records = [
            client.open(path, method=method, **request_kwargs).invocation for _ in range(samples)
        ]
    served = sum(1 for r in records if r.canary)
    result = CanaryRatio(
        served,
        samples,
        expected,
        binomial_test(served, samples, expected / 100),
        wilson_interval(served, samples, alpha),
    )
    low, high = result.interval
    statuses = ", ".join(f"{s}: {n}" for s, n in sorted(Counter(r.status for r in records).items()))
    assert result.p_value >= alpha, (
        f"canary share on stage {stage!r} for {method} {path}: {served} of {samples} requests "
        f"({result.share:.2%}) went to the canary, expected {expected:g}%\n"
        f"  exact binomial test: p = {result.p_value:.3g} < alpha = {alpha:g}\n"
        f"  {1 - alpha:.1%} Wilson interval of the observed share: {low:.2%} - {high:.2%}\n"
        f"  statuses: {statuses}\n"
        f"  seed: {gateway.seed} ({gateway.seed_origin})"
    )
    return result


def assert_canary_healthy(gateway: Gateway, stage: str, **health: Any) -> CanaryReport:
    """The stage's canary must not be worse than its base by more than the allowances, beyond
    chance: `max_5xx_increase` (default 0.01, a rate difference), `max_4xx_increase` (0.05),
    `max_latency_ratio` (1.5, of the p99 latencies), `alpha` (0.05, for all three tests
    together), `min_requests` (50 on each side: fewer fails, saying how many more are
    needed). Returns the report; a failure shows it and the allowances."""
    __tracebackhide__ = True
    if isinstance(gateway, (StageClient, LiveStageClient)):
        gateway = _in_process(gateway, "assert_canary_healthy")
    report = gateway.canary_report(stage, **health)
    settings = ", ".join(f"{k}={v:g}" for k, v in health_settings(health).items())
    assert report.verdict != "insufficient", (
        f"too few requests to judge the canary of stage {stage!r}: it needs {report.needed} "
        f"more on the side with fewer ({report.base.requests} base, {report.canary.requests} "
        f"canary, min_requests={report.min_requests})\n{report.text()}"
    )
    assert report.healthy, f"{report.text()}\n  allowances: {settings}"
    return report


_TOO_MANY = (errors.THROTTLED.response_type, errors.QUOTA_EXCEEDED.response_type)


def assert_throttled(
    api: StageClient, path: str, *, after: int, method: str = "GET", **request_kwargs: Any
) -> list[Invocation]:
    """Send `after + 1` requests at one instant (the gateway's clock is frozen for them): the
    first `after` must reach the integration and the next must get 429, throttled or over its
    usage plan's quota. Returns the records."""
    __tracebackhide__ = True
    clock = _in_process(api, "assert_throttled").clock
    was_frozen = clock.frozen
    clock.freeze(clock.now())
    try:
        records = [
            api.open(path, method=method, **request_kwargs).invocation for _ in range(after + 1)
        ]
    finally:
        if not was_frozen:
            clock.unfreeze()
    # Passing means reaching the integration: a 403 for a missing key or a broken function's
    # 502 would make the throttle check meaningless.
    early = next(((i + 1, r) for i, r in enumerate(records[:-1]) if r.error is not None), None)
    last = records[-1]
    if early is not None:
        number, record = early
        problem = f"request {number} got {record.status} from the gateway ({record.error})"
    elif last.error not in _TOO_MANY:
        problem = f"the last one got {last.status}" + (f" ({last.error})" if last.error else "")
    else:
        return records
    raise AssertionError(
        f"{method} {path} on stage {api.stage!r}: expected {after} requests to pass and request "
        f"{after + 1} to get 429; {problem}\n  statuses: {[r.status for r in records]}\n"
        f"  limits: {_limits(api, last)}"
    )


def assert_cached(
    api: StageClient, path: str, *, method: str = "GET", **request_kwargs: Any
) -> Invocation:
    """Send the request twice: the second answer must come from the stage cache, with the
    same status and body as the first."""
    __tracebackhide__ = True
    gateway = _in_process(api, "assert_cached")
    first = api.open(path, method=method, **request_kwargs)
    second = api.open(path, method=method, **request_kwargs)
    record = second.invocation
    assert record.cache_hit, (
        f"{method} {path} on stage {api.stage!r} was not served from the cache the second time"
        f"\n  served by: {record.describe()}"
        f"\n  why: {_why_not_cached(gateway, api.stage, record)}"
    )
    assert (second.status_code, second.get_data()) == (first.status_code, first.get_data()), (
        f"{method} {path}: the cached answer differs from the first one"
    )
    return record


def _why_not_cached(gateway: Gateway, stage: str, record: Invocation) -> str:
    """The first reason, in words, that the stage did not answer from its cache."""
    current = gateway.stage(stage)
    if record.route is None:
        return "no route matched, and only a method's answers are cached"
    settings = current.settings.for_route(record.route)
    if not current.settings.cache_cluster_enabled:
        return f"stage {stage} has no cache cluster: set caching: {{enabled: true}} on the stage"
    if not settings.caching_enabled:
        if not record.route.startswith("GET "):
            return (
                f"stage-level caching applies to GET methods only; enable it for "
                f"{record.route} in method_settings: {{'{record.route}': {{caching: "
                f"{{enabled: true}}}}}}"
            )
        return f"caching is disabled for {record.route} in its method settings"
    if settings.cache_ttl <= 0:
        return f"the cache TTL of {record.route} is 0 seconds"
    if record.canary and current.canary is not None and not current.canary.use_stage_cache:
        return "the request went to the canary, which does not use the stage cache"
    if record.status >= 500 or record.error is not None:
        return f"the first answer was the gateway's own {record.status}, which is not cached"
    return "the first answer was not kept (over 1 MB, or the cache was flushed meanwhile)"


def _limits(api: StageClient, record: Invocation) -> str:
    gw = api.gateway
    settings = gw.stage(api.stage).settings.for_route(record.route)
    limits = []
    key = next((k for k in gw.api_keys.all() if k.id == record.api_key_id), None)
    plan = gw.usage_plans.for_key(key, api.stage) if key is not None else None
    if plan is not None:
        per_method = plan.method_throttle(api.stage, record.route or "")
        if per_method is not None:
            limits.append(f"plan {plan.name} method {per_method.rate:g}/s burst {per_method.burst}")
        if plan.throttle is not None:
            limits.append(f"plan {plan.name} {plan.throttle.rate:g}/s burst {plan.throttle.burst}")
        if plan.quota is not None:
            limits.append(f"plan {plan.name} quota {plan.quota.limit}/{plan.quota.period}")
    limits.append(f"method {settings.throttling_rate:g}/s burst {settings.throttling_burst}")
    limits.append(f"account {gw.account_throttle.rate:g}/s burst {gw.account_throttle.burst}")
    return ", ".join(limits)


def assert_rollback_safe(gateway: Gateway, stage: str) -> None:
    """The deployment `gateway.rollback(stage)` would restore must work with the stage's
    variables and the functions, versions and aliases of today; the failure lists each route
    that would break, why, and the fix. A stage with nothing to roll back to passes."""
    __tracebackhide__ = True
    from .check.rollback import rollback_breaks
    from .check.rules import rollback_wording

    target, broken = rollback_breaks(gateway, stage)
    if target is None or not broken:
        return
    lines = []
    for item in broken:
        message, fix = rollback_wording(stage, f"deployment {target.id}", item)
        lines.append(f"  - {message}\n    fix: {fix}")
    assert not broken, (
        f"rolling back stage {stage} to deployment {target.id} would break "
        f"{len(broken)} thing(s):\n" + "\n".join(lines)
    )
