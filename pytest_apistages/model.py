"""The control plane as plain immutable data: routes, integrations, API definitions, deployments,
stages and their settings. A deployment holds an `ApiDefinition` value, so nothing done to the
working API later can change what a stage serves."""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from types import MappingProxyType
from typing import Any, TypeVar

from . import resources
from .errors import BadRequestError, shown
from .resources import HTTP_METHODS, Match, Resource

METHODS = (*HTTP_METHODS, "ANY")
INTEGRATION_TYPES = ("AWS_PROXY", "HTTP_PROXY", "HTTP", "MOCK", "AWS")
PASSTHROUGH_BEHAVIORS = ("WHEN_NO_MATCH", "WHEN_NO_TEMPLATES", "NEVER")
CONTENT_HANDLINGS = ("CONVERT_TO_TEXT", "CONVERT_TO_BINARY")
DEFAULT_TIMEOUT_MS = 29000
NO_METHODS = "The REST API doesn't contain any methods"
ALL_METHODS = "*/*"
DEFAULT_RATE = 10000.0
DEFAULT_BURST = 5000

_SEGMENT = re.compile(r"^(?:[A-Za-z0-9_\-.,:]+|\{[A-Za-z0-9_\-.]+\+?\})$")
# `${stageVariables.name}` where API Gateway substitutes a stage variable into text (a URI,
# a function reference, a static header or body).
STAGE_VARIABLE = re.compile(r"\$\{stageVariables\.([A-Za-z0-9_]+)\}")
DEPLOYMENT_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
_STAGE_NAME = re.compile(r"^[A-Za-z0-9_-]{1,128}$")
_VARIABLE_NAME = re.compile(r"^[A-Za-z0-9_]+$")
_VARIABLE_VALUE = re.compile(r"^[A-Za-z0-9\-._~:/?#&=,]+$")


K = TypeVar("K")
V = TypeVar("V")


def frozen_map(items: Mapping[K, V] | None = None) -> Mapping[K, V]:
    """A read-only copy, so a snapshot cannot be edited through a reference someone kept."""
    return MappingProxyType(dict(items or {}))


@dataclass(frozen=True)
class IntegrationResponse:
    """One of an integration's `responses`: when `pattern` (a regex over the status, or over a
    Lambda's errorMessage) matches, or always when it is the default (None), the client gets
    `status`, the headers `parameters` map and the body the `templates` render."""

    status: int
    pattern: str | None = None
    parameters: Mapping[str, str] = field(default_factory=frozen_map)
    templates: Mapping[str, str] = field(default_factory=frozen_map)
    content_handling: str | None = None


@dataclass(frozen=True)
class Integration:
    """What a method calls, as API Gateway's integration object. `target` is a function
    reference (AWS_PROXY, AWS) or a URI (HTTP types). The short MOCK form's static answer is
    `status`, `headers` and `body`, given as written (no template)."""

    type: str
    target: str = ""
    http_method: str | None = None
    timeout_ms: int = DEFAULT_TIMEOUT_MS
    request_parameters: Mapping[str, str] = field(default_factory=frozen_map)
    request_templates: Mapping[str, str] = field(default_factory=frozen_map)
    passthrough_behavior: str = "WHEN_NO_MATCH"
    content_handling: str | None = None
    responses: tuple[IntegrationResponse, ...] = ()
    status: int = 200
    headers: Mapping[str, str] = field(default_factory=frozen_map)
    body: str = ""
    cache_key_parameters: tuple[str, ...] = ()
    credentials: str | None = None  # the role API Gateway assumes (kept, not used: no IAM)

    @property
    def templated(self) -> bool:
        """Whether API Gateway's non-proxy path (templates, integration responses) applies."""
        return self.type in ("HTTP", "AWS") or bool(self.request_templates or self.responses)

    def describe(self) -> str:
        """One phrase naming where requests go, for messages."""
        if self.type == "MOCK":
            return "MOCK" if self.templated else f"MOCK {self.status}"
        return f"{self.type} {self.target}"


