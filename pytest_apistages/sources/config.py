"""`apistages.yaml` (or a dict of the same shape) to a `Gateway`, with every mistake reported as a
`ConfigError` that names the file, the key path, the bad value and the fix.

Loading (parse, validate, import handlers) happens once; `Gateway.from_config` then makes as
many fresh gateways of it as the tests need, cheaply."""

from __future__ import annotations

import difflib
import importlib
import importlib.machinery
import re
import sys
import traceback
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

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
from .nodes import Node, one_of, read_yaml, scalar_text, show_value
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
    return _checked(read_yaml(text, source), path.parent)


def load_dict(data: Mapping[str, Any], base_dir: Path = Path(".")) -> LoadedConfig:
    root = Node(dict(data) if isinstance(data, Mapping) else data, "config")
    return _checked(root, base_dir)


def _checked(root: Node, base_dir: Path) -> LoadedConfig:
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


def _load(root: Node, base_dir: Path) -> LoadedConfig:
    if root.value is None:
        raise root.error("the config is empty", "it needs at least api.routes and stages")
    top = root.mapping(
        ("api", "functions", "backends", "deployments", "stages", "api_keys", "usage_plans",
         "account", "max_records")
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
        description = entries["description"].string() if "description" in entries else ""
        deployments[deployment_id] = (
            ApiDefinition(name, routes, types, gateway_responses=gateway_responses),
            description,
        )

    functions = tuple(
        _function(fn_name, node, base_dir)
        for fn_name, node in top.get("functions", Node({}, root.source)).mapping().items()
    )
    backends = {
        _backend_host(host, node): _import(node, base_dir, what="WSGI app")
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
    max_records = DEFAULT_MAX_RECORDS
    if "max_records" in top:
        max_records = top["max_records"].integer(1, MAX_RECORDS_LIMIT, " records")
    return LoadedConfig(
        root.source, name, api_id, region, account_id, definition, deployments, functions,
        backends, stages, tuple(keys), tuple(plans), account, max_records,
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
    entries = node.mapping(("handler", "environment", "timeout", "memory", "versions", "aliases"))
    if "handler" not in entries:
        raise node.error("missing 'handler'", "add handler: package.module:function")
    handler = _import(entries["handler"], base_dir, what="handler")
    environment = {
        _env_name(key, value): _env_value(value)
        for key, value in entries.get("environment", Node({}, "")).mapping().items()
    }
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
    for alias, target in entries.get("aliases", Node({}, "")).mapping().items():
        weights: dict[str, float] = {}
        if isinstance(target.value, dict):
            parts = target.mapping(("version", "weights"))
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
            scratch.set_alias(name, alias, version, weights=weights)
        aliases[alias] = (version, weights)
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


def _variables(node: Node) -> dict[str, str]:
    """Stage variables (or canary overrides) under AWS's rules."""
    for value in node.mapping().values():
        scalar_text(value, "stage variable values")
    with node.located():
        return check_variables(node.value or {})


def _boolean(node: Node) -> bool:
    if not isinstance(node.value, bool):
        raise node.error(f"expected true or false, got {show_value(node.value)}")
    return node.value


# Handler modules a config imported from its own folder: name -> (that folder, the module).
_IMPORTED_BY: dict[str, tuple[Path, ModuleType]] = {}


def _import_failed(node: Node, module_name: str, error: BaseException) -> ConfigError:
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


def _import(node: Node, base_dir: Path, what: str) -> Any:
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
