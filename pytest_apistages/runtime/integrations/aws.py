"""AWS (non-proxy): a Lambda function invoked with the request template's output as its event,
its result — or its error object, selected by errorMessage — mapped by the integration
responses. Other AWS services are configured as AWS allows but not emulated."""

from __future__ import annotations

import json
import logging
import re

from ... import errors
from ..context import EndpointResponse, GatewayFailure, RequestContext
from ..mapping import map_request
from ..templates import overrides
from . import lambda_run, nonproxy

logger = logging.getLogger("pytest_apistages")
_LAMBDA_URI = re.compile(r"^arn:aws[a-z-]*:apigateway:[^:]*:lambda:path/2015-03-31/functions/")
_SERVICE = re.compile(r"^arn:aws[a-z-]*:apigateway:[^:]*:(?P<service>[^:]+):")
_ASYNC = "X-Amz-Invocation-Type"


def request(ctx: RequestContext) -> None:
    """Resolve the function and render its event; a service other than Lambda is refused
    here, with the reason in the log."""
    assert ctx.match is not None
    integration = ctx.match.route.integration
    target = ctx.substitute(integration.target)
    service = _SERVICE.match(target)
    if service is not None and not _LAMBDA_URI.match(target):
        ctx.target = target
        logger.warning(
            "%s %s: AWS service integrations with %s are not emulated; answered 500",
            ctx.method, ctx.path, service.group("service"),
        )  # fmt: skip
        raise GatewayFailure(
            errors.API_CONFIGURATION_ERROR,
            f"Execution failed: pytest-apistages does not emulate the AWS service "
            f"{service.group('service')} ({target})",
        )
    lambda_run.resolve(ctx, target)
    mapped = map_request(ctx, lambda_type=True)
    body = nonproxy.request_body(ctx)  # the template may override headers: read them after
    headers = dict(mapped.headers) | overrides(ctx, "requestOverride", "header")
    if len(body) > lambda_run.LAMBDA_PAYLOAD_LIMIT:
        raise GatewayFailure(errors.REQUEST_TOO_LARGE, "Lambda request payload over 6 MB")
    try:
        ctx.event = json.loads(body) if body.strip() else {}
    except ValueError as e:
        raise GatewayFailure(
            errors.API_CONFIGURATION_ERROR,
            f"Lambda invocation failed with status: 400. Execution failed due to configuration "
            f"error: Could not parse request body into json: {e}",
        ) from None
    invocation = {k.lower(): v for k, v in headers.items()}.get(_ASYNC.lower(), "")
    ctx.asynchronous = invocation.strip() == "Event"


def call(ctx: RequestContext) -> None:
    """Invoke it; an asynchronous (`Event`) call runs and its result is not awaited by the
    client: the answer is empty."""
    answer = lambda_run.invoke(ctx, ctx.event)
    if ctx.asynchronous:
        if answer.error is not None:
            ctx.note("Asynchronous invocation failed: {}", answer.error.detail)
        ctx.result = EndpointResponse(202, [], b"")
        return
    ctx.function_error = answer.error.payload if answer.error is not None else None
    ctx.result = EndpointResponse(200, [], answer.text.encode("utf-8"))


def response(ctx: RequestContext) -> None:
    """Lambda errors select by their errorMessage; a success takes the default response."""
    assert isinstance(ctx.result, EndpointResponse)
    error = ctx.function_error
    selector = None if error is None else str(error.get("errorMessage", ""))
    nonproxy.respond(ctx, selector, ctx.result)
