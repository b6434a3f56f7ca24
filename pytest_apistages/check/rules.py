"""The rules of `apistages check`, each a function of the loaded config and the gateway built
from it, giving findings located in the file (and line) the user wrote.

Each rule looks at every stage as it serves requests (its deployment with its variables) and
at its canary (the canary's deployment with the variables overlaid by its overrides). The
routing rules AWS applies at import (`{proxy+}` with children, two variable siblings, a route
given twice) are not here: the loader already refuses them, with the file and line."""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any

from ..errors import did_you_mean
from ..expressions import REQUEST_SOURCE, declared_parameters
from ..functions import parse_reference
from ..gateway import Gateway
from ..model import ALL_METHODS, Route
from ..resources import HTTP_METHODS
from ..settings import method_settings_key
from ..sources.config import LoadedConfig
from .breaks import Break, breaks
from .findings import Finding
from .policy_rules import policy_findings
from .rollback import rollback_breaks
from .uses import qualifiers, variables_used
from .views import View, cached, deployment_label, served_definitions, views
from .where import finding, integration_key, method_setting_path, routes_path, written


def break_path(loaded: LoadedConfig, deployment_id: str, broken: Break) -> str:
    """Where a break is written: the route's field, or the gateway response's."""
    if broken.route is not None:
        route = f"{routes_path(loaded, deployment_id)}.{broken.route}"
        return written(loaded, *[f"{route}.{field}" for field in broken.field], route)
    kind = broken.response
    responses = written(
        loaded, f"api.gateway_responses.{kind}", f"api.gatewayResponses.{kind}", "api"
    )
    return written(loaded, *[f"{responses}.{field}" for field in broken.field], responses)


def variable_path(loaded: LoadedConfig, view: View, name: str) -> str:
    """Where the stage (or the canary's override) gives variable `name`, else their mapping."""
    stage = f"stages.{view.stage.name}"
    canary = view.stage.canary
    if view.canary and canary is not None and name in canary.variables:
        return written(loaded, f"{stage}.canary.variables.{name}", f"{stage}.canary")
    return written(
        loaded, f"{stage}.variables.{name}", f"{stage}.variables", stage
    )  # fmt: skip


def _what(broken: Break) -> str:
    return broken.route if broken.route is not None else f"gateway response {broken.response}"


# -- stage variables and functions -----------------------------------------------------------


def stage_variables(loaded: LoadedConfig, gateway: Gateway) -> Iterator[Finding]:
    """`stage-variable-undefined` and `function-missing`, for each stage and each canary."""
    for view in views(gateway):
        name = view.stage.name
        for broken in breaks(view.definition, view.variables, gateway.functions):
            path = break_path(loaded, view.deployment_id, broken)
            if broken.kind == "variable":
                variable = broken.variables[0]
                close = difflib.get_close_matches(variable, list(view.variables), n=1)
                defined = ", ".join(view.variables) or "none"
                others = [s.name for s in gateway.stages.values() if variable in s.variables]
                if others:  # the route is right for them: renaming it would break them
                    fix = f"define {variable} in the stage's variables, as stage {others[0]} does"
                elif close:
                    fix = f"write {close[0]} instead, or define {variable} in the stage's variables"
                else:
                    fix = f"define {variable} in the stage's variables"
                yield finding(
                    loaded, "stage-variable-undefined", "error", name, path,
                    f"{_what(broken)} {broken.problem}, which {view.who} does not define"
                    f"{did_you_mean(variable, view.variables)} (defined: {defined})",
                    fix,
                )  # fmt: skip
            else:
                yield _function_missing(loaded, gateway, view, broken, path)