@dataclass(frozen=True)
class Route:
    """A method on a resource: `GET /pets/{id}`; `ANY` stands for every verb.

    `request_parameters` are the method request's declared parameters
    (`method.request.querystring.q` -> required), which mappings and cache keys refer to.
    `method_responses` are the declared method responses (status -> the headers they may set);
    none declared means any status and header is allowed."""

    method: str
    path: str
    integration: Integration
    api_key_required: bool = False
    operation_name: str | None = None
    request_parameters: Mapping[str, bool] = field(default_factory=frozen_map)
    method_responses: Mapping[int, tuple[str, ...]] = field(default_factory=frozen_map)

    @property
    def key(self) -> str:
        return f"{self.method} {self.path}"

    @property
    def segments(self) -> list[str]:
        return [s for s in self.path.split("/") if s]


def parse_route_key(key: str) -> tuple[str, str]:
    """Split and check `"GET /pets/{id}"`, with API Gateway's rules for resource paths."""
    parts = key.split()
    if len(parts) != 2:
        raise BadRequestError(
            f"Invalid route {shown(key)}: write it as 'VERB /path', e.g. 'GET /pets/{{id}}'"
        )
    method, path = parts[0].upper(), parts[1]
    if method not in METHODS:
        raise BadRequestError(
            f"Invalid HTTP method {shown(parts[0])} in route {shown(key)}: use one of "
            f"{', '.join(METHODS)}"
        )
    if not path.startswith("/"):
        raise BadRequestError(f"Invalid resource path {shown(path)}: it must start with '/'")
    segments = [s for s in path.split("/") if s]
    if path != "/" + "/".join(segments):
        raise BadRequestError(
            f"Invalid resource path {shown(path)}: no empty segments or trailing '/' "
            f"(write {shown('/' + '/'.join(segments))})"
        )
    for i, segment in enumerate(segments):
        if not _SEGMENT.match(segment):
            raise BadRequestError(
                f"Resource's path part only allow a-zA-Z0-9._- and curly braces at the beginning "
                f"and the end and an optional plus sign before the closing brace: {shown(segment)} "
                f"in {shown(path)}"
            )
        if segment.endswith("+}") and i != len(segments) - 1:
            raise BadRequestError(
                f"Cannot create a child of a resource with a greedy path variable: {segment}"
            )
    return method, path


# Gateway response types and their default status (DEFAULT_4XX/5XX have none of their own).
GATEWAY_RESPONSE_TYPES: Mapping[str, int | None] = MappingProxyType({
    "ACCESS_DENIED": 403, "API_CONFIGURATION_ERROR": 500, "AUTHORIZER_CONFIGURATION_ERROR": 500,
    "AUTHORIZER_FAILURE": 500, "BAD_REQUEST_PARAMETERS": 400, "BAD_REQUEST_BODY": 400,
    "DEFAULT_4XX": None, "DEFAULT_5XX": None, "EXPIRED_TOKEN": 403, "INTEGRATION_FAILURE": 504,
    "INTEGRATION_TIMEOUT": 504, "INVALID_API_KEY": 403, "INVALID_SIGNATURE": 403,
    "MISSING_AUTHENTICATION_TOKEN": 403, "QUOTA_EXCEEDED": 429, "REQUEST_TOO_LARGE": 413,
    "RESOURCE_NOT_FOUND": 404, "THROTTLED": 429, "UNAUTHORIZED": 401,
    "UNSUPPORTED_MEDIA_TYPE": 415, "WAF_FILTERED": 403,
})  # fmt: skip
DEFAULT_GATEWAY_TEMPLATE = '{"message":$context.error.messageString}'


@dataclass(frozen=True)
class GatewayResponse:
    """A customised gateway response: the status (None keeps the type's), the headers
    (`gatewayresponse.header.X` -> expression) and the body templates by media type."""

    type: str
    status: int | None = None
    parameters: Mapping[str, str] = field(default_factory=frozen_map)
    templates: Mapping[str, str] = field(default_factory=frozen_map)


