"""The `policies:` rules, `policy-<name>` (errors): each policy the config declares (see
`policies`), checked on every stage and canary."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from ..errors import did_you_mean
from ..gateway import Gateway
from ..model import Route
from ..sources.config import LoadedConfig
from .findings import Finding
from .uses import route_uses
from .views import View, cached, views
from .where import finding, method_setting_path, routes_path, written


def policy_findings(loaded: LoadedConfig, gateway: Gateway) -> Iterator[Finding]:
    """Each policy's findings; a policy naming a stage there is not is one too."""
    policies = loaded.policies
    stages = gateway.stages
    for name in ("require_throttling", "require_api_key", "require_logging"):
        listed = policies.get(name)
        for i, stage in enumerate(listed if isinstance(listed, list) else []):
            if stage not in stages:
                yield finding(
                    loaded, f"policy-{name.replace('_', '-')}", "error", None,
                    written(loaded, f"policies.{name}[{i}]", f"policies.{name}"),
                    f"policy {name} names stage {stage!r}, which the config does not declare"
                    f"{did_you_mean(stage, stages)}",
                    f"name one of {', '.join(stages)}",
                )  # fmt: skip
    for view in views(gateway):
        yield from _view_findings(loaded, view, policies)


def _in(policy: Any, stage: str) -> bool:
    return policy is True or (isinstance(policy, list) and stage in policy)


def _view_findings(loaded: LoadedConfig, view: View, policies: Any) -> Iterator[Finding]:
    stage = view.stage
    name = stage.name
    base = routes_path(loaded, view.deployment_id)
    canary = stage.canary
    limit = policies.get("max_canary_percent")
    if view.canary and canary is not None and limit is not None and canary.percent > limit:
        yield finding(
            loaded, "policy-max-canary-percent", "error", name,
            written(loaded, f"stages.{name}.canary.percent", f"stages.{name}.canary",
                          f"stages.{name}"),
            f"the canary of stage {name} gets {canary.percent:g} % of the requests; the policy "
            f"max_canary_percent allows {limit:g} %",
            f"lower the canary's percent to {limit:g} or less",
        )  # fmt: skip
    for key, route in view.definition.routes.items():
        settings = stage.settings
        own = settings.method_settings.get(key)
        everything = settings.method_settings.get("*/*")
        entry = method_setting_path(loaded, name, key)
        if view.canary:
            pass  # the stage's settings apply to the canary: reported once, for the stage
        elif _in(policies.get("require_throttling"), name) and not any(
            e is not None and e.throttling_rate is not None for e in (own, everything)
        ):
            yield finding(
                loaded, "policy-require-throttling", "error", name,
                written(loaded, f"stages.{name}.throttling", f"stages.{name}"),
                f"{key} on stage {name} has no throttle (only the account's); the policy "
                f"require_throttling wants one for every method of {name}",
                f"add throttling: {{rate: ..., burst: ...}} to stage {name}, or to {key}'s "
                f"method_settings",
            )  # fmt: skip
        if not view.canary and _in(policies.get("require_logging"), name):
            level = settings.for_route(key).logging_level
            explicit = any(e is not None and e.logging_level is not None for e in (own, everything))
            if not explicit or level == "OFF":
                yield finding(
                    loaded, "policy-require-logging", "error", name,
                    written(loaded, f"{entry}.logging", f"stages.{name}.logging",
                                  f"stages.{name}"),
                    f"{key} on stage {name} "
                    + ("has execution logging OFF" if explicit else "sets no execution logging "
                       "(AWS's default is OFF)")
                    + "; the policy require_logging wants it for every method",
                    f"set logging: ERROR (or INFO) on stage {name}",
                )  # fmt: skip
        if (
            _in(policies.get("require_api_key"), name)
            and not route.api_key_required
            and route.method != "OPTIONS"
        ):
            yield finding(
                loaded, "policy-require-api-key", "error", name,
                written(loaded, f"{base}.{key}.apiKeyRequired",
                              f"{base}.{key}.api_key_required", f"{base}.{key}"),
                f"{key} on {view.who} takes calls without an API key; the policy "
                f"require_api_key wants one for every method of {name}",
                f"set apiKeyRequired: true on {key}",
            )  # fmt: skip
        ttl = policies.get("max_cache_ttl")
        if ttl is not None and not view.canary and cached(stage, key):
            effective = settings.for_route(key).cache_ttl
            if effective > ttl:
                yield finding(
                    loaded, "policy-max-cache-ttl", "error", name,
                    written(loaded, f"{entry}.caching.ttl", f"stages.{name}.caching.ttl",
                                  f"stages.{name}.caching", f"stages.{name}"),
                    f"{key} on stage {name} keeps cached answers {effective} s; the policy "
                    f"max_cache_ttl allows {ttl} s",
                    f"set caching: {{ttl: {ttl}}} (or less)",
                )  # fmt: skip
        for field in policies.get("forbid_stage_variables_in", []):
            yield from _forbidden(loaded, view, base, key, route, field)


def _forbidden(
    loaded: LoadedConfig, view: View, base: str, key: str, route: Route, field: str
) -> Iterator[Finding]:
    name = view.stage.name
    if field == "credentials":
        credentials = route.integration.credentials or ""
        if "stageVariables." in credentials:
            yield finding(
                loaded, "policy-forbid-stage-variables-in", "error", name,
                written(loaded, f"{base}.{key}.integration.credentials",
                        f"{base}.{key}.credentials", f"{base}.{key}"),
                f"{key}'s integration credentials read a stage variable ({credentials}); the "
                "policy forbid_stage_variables_in forbids it there",
                "write the role ARN itself",
            )  # fmt: skip
        return
    prefix = {"uri": "integration.uri", "request_parameters": "integration.requestParameters",
              "request_templates": "integration.requestTemplates"}[field]  # fmt: skip
    for use in route_uses(route):
        if use.field[0].startswith(prefix):
            yield finding(
                loaded, "policy-forbid-stage-variables-in", "error", name,
                written(loaded, *[f"{base}.{key}.{f}" for f in use.field], f"{base}.{key}"),
                f"{key} reads stage variable {use.name!r} in {use.what}; the policy "
                f"forbid_stage_variables_in forbids stage variables in {field}",
                f"write the value itself in {field}",
            )  # fmt: skip
