"""Lambda functions in-process: $LATEST, published versions, aliases, the references API Gateway
accepts for them, and the context object and environment a handler runs with."""

from __future__ import annotations

import asyncio
import hashlib
import os
import random
import re
import sys
import threading
import time
import warnings
from collections.abc import Callable, Iterator, Mapping
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from .errors import BadRequestError, NotFoundError, did_you_mean, refused_at_the_caller, shown
from .model import frozen_map
from .rollout import plan as plan_steps

Handler = Callable[[Any, Any], Any]
Duration = float | Callable[[Any], float]

_NAME = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
_ALIAS = re.compile(r"^(?!^[0-9]+$)[A-Za-z0-9_-]{1,128}$")
_LAMBDA_ARN = re.compile(
    r"^arn:aws[a-z-]*:lambda:(?P<region>[a-z0-9-]+):(?P<account>\d{12}):function:"
    r"(?P<name>[^:/]+)(?::(?P<qualifier>[^:/]+))?$"
)
_INVOCATION_URI = re.compile(
    r"^arn:aws[a-z-]*:apigateway:[a-z0-9-]+:lambda:path/2015-03-31/functions/(?P<arn>.+)/invocations$"
)
_ENV_LOCK = threading.RLock()


@dataclass(frozen=True)
class FunctionVersion:
    """One immutable version of a function ($LATEST is the one that can still change)."""

    name: str
    version: str
    handler: Handler
    environment: Mapping[str, str] = field(default_factory=frozen_map)
    timeout: float = 3.0
    memory: int = 128
    description: str = ""
    # How long a run takes, in ms, on the gateway's account (a number, or a function of the
    # event): a slow version is then slow deterministically, without sleeping.
    duration_ms: Duration | None = None

    def simulated_ms(self, event: Any) -> float | None:
        if self.duration_ms is None:
            return None
        value = self.duration_ms(event) if callable(self.duration_ms) else self.duration_ms
        return float(value)


@dataclass(frozen=True)
class Alias:
    """A name that points at a version; `weights` (AWS's routing config) sends a share of its
    invocations to another version, as SAM/CodeDeploy traffic shifting does."""

    name: str
    version: str
    weights: Mapping[str, float] = field(default_factory=frozen_map)
    # How CodeDeploy shifts it (SAM's DeploymentPreference): shift_traffic's default steps.
    deployment_preference: str | None = None

    def pick(self, draw: float) -> str:
        """The version one invocation runs, for a uniform draw in [0, 1)."""
        for version, weight in self.weights.items():
            if draw < weight:
                return version
            draw -= weight
        return self.version


@dataclass
class _Function:
    latest: FunctionVersion
    versions: dict[str, FunctionVersion] = field(default_factory=dict)
    aliases: dict[str, Alias] = field(default_factory=dict)


@dataclass(frozen=True)
class Resolved:
    """What a reference named: the version that runs and the ARN it was invoked by."""

    function: FunctionVersion
    invoked_arn: str
    qualifier: str | None


class FunctionNotFound(NotFoundError):
    """A reference to a function, version or alias that does not exist (AWS: 500 at invoke)."""


