"""`apistages.yaml` (or a dict of the same shape) to a `Gateway`, with every mistake reported as a
`ConfigError` that names the file, the key path, the bad value and the fix.

Loading (parse, validate, import handlers) happens once; `Gateway.from_config` then makes as
many fresh gateways of it as the tests need, cheaply."""

from __future__ import annotations

import difflib
import importlib
import importlib.machinery
import json
import re
import sys
import traceback
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from types import ModuleType
from typing import Any
from urllib.parse import quote

import yaml

from ..errors import BadRequestError, ConfigError, NotFoundError, shown
from ..functions import Functions
from ..model import (
    DEFAULT_TIMEOUT_MS,
    DEPLOYMENT_ID,
    INTEGRATION_TYPES,
    METHODS,
    NO_METHODS,
    ApiDefinition,
    Integration,
    Route,
    StageSettings,
    check_stage_name,
    check_variables,
    frozen_map,
    parse_route_key,
)
from ..observe.records import DEFAULT_MAX_RECORDS, MAX_RECORDS_LIMIT
from ..settings import updated_settings
from ..usage import ApiKeys, UsagePlans, throttle_from

CURRENT = "current"
MAX_BODY_VALUES = 100_000
MAX_DEPTH = 64  # nesting a config never needs; deeper YAML is refused before it is built
_SETTINGS = ("throttling", "caching", "logging", "metrics", "access_log", "method_settings")


class _DuplicateKey(yaml.MarkedYAMLError):
    """A key given twice in one YAML mapping (PyYAML would silently keep the last)."""


class _Loader(yaml.SafeLoader):
    """`yaml.safe_load`, refusing duplicate keys: a second `GET /pets:` or `stages:` is a
    mistake, never an intended override. A scalar its tag cannot hold (`!!int abc`, a bad
    `!!timestamp`, a 5000-digit int) is a located YAML error, not a Python exception."""

    def construct_object(self, node: yaml.Node, deep: bool = False) -> Any:
        try:
            return super().construct_object(node, deep)
        except (ValueError, TypeError, OverflowError) as e:
            raise yaml.constructor.ConstructorError(
                None, None, f"{node.tag.rsplit(':', 1)[-1]} value: {str(e)[:120]}",
                node.start_mark,
            ) from None  # fmt: skip

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: dict[Any, int] = {}
        for key_node, _ in node.value:
            if not isinstance(key_node, yaml.ScalarNode) or key_node.tag.endswith(":merge"):
                continue
            key = self.construct_object(key_node)
            try:
                hash(key)
            except TypeError:
                raise yaml.constructor.ConstructorError(
                    None, None, f"a key must be a plain value, got {type(key).__name__}",
                    key_node.start_mark,
                ) from None  # fmt: skip
            if key in seen:
                raise _DuplicateKey(
                    problem=f"duplicate key {shown(key)} (first given on line {seen[key]})",
                    problem_mark=key_node.start_mark,
                )
            seen[key] = key_node.start_mark.line + 1
        return super().construct_mapping(node, deep)


class _Node:
    """A value in the config and where it is, so every error can say file and key path."""

    def __init__(self, value: Any, source: str, path: str = "") -> None:
        self.value = value
        self.source = source
        self.path = path

    def child(self, key: str | int) -> _Node:
        if isinstance(key, int):
            path = f"{self.path}[{key}]"
        else:
            path = f"{self.path}.{key}" if self.path else str(key)
        return _Node(self.value[key], self.source, path)

    def error(self, problem: str, fix: str = "") -> ConfigError:
        return ConfigError(self.source, self.path, problem, fix)

    def mapping(self, allowed: tuple[str, ...] | None = None) -> dict[str, _Node]:
        """The entries of a mapping; unknown keys are errors with a suggestion."""
        if self.value is None:
            return {}
        if not isinstance(self.value, dict):
            raise self.error(f"expected a mapping, got {_show(self.value)}")
        nodes = {}
        for key in self.value:
            if not isinstance(key, str):
                raise self.error(f"key {shown(key)} must be a string", f"quote it: '{key}'")
            if allowed is not None and key not in allowed:
                close = difflib.get_close_matches(key, allowed, n=1)
                fix = (
                    f"did you mean {shown(close[0])}?"
                    if close
                    else f"known keys: {', '.join(allowed)}"
                )
                raise self.child(key).error("unknown key", fix)
            nodes[key] = self.child(key)
        return nodes

    def string(self, pattern: re.Pattern[str] | None = None, fix: str = "") -> str:
        if not isinstance(self.value, str) or not self.value:
            raise self.error(f"expected a non-empty string, got {_show(self.value)}", fix)
        if pattern is not None and not pattern.match(self.value):
            raise self.error(f"invalid value {shown(self.value)}", fix)
        return self.value

    def number(self, low: float, high: float, unit: str = "") -> float:
        value = self.value
        if isinstance(value, bool) or not isinstance(value, (int, float)) or value != value:
            raise self.error(
                f"expected a number, got {_show(value)}", f"use {low:g}-{high:g}{unit}"
            )
        if not low <= value <= high:
            raise self.error(f"must be {low:g}-{high:g}{unit}, got {_show_number(value)}")
        return float(value)

    def integer(self, low: int, high: int, unit: str = "") -> int:
        if isinstance(self.value, float) and not self.value.is_integer():
            raise self.error(
                f"expected a whole number, got {self.value:g}", f"use {low}-{high}{unit}"
            )
        return int(self.number(low, high, unit))

    def sequence(self) -> list[_Node]:
        if self.value is None:
            return []
        if not isinstance(self.value, list):
            raise self.error(f"expected a list, got {_show(self.value)}", "write [a, b]")
        return [self.child(i) for i in range(len(self.value))]

    @contextmanager
    def located(self) -> Iterator[None]:
        """Report a control-plane refusal (AWS's wording) at this key."""
        try:
            yield
        except (BadRequestError, NotFoundError) as e:
            path, problem = _rekeyed(self.path, str(e))
            raise ConfigError(self.source, path, problem, "") from None


