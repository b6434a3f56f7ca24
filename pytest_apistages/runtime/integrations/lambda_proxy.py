"""AWS_PROXY: call a function with the payload 1.0 event and check its answer as AWS does."""

from __future__ import annotations

import json
import logging
import time
import traceback
from typing import NoReturn

from ... import errors
from ...functions import (
    FunctionNotFound,
    LambdaContext,
    Resolved,
    function_environment,
    parse_reference,
    thread_event_loop,
)
from ...observe.logs import DATA
from ..context import GatewayFailure, RequestContext
from ..request import is_binary
from .lambda_format import (
    MalformedProxyResponse,
    UndecodableProxyBody,
    build_event,
    parse_proxy_response,
)

logger = logging.getLogger("pytest_apistages")
LAMBDA_PAYLOAD_LIMIT = 6 * 1024 * 1024  # a synchronous invocation's request
LAMBDA_RESPONSE_LIMIT = 6_291_556  # and its response, as Lambda's error message gives it
# Headers, ids and the rest of an event stay far below this; only a body near it needs the
# event serialised to know its size.
_EVENT_OVERHEAD = 64 * 1024


def request(ctx: RequestContext) -> None:
    """Resolve the function (alias weights drawn here) and build its event."""
    assert ctx.match is not None
    integration = ctx.match.route.integration
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
        ctx.function = ctx.services.functions.resolve(reference)
    except FunctionNotFound as e:
        raise GatewayFailure(
            errors.API_CONFIGURATION_ERROR, f"Execution failed due to configuration error: {e}"
        ) from None
    ctx.version = ctx.function.function.version
    ctx.event = build_event(ctx)
    if len(ctx.body) * 4 // 3 + _EVENT_OVERHEAD > LAMBDA_PAYLOAD_LIMIT:
        if len(json.dumps(ctx.event)) > LAMBDA_PAYLOAD_LIMIT:
            raise GatewayFailure(errors.REQUEST_TOO_LARGE, "Lambda request payload over 6 MB")
    ctx.note(
        "Endpoint request URI: https://lambda.{}.amazonaws.com/2015-03-31/functions/{}/invocations",
        ctx.services.region,
        ctx.function.invoked_arn,
    )
    if _traced(ctx):
        ctx.note("Endpoint request body after transformations: {}", json.dumps(ctx.event),
                 level=DATA)  # fmt: skip


def call(ctx: RequestContext) -> None:
    """Run the handler as the Lambda runtime would: its context object and environment, its
    timeout; its exception is the function's error, not the gateway's."""
    resolved = ctx.function
    assert resolved is not None and ctx.match is not None
    integration = ctx.match.route.integration
    context = LambdaContext(resolved, ctx.services.draws.uuid(), ctx.services.region)
    with (
        function_environment(resolved.function, context.runtime_environment()),
        thread_event_loop(),
    ):
        started = context.start()  # waiting for the environment is not run time
        try:
            result = resolved.function.handler(ctx.event, context)
        except SystemExit as e:  # the runtime process would exit: Lambda reports it
            ctx.integration_ms = _run_time(ctx, resolved, started)
            _lambda_error(
                f"Lambda execution failed: Runtime exited with error: exit status {e.code!r}. "
                f"Lambda request id: {context.aws_request_id}"
            )
        except Exception as e:
            ctx.integration_ms = _run_time(ctx, resolved, started)
            # The whole traceback goes to the function's own log; the execution log's event
            # is truncated at 1024 bytes, as in CloudWatch.
            logger.error("function %s failed:\n%s", resolved.invoked_arn, traceback.format_exc())
            _lambda_error(
                f"Lambda execution failed with status 200 due to customer function error: "
                f"{_repr(e)}. Lambda request id: {context.aws_request_id}\n"
                f"{traceback.format_exc()}",
            )
    ctx.integration_ms = _run_time(ctx, resolved, started)
    elapsed = ctx.integration_ms / 1000
    if elapsed > integration.timeout_ms / 1000:
        raise GatewayFailure(
            errors.INTEGRATION_TIMEOUT,
            f"Execution failed due to a timeout error: the function ran {elapsed * 1000:.0f} ms, "
            f"the integration timeout is {integration.timeout_ms} ms",
        )
    if elapsed > resolved.function.timeout:
        _lambda_error(f"Task timed out after {resolved.function.timeout:.2f} seconds")
    ctx.result = result


def response(ctx: RequestContext) -> None:
    """What Lambda hands API Gateway is the result as JSON: a result that does not serialise
    is the function's error; the rest is checked as a proxy response."""
    try:
        text = json.dumps(ctx.result)
        result = json.loads(text)
    except (TypeError, ValueError, OverflowError, RecursionError) as e:
        _lambda_error(f"Runtime.MarshalError: Unable to marshal response: {str(e)[:200]}")
    if len(text) > LAMBDA_RESPONSE_LIMIT:
        _lambda_error(
            f"Response payload size ({len(text)} bytes) exceeded maximum allowed payload size "
            f"({LAMBDA_RESPONSE_LIMIT} bytes)."
        )
    if _traced(ctx):
        ctx.note("Endpoint response body before transformations: {}", _short(text), level=DATA)
    try:
        parsed = parse_proxy_response(result, _accepts_binary(ctx))
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


def _lambda_error(detail: str) -> NoReturn:
    raise GatewayFailure(errors.INTEGRATION_FAILURE, detail)


def _run_time(ctx: RequestContext, resolved: Resolved, started: float) -> float:
    """The run's duration in ms, failed or not: the version's declared `duration_ms` (which
    the request's latency then includes too), else the measured time."""
    measured = time.perf_counter() - started
    simulated = resolved.function.simulated_ms(ctx.event)
    if simulated is None:
        return measured * 1000
    ctx.timer -= simulated / 1000 - measured
    return simulated


def _repr(error: BaseException) -> str:
    """An exception as the log shows it, whatever its own __repr__ does."""
    try:
        return repr(error)[:1000]
    except Exception:
        return type(error).__name__


def _traced(ctx: RequestContext) -> bool:
    return ctx.settings is not None and ctx.settings.data_trace


def _accepts_binary(ctx: RequestContext) -> bool:
    assert ctx.deployment is not None
    accept = (ctx.header("Accept") or "").split(",")[0]
    return is_binary(accept, ctx.deployment.api.binary_media_types)


def _short(text: str) -> str:
    """Logged text cut at 1000 characters, as AWS cuts the response body it logs."""
    return text if len(text) <= 1000 else text[:1000] + " [TRUNCATED]"