@dataclass(frozen=True)
class ApiDefinition:
    """Everything a deployment freezes: the routes (with their resource tree, which edits share
    with the definitions they came from), the API's binary media types and its customised
    gateway responses."""

    name: str = "api"
    routes: Mapping[str, Route] = field(default_factory=frozen_map)
    binary_media_types: tuple[str, ...] = ()
    tree: Resource[Route] = field(default_factory=Resource, compare=False, repr=False)
    gateway_responses: Mapping[str, GatewayResponse] = field(default_factory=frozen_map)

    def __post_init__(self) -> None:
        if self.routes and self.tree.empty:  # built from a mapping: checked as put_route checks
            tree: Resource[Route] = Resource()
            for route in self.routes.values():
                tree = resources.put(tree, route.segments, route.method, route, route.key)
            object.__setattr__(self, "tree", tree)

    def with_route(self, route: Route) -> ApiDefinition:
        tree = resources.put(self.tree, route.segments, route.method, route, route.key)
        return replace(self, routes=frozen_map({**self.routes, route.key: route}), tree=tree)

    def without_route(self, key: str) -> ApiDefinition:
        route = self.routes[key]
        tree = resources.remove(self.tree, route.segments, route.method)
        routes = frozen_map({k: v for k, v in self.routes.items() if k != key})
        return replace(self, routes=routes, tree=tree)

    def match(self, method: str, path: str) -> Match[Route] | None:
        """The route for `method path` (raw, not URL-decoded), with API Gateway's precedence."""
        return resources.match(self.tree, method, path)


@dataclass(frozen=True)
class MethodSettings:
    """One `methodSettings` entry. Each field is None where the entry does not set it, so a
    method entry overrides only what it names and inherits the rest from `*/*`."""

    metrics_enabled: bool | None = None
    logging_level: str | None = None
    data_trace: bool | None = None
    throttling_rate: float | None = None
    throttling_burst: int | None = None
    caching_enabled: bool | None = None
    cache_ttl: int | None = None
    require_authorization_for_cache_control: bool | None = None
    unauthorized_cache_control_strategy: str | None = None

    def given(self) -> dict[str, Any]:
        """The fields this entry sets."""
        values = {f.name: getattr(self, f.name) for f in fields(self)}
        return {name: value for name, value in values.items() if value is not None}

    def apply(self, base: EffectiveSettings) -> EffectiveSettings:
        """`base` with the fields this entry sets replaced."""
        return replace(base, **self.given())


@dataclass(frozen=True)
class EffectiveSettings:
    """What applies to one method once AWS's defaults, `*/*` and its own entry are combined."""

    metrics_enabled: bool = False
    logging_level: str = "INFO"  # AWS's default is OFF; see the README
    data_trace: bool = False
    throttling_rate: float = DEFAULT_RATE
    throttling_burst: int = DEFAULT_BURST
    caching_enabled: bool = False
    cache_ttl: int = 300
    require_authorization_for_cache_control: bool = True
    unauthorized_cache_control_strategy: str = "SUCCEED_WITH_RESPONSE_HEADER"


@dataclass(frozen=True)
class AccessLogSettings:
    """`accessLogSettings`: a one-line format of `$context` variables, and where it goes."""

    format: str
    destination: str


@dataclass(frozen=True)
class StageSettings:
    """The settings of one stage. `method_settings` keys are `*/*` or `"GET /pets"`."""

    method_settings: Mapping[str, MethodSettings] = field(default_factory=frozen_map)
    cache_cluster_enabled: bool = False
    cache_cluster_size: str = "0.5"
    access_log: AccessLogSettings | None = None
    # for_route's answers: the settings never change, so each route's is worked out once
    _effective: dict[str | None, EffectiveSettings] = field(
        default_factory=dict, init=False, compare=False, repr=False
    )

    def for_route(self, route_key: str | None) -> EffectiveSettings:
        """Defaults, then `*/*`, then the route's own entry. GET methods cache when `*/*`
        enables caching; other verbs only through their own entry, as on AWS."""
        cached = self._effective.get(route_key)
        if cached is None:
            cached = self._effective[route_key] = self._work_out(route_key)
        return cached

    def _work_out(self, route_key: str | None) -> EffectiveSettings:
        everything = self.method_settings.get(ALL_METHODS, MethodSettings())
        own = self.method_settings.get(route_key or "", MethodSettings())
        effective = own.apply(everything.apply(EffectiveSettings()))
        if not (route_key or "").startswith("GET ") and own.caching_enabled is None:
            effective = replace(effective, caching_enabled=False)
        return effective

    def metrics_enabled_for(self, route_key: str) -> bool:
        return self.for_route(route_key).metrics_enabled