# A key path inside a control-plane message: dotted segments, a segment being a word (with
# [index]) or a route key such as "GET /pets" or "/pets/GET".
_MESSAGE_KEY = re.compile(
    r"((?:[A-Z]+ /[^\s.:]*|[\w/{}~*+\[\]-]+)(?:\.(?:[A-Z]+ /[^\s.:]*|[\w/{}~*+\[\]-]+))*)"
    r"(?:: | (?=must |takes ))(.*)",
    flags=re.S,
)


def _rekeyed(path: str, message: str) -> tuple[str, str]:
    """The control plane names the setting it refuses ("throttling.rate must be...", "usage
    plan gold: quota.period must be..."); the config's path already names it, so the message
    moves to its own key: "stages.prod.throttling.rate: must be...", naming it once."""
    parts = path.rsplit(".", 2)
    last = parts[-1]
    names = [last]
    if len(parts) > 1:
        parent = parts[-2].replace("_", " ")
        names += [f"{parts[-2]}.{last}", f"{parent} {last}", f"{parent.removesuffix('s')} {last}"]
    for name in names:
        if message.startswith(f"{name}."):
            rest = message[len(name) + 1 :]
        elif message.startswith(f"{name}: "):
            rest = message[len(name) + 2 :]
        else:
            continue
        inner = _MESSAGE_KEY.fullmatch(rest)
        if inner is None:
            return path, rest
        return f"{path}.{inner.group(1)}", inner.group(2)
    return path, message


def _show(value: Any) -> str:
    """A value in a message, kept short whatever its size (shared YAML nodes included)."""
    if value is None:
        return "nothing (null)"
    return f"{type(value).__name__} {shown(value)}"


def _show_number(value: float) -> str:
    return f"{value:g}" if abs(value) < 1e300 else shown(value)


def _expanded_size(value: Any, limit: int) -> int:
    """How many values `value` holds once YAML's aliases are expanded, counted up to `limit`
    without expanding them (each shared node is counted once per use, from a memo)."""
    memo: dict[int, int] = {}

    def size(item: Any, depth: int) -> int:
        if not isinstance(item, (dict, list)) or depth > 100:
            return 1
        known = memo.get(id(item))
        if known is None:
            children = item.values() if isinstance(item, dict) else item
            known = 1
            for child in children:
                known += size(child, depth + 1)
                if known > limit:
                    break
            memo[id(item)] = known
        return known

    return size(value, 0)


def _one_of(entries: dict[str, _Node], *names: str) -> _Node | None:
    """The entry under whichever of `names` (spellings, or rival keys) is given; two is a clash."""
    given = [entries[n] for n in names if n in entries]
    if len(given) > 1:
        raise given[1].error(
            f"{' and '.join(repr(n) for n in names if n in entries)} both given", "keep one"
        )
    return given[0] if given else None


def _scalar_text(node: _Node, what: str) -> str:
    """A YAML scalar as the string AWS would store (booleans lowercase, as JSON writes them)."""
    if isinstance(node.value, (dict, list)) or node.value is None:
        fix = "give a value or remove the key" if node.value is None else "quote the value"
        raise node.error(f"{what} are strings, got {_show(node.value)}", fix)
    return str(node.value).lower() if isinstance(node.value, bool) else str(node.value)


# -- integrations and routes (shared with gw.api.put_route) ----------------------------------

_INTEGRATION_KEYS = (
    "type", "function", "uri", "http_method", "httpMethod", "timeout_ms", "timeoutInMillis",
    "request_parameters", "requestParameters", "responses", "status", "statusCode", "headers",
    "body", "api_key_required", "apiKeyRequired", "operation_name", "operationName",
    "cache_key_parameters", "cacheKeyParameters",
)  # fmt: skip
_CACHE_KEY_PARAMETER = re.compile(r"^method\.request\.(querystring|header|path)\.[^.\s]+$")


