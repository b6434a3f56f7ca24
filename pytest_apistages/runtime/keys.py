"""The API key step: a method with `api_key_required` needs an enabled key in a usage plan for
the stage."""

from __future__ import annotations

from .. import errors
from .context import GatewayFailure, RequestContext


def check_api_key(ctx: RequestContext) -> None:
    """A method with `api_key_required` needs an enabled key, sent as `x-api-key`, in a usage
    plan for this stage; otherwise 403 Forbidden."""
    assert ctx.match is not None
    if not ctx.match.route.api_key_required:
        return
    services = ctx.services
    value = ctx.header("x-api-key")
    key = services.api_keys.by_value(value) if value else None
    plan = services.usage_plans.for_key(key, ctx.stage_name) if key is not None else None
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
    ctx.note(
        "API Key authorized because method '{}' requires API Key and API Key is associated "
        "with Usage Plan {}",
        ctx.match.route.key,
        plan.id,
    )
