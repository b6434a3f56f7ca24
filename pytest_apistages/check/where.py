"""Where a finding points: the most precise config key path that the user really wrote, turned
into the file, key and line it stands at (a template's own, when the config came from one)."""

from __future__ import annotations

from ..settings import method_settings_key
from ..sources.config import CURRENT, LoadedConfig
from ..sources.nodes import is_under
from .findings import Finding, Severity


def written(loaded: LoadedConfig, *candidates: str) -> str:
    """The first of `candidates` (config key paths, most precise first) that the source holds;
    else the last, which callers make the one that always exists (the route, the stage).

    The config file's own keys are in `loaded.lines`; a translated template's are in its
    places' lines, so the short forms and AWS's spellings can be told apart."""
    for path in candidates:
        if path in loaded.lines or path in loaded.places or _in_template(loaded, path):
            return path
    return candidates[-1]


def _in_template(loaded: LoadedConfig, path: str) -> bool:
    owners = [p for p in loaded.places if p and is_under(path, p)]
    if not owners:
        return False
    place = loaded.places[max(owners, key=len)]
    return place is not None and loaded.locate(path).key in place.lines


def routes_path(loaded: LoadedConfig, deployment_id: str) -> str:
    """The config key path of the routes a deployment serves: a declared deployment's own, or
    `api.routes` for the current definition (and for one made since the config was loaded)."""
    if deployment_id in loaded.deployments and deployment_id != CURRENT:
        return f"deployments.{deployment_id}.routes"
    return "api.routes"


def integration_key(loaded: LoadedConfig, route_path: str, *names: str) -> str:
    """An integration field of a route: in the `integration:` mapping, in the route's own
    mapping (the short form), or the route itself (a one-string short form)."""
    candidates = [f"{route_path}.integration.{name}" for name in names]
    candidates += [f"{route_path}.{name}" for name in names]
    return written(loaded, *candidates, route_path)


def finding(
    loaded: LoadedConfig, rule: str, severity: Severity, stage: str | None, path: str,
    message: str, fix: str,
) -> Finding:  # fmt: skip
    """A finding at config key path `path`, located where the user wrote it."""
    where = loaded.locate(path)
    return Finding(rule, severity, stage, where.source, where.line, where.key, message, fix)


def method_setting_path(loaded: LoadedConfig, stage: str, route_key: str) -> str:
    """The config key path of a stage's method settings entry for `route_key`, spelled as
    written (`GET /pets`, `~1pets/GET`); stage-level settings (`*/*`) are the stage's own
    `throttling`, `caching`, `logging` keys unless written as a `*/*` entry."""
    spec = next((s for s in loaded.stages if s.name == stage), None)
    entries = spec.settings.get("method_settings") if spec is not None else None
    for written_key in entries or {}:
        try:
            if method_settings_key(written_key) == route_key:
                return f"stages.{stage}.method_settings.{written_key}"
        except Exception:  # a key the loader accepted; any spelling it refuses is not ours
            continue
    return f"stages.{stage}.method_settings.{route_key}"
