"""Execution logs (per the method's logging level) and access logs (a stage's `$context`
format). A request keeps them as facts; they become text only when read (`gw.logs`,
`gw.access_logs`) or when the `pytest_apistages` logger is enabled for their level, so pytest's
`caplog` and failure reports show them."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from ..model import EffectiveSettings

logger = logging.getLogger("pytest_apistages")

INFO, ERROR, DATA = "INFO", "ERROR", "DATA"  # DATA: only with data tracing
MAX_EVENT_BYTES = 1024
PYTHON_LEVELS = {INFO: logging.INFO, ERROR: logging.ERROR, DATA: logging.DEBUG}
# Dotted names (`identity.sourceIp`); a dot that ends the name is the format's own text.
_CONTEXT_VARIABLE = re.compile(r"\$context\.([A-Za-z0-9_]+(?:\.[A-Za-z0-9_]+)*)")
_TRUNCATED = " [TRUNCATED]"

Fact = tuple[str, str, tuple[Any, ...]]  # (level, template with {} per argument, arguments)


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


@dataclass(frozen=True, slots=True)
class RequestLog:
    """What one request leaves in the logs: its execution-log facts (filtered by the
    method's settings when read), and its access-log values when the stage logs access."""

    group: str
    timestamp: float
    request_id: str
    settings: EffectiveSettings
    facts: list[Fact]
    access_group: str | None = None
    access_format: str | None = None
    access_values: Mapping[str, Any] | None = None

    def events(self) -> Iterator[LogEvent]:
        """The execution-log lines the method's level lets through: OFF none, ERROR only
        errors, INFO all but request and response data, which needs data tracing."""
        wanted = levels_logged(self.settings)
        # The event CloudWatch stores is `(request id) message`: the whole fits in 1024 bytes.
        room = MAX_EVENT_BYTES - len(f"({self.request_id}) ".encode())
        for level, template, args in self.facts:
            if level in wanted:
                message = truncated(render(template, args), room)
                yield LogEvent(self.group, self.timestamp, self.request_id, message, level)

    def access_event(self) -> LogEvent | None:
        if self.access_format is None or self.access_values is None:
            return None
        assert self.access_group is not None
        line = render_access_log(self.access_format, self.access_values)
        return LogEvent(self.access_group, self.timestamp, self.request_id, line)


def levels_logged(settings: EffectiveSettings) -> frozenset[str]:
    level = settings.logging_level
    if level == "OFF":
        return frozenset()
    if level == "ERROR":
        return frozenset((ERROR,))
    return frozenset((INFO, ERROR, DATA)) if settings.data_trace else frozenset((INFO, ERROR))


def emit(entry: RequestLog) -> None:
    """Send the request's logged lines to the `pytest_apistages` logger, rendering only those
    at a level the logger lets through (by default, with pytest, only errors)."""
    if logger.isEnabledFor(logging.INFO):
        enabled = {lv for lv, number in PYTHON_LEVELS.items() if logger.isEnabledFor(number)}
    elif logger.isEnabledFor(logging.ERROR):
        enabled = {ERROR}
    else:
        return
    if not any(fact[0] in enabled for fact in entry.facts):
        return
    for event in entry.events():
        if event.level in enabled:
            logger.log(PYTHON_LEVELS[event.level], "%s %s", event.group, event.text)


class Deferred:
    """A fact's argument worked out only if the line is rendered: `fn(*args)`, where the
    arguments are values that no longer change."""

    __slots__ = ("fn", "args")

    def __init__(self, fn: Callable[..., Any], *args: Any) -> None:
        self.fn, self.args = fn, args


def render(template: str, args: tuple[Any, ...]) -> str:
    """A fact as text; a mapping prints as API Gateway's execution log prints a map."""
    if not args:
        return template
    return template.format(*(_text(a) for a in args))


def _text(value: Any) -> Any:
    if isinstance(value, Deferred):
        value = value.fn(*value.args)
    return java_map(value) if isinstance(value, Mapping) else value


def java_map(values: Mapping[str, Any]) -> str:
    """`{petId=123, kind=dog}`."""
    return "{" + ", ".join(f"{k}={v}" for k, v in values.items()) + "}"


def body_text(text: str) -> str:
    """A body in a log line, cut at 1000 characters as AWS cuts the bodies it logs."""
    return text if len(text) <= 1000 else text[:1000] + _TRUNCATED


def truncated(message: str, room: int) -> str:
    """API Gateway truncates a log event over its size limit."""
    data = message.encode("utf-8")
    if len(data) <= room:
        return message
    return data[: room - len(_TRUNCATED)].decode("utf-8", "ignore") + _TRUNCATED


def render_access_log(template: str, values: Mapping[str, Any]) -> str:
    """Fill a `$context.x` format; a variable without a value prints `-`, as AWS does."""

    def value(m: re.Match[str]) -> str:
        found = values.get(m.group(1))
        return "-" if found is None or found == "" else str(found)

    return _CONTEXT_VARIABLE.sub(value, template)


def log_group_name(destination: str) -> str:
    """A log group's name from its ARN (arn:aws:logs:region:account:log-group:NAME[:*])."""
    if destination.startswith("arn:"):
        name = destination.split(":log-group:", 1)[-1]
        return name[:-2] if name.endswith(":*") else name
    return destination