@dataclass(frozen=True)
class Deployment:
    """An immutable snapshot of the API, as CreateDeployment makes it."""

    id: str
    api: ApiDefinition
    description: str = ""
    created_date: float = 0.0


@dataclass(frozen=True)
class Canary:
    """A stage's canarySettings: `percent` of requests run `deployment_id`, seeing the stage's
    variables overlaid with `variables` (stageVariableOverrides)."""

    percent: float
    deployment_id: str
    variables: Mapping[str, str] = field(default_factory=frozen_map)
    use_stage_cache: bool = False

    def stage_variables(self, stage_variables: Mapping[str, str]) -> dict[str, str]:
        """What a canary request sees: overrides replace and add; the rest stay visible."""
        return {**stage_variables, **self.variables}


@dataclass(frozen=True)
class Stage:
    """A named pointer to one deployment, with its variables and the deployments it has served."""

    name: str
    deployment_id: str
    variables: Mapping[str, str] = field(default_factory=frozen_map)
    description: str = ""
    history: tuple[str, ...] = ()
    created_date: float = 0.0
    last_updated_date: float = 0.0
    canary: Canary | None = None
    settings: StageSettings = field(default_factory=lambda: StageSettings())


def check_percent(percent: object) -> float:
    """percentTraffic: a number from 0.0 to 100.0."""
    if isinstance(percent, bool) or not isinstance(percent, (int, float)) or math.isnan(percent):
        raise BadRequestError(
            f"Canary percent must be a number from 0.0 to 100.0, got {shown(percent)}"
        )
    if not 0.0 <= percent <= 100.0:
        raise BadRequestError(f"Canary percent must be from 0.0 to 100.0, got {shown(percent)}")
    return float(percent)


def check_stage_name(name: str) -> str:
    if not isinstance(name, str) or not _STAGE_NAME.match(name):
        raise BadRequestError(
            f"Invalid stage name {shown(name)}: stage names may contain only alphanumeric "
            "characters, "
            f"hyphens and underscores, up to 128 characters"
        )
    return name


def check_deployment_id(deployment_id: str) -> str:
    """A declared deployment id: AWS generates ids of letters and digits; ours may be named."""
    if not isinstance(deployment_id, str) or not DEPLOYMENT_ID.match(deployment_id):
        raise BadRequestError(
            f"Invalid deployment id {shown(deployment_id)}: use 1-64 letters, digits, '-' or '_'"
        )
    return deployment_id


def check_variables(variables: Mapping[str, Any]) -> dict[str, str]:
    """Stage-variable names and values under AWS's rules, with AWS's messages."""
    if not isinstance(variables, Mapping):
        raise BadRequestError(
            f"Stage variables must be a mapping of names to values, got {shown(variables)}"
        )
    if len(variables) > 100:
        raise BadRequestError(f"A stage may have at most 100 stage variables; got {len(variables)}")
    checked: dict[str, str] = {}
    for name, value in variables.items():
        if not isinstance(name, str) or not _VARIABLE_NAME.match(name):
            raise BadRequestError(
                f"Invalid stage variable name: {name}.  Please use names with only word characters."
            )
        if len(name) > 64:
            raise BadRequestError(
                f"Stage variable name {name[:20]}... is longer than 64 characters"
            )
        if value is None:
            raise BadRequestError(f"Stage variable {name} has no value (None)")
        text = str(value).lower() if isinstance(value, bool) else str(value)
        if not _VARIABLE_VALUE.match(text):
            raise BadRequestError(
                f"Invalid stage variable value: {text}.  Please use values with alphanumeric "
                f"characters and the symbols ' ', -', '.', '_', ':', '/', '?', '&', '=', and ','."
            )
        if len(text) > 512:
            raise BadRequestError(
                f"Stage variable {name}: the value is {len(text)} characters, the limit is 512"
            )
        checked[name] = text
    return checked
