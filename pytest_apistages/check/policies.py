"""The `policies:` a config may declare, checked by `apistages check`: rules a team sets for
itself, each reported as `policy-<name>` (an error).

- `max_canary_percent: N`: no canary above N %.
- `require_throttling: [stages]`: every method of those stages has a throttle of its own or
  the stage's (AWS's account limit alone is not one).
- `require_api_key: [stages]`: every method of those stages wants an API key (OPTIONS
  methods, CORS preflights that browsers send without a key, excepted).
- `require_logging: [stages]` or `true` (every stage): execution logging set, and not OFF,
  for every method (AWS's default is OFF).
- `forbid_stage_variables_in: [uri, credentials, request_parameters, request_templates]`:
  integration fields that must not read `${stageVariables.…}`.
- `max_cache_ttl: seconds`: no cached method keeps answers longer."""

from __future__ import annotations

import re
from typing import Any

from ..errors import shown
from ..sources.nodes import Node

POLICIES = (
    "max_canary_percent", "require_throttling", "require_api_key", "require_logging",
    "forbid_stage_variables_in", "max_cache_ttl",
)  # fmt: skip
FIELDS = ("uri", "credentials", "request_parameters", "request_templates")
_STAGE_NAME = re.compile(r"^[A-Za-z0-9_-]{1,128}$")


def policies_from(node: Node) -> dict[str, Any]:
    """The config's `policies:`; an unknown policy or a bad value is a located error."""
    entries = node.mapping(POLICIES)
    policies: dict[str, Any] = {}
    for name, value in entries.items():
        if name == "max_canary_percent":
            policies[name] = value.number(0.0, 100.0, " %")
        elif name == "max_cache_ttl":
            policies[name] = value.integer(0, 3600, " seconds")
        elif name == "require_logging" and isinstance(value.value, bool):
            policies[name] = value.value
        elif name == "forbid_stage_variables_in":
            policies[name] = [_field(item) for item in value.sequence()]
        else:
            policies[name] = [
                item.string(_STAGE_NAME, "name a stage") for item in _stage_list(value)
            ]
    return policies


def _stage_list(node: Node) -> list[Node]:
    if not isinstance(node.value, list):
        extra = " or true" if node.path.endswith("require_logging") else ""
        raise node.error(
            f"expected a list of stages{extra}, got {shown(node.value)}", "write [prod]"
        )
    return node.sequence()


def _field(node: Node) -> str:
    text = node.string()
    spelled = re.sub(r"(?<=[a-z])([A-Z])", lambda m: "_" + m.group(1).lower(), text)
    if spelled not in FIELDS:
        raise node.error(f"unknown integration field {shown(text)}", f"use {', '.join(FIELDS)}")
    return spelled
