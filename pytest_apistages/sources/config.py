"""The config's shape (`apistages.yaml`, or what a template was translated to) validated into a
`LoadedConfig`, with every mistake reported as a `ConfigError` that names the file, the key
path, the bad value and the fix.

Loading (parse, validate, import handlers) happens once; `Gateway.from_config` then makes as
many fresh gateways of it as the tests need, cheaply."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..check.policies import policies_from
from ..errors import ConfigError, shown
from ..functions import Functions
from ..model import (
    DEPLOYMENT_ID,
    NO_METHODS,
    ApiDefinition,
    StageSettings,
    check_stage_name,
    check_variables,
    frozen_map,
)
from ..observe.records import DEFAULT_MAX_RECORDS, MAX_RECORDS_LIMIT
from ..settings import updated_settings
from ..usage import ApiKeys, UsagePlans, throttle_from
from .code import handler_from_folder, handler_from_inline, import_handler
from .nodes import Location, Node, Place, locate, one_of, scalar_text, show_value
from .responses import gateway_responses_from
from .routes import routes_from

CURRENT = "current"
_SETTINGS = ("throttling", "caching", "logging", "metrics", "access_log", "method_settings")


# -- the whole file --------------------------------------------------------------------------


@dataclass(frozen=True)
class _FunctionSpec:
    name: str
    handler: Callable[..., Any]
    environment: dict[str, str]
    timeout: float
    memory: int
    versions: dict[str, tuple[Callable[..., Any], str]]
    aliases: dict[str, tuple[str, dict[str, float], str | None]]


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
    notices: tuple[str, ...] = ()  # what a template declares that is not emulated
    policies: Mapping[str, Any] = field(default_factory=dict)  # for `apistages check`
    # Where each value came from: the template places of a translated source, and the
    # config file's own lines (so a check's finding can say file, line and key).
    places: Mapping[str, Place | None] = field(default_factory=dict)
    lines: Mapping[str, int] = field(default_factory=dict)

    def locate(self, path: str) -> Location:
        """The file, key path and line of the config path `path` (`stages.prod.variables`)."""
        return locate(self.source, path, self.places, self.lines)

    @property
    def stage_names(self) -> list[str]:
        return [s.name for s in self.stages]


def checked(root: Node, base_dir: Path) -> LoadedConfig:
    """Validate a config (ours, or a template translated to its shape) and import its
    handlers; a value the checks did not foresee is still one ConfigError, never a traceback."""
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


def _load(root: Node, base_dir: Path) -> LoadedConfig:
    if root.value is None:
        raise root.error("the config is empty", "it needs at least api.routes and stages")
    top = root.mapping(
        ("api", "functions", "backends", "deployments", "stages", "api_keys", "usage_plans",
         "account", "max_records", "policies")
    )  # fmt: skip
    if "api" not in top:
        raise root.error("missing 'api'", "add api: {name: ..., routes: {...}}")
    api = top["api"].mapping(
        ("name", "id", "region", "account_id", "binary_media_types", "binaryMediaTypes", "routes",
         "gateway_responses", "gatewayResponses")
    )  # fmt: skip
    name = api["name"].string() if "name" in api else "api"
    binary = _binary_types(one_of(api, "binary_media_types", "binaryMediaTypes"))
    if "routes" not in api:
        raise top["api"].error("missing 'routes'", "add routes: {'GET /pets': {...}}")
    responses_node = one_of(api, "gateway_responses", "gatewayResponses")
    gateway_responses = frozen_map(gateway_responses_from(responses_node) if responses_node else {})
    definition = ApiDefinition(
        name, frozen_map(routes_from(api["routes"])), binary,
        gateway_responses=gateway_responses,
    )  # fmt: skip
    deployments = {}
    for deployment_id, node in top.get("deployments", Node({}, root.source)).mapping().items():
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
        routes = frozen_map(routes_from(entries["routes"]))
        types_node = one_of(entries, "binary_media_types", "binaryMediaTypes")
        types = binary if types_node is None else _binary_types(types_node)
        description = _text(entries["description"]) if "description" in entries else ""
        deployments[deployment_id] = (
            ApiDefinition(name, routes, types, gateway_responses=gateway_responses),
            description,
        )

    functions = tuple(
        _function(fn_name, node, base_dir)
        for fn_name, node in top.get("functions", Node({}, root.source)).mapping().items()
    )
    backends = {
        _backend_host(host, node): import_handler(node, base_dir, what="WSGI app")
        for host, node in top.get("backends", Node({}, root.source)).mapping().items()
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
    policies = policies_from(top["policies"]) if "policies" in top else {}
    max_records = DEFAULT_MAX_RECORDS
    if "max_records" in top:
        max_records = top["max_records"].integer(1, MAX_RECORDS_LIMIT, " records")
    return LoadedConfig(
        root.source, name, api_id, region, account_id, definition, deployments, functions,
        backends, stages, tuple(keys), tuple(plans), account, max_records, policies=policies,
    )  # fmt: skip


def _api_keys(node: Node | None, scratch: ApiKeys) -> list[tuple[str, str | None, bool]]:
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
    node: Node | None, keys: ApiKeys, stages: list[str]
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


def _backend_host(host: str, node: Node) -> str:
    """The key must be what an integration URI's netloc is: a host, and an optional port."""
    if not re.fullmatch(r"(?:[A-Za-z0-9_.-]+|\[[0-9A-Fa-f:.]+\])(?::\d{1,5})?", host):
        raise node.error(
            f"invalid backend host {shown(host)}",
            "write the host (and :port) only, e.g. pets.internal",
        )
    return host