def _integration(node: _Node) -> Integration:
    if isinstance(node.value, str):
        text = node.string()
        if text.startswith(("http://", "https://")):
            _check_http_uri(node, text)
            return Integration("HTTP_PROXY", text)
        _check_service_arn(node, text)
        return Integration("AWS_PROXY", text)
    entries = node.mapping(_INTEGRATION_KEYS)
    kind_node = entries.get("type")
    target_node = _one_of(entries, "function", "uri")
    if kind_node is not None:
        kind = kind_node.string().upper()
    elif "function" in entries:
        kind = "AWS_PROXY"
    elif target_node is not None and str(target_node.value).startswith(("http://", "https://")):
        kind = "HTTP_PROXY"
    else:
        raise node.error("missing 'type'", f"use one of {', '.join(INTEGRATION_TYPES)}")
    if kind not in INTEGRATION_TYPES:
        assert kind_node is not None
        fix = f"use one of {', '.join(INTEGRATION_TYPES)}"
        if kind == "AWS":
            fix = "non-proxy AWS service integrations are not supported yet; use AWS_PROXY"
        raise kind_node.error(f"unknown integration type {shown(kind_node.value)}", fix)

    method_node = _one_of(entries, "http_method", "httpMethod")
    http_method = method_node.string().upper() if method_node else None
    if method_node is not None and http_method not in METHODS:
        raise method_node.error(
            f"invalid integration HTTP method {shown(method_node.value)}",
            f"use one of {', '.join(METHODS)}",
        )
    timeout_node = _one_of(entries, "timeout_ms", "timeoutInMillis")
    timeout = timeout_node.integer(50, 29000, " ms") if timeout_node else DEFAULT_TIMEOUT_MS
    cache_keys = _one_of(entries, "cache_key_parameters", "cacheKeyParameters")
    cache_key_parameters = tuple(
        item.string(_CACHE_KEY_PARAMETER, "e.g. method.request.querystring.type")
        for item in (cache_keys.sequence() if cache_keys else [])
    )
    if kind == "MOCK":
        return replace(_mock(node, entries), cache_key_parameters=cache_key_parameters)
    if target_node is None:
        wanted = "function" if kind == "AWS_PROXY" else "uri"
        example = "pets:${stageVariables.alias}" if kind == "AWS_PROXY" else "https://host/path"
        raise node.error(f"{kind} integration needs '{wanted}'", f"e.g. {wanted}: {shown(example)}")
    target = target_node.string()
    if kind != "AWS_PROXY" and "function" in entries:
        raise target_node.error(f"a {kind} integration takes 'uri', not 'function'")
    if kind == "AWS_PROXY" and target.startswith(("http://", "https://")):
        raise target_node.error(
            f"{shown(target)} is a URL, not a function", "use type HTTP_PROXY for an HTTP backend"
        )
    if kind in ("HTTP", "HTTP_PROXY"):
        _check_http_uri(target_node, target)
    if kind == "AWS_PROXY":
        if "uri" in entries:  # AWS's own key: AWS's rules (ours, `function`, takes short forms)
            _check_invocation_uri(target_node, target)
        _check_service_arn(target_node, target)
    parameters = _one_of(entries, "request_parameters", "requestParameters")
    responses = entries.get("responses")
    if kind != "HTTP":
        for extra in (parameters, responses):
            if extra is not None:
                raise extra.error(f"only HTTP (non-proxy) integrations take this, not {kind}")
    return Integration(
        kind,
        target,
        http_method,
        timeout,
        request_parameters=frozen_map(_parameters(parameters)) if parameters else frozen_map(),
        responses=_responses(responses) if responses else (),
        cache_key_parameters=cache_key_parameters,
    )


def _check_http_uri(node: _Node, uri: str) -> None:
    """A fully formed, encoded http(s) URL on port 80, 443 or above 1024 (AWS's rules)."""
    url = re.match(r"^https?://(?P<host>[^/?#]+)", uri)
    if url is None:
        raise node.error(
            f"Invalid HTTP endpoint specified for URI (got {shown(uri)})",
            "give a full http(s) URL, e.g. https://${stageVariables.backend}/pets/{id}",
        )
    literal = re.sub(r"\$\{[^}]*\}", "", uri)  # stage variables are checked once filled in
    bad = re.search(r"[\s\x00-\x1f\x7f-\U0010ffff]", literal)
    if bad is not None:
        raise node.error(
            f"HTTP integration uri must be encoded, got {shown(bad.group())} in {shown(uri)}",
            f"percent-encode it (e.g. {quote(bad.group())})",
        )
    port = re.fullmatch(r"(?:\[[^\]]*\]|[^:]*):(\d+)", url.group("host"))
    if port is not None and int(port.group(1)) not in (80, 443) and int(port.group(1)) <= 1024:
        raise node.error(
            f"HTTP integration uri port {port.group(1)} is not allowed",
            "API Gateway accepts ports 80, 443 and above 1024",
        )


def _check_invocation_uri(node: _Node, uri: str) -> None:
    """An AWS_PROXY `uri` is an API Gateway invocation ARN, as PutIntegration requires
    (recorded: LocalStack's test_put_integration_aws_proxy_uri)."""
    if "${" in uri:
        return  # checked once the stage variables are filled in
    if not uri.startswith("arn:"):
        raise node.error(
            f"Invalid ARN specified in the request (got {shown(uri)})",
            "use function: for a function name, or the invocation ARN "
            "arn:aws:apigateway:REGION:lambda:path/2015-03-31/functions/ARN/invocations",
        )
    if re.match(r"^arn:aws[a-z-]*:lambda:", uri):
        raise node.error(
            "AWS ARN for integration must contain path or action",
            "wrap the function ARN: "
            "arn:aws:apigateway:REGION:lambda:path/2015-03-31/functions/ARN/invocations",
        )


