"""What a route needs from a stage: the stage variables each of its fields reads, and the
Lambda function, version or alias its reference names once they are substituted."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass

from ..errors import did_you_mean
from ..functions import FunctionNotFound, Functions, parse_reference
from ..model import STAGE_VARIABLE, ApiDefinition, Route

# `${stageVariables.x}` in URIs and function references (all the gateway substitutes there).
# A mapping expression's source: `stageVariables.x`.
_EXPRESSION = re.compile(r"^stageVariables\.([A-Za-z0-9_]+)$")
# In a template: `$stageVariables.x`, `${stageVariables.x}`, `$!stageVariables.x`, `.get('x')`.
_IN_TEMPLATE = re.compile(
    r"\$!?\{?stageVariables(?:\.get\(\s*['\"]([A-Za-z0-9_]+)['\"]\s*\)|\.([A-Za-z0-9_]+))"
)


@dataclass(frozen=True)
class Use:
    """One read of stage variable `name`; `field` is the config key path under the route
    (`integration.uri`), given as the spellings it may be written in, most precise first."""

    name: str
    what: str  # the field, for messages: "the integration URI"
    field: tuple[str, ...]


def _template_names(text: str) -> list[str]:
    return [a or b for a, b in _IN_TEMPLATE.findall(text)]


def route_uses(route: Route) -> Iterator[Use]:
    """Every stage variable `route` reads, in the order its fields are written."""
    integration = route.integration
    target = ("integration.uri", "integration.function", "uri", "function")
    for name in STAGE_VARIABLE.findall(integration.target):
        yield Use(name, "the integration URI", target)
    for destination, source in integration.request_parameters.items():
        found = _EXPRESSION.match(source)
        if found:
            yield Use(
                found.group(1),
                f"request parameter {destination}",
                _spellings("requestParameters", destination),
            )
    for media_type, text in integration.request_templates.items():
        for name in _template_names(text):
            yield Use(
                name, f"request template {media_type}", _spellings("requestTemplates", media_type)
            )
    for header, text in integration.headers.items():
        for name in STAGE_VARIABLE.findall(text):
            yield Use(
                name, f"header {header}", (f"integration.headers.{header}", f"headers.{header}")
            )
    for name in STAGE_VARIABLE.findall(integration.body):
        yield Use(name, "the body", ("integration.body", "body"))
    for response in integration.responses:
        at = f"responses.{response.pattern if response.pattern is not None else 'default'}"
        for destination, source in response.parameters.items():
            found = _EXPRESSION.match(source)
            if found:
                yield Use(
                    found.group(1),
                    f"response parameter {destination}",
                    _spellings(f"{at}.responseParameters", destination),
                )
        for media_type, text in response.templates.items():
            for name in _template_names(text):
                yield Use(
                    name,
                    f"response template {media_type}",
                    _spellings(f"{at}.responseTemplates", media_type),
                )


def gateway_response_uses(definition: ApiDefinition) -> Iterator[tuple[str, Use]]:
    """The stage variables the customised gateway responses read, with their type."""
    for kind, response in definition.gateway_responses.items():
        for destination, source in response.parameters.items():
            found = _EXPRESSION.match(source)
            if found:
                yield (
                    kind,
                    Use(
                        found.group(1),
                        f"parameter {destination}",
                        (f"responseParameters.{destination}",),
                    ),
                )
        for media_type, text in response.templates.items():
            for name in _template_names(text):
                yield (
                    kind,
                    Use(name, f"template {media_type}", (f"responseTemplates.{media_type}",)),
                )


def _spellings(aws_name: str, key: str) -> tuple[str, ...]:
    """AWS's camelCase key and our snake_case one, in `integration:` and in the short form."""
    snake = re.sub(r"(?<=[a-z])([A-Z])", lambda m: "_" + m.group(1).lower(), aws_name)
    names = [f"{aws_name}.{key}", f"{snake}.{key}"]
    return tuple([f"integration.{n}" for n in names] + names)


def variables_used(definition: ApiDefinition) -> set[str]:
    """Every stage variable a definition reads (routes and gateway responses)."""
    used = {use.name for route in definition.routes.values() for use in route_uses(route)}
    used.update(use.name for _, use in gateway_response_uses(definition))
    return used


def substituted(text: str, variables: Mapping[str, str]) -> str | None:
    """`text` with its stage variables filled in, or None when one is undefined."""
    missing = [name for name in STAGE_VARIABLE.findall(text) if name not in variables]
    if missing:
        return None
    return STAGE_VARIABLE.sub(lambda m: variables[m.group(1)], text)


def calls_function(route: Route) -> bool:
    return route.integration.type in ("AWS_PROXY", "AWS")


def missing_function(functions: Functions, reference: str) -> str | None:
    """Why `reference` (already substituted) names no function, version or alias, or None when
    it does, or when it is no Lambda reference (another AWS service, not emulated). Weighted
    aliases are not resolved, so checking draws nothing from the gateway's seeded draws."""
    try:
        name, qualifier = parse_reference(reference)
    except FunctionNotFound:
        return None
    try:
        if qualifier is not None and qualifier in functions.aliases(name):
            return None
        functions.resolve(reference)
    except FunctionNotFound as e:
        known = qualifiers(functions, name)
        if qualifier is not None and known:
            return f"{e}{did_you_mean(qualifier, known)}"
        return str(e)
    return None


def qualifiers(functions: Functions, name: str) -> list[str]:
    """What may follow `name:` in a reference: its aliases, versions and $LATEST (none when
    there is no such function)."""
    try:
        return [*functions.aliases(name), *functions.versions(name), "$LATEST"]
    except FunctionNotFound:
        return []