def _function_missing(
    loaded: LoadedConfig, gateway: Gateway, view: View, broken: Break, path: str
) -> Finding:
    target = broken.problem.removeprefix("calls ").removesuffix(", which does not exist")
    function, qualifier = parse_reference(target)
    known = qualifiers(gateway.functions, function)
    given = ", ".join(f"{v} = {view.variables[v]}" for v in broken.variables)
    if broken.variables:
        path = variable_path(loaded, view, broken.variables[-1])
    if not known:
        fix = f"declare function {function} under functions, or name one that exists"
    elif broken.variables:
        fix = f"set {broken.variables[-1]} to one of {', '.join(known)}"
    else:
        fix = f"use {function}:{{{', '.join(known)}}}, or declare {qualifier} for {function}"
    return finding(
        loaded, "function-missing", "error", view.stage.name, path,
        f"{_what(broken)} on {view.who} calls {target}"
        + (f" ({given})" if given else "") + f", which does not exist: {broken.detail}",
        fix,
    )  # fmt: skip


def unused_variables(loaded: LoadedConfig, gateway: Gateway) -> Iterator[Finding]:
    """`stage-variable-unused`: a variable that neither the stage's deployment, its canary's,
    nor the deployment a rollback would restore reads (the last so that a variable kept for a
    safe rollback is not reported). `canary-override-unused`: an override the canary's
    deployment does not read."""
    for stage in gateway.stages.values():
        read = variables_used(gateway.deployment(stage.deployment_id).api)
        if stage.canary is not None:
            canary_reads = variables_used(gateway.deployment(stage.canary.deployment_id).api)
            read |= canary_reads
            for variable in stage.canary.variables:
                if variable not in canary_reads:
                    yield finding(
                        loaded, "canary-override-unused", "warning", stage.name,
                        written(
                            loaded, f"stages.{stage.name}.canary.variables.{variable}",
                            f"stages.{stage.name}.canary",
                        ),
                        f"the canary of stage {stage.name} overrides {variable}, which no route "
                        f"of its deployment reads{did_you_mean(variable, canary_reads)}",
                        "remove the override, or correct its name",
                    )  # fmt: skip
        target, _ = rollback_breaks(gateway, stage.name)
        if target is not None:
            read |= variables_used(target.api)
        for variable in stage.variables:
            if variable not in read:
                yield finding(
                    loaded, "stage-variable-unused", "warning", stage.name,
                    written(
                        loaded, f"stages.{stage.name}.variables.{variable}",
                        f"stages.{stage.name}.variables", f"stages.{stage.name}",
                    ),
                    f"stage {stage.name} defines {variable}, which no route it serves (or would "
                    f"serve after a rollback) reads{did_you_mean(variable, read)}",
                    "remove it, or correct its name",
                )  # fmt: skip


def rollback_unsafe(loaded: LoadedConfig, gateway: Gateway) -> Iterator[Finding]:
    """`rollback-unsafe`: each route of the deployment a rollback would restore that would fail
    with today's stage variables and functions."""
    for name in gateway.stages:
        target, broken_routes = rollback_breaks(gateway, name)
        if target is None:
            continue
        label = deployment_label(loaded, target.id)
        for broken in broken_routes:
            message, fix = rollback_wording(name, label, broken)
            path = break_path(loaded, target.id, broken)
            yield finding(loaded, "rollback-unsafe", "error", name, path, message, fix)


def rollback_wording(stage: str, label: str, broken: Break) -> tuple[str, str]:
    """The message and fix for one thing a rollback of `stage` to `label` would break."""
    if broken.kind == "variable":
        variable = broken.variables[0]
        hint = f" {broken.detail}" if broken.detail else ""
        return (
            f"a rollback of stage {stage} restores {label}, whose {_what(broken)} "
            f"{broken.problem}, which the stage no longer defines{hint}",
            f"keep {variable} in the stage's variables while {label} is in its history",
        )
    target = broken.problem.removeprefix("calls ").removesuffix(", which does not exist")
    return (
        f"a rollback of stage {stage} restores {label}, whose {_what(broken)} calls {target}, "
        f"which no longer exists: {broken.detail}",
        f"keep {target.rsplit(':', 1)[-1] if ':' in target else target} published while "
        f"{label} is in the stage's history",
    )


# -- deployments -----------------------------------------------------------------------------