def _check_service_arn(node: _Node, target: str) -> None:
    """API Gateway's own ARN form: refused as AWS refuses it at PutIntegration."""
    arn = re.match(
        r"^arn:aws[a-z-]*:apigateway:[^:]*:(?P<service>[^:]*)(?::(?P<rest>.*))?$", target
    )
    if arn is None:
        return
    if not (arn.group("rest") or "").startswith(("path/", "action/")):
        raise node.error(
            "AWS ARN for integration must contain path or action",
            "e.g. arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/ARN/invocations",
        )
    invocation = re.fullmatch(r"path/2015-03-31/functions/.+/invocations", arn.group("rest") or "")
    if arn.group("service") != "lambda" or invocation is None:
        raise node.error(
            "Integrations of type 'AWS_PROXY' currently only supports Lambda function and "
            "Firehose stream invocations.",
            "Lambda is emulated here; Firehose is not",
        )


def _mock(node: _Node, entries: dict[str, _Node]) -> Integration:
    for name in ("function", "uri", "request_parameters", "requestParameters", "responses"):
        if name in entries:
            raise entries[name].error("a MOCK integration takes only status, headers and body")
    status_node = _one_of(entries, "status", "statusCode")
    status = int(status_node.number(100, 599)) if status_node else 200
    headers = {}
    if "headers" in entries:
        for name, value in entries["headers"].mapping().items():
            headers[name] = _scalar_text(value, "header values")
    body = entries["body"].value if "body" in entries else ""
    if not isinstance(body, str):
        try:
            if _expanded_size(body, MAX_BODY_VALUES) > MAX_BODY_VALUES:
                raise entries["body"].error(
                    f"the body holds over {MAX_BODY_VALUES} values once its YAML aliases are "
                    f"expanded",
                    "write the body out, or as a string",
                )
            body = json.dumps(body)
        except (TypeError, ValueError) as e:
            raise entries["body"].error(
                f"body cannot be written as JSON: {e}", "give the body as a string"
            ) from None
    return Integration("MOCK", status=status, headers=frozen_map(headers), body=body)


def _parameters(node: _Node) -> dict[str, str]:
    out = {}
    for destination, source in node.mapping().items():
        if not re.match(r"^integration\.request\.(header|querystring|path)\.[^.]+$", destination):
            raise source.error(
                "destination must be integration.request.{header|querystring|path}.NAME"
            )
        out[destination] = source.string(
            re.compile(
                r"^('.*'|stageVariables\.\w+|method\.request\.(path|querystring|header)\.\S+)$"
            ),
            "use method.request.{path|querystring|header}.NAME, stageVariables.NAME or 'literal'",
        )
    return out


def _responses(node: _Node) -> tuple[tuple[str, int], ...]:
    out = []
    for pattern, status in node.mapping().items():
        try:
            re.compile(pattern)
        except re.error as e:
            raise status.error(f"selection pattern {shown(pattern)} is not a regex: {e}") from None
        out.append((pattern, int(status.number(100, 599))))
    return tuple(out)


def route_from(key: str, data: Any, source: str) -> Route:
    """A route from `"VERB /path"` and its integration (short or AWS form, with the route's own
    apiKeyRequired and operationName); errors located at `source: key`."""
    method, path = parse_route_key(key)  # AWS's refusal, as a BadRequestError
    return _route(method, path, _Node(data, source, key))


def _route(method: str, path: str, value: _Node) -> Route:
    integration = _integration(value)
    extra = value.mapping() if isinstance(value.value, dict) else {}
    api_key_node = _one_of(extra, "api_key_required", "apiKeyRequired")
    api_key = api_key_node.value if api_key_node else False
    if api_key_node is not None and not isinstance(api_key, bool):
        raise api_key_node.error(f"must be true or false, got {_show(api_key)}")
    op_node = _one_of(extra, "operation_name", "operationName")
    op = op_node.string() if op_node else None
    return Route(method, path, integration, api_key, op)


def _routes(node: _Node) -> dict[str, Route]:
    routes: dict[str, Route] = {}
    written: dict[str, str] = {}
    definition = ApiDefinition()
    for key, value in node.mapping().items():
        with value.located():
            method, path = parse_route_key(key)
        if f"{method} {path}" in written:
            earlier = written[f"{method} {path}"]
            raise value.error(
                f"route {method} {path} is already given as {shown(earlier)}", "keep one"
            )
        written[f"{method} {path}"] = key
        route = _route(method, path, value)
        with value.located():
            definition = definition.with_route(route)
        routes[route.key] = route
    return routes


# -- the whole file --------------------------------------------------------------------------


@dataclass(frozen=True)
class _FunctionSpec:
    name: str
    handler: Callable[..., Any]
    environment: dict[str, str]
    timeout: float
    memory: int
    versions: dict[str, tuple[Callable[..., Any], str]]
    aliases: dict[str, tuple[str, dict[str, float]]]


@dataclass(frozen=True)
class _CanarySpec:
    percent: float
    variables: dict[str, str]
    deployment: str
    use_stage_cache: bool


@dataclass(frozen=True)
class _StageSpec:
    name: str
    variables: dict[str, str]
    description: str
    history: tuple[str, ...]
    deployment: str
    canary: _CanarySpec | None
    settings: dict[str, Any]  # gw.update_stage keywords, already checked