def _binary_types(node: Node | None) -> tuple[str, ...]:
    if node is None:
        return ()
    return tuple(
        item.string(re.compile(r"^[^/\s]+(/|~1)[^/\s]+$"), "use a media type such as image/png")
        for item in node.sequence()
    )


def _function(name: str, node: Node, base_dir: Path) -> _FunctionSpec:
    if not re.fullmatch(r"[A-Za-z0-9_-]{1,64}", name):
        raise node.error(
            f"invalid function name {shown(name)}", "use 1-64 letters, digits, '-' or '_'"
        )
    entries = node.mapping(
        ("handler", "code", "inline_code", "environment", "timeout", "memory", "versions",
         "aliases")
    )  # fmt: skip
    if "handler" not in entries:
        raise node.error("missing 'handler'", "add handler: package.module:function")
    environment = {
        _env_name(key, value): _env_value(value)
        for key, value in entries.get("environment", Node({}, "")).mapping().items()
    }
    code = one_of(entries, "code", "inline_code")

    def imported(node: Node) -> Callable[..., Any]:
        """A handler: `module:attribute` from the config's folder, or, for a function with
        a `code:` folder, AWS's `module.function` (or ours) from that folder."""
        if code is None:
            handler: Callable[..., Any] = import_handler(node, base_dir, what="handler")
            return handler
        if "inline_code" in entries:
            return handler_from_inline(node, code.string(), node.string(), name, environment)
        text = node.string()
        written = text.replace(":", ".", 1) if text.count(":") == 1 else text
        return handler_from_folder(node, base_dir / code.string(), written, environment, code)

    handler = imported(entries["handler"])
    timeout = entries["timeout"].number(1, 900, " seconds") if "timeout" in entries else 3.0
    memory = entries["memory"].integer(128, 10240, " MB") if "memory" in entries else 128
    versions: dict[str, tuple[Callable[..., Any], str]] = {}
    for i, (version, spec) in enumerate(entries.get("versions", Node({}, "")).mapping().items(), 1):
        if version != str(i):
            raise spec.error(
                f"version {shown(version)} out of order",
                f"versions are numbered 1, 2, 3...; expected {i}",
            )
        if isinstance(spec.value, dict):
            parts = spec.mapping(("handler", "description"))
            if "handler" not in parts and code is None:
                raise spec.error("missing 'handler'")
            description = _text(parts["description"]) if "description" in parts else ""
            versions[version] = (
                imported(parts["handler"])
                if "handler" in parts
                else handler,  # a template's version: the function's code, published
                description,
            )
        else:
            versions[version] = (imported(spec), "")
    # Aliases are checked by a scratch registry: the same rules as gw.functions.set_alias.
    scratch = Functions("us-east-1", "123456789012")
    scratch.register(name, handler)
    for version_handler, _ in versions.values():
        scratch.publish_version(name, version_handler)
    aliases: dict[str, tuple[str, dict[str, float], str | None]] = {}
    for alias, target in entries.get("aliases", Node({}, "")).mapping().items():
        weights: dict[str, float] = {}
        preference = None
        if isinstance(target.value, dict):
            parts = target.mapping(("version", "weights", "deployment_preference"))
            if "deployment_preference" in parts:
                preference = parts["deployment_preference"].string()
            if "version" not in parts:
                raise target.error("missing 'version'", 'e.g. {version: "2", weights: {"3": 0.1}}')
            version_node = parts["version"]
            for extra, weight in parts.get("weights", Node({}, "")).mapping().items():
                weights[extra] = weight.number(0.0, 1.0)
        else:
            version_node = target
        if isinstance(version_node.value, (dict, list)) or version_node.value is None:
            raise version_node.error(
                f"an alias points at one version, got {show_value(version_node.value)}",
                f"use a declared version ({', '.join(versions) or 'none'}) or $LATEST",
            )
        version = str(version_node.value)
        if version != "$LATEST" and version not in versions:
            raise version_node.error(
                f"alias {shown(alias)} points at version {shown(version)}, which is not declared",
                f"declared versions: {', '.join(versions) or 'none'} (or $LATEST)",
            )
        with target.located():
            scratch.set_alias(
                name, alias, version, weights=weights, deployment_preference=preference
            )
        aliases[alias] = (version, weights, preference)
    return _FunctionSpec(name, handler, environment, timeout, memory, versions, aliases)


def _env_name(name: str, node: Node) -> str:
    """Lambda refuses variable names outside [a-zA-Z]([a-zA-Z0-9_])+."""
    if not re.fullmatch(r"[A-Za-z][A-Za-z0-9_]*", name):
        raise node.error(
            f"invalid environment variable name {shown(name)}",
            "start with a letter; then letters, digits and '_' only",
        )
    return name


def _env_value(node: Node) -> str:
    return scalar_text(node, "environment values")


def _stage(name: str, node: Node, deployments: dict[str, Any]) -> _StageSpec:
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

    def deployment_ref(ref: Node) -> str:
        if isinstance(ref.value, (dict, list)) or ref.value is None:
            raise ref.error(
                f"expected a deployment id, got {show_value(ref.value)}",
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
    description = _text(entries["description"]) if "description" in entries else ""
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


def _variables(node: Node) -> dict[str, str]:
    """Stage variables (or canary overrides) under AWS's rules, each refusal at its variable."""
    for name, value in node.mapping().items():
        scalar_text(value, "stage variable values")
        with value.located():
            check_variables({name: value.value})
    with node.located():
        return check_variables(node.value or {})


def _text(node: Node) -> str:
    """A description: any text, empty included (AWS's are optional)."""
    return scalar_text(node, "descriptions") if node.value is not None else ""


def _boolean(node: Node) -> bool:
    if not isinstance(node.value, bool):
        raise node.error(f"expected true or false, got {show_value(node.value)}")
    return node.value
