"""The steps that protect a method: API keys and usage plans, then throttling (usage plan per
method, usage plan, stage method settings, account, in AWS's order) and the plan's quota."""

from __future__ import annotations

from . import errors
from .context import GatewayFailure, RequestContext
from .limits import Level
from .logs import INFO


def check_api_key(ctx: RequestContext) -> None:
    """A method with `api_key_required` needs an enabled key, sent as `x-api-key`, in a usage
    plan for this stage; otherwise 403 Forbidden."""
    assert ctx.match is not None
    if not ctx.match.route.api_key_required:
        return
    gw = ctx.gateway
    value = ctx.header("x-api-key")
    key = gw.api_keys.by_value(value) if value else None
    plan = gw.usage_plans.for_key(key, ctx.stage_name) if key is not None else None
    if key is None or not key.enabled or plan is None:
        shown = f"**********{value[-4:]}" if value else "(none)"
        if not value:
            why = "no API key was sent"
        elif key is None:
            why = "API Key not found"
        elif not key.enabled:
            why = "API Key is disabled"
        else:
            why = (
                f"API Key is not associated with a Usage Plan for API Stage "
                f"{ctx.api_id}/{ctx.stage_name}"
            )
        raise GatewayFailure(
            errors.INVALID_API_KEY,
            f"API Key {shown} not authorized because method '{ctx.match.route.key}' requires "
            f"API Key: {why}",
        )
    ctx.api_key, ctx.usage_plan = key, plan
    ctx.note(f"API Key authorized because method '{ctx.match.route.key}' requires API Key "
             f"and API Key is associated with Usage Plan {plan.id}", INFO)  # fmt: skip


def throttle(ctx: RequestContext) -> None:
    assert ctx.match is not None and ctx.settings is not None and ctx.stage is not None
    gw, route, settings = ctx.gateway, ctx.match.route, ctx.settings
    key, plan = ctx.api_key, ctx.usage_plan
    levels: list[Level] = []
    if key is not None and plan is not None:
        per_method = plan.method_throttle(ctx.stage_name, route.key)
        if per_method is not None:
            bucket = ("plan-method", plan.id, key.id, ctx.stage_name, route.key)
            levels.append(Level(bucket, per_method.rate, per_method.burst))
        if plan.throttle is not None:
            levels.append(Level(("plan", plan.id, key.id), plan.throttle.rate, plan.throttle.burst))
    # Stage settings change only with the stage, so its last update bounds when they changed.
    levels.append(
        Level(
            ("method", ctx.stage_name, route.key),
            settings.throttling_rate,
            settings.throttling_burst,
            since=ctx.stage.last_updated_date,
        )
    )
    account = gw.account_throttle
    levels.append(Level(("account",), account.rate, account.burst))
    now = gw.clock.now()
    blocked = gw.limiter.admit(levels, now)
    exhausted = (
        blocked is None
        and key is not None
        and plan is not None
        and plan.quota is not None
        and not gw.limiter.count(
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
