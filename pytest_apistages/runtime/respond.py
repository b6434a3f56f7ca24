"""The two steps every request passes, however it ended: the gateway response (API Gateway's
answer for a refused or failed request, and its own headers on every answer) and the record
(the invocation record, the log facts, the metrics, the listeners)."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

from .. import errors
from ..expressions import GATEWAY_SOURCE
from ..model import DEFAULT_GATEWAY_TEMPLATE, GATEWAY_RESPONSE_TYPES, GatewayResponse
from ..observe.logs import DATA, ERROR, INFO, RequestLog, log_group_name
from ..observe.records import Invocation
from ..vtl import java_text
from .context import RequestContext
from .mapping import context_value, request_value, shared_value
from .templates import context_map

RECORD_SINK_KEY = "apistages.record_sink"  # a list the invocation record is appended to
_EMPTY: MappingProxyType[str, str] = MappingProxyType({})


def gateway_response(ctx: RequestContext) -> None:
    failure = ctx.failure
    if failure is not None:
        kind = failure.kind
        custom = customised(ctx, kind)
        if custom is None:
            ctx.status, ctx.response_body = kind.status, kind.body
            ctx.response_headers = [("Content-Type", kind.content_type)]
        else:
            ctx.status, ctx.response_headers, ctx.response_body = render_response(ctx, *custom)
        if kind.error_type:
            ctx.response_headers.append(("x-amzn-ErrorType", kind.error_type))
        if failure.reason:
            ctx.note(failure.reason, level=ERROR if kind.status >= 500 else INFO)
    if failure is None or failure.kind is not errors.PAYLOAD_TOO_LARGE:  # that answer has none
        ctx.response_headers += [
            ("x-amzn-RequestId", ctx.request_id),
            ("x-amz-apigw-id", ctx.extended_request_id),
        ]
        if _answers_with_trace_id(ctx):
            ctx.response_headers.append(("X-Amzn-Trace-Id", ctx.trace_id))
    if failure is None:
        if ctx.data_traced:
            body = ctx.response_body.decode("utf-8", "replace")
            ctx.note("Method response body after transformations: {}", body, level=DATA)
            ctx.note("Method response headers: {}", dict(ctx.response_headers), level=DATA)
        ctx.note("Successfully completed execution")
    completed = ERROR if failure is not None and ctx.status >= 500 else INFO
    ctx.note("Method completed with status: {}", ctx.status, level=completed)


def customised(
    ctx: RequestContext, kind: errors.GatewayErrorKind
) -> tuple[errors.GatewayErrorKind, GatewayResponse, int] | None:
    """The customisation that answers `kind` on the deployment serving the request: the
    type's own, else its class's DEFAULT_4XX/5XX (recorded: PutGatewayResponse on DEFAULT_5XX
    reaches every 5xx type not set itself), with the status it gives."""
    if ctx.deployment is None or kind.response_type not in CUSTOMISABLE:
        return None
    responses = ctx.deployment.api.gateway_responses
    if not responses:
        return None
    own = responses.get(kind.response_type)
    if own is not None:
        return kind, own, own.status or kind.status
    fallback = responses.get("DEFAULT_4XX" if kind.status < 500 else "DEFAULT_5XX")
    if fallback is None:
        return None
    return kind, fallback, fallback.status or kind.status


# REQUEST_TOO_LARGE cannot be customised (AWS's known issues); PAYLOAD_TOO_LARGE is not one.
CUSTOMISABLE = frozenset(GATEWAY_RESPONSE_TYPES) - {"REQUEST_TOO_LARGE"}
_REFERENCE = re.compile(
    r"\$(?:\{(context|stageVariables)((?:\.\w+)+)\}|(context|stageVariables)((?:\.\w+)+))"
)


def render_response(
    ctx: RequestContext, kind: errors.GatewayErrorKind, response: GatewayResponse, status: int
) -> tuple[int, list[tuple[str, str]], bytes]:
    """A customised gateway response: its template (not VTL: `$context.x` and
    `$stageVariables.x` are substituted) and its mapped headers."""
    templates = response.templates or {"application/json": DEFAULT_GATEWAY_TEMPLATE}
    media_type, template = next(
        ((k, v) for k, v in templates.items() if k.lower() == "application/json"),
        next(iter(templates.items())),
    )
    context = _error_context(ctx)
    body = _REFERENCE.sub(lambda m: _substituted(ctx, context, m), template or "")
    headers = [("Content-Type", media_type)]
    for destination, source in response.parameters.items():
        kind_, _, name = destination.removeprefix("gatewayresponse.").partition(".")
        value = _gateway_value(ctx, context, source)
        if kind_ == "header" and value is not None:
            headers = [(k, v) for k, v in headers if k.lower() != name.lower()] + [(name, value)]
    return status, headers, body.encode("utf-8")


def _error_context(ctx: RequestContext) -> dict[str, Any]:
    """`$context` for a gateway response template: the request's, with `error.*`."""
    return {**context_map(ctx), "error": error_values(ctx)}


def error_values(ctx: RequestContext) -> dict[str, Any]:
    """`$context.error.*` for the request's failure (all null when it did not fail)."""
    message = ctx.error_message
    return {
        "message": message,
        "messageString": json.dumps(message) if message is not None else None,
        "responseType": ctx.failure.kind.response_type if ctx.failure is not None else None,
        "validationErrorString": None,
    }


