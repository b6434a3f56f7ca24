"""Mapping templates in the pipeline: which template a request or an answer gets (by
Content-Type and passthrough behaviour, by Accept), the variables it sees, and the overrides
(`$context.requestOverride`, `$context.responseOverride`) it leaves."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .. import errors, vtl
from ..model import Integration
from ..vtl import OnceMap, VtlMap
from .context import GatewayFailure, RequestContext
from .request import format_request_time, parse_query

_IDENTITY = (
    "cognitoIdentityPoolId", "accountId", "cognitoIdentityId", "caller", "principalOrgId",
    "accessKey", "cognitoAuthenticationType", "cognitoAuthenticationProvider", "userArn", "user",
)  # fmt: skip


def context_map(ctx: RequestContext) -> VtlMap:
    """`$context` for this request, built once: both templates (and context.* mappings) see
    the same map, so a value the request template overrides is there for the response."""
    if ctx.vtl_context is not None:
        return ctx.vtl_context
    match = ctx.match
    key = ctx.api_key
    identity = VtlMap(dict.fromkeys(_IDENTITY))
    identity.update(sourceIp=ctx.source_ip, userAgent=ctx.header("User-Agent"))
    identity.update(apiKey=key.value if key else None, apiKeyId=key.id if key else None)
    ctx.vtl_context = VtlMap(
        resourceId=ctx.resource_id if match else None,
        resourcePath=match.route.path if match else None,
        httpMethod=ctx.method,
        extendedRequestId=ctx.extended_request_id,
        requestTime=format_request_time(ctx.started),
        path="/" + ctx.raw_path.lstrip("/"),
        accountId=ctx.account_id,
        protocol=ctx.protocol,
        requestOverride=VtlMap(path=OnceMap(), header=OnceMap(), querystring=OnceMap()),
        stage=ctx.stage_name,
        domainPrefix=ctx.host.split(".")[0],
        requestTimeEpoch=int(ctx.started * 1000),
        requestId=ctx.request_id,
        identity=identity,
        domainName=ctx.host,
        deploymentId=ctx.deployment.id if ctx.deployment else None,
        responseOverride=ResponseOverride(header=OnceMap()),
        apiId=ctx.api_id,
        isCanaryRequest="true" if ctx.canary else "false",
        authorizer=VtlMap(),
    )
    return ctx.vtl_context


class ResponseOverride(OnceMap):
    """`$context.responseOverride`: its `status` and each of its headers may be set once."""

    def __init__(self, header: OnceMap) -> None:
        super().__init__()
        dict.__setitem__(self, "header", header)


def variables(ctx: RequestContext, body: str) -> dict[str, Any]:
    """What a template sees: `$input` over `body`, `$util`, `$context`, `$stageVariables`."""
    assert ctx.match is not None
    params = vtl.params_of(ctx.match.path_parameters, parse_query(ctx.query_string), ctx.headers)
    return {
        "input": vtl.Input(body, params),
        "util": vtl.UTIL,
        "context": context_map(ctx),
        "stageVariables": VtlMap(ctx.variables),
    }


def render(ctx: RequestContext, template: str, body: str, where: str) -> str:
    """Run a template; a failure inside it, or an override set twice, is AWS's 500 with the
    reason in the execution log."""
    try:
        text = vtl.render(template, variables(ctx, body))
    except vtl.TemplateFailure as e:
        raise GatewayFailure(
            errors.API_CONFIGURATION_ERROR,
            f"Execution failed due to configuration error: the {where} template failed: {e}",
        ) from None
    repeated = _repeated_overrides(context_map(ctx))
    if repeated:
        raise GatewayFailure(
            errors.API_CONFIGURATION_ERROR,
            f"Execution failed due to configuration error: the {where} template set "
            f"{repeated} more than once; an override may be set only once",
        )
    return text


def _repeated_overrides(context: VtlMap) -> str | None:
    for side in ("requestOverride", "responseOverride"):
        overrides = context[side]
        if isinstance(overrides, OnceMap) and overrides.repeated:
            return f"$context.{side}.{overrides.repeated[0]}"
        for kind, values in overrides.items():
            if isinstance(values, OnceMap) and values.repeated:
                return f"$context.{side}.{kind}.{values.repeated[0]}"
    return None


def media_type(content_type: str | None) -> str:
    """The MIME type alone; API Gateway reads a request without Content-Type as JSON."""
    return (content_type or "application/json").split(";")[0].strip().lower()


def request_template(ctx: RequestContext, integration: Integration) -> str | None:
    """The request template for the request's Content-Type, or None to pass the body through;
    a request `passthroughBehavior` refuses is API Gateway's 415."""
    templates = integration.request_templates
    wanted = media_type(ctx.header("Content-Type"))
    for name, template in templates.items():
        if name.lower() == wanted:
            return template or None
    behaviour = integration.passthrough_behavior
    if behaviour == "NEVER" or (templates and behaviour == "WHEN_NO_TEMPLATES"):
        raise GatewayFailure(
            errors.UNSUPPORTED_MEDIA_TYPE,
            f"Request Content-Type {wanted} has no template and passthroughBehavior is {behaviour}",
        )
    return None


def response_template(templates: Mapping[str, str], accept: str | None) -> tuple[str, str | None]:
    """The response template and its media type: the first Accept type's, else JSON's, else
    the first one; with none the body passes through (as JSON)."""
    if not templates:
        return "application/json", None
    wanted = (accept or "").split(",")[0].split(";")[0].strip().lower()
    by_type = {name.lower(): (name, template) for name, template in templates.items()}
    name, template = (
        by_type.get(wanted) or by_type.get("application/json") or next(iter(templates.items()))
    )
    return name, template or None


def override_status(ctx: RequestContext) -> int | None:
    """`$context.responseOverride.status`, when a template set it to an HTTP status."""
    if ctx.vtl_context is None:
        return None
    value = ctx.vtl_context["responseOverride"].get("status")
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value)
    if isinstance(value, int) and not isinstance(value, bool) and 100 <= value <= 599:
        return value
    return None


def overrides(ctx: RequestContext, side: str, kind: str) -> dict[str, str]:
    """The values a template set in `$context.<side>.<kind>`, as text."""
    if ctx.vtl_context is None:
        return {}
    values = ctx.vtl_context[side].get(kind) or {}
    return {
        str(name): ",".join(map(vtl.java_text, value)) if isinstance(value, list)
        else vtl.java_text(value)
        for name, value in values.items()
    }  # fmt: skip
