"""What the pipeline's steps share: the services of the data plane, the snapshot of what a
stage serves, the context of one request, and how a step stops a request."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from ..errors import GatewayErrorKind
from ..model import STAGE_VARIABLE, Deployment, EffectiveSettings, Route, Stage
from ..observe.logs import INFO
from ..resources import Match

if TYPE_CHECKING:
    from ..clock import Clock
    from ..draws import Draws
    from ..functions import Functions, Resolved
    from ..observe.records import Invocation, Records
    from ..usage import ApiKey, ApiKeys, Throttle, UsagePlan, UsagePlans
    from ..vtl import VtlMap
    from .cache import StageCaches
    from .integrations.http import Backends
    from .limits import Level, Limiter


class GatewayFailure(Exception):
    """Stop the request with one of API Gateway's error answers; `reason` goes to the log."""

    def __init__(self, kind: GatewayErrorKind, reason: str = "") -> None:
        super().__init__(reason or kind.response_type)
        self.kind = kind
        self.reason = reason


class UndefinedStageVariable(Exception):
    pass


@dataclass(frozen=True)
class Served:
    """What one stage serves at one instant. A request takes it whole, so a stage that moves,
    or a deployment deleted, while the request runs does not change what serves it."""

    stage: Stage
    deployment: Deployment
    canary: Deployment | None = None
    canary_variables: Mapping[str, str] = field(default_factory=dict)
    # worked out once per snapshot: each route's stage and account throttles
    method_levels: dict[str, tuple[Throttle, tuple[Level, ...]]] = field(
        default_factory=dict, compare=False, repr=False
    )


@dataclass
class Services:
    """What the data plane uses, and nothing of the control plane: the steps read these, never
    the Gateway. The Gateway owns them and keeps `served` up to date."""

    api_id: str
    region: str
    account_id: str
    clock: Clock
    draws: Draws
    limiter: Limiter
    caches: StageCaches
    functions: Functions
    backends: Backends
    api_keys: ApiKeys
    usage_plans: UsagePlans
    records: Records
    account_throttle: Throttle
    served: Mapping[str, Served] = field(default_factory=dict)
    listeners: list[Callable[[Invocation], None]] = field(default_factory=list)

    @property
    def host(self) -> str:
        return f"{self.api_id}.execute-api.{self.region}.amazonaws.com"

    def log_group(self, stage: str, canary: bool = False) -> str:
        """The CloudWatch log group AWS writes a stage's execution log to."""
        group = f"API-Gateway-Execution-Logs_{self.api_id}/{stage}"
        return f"{group}/Canary" if canary else group


@dataclass(frozen=True)
class EndpointRequest:
    """What an HTTP integration sends to its backend."""

    method: str
    url: str
    netloc: str
    path: str
    query: str
    headers: list[tuple[str, str]]
    body: bytes = b""


@dataclass(frozen=True)
class EndpointResponse:
    """What the backend (or function) answered, before the integration response maps it."""

    status: int
    headers: list[tuple[str, str]]
    body: bytes


@dataclass(eq=False, slots=True)
class RequestContext:
    """What the steps know about one request so far, and the answer once there is one."""

    services: Services
    environ: dict[str, Any]
    # read request
    method: str = "GET"
    raw_path: str = "/"
    query_string: str = ""
    headers: list[tuple[str, str]] = field(default_factory=list)
    source_ip: str = ""
    protocol: str = "HTTP/1.1"
    host: str = ""
    request_id: str = ""
    extended_request_id: str = ""
    trace_id: str = ""  # X-Amzn-Trace-Id
    started: float = 0.0
    timer: float = 0.0
    body: bytes = b""
    # resolve stage, choose deployment, match route
    stage_name: str = ""
    path: str = "/"
    served: Served | None = None
    deployment: Deployment | None = None
    canary: bool = False
    variables: Mapping[str, str] = field(default_factory=dict)
    match: Match[Route] | None = None
    settings: EffectiveSettings | None = None
    # API key, throttle, cache
    api_key: ApiKey | None = None
    usage_plan: UsagePlan | None = None
    throttled: bool = False
    cache_key: tuple[str, ...] | None = None
    cache_flushes: int = 0
    cache_hit: bool = False
    cache_miss: bool = False
    cache_warning: str | None = None
    # integration request, integration, integration response
    target: str | None = None
    version: str | None = None
    function: Resolved | None = None
    event: dict[str, Any] | None = None
    endpoint: EndpointRequest | None = None
    result: Any = None
    integrated: bool = False
    integration_ms: float = 0.0
    integration_status: int | None = None
    asynchronous: bool = False  # a Lambda invoked with X-Amz-Invocation-Type: Event
    function_error: dict[str, Any] | None = None  # a non-proxy Lambda's error object
    vtl_context: VtlMap | None = None  # `$context` of the mapping templates, once built
    # the answer
    failure: GatewayFailure | None = None
    status: int = 200
    response_headers: list[tuple[str, str]] = field(default_factory=list)
    response_body: bytes = b""
    answered: bool = False  # by the cache: the integration steps are skipped
    record: Invocation | None = None
    # execution-log facts, rendered to text only when read: (level, template, args)
    log: list[tuple[str, str, tuple[Any, ...]]] = field(default_factory=list)

    def note(self, template: str, *args: Any, level: str = INFO) -> None:
        """An execution-log line: INFO, ERROR, or DATA (request/response data, traced only).
        `template` has `{}` for each of `args`; a mapping prints as AWS prints one."""
        self.log.append((level, template, args))

    @property
    def data_traced(self) -> bool:
        """Whether the method logs full requests and responses (dataTraceEnabled)."""
        return self.settings is not None and self.settings.data_trace

    @property
    def account_id(self) -> str:
        return self.services.account_id

    @property
    def api_id(self) -> str:
        return self.services.api_id

    @property
    def resource_id(self) -> str:
        assert self.match is not None
        return resource_id(self.api_id, self.match.route.path)

    @property
    def error_message(self) -> str | None:
        return self.failure.kind.message if self.failure is not None else None

    def header(self, name: str) -> str | None:
        """The last value of a request header, by case-insensitive name."""
        lowered = name.lower()
        found = None
        for key, value in self.headers:
            if key.lower() == lowered:
                found = value
        return found

    def substitute(self, text: str, undefined: str | None = None) -> str:
        """Replace `${stageVariables.x}`. An undefined one renders as `undefined` where given
        (templates render ""), else it is an error for the caller to map."""
        if "${" not in text:
            return text

        def value(m: re.Match[str]) -> str:
            found = self.variables.get(m.group(1), undefined)
            if found is None:
                raise UndefinedStageVariable(m.group(1))
            return found

        return STAGE_VARIABLE.sub(value, text)


_ID_ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789"


@lru_cache(maxsize=65536)
def resource_id(api_id: str, path: str) -> str:
    """A stable 6-character resource id, as AWS shows in `requestContext.resourceId`; worked
    out once per API and resource path in the process."""
    digest = hashlib.sha256(f"{api_id}{path}".encode()).digest()
    return "".join(_ID_ALPHABET[b % 36] for b in digest[:6])