def undeployed_changes(loaded: LoadedConfig, gateway: Gateway) -> Iterator[Finding]:
    """`undeployed-changes`: a stage that serves something else than the working API (a
    warning: a stage kept on an earlier release on purpose says so too, and may be let be)."""
    for stage in gateway.stages.values():
        changes = gateway.pending_changes(stage.name)
        if not changes:
            continue
        path = written(loaded, f"stages.{stage.name}.deployment", f"stages.{stage.name}")
        served = deployment_label(loaded, stage.deployment_id)
        yield finding(
            loaded, "undeployed-changes", "warning", stage.name, path,
            f"stage {stage.name} serves {served}, not the working definition: "
            + "; ".join(changes),
            f"deploy the working definition to {stage.name} (or point it back at it)",
        )  # fmt: skip


def unreachable_routes(loaded: LoadedConfig, gateway: Gateway) -> Iterator[Finding]:
    """`route-unreachable`: an `ANY` method whose resource has its own method for every verb
    (a verb's own method wins over ANY, so ANY is never called)."""
    for deployment_id, definition in served_definitions(gateway).items():
        for key, route in definition.routes.items():
            if route.method != "ANY":
                continue
            if all(f"{verb} {route.path}" in definition.routes for verb in HTTP_METHODS):
                yield finding(
                    loaded, "route-unreachable", "error", None,
                    f"{routes_path(loaded, deployment_id)}.{key}",
                    f"{key} is never called: {route.path} has its own method for every verb "
                    f"({', '.join(HTTP_METHODS)}), and a verb's own method wins over ANY",
                    f"remove {key}, or one of the verb methods it should answer",
                )  # fmt: skip


# -- caching ---------------------------------------------------------------------------------

_PARAMS = re.compile(r"\$input\.params\(\s*'([^']+)'\s*\)")
_PARAMS_OF = re.compile(r"\$input\.params\(\)\.(path|querystring|header)\.get\(\s*'([^']+)'\s*\)")
_PATH_PARAMETER = re.compile(r"\{([^}+]+)\+?\}")


def _reads(route: Route) -> dict[str, str]:
    """The method request parameters the integration's answer depends on, each with the field
    it is read in: mappings, templates, a proxy's whole request (path parameters and the
    declared parameters), an HTTP URI's `{name}`."""
    integration = route.integration
    path_names = _PATH_PARAMETER.findall(route.path)
    reads: dict[str, str] = {}
    for destination, source in integration.request_parameters.items():
        found = REQUEST_SOURCE.match(source)
        if found and found.group("where"):
            kind = found.group("where").removeprefix("multivalue")
            reads.setdefault(
                f"method.request.{kind}.{found.group('name')}", f"mapping {destination}"
            )
    for media_type, template in integration.request_templates.items():
        for name in _PARAMS.findall(template):
            kind = "path" if name in path_names else "querystring"
            reads.setdefault(f"method.request.{kind}.{name}", f"request template {media_type}")
        for kind, name in _PARAMS_OF.findall(template):
            reads.setdefault(f"method.request.{kind}.{name}", f"request template {media_type}")
    if integration.type in ("AWS_PROXY", "HTTP_PROXY"):
        for name in path_names:
            reads.setdefault(f"method.request.path.{name}", "the proxied request path")
        for name in route.request_parameters:
            reads.setdefault(name, "the proxied request (declared in requestParameters)")
    elif integration.type == "HTTP":
        for name in re.findall(r"\{([^}+]+)\+?\}", integration.target):
            if name in path_names:
                reads.setdefault(f"method.request.path.{name}", "the integration URI")
    return reads


def _in_key(parameter: str, route: Route, keys: set[str]) -> bool:
    if parameter in keys:
        return True
    name = parameter.rsplit(".", 1)[-1]
    if parameter.startswith("method.request.querystring."):  # `$input.params('x')`: any kind
        return any(f"method.request.{kind}.{name}" in keys for kind in ("header", "path"))
    return False