@dataclass(frozen=True)
class LoadedConfig:
    """A validated config with its handlers imported; `Gateway.from_config` makes a fresh
    gateway of it."""

    source: str
    name: str
    api_id: str | None
    region: str
    account_id: str
    definition: ApiDefinition
    deployments: dict[str, tuple[ApiDefinition, str]]
    functions: tuple[_FunctionSpec, ...]
    backends: dict[str, Any]
    stages: tuple[_StageSpec, ...] = field(default=())
    api_keys: tuple[tuple[str, str | None, bool], ...] = ()
    usage_plans: tuple[tuple[str, dict[str, Any]], ...] = ()
    account_throttling: dict[str, Any] | None = None
    max_records: int = DEFAULT_MAX_RECORDS

    @property
    def stage_names(self) -> list[str]:
        return [s.name for s in self.stages]


def load_file(path: str | Path, *, shown_as: str | None = None) -> LoadedConfig:
    """Load a config file; errors name it `shown_as` (default: the path as given)."""
    path = Path(path)
    source = shown_as or str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(
            source, "", "file not found", "create it or pass --apistages-config"
        ) from None
    except (OSError, UnicodeDecodeError) as e:
        raise ConfigError(source, "", f"cannot read the file: {e}") from None
    try:
        _check_depth(text)
        data = yaml.load(text, Loader=_Loader)
    except _DuplicateKey as e:
        assert e.problem_mark is not None
        where = f"line {e.problem_mark.line + 1}, column {e.problem_mark.column + 1}"
        raise ConfigError(
            source, where, f"{e.problem}", "YAML would keep only the last one; merge them"
        ) from None
    except yaml.MarkedYAMLError as e:
        mark = e.problem_mark
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else "YAML"
        raise ConfigError(
            source, where, f"invalid YAML: {e.problem}", "fix the syntax there"
        ) from None
    except yaml.YAMLError as e:
        raise ConfigError(source, "", f"invalid YAML: {str(e)[:300]}") from None
    return _checked(_Node(data, source), path.parent)


def load_dict(data: Mapping[str, Any], base_dir: Path = Path(".")) -> LoadedConfig:
    root = _Node(dict(data) if isinstance(data, Mapping) else data, "config")
    return _checked(root, base_dir)


def _check_depth(text: str) -> None:
    """Refuse nesting deeper than any config needs before PyYAML builds it (its recursion
    would fail slowly): parse events are read one by one, and only up to the offending one."""
    depth = 0
    for event in yaml.parse(text, Loader=yaml.SafeLoader):
        if isinstance(event, (yaml.MappingStartEvent, yaml.SequenceStartEvent)):
            depth += 1
            if depth > MAX_DEPTH:
                raise yaml.MarkedYAMLError(
                    problem=f"nesting deeper than {MAX_DEPTH} levels",
                    problem_mark=event.start_mark,  # type: ignore[arg-type]
                )
        elif isinstance(event, (yaml.MappingEndEvent, yaml.SequenceEndEvent)):
            depth -= 1


def _checked(root: _Node, base_dir: Path) -> LoadedConfig:
    """Load; a value the checks did not foresee is still one ConfigError, never a traceback."""
    try:
        return _load(root, base_dir)
    except ConfigError:
        raise
    except RecursionError:
        raise ConfigError(root.source, "", "the config nests too deeply to check") from None
    except (ValueError, TypeError, OverflowError, ArithmeticError) as e:
        raise ConfigError(
            root.source, "", f"cannot check a value: {type(e).__name__}: {str(e)[:200]}"
        ) from None


