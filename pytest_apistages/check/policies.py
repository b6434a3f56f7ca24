"""The `policies:` a config may declare, checked by `apistages check`."""

from __future__ import annotations

from typing import Any

from ..sources.nodes import Node

POLICIES = (
    "max_canary_percent", "require_throttling", "require_api_key", "require_logging",
    "forbid_stage_variables_in", "max_cache_ttl",
)  # fmt: skip


def policies_from(node: Node) -> dict[str, Any]:
    """The config's `policies:`; an unknown policy is a located error."""
    return {name: value.value for name, value in node.mapping(POLICIES).items()}