@refused_at_the_caller
class Functions:
    """The gateway's Lambda functions, addressed as AWS addresses them."""

    def __init__(
        self,
        region: str,
        account_id: str,
        draw: Callable[[], float] = random.random,
        shifter: Callable[..., Any] | None = None,
    ) -> None:
        self.region = region
        self.account_id = account_id
        self._draw = draw  # seeded by the gateway, for weighted aliases
        self._shifter = shifter  # the gateway's traffic shifting (it drives the requests)
        self._functions: dict[str, _Function] = {}

    def shift_traffic(self, function: str, alias: str, to_version: str, **options: Any) -> Any:
        """Move `alias` onto `to_version` step by step, judging each step from the two
        versions' own figures; ends on the new version or back on the old. Options: `steps`
        (percents or a CodeDeploy preset; by default the alias's `deployment_preference`),
        `traffic`, `stage`, `health`, `interval`, `requests` (see the README's Canary
        analysis). Returns a `Rollout`."""
        if self._shifter is None:
            raise BadRequestError("shift_traffic needs the functions of a Gateway")
        return self._shifter(function, alias, to_version, **options)

    def register(
        self,
        name: str,
        handler: Handler,
        *,
        environment: Mapping[str, Any] | None = None,
        timeout: float = 3.0,
        memory: int = 128,
        duration_ms: Duration | None = None,
    ) -> None:
        """Create the function, or replace its $LATEST code and settings (versions stay).
        `duration_ms` makes each run take that long (a number, or a function of the event)
        in the records, metrics and timeouts, instead of its measured time."""
        if not isinstance(name, str) or not _NAME.match(name):
            raise BadRequestError(
                f"Invalid function name {shown(name)}: use 1-64 letters, digits, '-' or '_'"
            )
        if not callable(handler):
            raise BadRequestError(
                f"Handler for function {shown(name)} is not callable: {shown(handler)}"
            )
        if not 1 <= timeout <= 900:
            raise BadRequestError(
                f"Function {shown(name)}: timeout must be 1-900 seconds, got {timeout}"
            )
        env = {str(k): str(v) for k, v in (environment or {}).items()}
        _check_duration(name, duration_ms)
        latest = FunctionVersion(
            name, "$LATEST", handler, frozen_map(env), timeout, memory, duration_ms=duration_ms
        )
        if name in self._functions:
            self._functions[name].latest = latest
        else:
            self._functions[name] = _Function(latest)

    def publish_version(
        self,
        name: str,
        handler: Handler | None = None,
        *,
        description: str = "",
        duration_ms: Duration | None = None,
    ) -> str:
        """Freeze $LATEST (or `handler` with $LATEST's settings) as the next version number;
        `duration_ms` (default: $LATEST's) as in `register`."""
        fn = self._get(name)
        if handler is not None and not callable(handler):
            raise BadRequestError(
                f"Handler for function {shown(name)} is not callable: {shown(handler)}"
            )
        _check_duration(name, duration_ms)
        version = str(len(fn.versions) + 1)
        latest = fn.latest
        fn.versions[version] = FunctionVersion(
            name,
            version,
            handler or latest.handler,
            latest.environment,
            latest.timeout,
            latest.memory,
            description,
            latest.duration_ms if duration_ms is None else duration_ms,
        )
        return version

    def set_alias(
        self,
        name: str,
        alias: str,
        version: str,
        *,
        weights: Mapping[str, float] | None = None,
        deployment_preference: str | None = None,
    ) -> None:
        """Create or move an alias to a published version (or $LATEST). `weights` sends that
        share (0.0-1.0) of the alias's invocations to one other published version.
        `deployment_preference` (a CodeDeploy preset such as `Canary10Percent5Minutes`, as
        SAM's DeploymentPreference names it) is how `shift_traffic` moves it by default; a
        move without one keeps the alias's."""
        fn = self._get(name)
        if deployment_preference is not None:
            plan_steps(deployment_preference, None)  # an unknown preset is refused here
        else:
            known = fn.aliases.get(alias)
            deployment_preference = known.deployment_preference if known else None
        version = str(version)
        routing = {str(v): w for v, w in (weights or {}).items()}
        if not isinstance(alias, str) or not _ALIAS.match(alias) or alias == "$LATEST":
            raise BadRequestError(
                f"Invalid alias name {shown(alias)} for function {shown(name)}: use letters, "
                "digits, '-' "
                f"or '_', not only digits"
            )
        if version != "$LATEST" and version not in fn.versions:
            raise FunctionNotFound(
                f"Function not found: {self._arn(name, version)} (published versions of "
                f"{shown(name)}: {', '.join(fn.versions) or 'none'})"
            )
        if len(routing) > 1:
            raise BadRequestError(
                f"Alias {name}:{alias}: weights may name one additional version, "
                f"got {', '.join(routing)}"
            )
        for extra, weight in routing.items():
            if extra == version or extra == "$LATEST" or extra not in fn.versions:
                raise BadRequestError(
                    f"Alias {name}:{alias}: weighted version {shown(extra)} must be a published "
                    f"version other than {shown(version)} (published: {_listed(fn.versions)})"
                )
            if (
                isinstance(weight, bool)
                or not isinstance(weight, (int, float))
                or not (0.0 <= weight <= 1.0)
            ):
                raise BadRequestError(
                    f"Alias {name}:{alias}: weight of version {extra} must be 0.0-1.0, "
                    f"got {shown(weight)}"
                )
        if routing and version == "$LATEST":
            raise BadRequestError(
                f"Alias {name}:{alias}: a weighted alias must point at a published version"
            )
        fn.aliases[alias] = Alias(alias, version, frozen_map(routing), deployment_preference)

    def versions(self, name: str) -> dict[str, FunctionVersion]:
        return dict(self._get(name).versions)

    def aliases(self, name: str) -> dict[str, Alias]:
        return dict(self._get(name).aliases)

    def resolve(self, reference: str) -> Resolved:
        """`name`, `name:qualifier`, a Lambda ARN, or an API Gateway invocation URI."""
        name, qualifier = parse_reference(reference)
        fn = self._functions.get(name)
        if fn is None:
            hint = did_you_mean(name, self._functions)
            raise FunctionNotFound(f"Function not found: {self._arn(name, qualifier)}{hint}")
        invoked = self._arn(name, qualifier)
        if qualifier is None or qualifier == "$LATEST":
            return Resolved(fn.latest, invoked, qualifier)
        if qualifier in fn.versions:
            return Resolved(fn.versions[qualifier], invoked, qualifier)
        if qualifier in fn.aliases:
            alias = fn.aliases[qualifier]
            version = alias.pick(self._draw()) if alias.weights else alias.version
            target = fn.latest if version == "$LATEST" else fn.versions[version]
            return Resolved(target, invoked, qualifier)
        raise FunctionNotFound(f"Function not found: {invoked}")

    def _arn(self, name: str, qualifier: str | None = None) -> str:
        arn = f"arn:aws:lambda:{self.region}:{self.account_id}:function:{name}"
        return f"{arn}:{qualifier}" if qualifier else arn

    def _get(self, name: str) -> _Function:
        try:
            return self._functions[name]
        except KeyError:
            known = ", ".join(self._functions) or "none registered"
            raise FunctionNotFound(
                f"Function not found: {self._arn(name)} (functions: {known})"
            ) from None


