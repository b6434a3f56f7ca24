"""AWS_PROXY: call a function with the payload 1.0 event and check its answer as AWS does."""

from __future__ import annotations

import json

from ... import errors
from ...observe.logs import DATA, body_text
from ..context import GatewayFailure, RequestContext
from ..mapping import map_request
from ..request import is_binary
from . import lambda_run
from .lambda_format import (
    MalformedProxyResponse,
    UndecodableProxyBody,
    build_event,
    parse_proxy_response,
)

# Headers, ids and the rest of an event stay far below this; only a body near it needs the
# event serialised to know its size.
_EVENT_OVERHEAD = 64 * 1024


def request(ctx: RequestContext) -> None:
    """Resolve the function (alias weights drawn here) and build its event."""
    assert ctx.match is not None
    lambda_run.resolve(ctx, ctx.substitute(ctx.match.route.integration.target))
    map_request(ctx, lambda_type=True)  # AWS ignores the values, but refuses some headers
    ctx.event = build_event(ctx)
    if len(ctx.body) * 4 // 3 + _EVENT_OVERHEAD > lambda_run.LAMBDA_PAYLOAD_LIMIT:
        if len(json.dumps(ctx.event)) > lambda_run.LAMBDA_PAYLOAD_LIMIT:
            raise GatewayFailure(errors.REQUEST_TOO_LARGE, "Lambda request payload over 6 MB")
    if ctx.data_traced:
        ctx.note("Endpoint request body after transformations: {}", json.dumps(ctx.event),
                 level=DATA)  # fmt: skip


def call(ctx: RequestContext) -> None:
    """Run the handler; its failure is the integration's failure, a 502."""
    ctx.result = answer = lambda_run.invoke(ctx, ctx.event)
    if answer.error is not None:
        raise GatewayFailure(errors.INTEGRATION_FAILURE, answer.error.detail)


def response(ctx: RequestContext) -> None:
    """What Lambda hands API Gateway is the result as JSON, checked as a proxy response."""
    answer = ctx.result
    assert isinstance(answer, lambda_run.Answer)
    if ctx.data_traced:
        ctx.note("Endpoint response body before transformations: {}", body_text(answer.text),
                 level=DATA)  # fmt: skip
    try:
        parsed = parse_proxy_response(answer.value, _accepts_binary(ctx))
    except MalformedProxyResponse as e:
        raise GatewayFailure(
            errors.INTEGRATION_FAILURE,
            f"Execution failed due to configuration error: Malformed Lambda proxy response ({e})",
        ) from None
    except UndecodableProxyBody as e:
        raise GatewayFailure(
            errors.API_CONFIGURATION_ERROR,
            f"Execution failed due to an internal error: unable to convert the Lambda proxy "
            f"response body to binary ({e})",
        ) from None
    ctx.status, ctx.response_headers, ctx.response_body = parsed.status, parsed.headers, parsed.body


def _accepts_binary(ctx: RequestContext) -> bool:
    assert ctx.deployment is not None
    accept = (ctx.header("Accept") or "").split(",")[0]
    return is_binary(accept, ctx.deployment.api.binary_media_types)
