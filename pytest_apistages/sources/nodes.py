"""Reading config values with their place: a YAML loader that refuses what YAML would silently
accept, and `Node`, a value with its file and key path, so every error names where it is."""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import yaml

from ..errors import BadRequestError, ConfigError, NotFoundError, shown

MAX_DEPTH = 64  # nesting a config never needs; deeper YAML is refused before it is built


class DuplicateKey(yaml.MarkedYAMLError):
    """A key given twice in one YAML mapping (PyYAML would silently keep the last)."""


class Loader(yaml.SafeLoader):
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
                raise DuplicateKey(
                    problem=f"duplicate key {shown(key)} (first given on line {seen[key]})",
                    problem_mark=key_node.start_mark,
                )
            seen[key] = key_node.start_mark.line + 1
        return super().construct_mapping(node, deep)


@dataclass(frozen=True)
class Place:
    """Where a value came from when a template was translated into the config's shape: the
    file, the value's key path there, and that file's line of each key path (when it has
    lines), so an error names the template's own key and line, not the translation's."""

    source: str
    path: str
    lines: Mapping[str, int] = field(default_factory=dict, compare=False, repr=False)


def child_path(path: str, key: str | int) -> str:
    """The key path of `key` under `path`: `a.b`, `a[0]` (one spelling, used everywhere)."""
    if isinstance(key, int):
        return f"{path}[{key}]"
    return f"{path}.{key}" if path else str(key)


def is_under(path: str, ancestor: str) -> bool:
    """Whether `path` is a key path inside `ancestor` (not `ancestor` itself)."""
    return path.startswith((f"{ancestor}.", f"{ancestor}["))


def line_of(lines: Mapping[str, int], path: str) -> int | None:
    """The line of `path`, or of its nearest ancestor that has one."""
    while path:
        if path in lines:
            return lines[path]
        cut = max(path.rfind("."), path.rfind("["))
        path = path[:cut] if cut > 0 else ""
    return None


@dataclass(frozen=True)
class Location:
    """Where a config value is: file, key path there, and line (when the file has lines)."""

    source: str
    key: str
    line: int | None = None


def locate(
    source: str,
    path: str,
    places: Mapping[str, Place | None] | None = None,
    lines: Mapping[str, int] | None = None,
) -> Location:
    """Where the value at the config path `path` really is: the template place of its
    nearest translated ancestor, if any, else `source` itself (at `lines`' line, if given)."""
    if places:
        owners = [p for p in places if path == p or is_under(path, p) or not p]
        place = places[max(owners, key=len)] if owners else None
        if place is not None:
            owner = max(owners, key=len)
            rest = path[len(owner) :]
            if not owner and rest and not rest.startswith("["):
                rest = f".{rest}"
            key = f"{place.path}{rest}" if place.path else rest.lstrip(".")
            return Location(place.source, key, line_of(place.lines, key))
    return Location(source, path, line_of(lines, path) if lines else None)


def located_error(
    source: str,
    path: str,
    problem: str,
    fix: str = "",
    places: Mapping[str, Place | None] | None = None,
) -> ConfigError:
    """A ConfigError at `path`, named where the value really is (see `locate`)."""
    where = locate(source, path, places)
    return ConfigError(where.source, where.key, problem, fix, line=where.line)


class Node:
    """A value in the config and where it is, so every error can say file and key path.
    `places` (shared by a whole tree) maps the key paths that a template translated to where
    they came from."""

    def __init__(
        self,
        value: Any,
        source: str,
        path: str = "",
        places: Mapping[str, Place | None] | None = None,
    ) -> None:
        self.value = value
        self.source = source
        self.path = path
        self.places = places

    def child(self, key: str | int) -> Node:
        return Node(self.value[key], self.source, child_path(self.path, key), self.places)

    def error(self, problem: str, fix: str = "") -> ConfigError:
        return located_error(self.source, self.path, problem, fix, self.places)

    def mapping(self, allowed: tuple[str, ...] | None = None) -> dict[str, Node]:
        """The entries of a mapping; unknown keys are errors with a suggestion."""
        if self.value is None:
            return {}
        if not isinstance(self.value, dict):
            raise self.error(f"expected a mapping, got {show_value(self.value)}")
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
            raise self.error(f"expected a non-empty string, got {show_value(self.value)}", fix)
        if pattern is not None and not pattern.match(self.value):
            raise self.error(f"invalid value {shown(self.value)}", fix)
        return self.value

    def number(self, low: float, high: float, unit: str = "") -> float:
        value = self.value
        if isinstance(value, bool) or not isinstance(value, (int, float)) or value != value:
            raise self.error(
                f"expected a number, got {show_value(value)}", f"use {low:g}-{high:g}{unit}"
            )
        if not low <= value <= high:
            raise self.error(f"must be {low:g}-{high:g}{unit}, got {show_number(value)}")
        return float(value)

    def integer(self, low: int, high: int, unit: str = "") -> int:
        if isinstance(self.value, float) and not self.value.is_integer():
            raise self.error(
                f"expected a whole number, got {self.value:g}", f"use {low}-{high}{unit}"
            )
        return int(self.number(low, high, unit))

    def sequence(self) -> list[Node]:
        if self.value is None:
            return []
        if not isinstance(self.value, list):
            raise self.error(f"expected a list, got {show_value(self.value)}", "write [a, b]")
        return [self.child(i) for i in range(len(self.value))]

    @contextmanager
    def located(self) -> Iterator[None]:
        """Report a control-plane refusal (AWS's wording) at this key."""
        try:
            yield
        except (BadRequestError, NotFoundError) as e:
            path, problem = _rekeyed(self.path, str(e))
            raise located_error(self.source, path, problem, "", self.places) from None


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


def show_value(value: Any) -> str:
    """A value in a message, kept short whatever its size (shared YAML nodes included)."""
    if value is None:
        return "nothing (null)"
    return f"{type(value).__name__} {shown(value)}"


def show_number(value: float) -> str:
    return f"{value:g}" if abs(value) < 1e300 else shown(value)


def expanded_size(value: Any, limit: int) -> int:
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


def one_of(entries: dict[str, Node], *names: str) -> Node | None:
    """The entry under whichever of `names` (spellings, or rival keys) is given; two is a clash."""
    given = [entries[n] for n in names if n in entries]
    if len(given) > 1:
        raise given[1].error(
            f"{' and '.join(repr(n) for n in names if n in entries)} both given", "keep one"
        )
    return given[0] if given else None


def scalar_text(node: Node, what: str) -> str:
    """A YAML scalar as the string AWS would store (booleans lowercase, as JSON writes them)."""
    if isinstance(node.value, (dict, list)) or node.value is None:
        fix = "give a value or remove the key" if node.value is None else "quote the value"
        raise node.error(f"{what} are strings, got {show_value(node.value)}", fix)
    return str(node.value).lower() if isinstance(node.value, bool) else str(node.value)


def check_depth(text: str) -> None:
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


def read_yaml(text: str, source: str) -> Node:
    """Parse YAML safely (no Python tags), with every problem a ConfigError at its line."""
    try:
        check_depth(text)
        data = yaml.load(text, Loader=Loader)
    except DuplicateKey as e:
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
    return Node(data, source)