def _load(root: _Node, base_dir: Path) -> LoadedConfig:
    if root.value is None:
        raise root.error("the config is empty", "it needs at least api.routes and stages")
    top = root.mapping(
        ("api", "functions", "backends", "deployments", "stages", "api_keys", "usage_plans",
         "account", "max_records")
    )  # fmt: skip
    if "api" not in top:
        raise root.error("missing 'api'", "add api: {name: ..., routes: {...}}")
    api = top["api"].mapping(
        ("name", "id", "region", "account_id", "binary_media_types", "binaryMediaTypes", "routes")
    )
    name = api["name"].string() if "name" in api else "api"
    binary = _binary_types(_one_of(api, "binary_media_types", "binaryMediaTypes"))
    if "routes" not in api:
        raise top["api"].error("missing 'routes'", "add routes: {'GET /pets': {...}}")
    definition = ApiDefinition(name, frozen_map(_routes(api["routes"])), binary)
    deployments = {}
    for deployment_id, node in top.get("deployments", _Node({}, root.source)).mapping().items():
        if not DEPLOYMENT_ID.match(deployment_id) or deployment_id == CURRENT:
            raise node.error(
                f"invalid deployment id {shown(deployment_id)}",
                "use letters, digits, '-' or '_' (and not 'current')",
            )
        entries = node.mapping(("description", "routes", "binary_media_types", "binaryMediaTypes"))
        if "routes" not in entries:
            raise node.error("missing 'routes'", "a deployment lists the routes it served")
        if not entries["routes"].value:
            raise entries["routes"].error(NO_METHODS, "a deployment serves at least one route")
        routes = frozen_map(_routes(entries["routes"]))
        types_node = _one_of(entries, "binary_media_types", "binaryMediaTypes")
        types = binary if types_node is None else _binary_types(types_node)
        description = entries["description"].string() if "description" in entries else ""
        deployments[deployment_id] = (ApiDefinition(name, routes, types), description)

    functions = tuple(
        _function(fn_name, node, base_dir)
        for fn_name, node in top.get("functions", _Node({}, root.source)).mapping().items()
    )
    backends = {
        _backend_host(host, node): _import(node, base_dir, what="WSGI app")
        for host, node in top.get("backends", _Node({}, root.source)).mapping().items()
    }
    if "stages" not in top or not top["stages"].value:
        raise root.error("no stages declared", "add stages: {dev: {variables: {...}}}")
    stages = tuple(
        _stage(stage_name, node, deployments)
        for stage_name, node in top["stages"].mapping().items()
    )
    serving_current = [s.name for s in stages if CURRENT in (s.deployment, *s.history)]
    if not definition.routes and serving_current:
        raise api["routes"].error(
            NO_METHODS,
            f"stage {shown(serving_current[0])} serves the current definition: add a route, or "
            "give "
            f"the stage a 'deployment:' from 'deployments'",
        )
    api_id = None
    if "id" in api:
        api_id = api["id"].string(
            re.compile(r"^[a-z0-9]{1,32}$"), "use lowercase letters and digits"
        )
    region = "us-east-1"
    if "region" in api:
        region = api["region"].string(re.compile(r"^[a-z]{2}(-[a-z]+)+-\d$"), "e.g. us-east-1")
    account_id = "123456789012"
    if "account_id" in api:
        account_id = str(api["account_id"].value)
        if not re.fullmatch(r"\d{12}", account_id):
            raise api["account_id"].error(
                f"invalid account id {shown(account_id)}", "use 12 digits, quoted"
            )
    declared_keys = ApiKeys()
    keys = _api_keys(top.get("api_keys"), declared_keys)
    plans = _usage_plans(top.get("usage_plans"), declared_keys, [s.name for s in stages])
    account = None
    if "account" in top:
        parts = top["account"].mapping(("throttling",))
        if "throttling" in parts:
            parts["throttling"].mapping()
            with parts["throttling"].located():
                throttle_from("account.throttling", parts["throttling"].value)
            account = parts["throttling"].value
    max_records = DEFAULT_MAX_RECORDS
    if "max_records" in top:
        max_records = top["max_records"].integer(1, MAX_RECORDS_LIMIT, " records")
    return LoadedConfig(
        root.source, name, api_id, region, account_id, definition, deployments, functions,
        backends, stages, tuple(keys), tuple(plans), account, max_records,
    )  # fmt: skip


def _api_keys(node: _Node | None, scratch: ApiKeys) -> list[tuple[str, str | None, bool]]:
    """`api_keys: {partner: {value: "...", enabled: true}}`, checked as AWS checks them (by
    creating them in `scratch`)."""
    keys = []
    for name, key in (node.mapping() if node else {}).items():
        parts = key.mapping(("value", "enabled"))
        value = parts["value"].string() if "value" in parts else None
        enabled = _boolean(parts["enabled"]) if "enabled" in parts else True
        with key.located():
            scratch.create(name, value, enabled=enabled)
        keys.append((name, value, enabled))
    return keys


def _usage_plans(
    node: _Node | None, keys: ApiKeys, stages: list[str]
) -> list[tuple[str, dict[str, Any]]]:
    """`usage_plans: {gold: {stages: [prod, {stage: dev, throttle: {"/pets/GET": {rate,
    burst}}}], keys: [partner], throttle: {rate, burst}, quota: {limit, period},
    method_throttles: {"GET /pets": {rate, burst}}}}`."""
    scratch = UsagePlans(keys)
    plans = []
    for name, plan in (node.mapping() if node else {}).items():
        parts = plan.mapping(("stages", "keys", "throttle", "quota", "method_throttles"))
        if "stages" not in parts:
            raise plan.error("missing 'stages'", "a usage plan names the stages it covers")
        plan_stages: list[Any] = []
        for item in parts["stages"].sequence():
            named = item
            if isinstance(item.value, dict):
                entries = item.mapping(("stage", "throttle"))
                if "stage" not in entries:
                    raise item.error("missing 'stage'", "write {stage: NAME, throttle: {...}}")
                named = entries["stage"]
                if "throttle" in entries:
                    entries["throttle"].mapping()
            stage = named.string()
            if stage not in stages:
                raise named.error(
                    f"Invalid API Stage specified: {shown(stage)}", f"stages: {', '.join(stages)}"
                )
            plan_stages.append(item.value)
        values: dict[str, Any] = {"stages": plan_stages}
        if "keys" in parts:
            values["keys"] = [item.string() for item in parts["keys"].sequence()]
        for key in ("throttle", "quota", "method_throttles"):
            if key in parts:
                parts[key].mapping()
                values[key] = parts[key].value
        with plan.located():
            scratch.create(name, **values)
        plans.append((name, values))
    return plans


def _backend_host(host: str, node: _Node) -> str:
    """The key must be what an integration URI's netloc is: a host, and an optional port."""
    if not re.fullmatch(r"(?:[A-Za-z0-9_.-]+|\[[0-9A-Fa-f:.]+\])(?::\d{1,5})?", host):
        raise node.error(
            f"invalid backend host {shown(host)}",
            "write the host (and :port) only, e.g. pets.internal",
        )
    return host


