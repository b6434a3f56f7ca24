"""Route matching with werkzeug's Map, which already has API Gateway's precedence: a literal
segment beats a variable one, a variable one beats a greedy `{proxy+}`, and when a literal branch
has no method for the request the matcher falls back to a greedy sibling, as AWS does."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from werkzeug.exceptions import HTTPException
from werkzeug.routing import Map, Rule

from .model import HTTP_METHODS, Route


@dataclass(frozen=True)
class Match:
    route: Route
    path_parameters: dict[str, str]


class Router:
    """One compiled Map for one API definition."""

    def __init__(self, routes: Iterable[Route]) -> None:
        # A concrete verb is tried before ANY on the same resource.
        ordered = sorted(routes, key=lambda r: r.method == "ANY")
        self._routes = {r.key: r for r in ordered}
        self._names: dict[str, dict[str, str]] = {}
        rules = []
        for route in ordered:
            pattern, names = _werkzeug_pattern(route.segments)
            rule = Rule(pattern, endpoint=route.key)
            # werkzeug adds HEAD to every GET rule; API Gateway does not.
            rule.methods = set(HTTP_METHODS) if route.method == "ANY" else {route.method}
            self._names[route.key] = names
            rules.append(rule)
        self._adapter = Map(rules, strict_slashes=False, merge_slashes=False).bind("gateway")

    def match(self, method: str, path: str) -> Match | None:
        """The route for `method path` (raw, not URL-decoded), or None: AWS's 403 case."""
        try:
            endpoint, values = self._adapter.match(path, method=method)
        except HTTPException:
            return None
        names = self._names[str(endpoint)]
        params = {}
        for safe, value in values.items():
            name = names[safe]
            # AWS keeps a trailing slash in `path` but not in the greedy parameter.
            params[name] = value.rstrip("/") if name.endswith("+") else value
        return Match(self._routes[str(endpoint)], {n.rstrip("+"): v for n, v in params.items()})


def _werkzeug_pattern(segments: list[str]) -> tuple[str, dict[str, str]]:
    """`/pets/{pet-id}/{proxy+}` -> `/pets/<p0>/<path:p1>`; werkzeug needs identifier names."""
    parts, names = [], {}
    for i, segment in enumerate(segments):
        if segment.startswith("{"):
            name = segment[1:-1]
            safe = f"p{i}"
            names[safe] = name
            parts.append(f"<path:{safe}>" if name.endswith("+") else f"<{safe}>")
        else:
            parts.append(segment)
    return "/" + "/".join(parts), names