def _substituted(ctx: RequestContext, context: Any, found: re.Match[str]) -> str:
    """`$context.x`, `${context.x}`, `$stageVariables.x`: a missing one is empty."""
    root = found.group(1) or found.group(3)
    dotted = (found.group(2) or found.group(4))[1:]
    if root == "stageVariables":
        return ctx.variables.get(dotted, "")
    value = context_value(context, dotted)
    return "" if value is None else java_text(value)


def _gateway_value(ctx: RequestContext, context: Any, source: str) -> str | None:
    found = GATEWAY_SOURCE.match(source)
    assert found is not None  # checked when the response was put
    if found.group("where") is None:
        return shared_value(ctx, found, context)
    # no route matched: no method request parameters
    return request_value(ctx, source) if ctx.match is not None else None


def _answers_with_trace_id(ctx: RequestContext) -> bool:
    """Recorded on AWS: a MOCK answer never has X-Amzn-Trace-Id, an HTTP_PROXY one only when
    the backend sent it (it passes through); Lambda and HTTP answers have it. A request refused
    before the integration is called has none (recorded for a refused header mapping's 500;
    the same for every refusal is our inference); a failed integration's answer has it."""
    if ctx.match is None or (ctx.failure is not None and not ctx.integrated):
        return False
    kind = ctx.match.route.integration.type
    if kind == "MOCK":
        return False
    return kind != "HTTP_PROXY" or ctx.failure is not None


def record(ctx: RequestContext) -> None:
    """Keep what happened: the invocation record, the request's log facts (rendered when
    read), the running metrics; then tell the listeners."""
    match, served = ctx.match, ctx.served
    canary = served.stage.canary if served is not None else None
    ctx.record = Invocation(
        request_id=ctx.request_id,
        stage=ctx.stage_name,
        method=ctx.method,
        path=ctx.path,
        deployment_id=ctx.deployment.id if ctx.deployment is not None else None,
        canary=ctx.canary,
        canary_percent=canary.percent if canary is not None else None,
        route=match.route.key if match is not None else None,
        path_parameters=match.path_parameters if match is not None else _EMPTY,
        stage_variables=ctx.variables if served is not None else _EMPTY,
        integration=match.route.integration.type if match is not None else None,
        target=ctx.target,
        version=ctx.version,
        status=ctx.status,
        latency_ms=(time.perf_counter() - ctx.timer) * 1000,
        integration_latency_ms=ctx.integration_ms,
        cache_hit=ctx.cache_hit,
        cache_miss=ctx.cache_miss,
        throttled=ctx.throttled,
        api_key_id=ctx.api_key.id if ctx.api_key is not None else None,
        error=ctx.failure.kind.response_type if ctx.failure is not None else None,
        timestamp=ctx.started,
    )
    services = ctx.services
    services.records.add(ctx.record, _request_log(ctx) if served is not None else None)
    for listener in services.listeners:
        listener(ctx.record)
    sink = ctx.environ.get(RECORD_SINK_KEY)
    if sink is not None:
        sink.append(ctx.record)


def _request_log(ctx: RequestContext) -> RequestLog:
    assert ctx.served is not None
    stage = ctx.served.stage
    settings = ctx.settings or stage.settings.for_route(None)
    access = stage.settings.access_log
    group = ctx.services.log_group(ctx.stage_name, ctx.canary)
    if access is None:
        return RequestLog(group, ctx.started, ctx.request_id, settings, ctx.log)
    access_group = log_group_name(access.destination) + ("/Canary" if ctx.canary else "")
    return RequestLog(
        group, ctx.started, ctx.request_id, settings, ctx.log,
        access_group, access.format, context_variables(ctx),
    )  # fmt: skip


def context_variables(ctx: RequestContext) -> dict[str, Any]:
    """The `$context` variables an access log may use, for one served request: the request's
    (as templates see them, flattened to `identity.sourceIp`), its error and its outcome."""
    record = ctx.record
    assert record is not None
    values = _flattened(context_map(ctx))
    values.update(_flattened({"error": error_values(ctx)}))
    integrated = ctx.integrated
    values.update({
        "path": ctx.raw_path,
        "status": record.status,
        "responseLength": len(ctx.response_body),
        "responseLatency": round(record.latency_ms),
        "integrationLatency": round(record.integration_latency_ms) if integrated else None,
        "integration.latency": round(record.integration_latency_ms) if integrated else None,
        "integrationStatus": ctx.integration_status,
        "integration.status": ctx.integration_status,
        "integration.integrationStatus": ctx.integration_status,
        "xrayTraceId": None,
        "wafResponseCode": None,
    })  # fmt: skip
    return values


_NOT_LOGGED = frozenset(("requestOverride", "responseOverride", "authorizer"))


def _flattened(values: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """`{"identity": {"sourceIp": ip}}` as `{"identity.sourceIp": ip}`."""
    flat: dict[str, Any] = {}
    for name, value in values.items():
        if name in _NOT_LOGGED:
            continue
        if isinstance(value, Mapping):
            flat.update(_flattened(value, f"{prefix}{name}."))
        else:
            flat[f"{prefix}{name}"] = value
    return flat