def _binary_types(node: _Node | None) -> tuple[str, ...]:
    if node is None:
        return ()
    return tuple(
        item.string(re.compile(r"^[^/\s]+(/|~1)[^/\s]+$"), "use a media type such as image/png")
        for item in node.sequence()
    )


def _function(name: str, node: _Node, base_dir: Path) -> _FunctionSpec:
    if not re.fullmatch(r"[A-Za-z0-9_-]{1,64}", name):
        raise node.error(
            f"invalid function name {shown(name)}", "use 1-64 letters, digits, '-' or '_'"
        )
    entries = node.mapping(("handler", "environment", "timeout", "memory", "versions", "aliases"))
    if "handler" not in entries:
        raise node.error("missing 'handler'", "add handler: package.module:function")
    handler = _import(entries["handler"], base_dir, what="handler")
    environment = {
        _env_name(key, value): _env_value(value)
        for key, value in entries.get("environment", _Node({}, "")).mapping().items()
    }
    timeout = entries["timeout"].number(1, 900, " seconds") if "timeout" in entries else 3.0
    memory = entries["memory"].integer(128, 10240, " MB") if "memory" in entries else 128
    versions: dict[str, tuple[Callable[..., Any], str]] = {}
    for i, (version, spec) in enumerate(
        entries.get("versions", _Node({}, "")).mapping().items(), 1
    ):
        if version != str(i):
            raise spec.error(
                f"version {shown(version)} out of order",
                f"versions are numbered 1, 2, 3...; expected {i}",
            )
        if isinstance(spec.value, dict):
            parts = spec.mapping(("handler", "description"))
            if "handler" not in parts:
                raise spec.error("missing 'handler'")
            description = parts["description"].string() if "description" in parts else ""
            versions[version] = (_import(parts["handler"], base_dir, what="handler"), description)
        else:
            versions[version] = (_import(spec, base_dir, what="handler"), "")
    # Aliases are checked by a scratch registry: the same rules as gw.functions.set_alias.
    scratch = Functions("us-east-1", "123456789012")
    scratch.register(name, handler)
    for version_handler, _ in versions.values():
        scratch.publish_version(name, version_handler)
    aliases: dict[str, tuple[str, dict[str, float]]] = {}
    for alias, target in entries.get("aliases", _Node({}, "")).mapping().items():
        weights: dict[str, float] = {}
        if isinstance(target.value, dict):
            parts = target.mapping(("version", "weights"))
            if "version" not in parts:
                raise target.error("missing 'version'", 'e.g. {version: "2", weights: {"3": 0.1}}')
            version_node = parts["version"]
            for extra, weight in parts.get("weights", _Node({}, "")).mapping().items():
                weights[extra] = weight.number(0.0, 1.0)
        else:
            version_node = target
        if isinstance(version_node.value, (dict, list)) or version_node.value is None:
            raise version_node.error(
                f"an alias points at one version, got {_show(version_node.value)}",
                f"use a declared version ({', '.join(versions) or 'none'}) or $LATEST",
            )
        version = str(version_node.value)
        if version != "$LATEST" and version not in versions:
            raise version_node.error(
                f"alias {shown(alias)} points at version {shown(version)}, which is not declared",
                f"declared versions: {', '.join(versions) or 'none'} (or $LATEST)",
            )
        with target.located():
            scratch.set_alias(name, alias, version, weights=weights)
        aliases[alias] = (version, weights)
    return _FunctionSpec(name, handler, environment, timeout, memory, versions, aliases)


def _env_name(name: str, node: _Node) -> str:
    """Lambda refuses variable names outside [a-zA-Z]([a-zA-Z0-9_])+."""
    if not re.fullmatch(r"[A-Za-z][A-Za-z0-9_]*", name):
        raise node.error(
            f"invalid environment variable name {shown(name)}",
            "start with a letter; then letters, digits and '_' only",
        )
    return name


def _env_value(node: _Node) -> str:
    return _scalar_text(node, "environment values")


def _stage(name: str, node: _Node, deployments: dict[str, Any]) -> _StageSpec:
    with node.located():
        check_stage_name(name)
    entries = node.mapping(
        ("variables", "description", "history", "deployment", "canary", *_SETTINGS)
    )
    settings: dict[str, Any] = {}
    checked = StageSettings()
    for key in _SETTINGS:
        if key in entries:
            with entries[key].located():
                checked = updated_settings(checked, **{key: entries[key].value})
            settings[key] = entries[key].value
    variables = _variables(entries["variables"]) if "variables" in entries else {}
    known = [*deployments, CURRENT]

    def deployment_ref(ref: _Node) -> str:
        if isinstance(ref.value, (dict, list)) or ref.value is None:
            raise ref.error(
                f"expected a deployment id, got {_show(ref.value)}",
                f"declared deployments: {', '.join(known)}",
            )
        value = str(ref.value)
        if value not in known:
            raise ref.error(
                f"unknown deployment {shown(value)}", f"declared deployments: {', '.join(known)}"
            )
        return value

    history = (
        tuple(deployment_ref(item) for item in entries["history"].sequence())
        if "history" in entries
        else ()
    )
    deployment = deployment_ref(entries["deployment"]) if "deployment" in entries else CURRENT
    description = entries["description"].string() if "description" in entries else ""
    canary = None
    if "canary" in entries:
        parts = entries["canary"].mapping(("percent", "variables", "deployment", "use_stage_cache"))
        if "percent" not in parts:
            raise entries["canary"].error("missing 'percent'", "e.g. canary: {percent: 10}")
        canary = _CanarySpec(
            parts["percent"].number(0.0, 100.0, " %"),
            _variables(parts["variables"]) if "variables" in parts else {},
            deployment_ref(parts["deployment"]) if "deployment" in parts else CURRENT,
            _boolean(parts["use_stage_cache"]) if "use_stage_cache" in parts else False,
        )
    return _StageSpec(name, variables, description, history, deployment, canary, settings)


