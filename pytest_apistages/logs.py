"""Execution logs (per the method's logging level) and access logs (a stage's `$context`
format), kept for `gw.logs` / `gw.access_logs` and sent to the `pytest_apistages` logger so
pytest's `caplog` and failure reports show them."""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .events import format_request_time

if TYPE_CHECKING:
    from .context import RequestContext
    from .records import Invocation
    from .settings import EffectiveSettings

logger = logging.getLogger("pytest_apistages")

INFO, ERROR, DATA = "INFO", "ERROR", "DATA"  # DATA: only with data tracing
MAX_EVENT_BYTES = 1024
_PYTHON_LEVELS = {INFO: logging.INFO, ERROR: logging.ERROR, DATA: logging.DEBUG}
# Dotted names (`identity.sourceIp`); a dot that ends the name is the format's own text.
_CONTEXT_VARIABLE = re.compile(r"\$context\.([A-Za-z0-9_]+(?:\.[A-Za-z0-9_]+)*)")
_TRUNCATED = " [TRUNCATED]"


@dataclass(frozen=True)
class LogEvent:
    """One log line, in the CloudWatch log group API Gateway would write it to."""

    group: str
    timestamp: float
    request_id: str
    message: str
    level: str = INFO

    @property
    def text(self) -> str:
        """As CloudWatch shows an execution-log event: `(request id) message`."""
        return f"({self.request_id}) {self.message}"


def execution_events(
    ctx: RequestContext, settings: EffectiveSettings, group: str
) -> list[LogEvent]:
    """The request's log lines the method's level lets through: OFF none, ERROR only errors,
    INFO all but request and response data, which needs data tracing."""
    level = settings.logging_level
    if level == "OFF":
        return []
    wanted = {ERROR} if level == "ERROR" else {INFO, ERROR}
    if settings.data_trace and level == "INFO":
        wanted.add(DATA)
    # The event CloudWatch stores is `(request id) message`: the whole of it fits in 1024 bytes.
    room = MAX_EVENT_BYTES - len(f"({ctx.request_id}) ".encode())
    events = []
    for line_level, message in ctx.log:
        if line_level in wanted:
            data = message.encode("utf-8")
            if len(data) > room:  # API Gateway truncates log events
                cut = data[: room - len(_TRUNCATED)].decode("utf-8", "ignore")
                message = cut + _TRUNCATED
            events.append(LogEvent(group, ctx.started, ctx.request_id, message, line_level))
            logger.log(_PYTHON_LEVELS[line_level], "%s %s", group, f"({ctx.request_id}) {message}")
    return events


def render_access_log(template: str, ctx: RequestContext, record: Invocation, length: int) -> str:
    """Fill a `$context.x` format; a variable without a value prints `-`, as AWS does."""
    values = context_variables(ctx, record, length)

    def value(m: re.Match[str]) -> str:
        found = values.get(m.group(1))
        return "-" if found is None or found == "" else str(found)

    return _CONTEXT_VARIABLE.sub(value, template)


def context_variables(ctx: RequestContext, record: Invocation, length: int) -> dict[str, Any]:
    """The `$context` variables an access log may use, for one served request."""
    route = ctx.match.route if ctx.match else None
    key = ctx.api_key
    return {
        "accountId": ctx.account_id,
        "apiId": ctx.api_id,
        "deploymentId": record.deployment_id,
        "domainName": ctx.host,
        "domainPrefix": ctx.host.split(".")[0],
        "extendedRequestId": ctx.extended_request_id,
        "httpMethod": ctx.method,
        "path": ctx.raw_path,
        "protocol": ctx.protocol,
        "requestId": ctx.request_id,
        "requestTime": format_request_time(ctx.started),
        "requestTimeEpoch": int(ctx.started * 1000),
        "resourceId": ctx.resource_id if route else None,
        "resourcePath": route.path if route else None,
        "stage": ctx.stage_name,
        "isCanaryRequest": "true" if ctx.canary else "false",
        "identity.sourceIp": ctx.source_ip,
        "identity.userAgent": ctx.header("User-Agent"),
        "identity.apiKey": key.value if key else None,
        "identity.apiKeyId": key.id if key else None,
        "identity.caller": None,
        "identity.user": None,
        "identity.userArn": None,
        "identity.accountId": None,
        "status": record.status,
        "responseLength": length,
        "responseLatency": round(record.latency_ms),
        "integrationLatency": round(record.integration_latency_ms) if ctx.integrated else None,
        "integration.latency": round(record.integration_latency_ms) if ctx.integrated else None,
        "integrationStatus": ctx.integration_status,
        "integration.status": ctx.integration_status,
        "integration.integrationStatus": ctx.integration_status,
        "error.responseType": record.error,
        "error.message": ctx.error_message,
        "error.messageString": f'"{ctx.error_message}"' if ctx.error_message else None,
        "xrayTraceId": None,
        "wafResponseCode": None,
    }
