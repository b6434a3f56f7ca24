"""What fails when a definition is served with a given set of stage variables and today's
functions: each undefined variable a route reads, and each function, version or alias a
route's reference names that does not exist. Shared by the stage, canary and rollback rules
and by `assert_rollback_safe`, so they agree on what "works" means."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Literal

from ..errors import did_you_mean
from ..functions import Functions
from ..model import ApiDefinition
from .uses import Use, calls_function, gateway_response_uses, missing_function, route_uses
from .uses import substituted as substituted_text


@dataclass(frozen=True)
class Break:
    """One thing that fails. `route` is the route key, or None for a gateway response (then
    `response` is its type); `field` the key path spellings under it; `variables` the stage
    variables involved (for a missing function, those its reference was made of)."""

    kind: Literal["variable", "function"]
    route: str | None
    response: str | None
    field: tuple[str, ...]
    variables: tuple[str, ...]
    problem: str  # "reads stage variable 'x' in the integration URI, which ... does not define"
    detail: str  # the did-you-mean, or the function's error


def breaks(
    definition: ApiDefinition, variables: Mapping[str, str], functions: Functions
) -> Iterator[Break]:
    """Everything in `definition` that fails with `variables`, in route order."""
    for key, route in definition.routes.items():
        reported: set[str] = set()
        for use in route_uses(route):
            if use.name not in variables and use.name not in reported:
                reported.add(use.name)
                yield _undefined(key, None, use, variables)
        if not calls_function(route):
            continue
        target = substituted_text(route.integration.target, variables)
        if target is None:
            continue  # already reported as undefined variables
        why = missing_function(functions, target)
        if why is not None:
            names = tuple(dict.fromkeys(u.name for u in route_uses(route) if u.field[0]
                                        == "integration.uri"))  # fmt: skip
            yield Break(
                "function", key, None,
                ("integration.uri", "integration.function", "uri", "function"),
                names, f"calls {target}, which does not exist", why,
            )  # fmt: skip
    for kind, use in gateway_response_uses(definition):
        if use.name not in variables:
            yield _undefined(None, kind, use, variables)


def _undefined(
    route: str | None, response: str | None, use: Use, variables: Mapping[str, str]
) -> Break:
    return Break(
        "variable", route, response, use.field, (use.name,),
        f"reads stage variable {use.name!r} in {use.what}",
        did_you_mean(use.name, variables).strip(),
    )  # fmt: skip
