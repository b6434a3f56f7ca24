"""AWS_PROXY: call a function with the payload 1.0 event and check its answer as AWS does."""

from __future__ import annotations

import json
import logging
import time
import traceback
from typing import Any, NoReturn

from werkzeug.wrappers import Response

from .. import errors
from ..context import GatewayFailure, RequestContext
from ..events import (
    MalformedProxyResponse,
    UndecodableProxyBody,
    build_event,
    is_binary,
    parse_proxy_response,
)
from ..functions import FunctionNotFound, LambdaContext, function_environment, parse_reference
from ..logs import DATA
from ..model import Integration

logger = logging.getLogger("pytest_apistages")
LAMBDA_PAYLOAD_LIMIT = 6 * 1024 * 1024


def invoke(ctx: RequestContext, integration: Integration) -> Response:
    if integration.http_method not in (None, "POST"):
        raise GatewayFailure(
            errors.LAMBDA_NOT_POST,
            f"Execution failed due to configuration error: Lambda integrations must use "
            f"httpMethod POST, this one uses {integration.http_method}",
        )
    reference = ctx.substitute(integration.target)
    try:
        name, qualifier = parse_reference(reference)
        ctx.target = f"{name}:{qualifier}" if qualifier else name
        resolved = ctx.gateway.functions.resolve(reference)
    except FunctionNotFound as e:
        raise GatewayFailure(
            errors.API_CONFIGURATION_ERROR,
            f"Execution failed due to configuration error: {e}",
        ) from None
    ctx.version = resolved.function.version
    payload = json.dumps(build_event(ctx))
    if len(payload) > LAMBDA_PAYLOAD_LIMIT:
        raise GatewayFailure(errors.REQUEST_TOO_LARGE, "Lambda request payload over 6 MB")
    ctx.note(
        f"Endpoint request URI: https://lambda.{ctx.gateway.region}.amazonaws.com/2015-03-31/"
        f"functions/{resolved.invoked_arn}/invocations"
    )
    ctx.note(f"Endpoint request body after transformations: {payload}", DATA)

    context = LambdaContext(resolved, ctx.gateway.draws.uuid(), ctx.gateway.region)
    environment = {**context.runtime_environment(), **resolved.function.environment}
    with function_environment(environment):
        started = context.start()  # waiting for the environment is not run time
        try:
            result = resolved.function.handler(json.loads(payload), context)
        except Exception as e:
            ctx.integration_ms = (time.perf_counter() - started) * 1000
            # The whole traceback goes to the function's own log; the execution log's event
            # is truncated at 1024 bytes, as in CloudWatch.
            logger.error("function %s failed:\n%s", resolved.invoked_arn, traceback.format_exc())
            _lambda_error(
                ctx,
                f"Lambda execution failed with status 200 due to customer function error: "
                f"{e!r}. Lambda request id: {context.aws_request_id}\n{traceback.format_exc()}",
            )
    elapsed = time.perf_counter() - started
    ctx.integration_ms = elapsed * 1000
    if elapsed > integration.timeout_ms / 1000:
        raise GatewayFailure(
            errors.INTEGRATION_TIMEOUT,
            f"Execution failed due to a timeout error: the function ran {elapsed * 1000:.0f} ms, "
            f"the integration timeout is {integration.timeout_ms} ms",
        )
    if elapsed > resolved.function.timeout:
        _lambda_error(ctx, f"Task timed out after {resolved.function.timeout:.2f} seconds")
    try:
        result = json.loads(json.dumps(result))
    except (TypeError, ValueError) as e:
        _lambda_error(ctx, f"Runtime.MarshalError: Unable to marshal response: {e}")
    ctx.note(f"Endpoint response body before transformations: {_short(result)}", DATA)
    try:
        parsed = parse_proxy_response(result, _accepts_binary(ctx))
    except MalformedProxyResponse as e:
        raise GatewayFailure(
            errors.LAMBDA_ERROR,
            f"Execution failed due to configuration error: Malformed Lambda proxy response ({e})",
        ) from None
    except UndecodableProxyBody as e:
        raise GatewayFailure(
            errors.API_CONFIGURATION_ERROR,
            f"Execution failed due to an internal error: unable to convert the Lambda proxy "
            f"response body to binary ({e})",
        ) from None
    return Response(parsed.body, status=parsed.status, headers=parsed.headers)


def _lambda_error(ctx: RequestContext, detail: str) -> NoReturn:
    raise GatewayFailure(errors.LAMBDA_ERROR, detail)


def _accepts_binary(ctx: RequestContext) -> bool:
    assert ctx.deployment is not None
    accept = (ctx.header("Accept") or "").split(",")[0]
    return is_binary(accept, ctx.deployment.api.binary_media_types)


def _short(value: Any) -> str:
    text = json.dumps(value)
    return text if len(text) <= 1000 else text[:1000] + " [TRUNCATED]"
