"""The throttle step: token buckets per usage plan and method, usage plan, stage method
settings and account, in AWS's order, then the usage plan's quota."""

from __future__ import annotations

from .. import errors
from .context import GatewayFailure, RequestContext
from .limits import Level


def throttle(ctx: RequestContext) -> None:
    assert ctx.match is not None and ctx.served is not None
    services, route = ctx.services, ctx.match.route
    key, plan = ctx.api_key, ctx.usage_plan
    levels = _stage_levels(ctx)
    if key is not None and plan is not None:
        per_key: list[Level] = []
        per_method = plan.method_throttle(ctx.stage_name, route.key)
        if per_method is not None:
            bucket = ("plan-method", plan.id, key.id, ctx.stage_name, route.key)
            per_key.append(Level(bucket, per_method.rate, per_method.burst))
        if plan.throttle is not None:
            per_key.append(
                Level(("plan", plan.id, key.id), plan.throttle.rate, plan.throttle.burst)
            )
        levels = (*per_key, *levels)
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


def _stage_levels(ctx: RequestContext) -> tuple[Level, ...]:
    """The method's stage throttle, then the account's: worked out once per stage snapshot
    and route (and again when the account limit changes)."""
    assert ctx.match is not None and ctx.served is not None and ctx.settings is not None
    account = ctx.services.account_throttle
    cached = ctx.served.method_levels.get(ctx.match.route.key)
    if cached is not None and cached[0] is account:
        return cached[1]
    levels = (
        # Stage settings change only with the stage, so its last update bounds when they did.
        Level(
            ("method", ctx.stage_name, ctx.match.route.key),
            ctx.settings.throttling_rate,
            ctx.settings.throttling_burst,
            since=ctx.served.stage.last_updated_date,
        ),
        Level(("account",), account.rate, account.burst),
    )
    ctx.served.method_levels[ctx.match.route.key] = (account, levels)
    return levels


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
