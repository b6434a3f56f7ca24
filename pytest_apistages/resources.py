"""An API's resource tree, as API Gateway keeps it: one node per path part, each with its
methods. It is persistent: adding or removing a route copies only the nodes on that route's
path, so every deployment of an API shares the unchanged rest, and a deployment needs no
routing table of its own to be built before its first request.

We match here instead of with werkzeug's `Map` because a `Map` compiles each rule to Python
code: 86 ms and about 2 MB for 300 routes, once per deployment. The walk below keeps API
Gateway's precedence, which `Map` also had: a literal part beats a variable one, a variable one
beats a greedy `{proxy+}`, a concrete verb beats `ANY`, and when a literal branch has no method
for the request, matching falls back to a greedy sibling (recorded on AWS)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, Generic, TypeVar

from .errors import BadRequestError

T = TypeVar("T")
HTTP_METHODS = ("DELETE", "GET", "HEAD", "OPTIONS", "PATCH", "POST", "PUT")  # what ANY covers
_ANY_COVERS = frozenset(HTTP_METHODS)
_EMPTY: MappingProxyType[str, Any] = MappingProxyType({})


@dataclass(frozen=True)
class Match(Generic[T]):
    """The route a request reached and its path parameters (raw, not URL-decoded)."""

    route: T
    path_parameters: MappingProxyType[str, str]


class Resource(Generic[T]):
    """One path part and what hangs from it. Never changed once built: edits make new nodes."""

    __slots__ = ("part", "methods", "literals", "variable")

    def __init__(
        self,
        part: str = "",
        methods: dict[str, T] | None = None,
        literals: dict[str, Resource[T]] | None = None,
        variable: Resource[T] | None = None,
    ) -> None:
        self.part = part  # "pets", "{id}" or "{proxy+}"; "" for the root
        self.methods: dict[str, T] = methods or {}
        self.literals: dict[str, Resource[T]] = literals or {}
        self.variable = variable  # the one variable or greedy child AWS allows

    @property
    def greedy(self) -> bool:
        return self.part.endswith("+}")

    @property
    def name(self) -> str:
        """The path parameter this part binds (`id`, `proxy`)."""
        return self.part[1:-1].rstrip("+")

    def child(self, part: str) -> Resource[T] | None:
        if part.startswith("{"):
            return (
                self.variable if self.variable is not None and self.variable.part == part else None
            )
        return self.literals.get(part)

    def with_child(self, child: Resource[T]) -> Resource[T]:
        if child.part.startswith("{"):
            return Resource(self.part, self.methods, self.literals, child)
        return Resource(
            self.part, self.methods, {**self.literals, child.part: child}, self.variable
        )

    def without_child(self, part: str) -> Resource[T]:
        if part.startswith("{"):
            return Resource(self.part, self.methods, self.literals, None)
        literals = {k: v for k, v in self.literals.items() if k != part}
        return Resource(self.part, self.methods, literals, self.variable)

    @property
    def empty(self) -> bool:
        return not self.methods and not self.literals and self.variable is None

    def values(self) -> Iterator[T]:
        """Every method of this resource and below."""
        yield from self.methods.values()
        for child in self.literals.values():
            yield from child.values()
        if self.variable is not None:
            yield from self.variable.values()


def put(root: Resource[T], parts: list[str], method: str, value: T, key: str) -> Resource[T]:
    """A new tree with `value` at `method parts`; refused as AWS refuses a second variable
    part among siblings (`key` names the new route in the message)."""
    if not parts:
        return Resource(root.part, {**root.methods, method: value}, root.literals, root.variable)
    part = parts[0]
    sibling = root.variable
    if part.startswith("{") and sibling is not None and sibling.part != part:
        other = next(sibling.values(), None)
        beside = f" beside {_key(other)!r}" if other is not None else ""
        raise BadRequestError(
            f"A sibling ({sibling.part}) of this resource already has a variable path part -- "
            f"only one is allowed (route {key!r}{beside})"
        )
    child = root.child(part) or Resource(part)
    return root.with_child(put(child, parts[1:], method, value, key))


def remove(root: Resource[T], parts: list[str], method: str) -> Resource[T]:
    """A new tree without `method parts`; resources left with nothing are removed too."""
    if not parts:
        methods = {k: v for k, v in root.methods.items() if k != method}
        return Resource(root.part, methods, root.literals, root.variable)
    child = root.child(parts[0])
    if child is None:
        return root
    pruned = remove(child, parts[1:], method)
    return root.without_child(parts[0]) if pruned.empty else root.with_child(pruned)


def match(root: Resource[T], method: str, path: str) -> Match[T] | None:
    """The route for `method path` (raw, not URL-decoded), or None: AWS's 403 case. A trailing
    slash is ignored (`/pets/` is `/pets`); empty parts match nothing."""
    parts = path.split("/")[1:]
    if parts and parts[-1] == "":
        parts.pop()
    found = _walk(root, parts, 0, method)
    if found is None:
        return None
    route, bound = found
    return Match(route, MappingProxyType(bound) if bound else _EMPTY)


def _walk(
    node: Resource[T], parts: list[str], i: int, method: str
) -> tuple[T, dict[str, str]] | None:
    if i == len(parts):
        route = _method(node, method)
        return None if route is None else (route, {})
    part = parts[i]
    if not part:
        return None
    literal = node.literals.get(part)
    if literal is not None:
        found = _walk(literal, parts, i + 1, method)
        if found is not None:
            return found
    variable = node.variable
    if variable is None:
        return None
    if variable.greedy:
        route = _method(variable, method)
        if route is None:
            return None
        # AWS keeps a trailing slash in `path` but not in the greedy parameter.
        return route, {variable.name: "/".join(parts[i:]).rstrip("/")}
    found = _walk(variable, parts, i + 1, method)
    if found is not None:
        found[1][variable.name] = part
    return found


def _method(node: Resource[T], method: str) -> T | None:
    """A request's verb finds its own method, else ANY; `ANY` itself is no request verb."""
    if method not in _ANY_COVERS:
        return None
    found = node.methods.get(method)
    return node.methods.get("ANY") if found is None else found


def _key(value: Any) -> str:
    return str(getattr(value, "key", value))