def _variables(node: _Node) -> dict[str, str]:
    """Stage variables (or canary overrides) under AWS's rules."""
    for value in node.mapping().values():
        _scalar_text(value, "stage variable values")
    with node.located():
        return check_variables(node.value or {})


def _boolean(node: _Node) -> bool:
    if not isinstance(node.value, bool):
        raise node.error(f"expected true or false, got {_show(node.value)}")
    return node.value


# Handler modules a config imported from its own folder: name -> (that folder, the module).
_IMPORTED_BY: dict[str, tuple[Path, ModuleType]] = {}


def _import_failed(node: _Node, module_name: str, error: BaseException) -> ConfigError:
    """The user's code raised while its module was imported: say where, in one line; the
    whole traceback rides along for `pytest -v` and `--full-trace`."""
    frames = [
        frame
        for frame in traceback.extract_tb(error.__traceback__)
        if "importlib" not in frame.filename and not frame.filename.startswith("<frozen")
    ]
    where = ""
    if isinstance(error, SyntaxError) and error.filename:
        where = f" at {error.filename}:{error.lineno}"
    elif frames:
        where = f" at {frames[-1].filename}:{frames[-1].lineno} ({(frames[-1].line or '')[:80]})"
    failed = node.error(
        f"importing {shown(module_name)} failed: {type(error).__name__}: {str(error)[:300]}{where}"
    )
    failed.detail = "".join(traceback.format_exception(error))
    return failed


def _imported_elsewhere(module: ModuleType, module_name: str, folder: Path) -> str | None:
    """Where `module_name` comes from, when another config imported it from its folder although
    this config's folder has its own: the second API would run the first one's code. A module
    installed, or earlier on sys.path, wins as it does in any Python program."""
    owner = _IMPORTED_BY.get(module_name)
    if owner is not None and owner[1] is module:
        if owner[0] != folder and _own_module(module_name, folder) is not None:
            return str(getattr(module, "__file__", None) or owner[0])
        return None
    origin = _own_module(module_name, folder)
    loaded = getattr(module, "__file__", None)
    if origin is not None and loaded is not None and Path(loaded).resolve() == origin:
        _IMPORTED_BY[module_name] = (folder, module)
    return None


def _own_module(module_name: str, folder: Path) -> Path | None:
    """The file `module_name` would be imported from in `folder`, if it is there."""
    locations = [str(folder)]
    spec = None
    for part in module_name.split("."):
        spec = importlib.machinery.PathFinder.find_spec(part, locations)
        if spec is None:
            return None
        locations = list(spec.submodule_search_locations or ())
    if spec is None or spec.origin is None or not spec.has_location:
        return None
    return Path(spec.origin).resolve()


def _import(node: _Node, base_dir: Path, what: str) -> Any:
    """`package.module:attribute`, importable from the config's folder."""
    spec = node.string(
        re.compile(r"^[A-Za-z_][\w.]*:[A-Za-z_][\w.]*$"),
        f"write the {what} as package.module:attribute",
    )
    module_name, _, attribute = spec.partition(":")
    folder = str(base_dir.resolve())
    if folder not in sys.path:
        sys.path.insert(0, folder)
    try:
        target: Any = importlib.import_module(module_name)
    except ImportError as e:
        if e.name == module_name.split(".")[0] or e.name == module_name:
            raise node.error(
                f"cannot import module {shown(module_name)}: {e}",
                f"modules are imported from the config's folder {base_dir}",
            ) from None
        raise _import_failed(node, module_name, e) from None
    except Exception as e:
        raise _import_failed(node, module_name, e) from None
    elsewhere = _imported_elsewhere(target, module_name, Path(folder))
    if elsewhere is not None:
        raise node.error(
            f"module {shown(module_name)} is already imported from {elsewhere}, not from this "
            "config's "
            f"folder {base_dir}",
            "Python imports a module name once per process: give the two modules distinct "
            "names (e.g. put the handlers in a package named after the API)",
        )
    for part in attribute.split("."):
        if not hasattr(target, part):
            names = [n for n in dir(target) if not n.startswith("_")]
            close = difflib.get_close_matches(part, names, n=1)
            raise node.error(
                f"{shown(module_name)} has no attribute {shown(part)}",
                f"did you mean {shown(close[0])}?"
                if close
                else f"it defines: {', '.join(names[:10])}",
            )
        target = getattr(target, part)
    if not callable(target):
        raise node.error(f"{spec} is not callable ({type(target).__name__})", f"point at a {what}")
    return target
