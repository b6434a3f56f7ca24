"""Differences between two API definitions, worded for people: what a deploy would change."""

from __future__ import annotations

from dataclasses import fields

from .model import ApiDefinition, Integration, Route


def definition_changes(served: ApiDefinition, working: ApiDefinition) -> list[str]:
    """One line per undeployed difference, e.g. `GET /pets: integration changed (...)`."""
    changes = []
    for key in sorted(set(served.routes) | set(working.routes), key=_route_order):
        old, new = served.routes.get(key), working.routes.get(key)
        if old is None:
            changes.append(f"{key}: added, not deployed")
        elif new is None:
            changes.append(f"{key}: deleted, still served")
        elif old != new:
            changes.append(f"{key}: {_route_change(old, new)}")
    if served.binary_media_types != working.binary_media_types:
        changes.append(
            f"binary media types changed ({list(served.binary_media_types)} -> "
            f"{list(working.binary_media_types)})"
        )
    old_responses, new_responses = served.gateway_responses, working.gateway_responses
    for name in sorted(set(old_responses) | set(new_responses)):
        if name not in new_responses:
            changes.append(f"gateway response {name}: reset to default, not deployed")
        elif old_responses.get(name) != new_responses[name]:
            changes.append(f"gateway response {name}: customised, not deployed")
    return changes


def _route_order(key: str) -> tuple[str, str]:
    method, path = key.split(" ", 1)
    return path, method


def _route_change(old: Route, new: Route) -> str:
    parts = []
    if old.integration != new.integration:
        parts.append(
            f"integration changed ({_integration_change(old.integration, new.integration)})"
        )
    if old.api_key_required != new.api_key_required:
        parts.append(f"api key required {old.api_key_required} -> {new.api_key_required}")
    if old.operation_name != new.operation_name:
        parts.append(f"operation name {old.operation_name!r} -> {new.operation_name!r}")
    if old.request_parameters != new.request_parameters:
        parts.append(
            f"method request parameters {dict(old.request_parameters)} -> "
            f"{dict(new.request_parameters)}"
        )
    if old.method_responses != new.method_responses:
        parts.append(
            f"method responses {dict(old.method_responses)} -> {dict(new.method_responses)}"
        )
    return "; ".join(parts)


def _integration_change(old: Integration, new: Integration) -> str:
    changed = []
    for f in fields(Integration):
        a, b = getattr(old, f.name), getattr(new, f.name)
        if a != b:
            a, b = (dict(a), dict(b)) if hasattr(a, "items") else (a, b)
            changed.append(f"{f.name}: {a!r} -> {b!r}")
    return ", ".join(changed)
