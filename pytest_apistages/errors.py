"""Errors users see: control-plane refusals, configuration mistakes, and gateway error answers."""

from __future__ import annotations

import difflib
import functools
import inspect
import json
import reprlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, TypeVar


class _ShortRepr(reprlib.Repr):
    """reprlib's bounded repr, keeping a mapping's own order (reprlib sorts its keys)."""

    def repr_dict(self, x: dict[Any, Any], level: int) -> str:
        if not x:
            return "{}"
        if level <= 0:
            return "{...}"
        items = [
            f"{self.repr1(k, level - 1)}: {self.repr1(v, level - 1)}"
            for k, v in list(x.items())[: self.maxdict]
        ]
        return "{" + ", ".join(items) + (", ..." if len(x) > self.maxdict else "") + "}"


_REPR = _ShortRepr()
_REPR.maxstring = _REPR.maxother = 200
_REPR.maxlong = 60
_REPR.maxlist = _REPR.maxdict = _REPR.maxtuple = _REPR.maxset = 6
_REPR.maxlevel = 3


def shown(value: Any) -> str:
    """`repr(value)` for a message, kept short whatever the value: a huge number, a long
    string, or a YAML structure whose aliases would expand it a billion times."""
    return _REPR.repr(value)


def did_you_mean(name: str, known: Iterable[str]) -> str:
    """` (did you mean 'prod'?)` when one known name is close to `name`, else nothing."""
    close = difflib.get_close_matches(name, list(known), n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""


class ApiStagesError(Exception):
    """Base class of every error pytest-apistages raises on purpose."""


T = TypeVar("T")
_HOT = {"wsgi_app"}  # called per request: not wrapped


def refused_at_the_caller(cls: type[T]) -> type[T]:
    """A class decorator: when a public method refuses (an ApiStagesError), the error is
    raised from the caller's line, so a failing test shows the user's code, not our frames."""
    for name, member in list(vars(cls).items()):
        if name.startswith("_") or name in _HOT:
            continue
        if isinstance(member, classmethod):
            setattr(cls, name, classmethod(_at_the_caller(member.__func__)))
        elif inspect.isfunction(member):
            setattr(cls, name, _at_the_caller(member))
    return cls


def _at_the_caller(fn: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(fn)
    def method(*args: Any, **kwargs: Any) -> Any:
        __tracebackhide__ = True
        try:
            return fn(*args, **kwargs)
        except ApiStagesError as error:
            raise error.with_traceback(None) from None

    return method


class BadRequestError(ApiStagesError):
    """A control-plane call AWS would answer with 400 BadRequestException (same message)."""


class NotFoundError(ApiStagesError):
    """A control-plane call AWS would answer with 404 NotFoundException (same message)."""


class ConfigError(ApiStagesError):
    """A mistake in a config file or dict, located by file and key path, with the fix."""

    def __init__(
        self, source: str, key: str, problem: str, fix: str = "", *, line: int | None = None
    ) -> None:
        self.source = source
        self.key = key
        self.problem = problem
        self.fix = fix
        self.line = line  # in `source`, where it has lines (a template read from YAML or JSON)
        self.detail = ""  # e.g. the traceback of a handler module that failed to import
        where = f"{source}:{line}" if line is not None else source
        where = f"{where}: {key}" if key else where
        message = f"{where}: {problem}"
        if fix:
            message += f" ({fix})"
        super().__init__(message)


@dataclass(frozen=True)
class GatewayErrorKind:
    """One of API Gateway's default error answers: status, exact body, ErrorType header."""

    response_type: str
    status: int
    body: bytes
    error_type: str | None
    content_type: str = "application/json"

    @property
    def message(self) -> str:
        """`$context.error.message`: the body's message, or the plain-text body."""
        text = self.body.decode()
        return str(json.loads(text)["message"]) if text.startswith("{") else text


MISSING_AUTHENTICATION_TOKEN = GatewayErrorKind(
    "MISSING_AUTHENTICATION_TOKEN",
    403,
    b'{"message":"Missing Authentication Token"}',
    "MissingAuthenticationTokenException",
)
# A function's error or malformed answer, or a backend's broken one.
INTEGRATION_FAILURE = GatewayErrorKind(
    "INTEGRATION_FAILURE",
    502,
    b'{"message": "Internal server error"}',
    "InternalServerErrorException",
)
# A Lambda integration whose httpMethod is not POST: accepted when configured, then each call
# fails as INTEGRATION_FAILURE with a 500 (AWS-recorded).
LAMBDA_NOT_POST = GatewayErrorKind(
    "INTEGRATION_FAILURE",
    500,
    b'{"message": "Internal server error"}',
    "InternalServerErrorException",
)
API_CONFIGURATION_ERROR = GatewayErrorKind(
    "API_CONFIGURATION_ERROR",
    500,
    b'{"message": "Internal server error"}',
    "InternalServerErrorException",
)
# A fault of the emulator itself (it is logged with its traceback): API Gateway's generic 500.
INTERNAL_ERROR = GatewayErrorKind(
    "DEFAULT_5XX",
    500,
    b'{"message": "Internal server error"}',
    "InternalServerErrorException",
)
INTEGRATION_TIMEOUT = GatewayErrorKind(
    "INTEGRATION_TIMEOUT",
    504,
    b'{"message": "Endpoint request timed out"}',
    "InternalServerErrorException",
)
REQUEST_TOO_LARGE = GatewayErrorKind(
    "REQUEST_TOO_LARGE",
    413,
    b'{"message": "Request Too Long"}',
    "BadRequestException",
)
PAYLOAD_TOO_LARGE = GatewayErrorKind(
    "PAYLOAD_TOO_LARGE",
    413,
    b"HTTP content length exceeded 10485760 bytes.",
    None,
    content_type="text; charset=utf-8",
)
# A body shorter than its Content-Length (the client stopped sending): our choice of answer.
TRUNCATED_BODY = GatewayErrorKind(
    "DEFAULT_4XX",
    400,
    b'{"message":"Bad Request"}',
    "BadRequestException",
)
# A Content-Type no request template serves, under a strict passthroughBehavior.
UNSUPPORTED_MEDIA_TYPE = GatewayErrorKind(
    "UNSUPPORTED_MEDIA_TYPE",
    415,
    b'{"message":"Unsupported Media Type"}',
    "BadRequestException",
)
INVALID_API_KEY = GatewayErrorKind(
    "INVALID_API_KEY",
    403,
    b'{"message":"Forbidden"}',
    "ForbiddenException",
)
THROTTLED = GatewayErrorKind(
    "THROTTLED",
    429,
    b'{"message":"Too Many Requests"}',
    "TooManyRequestsException",
)
QUOTA_EXCEEDED = GatewayErrorKind(
    "QUOTA_EXCEEDED",
    429,
    b'{"message":"Limit Exceeded"}',
    "LimitExceededException",
)
CACHE_INVALIDATION_DENIED = GatewayErrorKind(
    "ACCESS_DENIED",
    403,
    b'{"message":"Forbidden"}',
    "AccessDeniedException",
)
