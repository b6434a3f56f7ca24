"""The one intermediate form every source becomes: a mapping in `apistages.yaml`'s shape, plus
the place in its own file each translated part came from. The config loader then validates it
once, and its errors name the template's file, key and line through those places."""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from ..errors import ConfigError
from .nodes import Node, Place, child_path, is_under


def key_path(keys: Sequence[str | int]) -> str:
    return functools.reduce(child_path, keys, "")


@dataclass
class Spec:
    """A config being built by a translator: `data` in the config's shape, `places` mapping
    key paths in it to where they came from (None: the config's own value, given over the
    template's), `notices` saying what was read but is not
    emulated (shown in the pytest header and by `apistages check`)."""

    source: str
    data: dict[str, Any] = field(default_factory=dict)
    places: dict[str, Place | None] = field(default_factory=dict)
    notices: list[str] = field(default_factory=list)
    # Errors that stand unless the config gives the function itself (code only in S3, say).
    pending: dict[str, ConfigError] = field(default_factory=dict)
    default_stages: bool = False  # stages made up for a file that declares none

    def put(self, keys: Sequence[str], value: Any, place: Place | None = None) -> None:
        """Set `value` at `keys`, creating the mappings on the way; `place` says where it is."""
        target = self.data
        for key in keys[:-1]:
            target = target.setdefault(key, {})
        target[keys[-1]] = value
        if place is not None:
            self.places[key_path(keys)] = place

    def mark(self, keys: Sequence[str], place: Place) -> None:
        """Say where the value at `keys` (already put, or put later) came from."""
        self.places[key_path(keys)] = place

    def own(self, keys: Sequence[str]) -> None:
        """The value at `keys` is the config's own (it replaced the template's): located in
        the config, itself and all under it."""
        path = key_path(keys)
        for inner in [p for p in self.places if is_under(p, path)]:
            del self.places[inner]
        self.places[path] = None

    def node(self) -> Node:
        return Node(self.data, self.source, "", self.places)


def at(place: Place, *keys: str | int) -> Place:
    """The place of a value under `place`."""
    return Place(place.source, key_path([place.path, *keys]) if place.path else key_path(keys),
                 place.lines)  # fmt: skip


def merged(spec: Spec, config: Mapping[str, Any], source: str) -> Spec:
    """The config's own keys over what its `source:` declares: named entries (stages,
    functions, routes, ...) are added or replaced key by key, a stage's variables and canary
    one by one; anything else the config gives replaces the source's. What the config gives is
    located in the config (`source`), the rest in the template."""
    out = Spec(source, dict(spec.data), dict(spec.places), list(spec.notices), dict(spec.pending))
    own = out.own

    for section, value in config.items():
        old = out.data.get(section)
        if (
            not (isinstance(value, Mapping) and isinstance(old, Mapping))
            or section not in _MERGED_BY_NAME
        ):
            out.data[section] = value
            own([section])
            continue
        entries = dict(old)
        for name, entry in value.items():
            previous = entries.get(name)
            nested = _MERGED_BY_NAME[section]
            if nested is None or not (isinstance(previous, Mapping) and isinstance(entry, Mapping)):
                entries[name] = entry
                own([section, name])
                continue
            combined = dict(previous)
            for key, item in entry.items():
                if (
                    key in nested
                    and isinstance(item, Mapping)
                    and isinstance(previous.get(key), Mapping)
                ):
                    combined[key] = {**previous[key], **item}
                    for inner in item:
                        own([section, name, key, inner])
                else:
                    combined[key] = item
                    own([section, name, key])
            entries[name] = combined
        out.data[section] = entries
    return out


# Sections whose entries merge by name, and the keys inside an entry that merge key by key
# (None: an entry the config gives replaces the source's whole).
_MERGED_BY_NAME: dict[str, tuple[str, ...] | None] = {
    "stages": ("variables", "canary", "method_settings"),
    "functions": ("environment", "aliases"),
    "api": (),  # its routes and gateway responses merge by key; other keys replace
    "backends": None,
    "deployments": None,
    "api_keys": None,
    "usage_plans": None,
}