def cache_risks(loaded: LoadedConfig, gateway: Gateway) -> Iterator[Finding]:
    """`cache-key-missing`, `cache-non-get` (what the stage cache serves wrongly) and
    `cache-key-undeclared` (what AWS refuses at import)."""
    for view in views(gateway):
        stage = view.stage
        canary = stage.canary
        if view.canary and not (canary is not None and canary.use_stage_cache):
            continue  # a canary without use_stage_cache does not cache
        base = routes_path(loaded, view.deployment_id)
        for key, route in view.definition.routes.items():
            if not cached(stage, key):
                continue
            keys = set(route.integration.cache_key_parameters)
            missing = {p: w for p, w in _reads(route).items() if not _in_key(p, route, keys)}
            if missing:
                listed = ", ".join(f"{p} (read in {w})" for p, w in missing.items())
                path = integration_key(
                    loaded, f"{base}.{key}", "cacheKeyParameters", "cache_key_parameters"
                )
                yield finding(
                    loaded, "cache-key-missing", "error", stage.name, path,
                    f"{key} is cached on {view.who}, but its answer depends on {listed}, which "
                    f"its cache key leaves out: requests that differ only there get the first "
                    f"one's cached answer",
                    f"add {', '.join(missing)} to the integration's cacheKeyParameters",
                )  # fmt: skip
            if route.method != "GET" and not view.canary:
                path = method_setting_path(loaded, stage.name, key) + ".caching"
                yield finding(
                    loaded, "cache-non-get", "error", stage.name, written(loaded, path, path[:-8]),
                    f"{key} is cached on stage {stage.name} (its own method setting enables "
                    f"caching): the request body is never in a cache key, so different "
                    f"{route.method} requests get the first one's cached answer",
                    f"turn caching off for it: method_settings: {{{key}: {{caching: {{enabled: "
                    f"false}}}}}}",
                )  # fmt: skip
    for deployment_id, definition in served_definitions(gateway).items():
        base = routes_path(loaded, deployment_id)
        for key, route in definition.routes.items():
            declared = declared_parameters(route)
            for parameter in route.integration.cache_key_parameters:
                if parameter not in declared:
                    yield finding(
                        loaded, "cache-key-undeclared", "error", None,
                        integration_key(
                            loaded, f"{base}.{key}", "cacheKeyParameters", "cache_key_parameters"
                        ),
                        f"{key}: cache key parameter {parameter} is not declared in the method's "
                        f"requestParameters; AWS refuses this at import (the emulator accepts it)",
                        f"declare it beside integration: requestParameters: {{{parameter}: false}}",
                    )  # fmt: skip


# -- API keys, usage plans, method settings --------------------------------------------------


def api_keys(loaded: LoadedConfig, gateway: Gateway) -> Iterator[Finding]:
    """`api-key-no-plan`: a method that wants a key on a stage no usage plan with an enabled
    key covers (every call is 403 Forbidden)."""
    enabled = {key.name for key in gateway.api_keys.all() if key.enabled}
    for view in views(gateway):
        stage = view.stage.name
        if any(stage in p.stages and set(p.keys) & enabled for p in gateway.usage_plans.all()):
            continue
        base = routes_path(loaded, view.deployment_id)
        for key, route in view.definition.routes.items():
            if route.api_key_required:
                yield finding(
                    loaded, "api-key-no-plan", "error", stage,
                    written(
                        loaded, f"{base}.{key}.apiKeyRequired", f"{base}.{key}.api_key_required",
                        f"{base}.{key}.integration.apiKeyRequired", f"{base}.{key}",
                    ),
                    f"{key} requires an API key on {view.who}, but no usage plan with an "
                    f"enabled key covers stage {stage}: every call gets 403 Forbidden",
                    f"add a usage plan with stages: [{stage}] and keys: [a key]",
                )  # fmt: skip


