"""What the pipeline knows about one request, and how a step stops it with API Gateway's
answer."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .errors import GatewayErrorKind
from .model import Deployment, Stage
from .routing import Match

if TYPE_CHECKING:
    from .gateway import Gateway
    from .settings import EffectiveSettings
    from .usage import ApiKey, UsagePlan

_STAGE_VARIABLE = re.compile(r"\$\{stageVariables\.([A-Za-z0-9_]+)\}")


class GatewayFailure(Exception):
    """Stop the request with one of API Gateway's error answers; `reason` goes to the log."""

    def __init__(self, kind: GatewayErrorKind, reason: str = "") -> None:
        super().__init__(reason or kind.response_type)
        self.kind = kind
        self.reason = reason


class UndefinedStageVariable(Exception):
    pass


@dataclass
class RequestContext:
    """What the steps know about one request so far."""

    gateway: Gateway
    environ: dict[str, Any]
    method: str
    raw_path: str
    query_string: str
    headers: list[tuple[str, str]]
    source_ip: str
    protocol: str
    host: str
    request_id: str
    extended_request_id: str
    started: float
    timer: float
    body: bytes = b""
    stage_name: str = ""
    path: str = "/"
    stage: Stage | None = None
    deployment: Deployment | None = None
    match: Match | None = None
    variables: dict[str, str] = field(default_factory=dict)
    canary: bool = False
    settings: EffectiveSettings | None = None
    api_key: ApiKey | None = None
    usage_plan: UsagePlan | None = None
    throttled: bool = False
    cache_hit: bool = False
    cache_miss: bool = False
    integrated: bool = False
    integration_ms: float = 0.0
    integration_status: int | None = None
    error_message: str | None = None
    target: str | None = None
    version: str | None = None
    log: list[tuple[str, str]] = field(default_factory=list)  # (level, line)

    def note(self, message: str, level: str = "INFO") -> None:
        """An execution-log line: INFO, ERROR, or DATA (request/response data, traced only)."""
        self.log.append((level, message))

    @property
    def account_id(self) -> str:
        return self.gateway.account_id

    @property
    def api_id(self) -> str:
        return self.gateway.api_id

    @property
    def resource_id(self) -> str:
        assert self.match is not None
        return resource_id(self.api_id, self.match.route.path)

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

        def value(m: re.Match[str]) -> str:
            found = self.variables.get(m.group(1), undefined)
            if found is None:
                raise UndefinedStageVariable(m.group(1))
            return found

        return _STAGE_VARIABLE.sub(value, text)


def resource_id(api_id: str, path: str) -> str:
    """A stable 6-character resource id, as AWS shows in `requestContext.resourceId`."""
    digest = hashlib.sha256(f"{api_id}{path}".encode()).digest()
    alphabet = "abcdefghijklmnopqrstuvwxyz0123456789"
    return "".join(alphabet[b % 36] for b in digest[:6])


def trace_id(ctx: RequestContext) -> str:
    return f"Root=1-{int(ctx.started):08x}-{ctx.request_id.replace('-', '')[:24]}"
