"""Running a function as Lambda does, for both Lambda integrations: resolve the reference
(alias weights drawn here), run the handler with its context object, environment and timeout,
and hand back what Lambda hands API Gateway — the result as JSON, or the function's error as
Lambda's error object."""

from __future__ import annotations

import json
import logging
import time
import traceback
from dataclasses import dataclass
from typing import Any

from ... import errors
from ...functions import (
    FunctionNotFound,
    LambdaContext,
    Resolved,
    function_environment,
    parse_reference,
    thread_event_loop,
)
from ..context import GatewayFailure, RequestContext

logger = logging.getLogger("pytest_apistages")
LAMBDA_PAYLOAD_LIMIT = 6 * 1024 * 1024  # a synchronous invocation's request
LAMBDA_RESPONSE_LIMIT = 6_291_556  # and its response, as Lambda's error message gives it


class FunctionError(Exception):
    """The function failed: `payload` is the error object Lambda returns (errorMessage,
    errorType, …), `detail` the execution log's line for it."""

    def __init__(self, payload: dict[str, Any], detail: str) -> None:
        super().__init__(detail)
        self.payload = payload
        self.detail = detail


@dataclass(frozen=True)
class Answer:
    """What Lambda handed back: the payload's JSON text and its value (a copy through JSON,
    as API Gateway receives it), and the error when it is an error object."""

    text: str
    value: Any
    error: FunctionError | None = None


def resolve(ctx: RequestContext, reference: str) -> None:
    """The function a reference (after stage-variable substitution) names, drawn through its
    alias weights; a missing one, or an httpMethod other than POST, is a configuration error
    (AWS accepts the method when it is put, then fails each call: recorded)."""
    assert ctx.match is not None
    http_method = ctx.match.route.integration.http_method
    if http_method not in (None, "POST"):
        raise GatewayFailure(
            errors.LAMBDA_NOT_POST,
            f"Execution failed due to configuration error: Lambda integrations must use "
            f"httpMethod POST, this one uses {http_method}",
        )
    try:
        name, qualifier = parse_reference(reference)
        ctx.target = f"{name}:{qualifier}" if qualifier else name
        ctx.function = ctx.services.functions.resolve(reference)
    except FunctionNotFound as e:
        raise GatewayFailure(
            errors.API_CONFIGURATION_ERROR, f"Execution failed due to configuration error: {e}"
        ) from None
    ctx.version = ctx.function.function.version
    ctx.note(
        "Endpoint request URI: https://lambda.{}.amazonaws.com/2015-03-31/functions/{}/invocations",
        ctx.services.region,
        ctx.function.invoked_arn,
    )


def invoke(ctx: RequestContext, event: Any) -> Answer:
    """Run the handler. Its exception, exit, timeout or unserialisable result is the
    function's error (an Answer carrying it), not the gateway's; only the integration's own
    timeout is a GatewayFailure."""
    resolved = ctx.function
    assert resolved is not None and ctx.match is not None
    integration = ctx.match.route.integration
    context = LambdaContext(resolved, ctx.services.draws.uuid(), ctx.services.region)
    request_id = context.aws_request_id
    error: FunctionError | None = None
    with (
        function_environment(resolved.function, context.runtime_environment()),
        thread_event_loop(),
    ):
        started = context.start()  # waiting for the environment is not run time
        try:
            result = resolved.function.handler(event, context)
        except SystemExit as e:  # the runtime process would exit: Lambda reports it
            error = FunctionError(
                {
                    "errorType": "Runtime.ExitError",
                    "errorMessage": f"RequestId: {request_id} Error: Runtime exited with error: "
                    f"exit status {e.code!r}",
                },
                f"Lambda execution failed: Runtime exited with error: exit status {e.code!r}. "
                f"Lambda request id: {request_id}",
            )
        except Exception as e:
            # The whole traceback goes to the function's own log; the execution log's event
            # is truncated at 1024 bytes, as in CloudWatch.
            logger.error("function %s failed:\n%s", resolved.invoked_arn, traceback.format_exc())
            error = FunctionError(
                {
                    "errorMessage": _message(e),
                    "errorType": type(e).__name__,
                    "requestId": request_id,
                    "stackTrace": traceback.format_list(traceback.extract_tb(e.__traceback__)),
                },
                f"Lambda execution failed with status 200 due to customer function error: "
                f"{_repr(e)}. Lambda request id: {request_id}\n{traceback.format_exc()}",
            )
    ctx.integration_ms = _run_time(ctx, resolved, started, event)
    elapsed = ctx.integration_ms / 1000
    if elapsed > integration.timeout_ms / 1000:
        raise GatewayFailure(
            errors.INTEGRATION_TIMEOUT,
            f"Execution failed due to a timeout error: the function ran {elapsed * 1000:.0f} ms, "
            f"the integration timeout is {integration.timeout_ms} ms",
        )
    if elapsed > resolved.function.timeout:
        message = f"Task timed out after {resolved.function.timeout:.2f} seconds"
        error = FunctionError(
            {"errorMessage": f"{_timestamp(ctx)} {request_id} {message}"}, message
        )
    if error is not None:
        return _failed(error)
    try:
        text = json.dumps(result)
        value = json.loads(text)
    except (TypeError, ValueError, OverflowError, RecursionError) as e:
        message = f"Unable to marshal response: {str(e)[:200]}"
        error = FunctionError(
            {"errorMessage": message, "errorType": "Runtime.MarshalError",
             "requestId": request_id, "stackTrace": []},
            f"Runtime.MarshalError: {message}",
        )  # fmt: skip
        return _failed(error)
    if len(text) > LAMBDA_RESPONSE_LIMIT:
        message = (
            f"Response payload size ({len(text)} bytes) exceeded maximum allowed payload size "
            f"({LAMBDA_RESPONSE_LIMIT} bytes)."
        )
        error = FunctionError(
            {"errorMessage": message, "errorType": "Function.ResponseSizeTooLarge"}, message
        )
        return _failed(error)
    return Answer(text, value)


def _failed(error: FunctionError) -> Answer:
    return Answer(json.dumps(error.payload), error.payload, error)


def _run_time(ctx: RequestContext, resolved: Resolved, started: float, event: Any) -> float:
    """The run's duration in ms, failed or not: the version's declared `duration_ms` (which
    the request's latency then includes too), else the measured time."""
    measured = time.perf_counter() - started
    simulated = resolved.function.simulated_ms(event)
    if simulated is None:
        return measured * 1000
    ctx.timer -= simulated / 1000 - measured
    return simulated


def _message(error: BaseException) -> str:
    """`str(error)`, as the Python runtime puts it in errorMessage, whatever its __str__ does."""
    try:
        return str(error)
    except Exception:
        return type(error).__name__


def _repr(error: BaseException) -> str:
    """An exception as the log shows it, whatever its own __repr__ does."""
    try:
        return repr(error)[:1000]
    except Exception:
        return type(error).__name__


def _timestamp(ctx: RequestContext) -> str:
    """The request's time as Lambda stamps its log lines: 2024-05-01T12:00:00.123Z."""
    seconds = ctx.started
    millis = int(seconds % 1 * 1000)
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(seconds)) + f".{millis:03d}Z"