def _check_duration(name: str, duration_ms: Any) -> None:
    if duration_ms is None or callable(duration_ms):
        return
    if (
        isinstance(duration_ms, bool)
        or not isinstance(duration_ms, (int, float))
        or not (0 <= duration_ms <= 900_000)
    ):
        raise BadRequestError(
            f"Function {shown(name)}: duration_ms must be 0-900000 ms or a function of the "
            f"event, got {shown(duration_ms)}"
        )


def _listed(names: Mapping[str, Any]) -> str:
    return ", ".join(names) or "none"


@lru_cache(maxsize=4096)
def parse_reference(reference: str) -> tuple[str, str | None]:
    """Split a function reference into name and qualifier (version or alias); a reference
    is parsed once per process."""
    ref = reference.strip()
    uri = _INVOCATION_URI.match(ref)
    if uri:
        ref = uri.group("arn")
    arn = _LAMBDA_ARN.match(ref)
    if arn:
        return arn.group("name"), arn.group("qualifier")
    if ref.startswith("arn:"):
        raise FunctionNotFound(f"Not a Lambda function ARN: {reference}")
    name, _, qualifier = ref.partition(":")
    if not name or ":" in qualifier:
        raise FunctionNotFound(f"Not a function reference: {shown(reference)}")
    return name, qualifier or None


