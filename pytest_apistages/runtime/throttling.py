"""The throttle step: token buckets per usage plan and method, usage plan, stage method
settings and account, in AWS's order, then the usage plan's quota."""

from __future__ import annotations

from functools import lru_cache

from .. import errors
from ..usage import Throttle
from .context import GatewayFailure, RequestContext
from .limits import Level


def throttle(ctx: RequestContext) -> None:
    assert ctx.match is not None and ctx.settings is not None and ctx.served is not None
    services, route, settings = ctx.services, ctx.match.route, ctx.settings
    key, plan = ctx.api_key, ctx.usage_plan
    levels: list[Level] = []
    if key is not None and plan is not None:
        per_method = plan.method_throttle(ctx.stage_name, route.key)
        if per_method is not None:
            bucket = ("plan-method", plan.id, key.id, ctx.stage_name, route.key)
            levels.append(Level(bucket, per_method.rate, per_method.burst))
        if plan.throttle is not None:
            levels.append(Level(("plan", plan.id, key.id), plan.throttle.rate, plan.throttle.burst))
    method_level = ctx.served.method_levels.get(route.key)
    if method_level is None:
        # Stage settings change only with the stage, so its last update bounds when they did.
        method_level = ctx.served.method_levels[route.key] = Level(
            ("method", ctx.stage_name, route.key),
            settings.throttling_rate,
            settings.throttling_burst,
            since=ctx.served.stage.last_updated_date,
        )
    levels.append(method_level)
    levels.append(_account_level(services.account_throttle))
    now = services.clock.now()
    blocked = services.limiter.admit(levels, now)
    exhausted = (
        blocked is None
        and key is not None
        and plan is not None
        and plan.quota is not None
        and not services.limiter.count(
            ("quota", plan.id, key.id), plan.quota.limit, plan.quota.period, now
        )  # fmt: skip
    )
    if blocked is not None:
        ctx.throttled = True
        raise GatewayFailure(
            errors.THROTTLED, _throttle_message(ctx, blocked.key[0], blocked.rate, blocked.burst)
        )
    if exhausted:
        assert plan is not None and plan.quota is not None
        raise GatewayFailure(
            errors.QUOTA_EXCEEDED,
            f"Key quota exhausted for Usage Plan ID {plan.id}. Quota Limit: {plan.quota.limit} "
            f"Period: {plan.quota.period}",
        )


@lru_cache(maxsize=64)
def _account_level(throttle: Throttle) -> Level:
    return Level(("account",), throttle.rate, throttle.burst)


def _throttle_message(ctx: RequestContext, level: str, rate: float, burst: int) -> str:
    assert ctx.match is not None
    where = (
        f"RestApi {ctx.api_id}, Stage {ctx.stage_name}, Resource {ctx.resource_id}, "
        f"HttpMethod {ctx.method}. Limit: {rate:.2f} Burst: {burst}"
    )
    if level.startswith("plan"):
        assert ctx.usage_plan is not None
        return f"Key throttle limit exceeded for Usage Plan ID {ctx.usage_plan.id}, {where}"
    if level == "method":
        return f"Method throttle limit exceeded for {where}"
    return f"Account throttle limit exceeded. Limit: {rate:.2f} Burst: {burst}"