def unknown_routes(loaded: LoadedConfig, gateway: Gateway) -> Iterator[Finding]:
    """`plan-unknown-route`: a method setting or a usage plan's method throttle naming a route
    the stage serves neither itself nor through its canary; it never applies."""
    served: dict[str, set[str]] = {}
    for view in views(gateway):
        served.setdefault(view.stage.name, set()).update(view.definition.routes)
    for stage in gateway.stages.values():
        routes = served[stage.name]
        for key in stage.settings.method_settings:
            if key != ALL_METHODS and key not in routes:
                yield finding(
                    loaded, "plan-unknown-route", "warning", stage.name,
                    method_setting_path(loaded, stage.name, key),
                    f"stage {stage.name}: method_settings {key!r} names no route it serves"
                    f"{did_you_mean(key, routes)}",
                    "correct the route key (VERB /path), or remove the entry",
                )  # fmt: skip
    for name, values in loaded.usage_plans:
        entries: list[tuple[str, Any, str | None]] = [
            (f"usage_plans.{name}.method_throttles", values.get("method_throttles"), None)
        ]
        for i, item in enumerate(values.get("stages", [])):
            if isinstance(item, Mapping):
                entries.append((f"usage_plans.{name}.stages[{i}].throttle", item.get("throttle"),
                                str(item.get("stage"))))  # fmt: skip
        plan_stages = [s if isinstance(s, str) else str(s.get("stage"))
                       for s in values.get("stages", [])]  # fmt: skip
        for at, throttles, only in entries:
            for written_key in throttles or {}:
                try:
                    key = method_settings_key(written_key)
                except Exception:
                    continue
                for stage_name in [only] if only else plan_stages:
                    routes = served.get(stage_name, set())
                    if key not in routes:
                        yield finding(
                            loaded, "plan-unknown-route", "warning", stage_name,
                            written(loaded, f"{at}.{written_key}", at),
                            f"usage plan {name}: stage {stage_name}: method throttle "
                            f"{written_key!r} names no route it serves{did_you_mean(key, routes)}",
                            "correct the route key (VERB /path or /path/VERB), or remove it",
                        )  # fmt: skip


# -- canaries --------------------------------------------------------------------------------


def canaries(loaded: LoadedConfig, gateway: Gateway) -> Iterator[Finding]:
    """`canary-percent-zero`: a canary on another deployment that gets no traffic;
    `canary-same-as-stage`: a canary that runs what the stage runs, with no overrides (it
    tests nothing)."""
    for stage in gateway.stages.values():
        canary = stage.canary
        if canary is None:
            continue
        at = written(loaded, f"stages.{stage.name}.canary", f"stages.{stage.name}")
        same = canary.deployment_id == stage.deployment_id or (
            gateway.deployment(canary.deployment_id).api.routes
            == gateway.deployment(stage.deployment_id).api.routes
        )
        if same and not canary.variables:
            yield finding(
                loaded, "canary-same-as-stage", "warning", stage.name, at,
                f"the canary of stage {stage.name} runs what the stage runs "
                f"({deployment_label(loaded, canary.deployment_id)}), with no overrides: it "
                f"tests nothing",
                "give the canary the deployment to try (deployment:) or overrides (variables:), "
                "or remove it",
            )  # fmt: skip
        elif not same and canary.percent == 0:
            yield finding(
                loaded, "canary-percent-zero", "warning", stage.name,
                written(loaded, f"stages.{stage.name}.canary.percent", at),
                f"the canary of stage {stage.name} runs "
                f"{deployment_label(loaded, canary.deployment_id)} but gets 0 % of the requests",
                "give it a percent above 0, or remove the canary",
            )  # fmt: skip


# -- all of them -----------------------------------------------------------------------------

Rule = Callable[[LoadedConfig, Gateway], Iterable[Finding]]


RULES: tuple[Rule, ...] = (
    stage_variables, unused_variables, rollback_unsafe, undeployed_changes, unreachable_routes,
    cache_risks, api_keys, unknown_routes, canaries, policy_findings,
)  # fmt: skip


def run_checks(loaded: LoadedConfig, gateway: Gateway) -> list[Finding]:
    """Every rule's findings, in a stable order (by stage, then rule, then key); what
    concerns no one stage comes first. A finding two views share is given once."""
    found = {f: None for rule in RULES for f in rule(loaded, gateway)}
    return sorted(
        found,
        key=lambda f: (f.stage is not None, f.stage or "", f.rule, f.key, f.line or 0, f.message),
    )