class LambdaContext:
    """The context object the Python Lambda runtime passes to a handler."""

    def __init__(self, resolved: Resolved, request_id: str, region: str) -> None:
        fn = resolved.function
        self.function_name = fn.name
        self.function_version = fn.version
        self.invoked_function_arn = resolved.invoked_arn
        self.memory_limit_in_mb = str(fn.memory)
        self.aws_request_id = request_id
        self.log_group_name = f"/aws/lambda/{fn.name}"
        self.log_stream_name = _log_stream(fn.name, fn.version, time.strftime("%Y/%m/%d"))
        self.identity = None
        self.client_context = None
        self.tenant_id = None
        self._timeout = fn.timeout
        self._deadline = time.perf_counter() + fn.timeout
        self._region = region

    def start(self) -> float:
        """Start the function's clock when the handler is about to run; returns the start."""
        now = time.perf_counter()
        self._deadline = now + self._timeout
        return now

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.perf_counter()) * 1000))

    def runtime_environment(self) -> dict[str, str]:
        """The reserved variables the Lambda runtime sets, beside the function's own."""
        return {
            "AWS_LAMBDA_FUNCTION_NAME": self.function_name,
            "AWS_LAMBDA_FUNCTION_VERSION": self.function_version,
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": self.memory_limit_in_mb,
            "AWS_LAMBDA_LOG_GROUP_NAME": self.log_group_name,
            "AWS_LAMBDA_LOG_STREAM_NAME": self.log_stream_name,
            "AWS_REGION": self._region,
            "AWS_DEFAULT_REGION": self._region,
            "AWS_EXECUTION_ENV": "AWS_Lambda_python3",
        }

    def __repr__(self) -> str:
        return f"<LambdaContext {self.invoked_function_arn} request {self.aws_request_id}>"


@contextmanager
def thread_event_loop() -> Iterator[None]:
    """On Lambda a handler runs in the runtime's main thread, where asyncio.get_event_loop()
    gives a loop (Mangum relies on it). A server thread has none: lend it one for the call."""
    if threading.current_thread() is threading.main_thread():
        yield
        return
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        try:
            asyncio.get_event_loop_policy().get_event_loop()
            has_loop = True
        except RuntimeError:
            has_loop = False
    if has_loop:
        yield
        return
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    try:
        yield
    finally:
        asyncio.set_event_loop(None)
        loop.close()


@lru_cache(maxsize=4096)
def _log_stream(name: str, version: str, day: str) -> str:
    """One execution environment's log stream, as Lambda names it: the day, the version and
    the environment's id (one per function version here, as if each ran warm in one)."""
    instance = hashlib.sha256(f"{name}:{version}".encode()).hexdigest()[:32]
    return f"{day}/[{version}]{instance}"


def function_environment(
    function: FunctionVersion, runtime: Mapping[str, str]
) -> AbstractContextManager[None]:
    """The function's environment (the runtime's reserved variables and its own) in
    os.environ for one invocation, and os.environ as it was afterwards."""
    return environment_variables({**runtime, **function.environment})


@contextmanager
def environment_variables(variables: Mapping[str, str]) -> Iterator[None]:
    """`variables` in os.environ for the duration, and os.environ as it was afterwards.

    os.environ is process-wide, so its users (invocations, handler imports) are serialised by
    a lock. Setting a variable through os.environ encodes it and calls putenv each time; here
    each is encoded once and written to both halves os.environ keeps (its byte mapping and the
    C environment), which cuts the cost of a call about four times. Elsewhere than POSIX, the
    plain way is used."""
    data = getattr(os.environ, "_data", None)
    with _ENV_LOCK:
        if os.name != "posix" or not isinstance(data, dict):
            saved_text = {k: os.environ.get(k) for k in variables}
            os.environ.update(variables)
            try:
                yield
            finally:
                for key, old_text in saved_text.items():
                    if old_text is None:
                        os.environ.pop(key, None)
                    else:
                        os.environ[key] = old_text
            return
        raw: dict[bytes, bytes] = data
        saved = []
        putenv, encoding = os.putenv, sys.getfilesystemencoding()
        for name_text, value_text in variables.items():
            name = name_text.encode(encoding, "surrogateescape")
            value = value_text.encode(encoding, "surrogateescape")
            saved.append((name, raw.get(name)))
            putenv(name, value)
            raw[name] = value
        try:
            yield
        finally:
            for name, old in saved:
                if old is None:
                    os.unsetenv(name)
                    raw.pop(name, None)
                else:
                    putenv(name, old)
                    raw[name] = old
