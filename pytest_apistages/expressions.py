"""What API Gateway accepts in a route's mappings, checked as PutIntegration and
PutIntegrationResponse check them: mapping expressions (against the method's declared
parameters), mapping templates (they must parse) and selection patterns (they must be regexes).
Each problem carries its key path as data, so every source can say where it is."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from . import vtl
from .model import Route

# Where a request mapping may write, and what it may read.
REQUEST_DESTINATION = re.compile(r"^integration\.request\.(header|querystring|path)\.(\S+)$")
REQUEST_SOURCE = re.compile(
    r"^(?:'(?P<literal>[^']*)'"
    r"|method\.request\.(?P<where>path|querystring|header|multivaluequerystring|multivalueheader)"
    r"\.(?P<name>[a-zA-Z0-9._$-]+)"
    r"|method\.request\.body(?:\.(?P<body>\S+))?(?P<whole>)"
    r"|stageVariables\.(?P<variable>[a-zA-Z0-9_]+)"
    r"|context\.(?P<context>[a-zA-Z0-9._]+))$"
)
RESPONSE_DESTINATION = re.compile(r"^method\.response\.header\.(\S+)$")
RESPONSE_SOURCE = re.compile(
    r"^(?:'(?P<literal>[^']*)'"
    r"|integration\.response\.(?P<where>header|multivalueheader)\.(?P<name>\S+)"
    r"|integration\.response\.body(?:\.(?P<body>\S+))?(?P<whole>)"
    r"|stageVariables\.(?P<variable>[a-zA-Z0-9_]+)"
    r"|context\.(?P<context>[a-zA-Z0-9._]+))$"
)
GATEWAY_DESTINATION = re.compile(r"^gatewayresponse\.(header|path|querystring)\.(\S+)$")
GATEWAY_SOURCE = re.compile(
    r"^(?:'(?P<literal>[^']*)'"
    r"|method\.request\.(?P<where>path|querystring|header|multivaluequerystring|multivalueheader)"
    r"\.(?P<name>[a-zA-Z0-9._$-]+)"
    r"|stageVariables\.(?P<variable>[a-zA-Z0-9_]+)"
    r"|context\.(?P<context>[a-zA-Z0-9._]+))$"
)
_DECLARED_AS = {"multivaluequerystring": "querystring", "multivalueheader": "header"}
_PATH_PARAMETER = re.compile(r"\{([^}+]+)\+?\}")


def invalid_expression(expression: str) -> str:
    """AWS's answer to a mapping expression it cannot read."""
    return (
        "Invalid mapping expression specified: Validation Result: warnings : [], errors : "
        f"[Invalid mapping expression specified: {expression}]"
    )


def undeclared_parameter(expression: str) -> str:
    """AWS's answer to a mapping that reads a method parameter the method does not declare."""
    return (
        "Invalid mapping expression specified: Validation Result: warnings : [], errors : "
        f"[Invalid mapping expression parameter specified: {expression}]"
    )


@dataclass(frozen=True)
class Problem:
    """One thing AWS would refuse: where (key path under the route, in AWS's spelling), what,
    and how to fix it."""

    path: tuple[str, ...]
    message: str
    fix: str = ""


def declared_parameters(route: Route) -> set[str]:
    """The method request parameters a mapping may read: those declared, and the route's own
    path parameters (as the console declares them; our choice for the short forms)."""
    declared = set(route.request_parameters)
    declared.update(f"method.request.path.{name}" for name in _PATH_PARAMETER.findall(route.path))
    return declared


def route_problems(route: Route) -> Iterator[Problem]:
    """Everything in `route` that API Gateway would refuse, in key-path order."""
    integration = route.integration
    for name in route.request_parameters:
        if not re.fullmatch(r"method\.request\.(querystring|header|path)\.[a-zA-Z0-9._$-]+", name):
            yield Problem(
                ("requestParameters", name),
                f"Invalid method request parameter {name!r}",
                "use method.request.{querystring|header|path}.NAME: true|false (required)",
            )
    declared = declared_parameters(route)
    for destination, source in integration.request_parameters.items():
        where = ("integration", "requestParameters", destination)
        if not REQUEST_DESTINATION.match(destination):
            yield Problem(
                where, invalid_expression(destination),
                "write to integration.request.{header|querystring|path}.NAME",
            )  # fmt: skip
            continue
        found = REQUEST_SOURCE.match(source)
        if found is None:
            yield Problem(
                where, invalid_expression(source),
                "read method.request.{path|querystring|header}.NAME, method.request.body, "
                "stageVariables.NAME, context.NAME or 'literal'",
            )  # fmt: skip
            continue
        if found.group("where"):
            kind = _DECLARED_AS.get(found.group("where"), found.group("where"))
            wanted = f"method.request.{kind}.{found.group('name')}"
            if wanted not in declared:
                yield Problem(
                    where,
                    undeclared_parameter(source),
                    f"declare it as the method's: requestParameters: {{{wanted}: false}} beside "
                    "integration: {...} (put_route: request_parameters=)",
                )
    for name, template in integration.request_templates.items():
        problem = vtl.syntax_error(template)
        if problem:
            yield Problem(("integration", "requestTemplates", name), problem)
    for response in integration.responses:
        key = response.pattern if response.pattern is not None else "default"
        where = ("integration", "responses", key)
        if response.pattern is not None:
            try:
                re.compile(response.pattern)
            except re.error as e:
                yield Problem(
                    where, f"Invalid selection pattern {response.pattern!r}: {e}",
                    "a selection pattern is a Java regular expression, e.g. '4\\d{2}'",
                )  # fmt: skip
        if route.method_responses and response.status not in route.method_responses:
            yield Problem(
                (*where, "statusCode"),
                f"Invalid Method Response: no method response for status {response.status}",
                f"declare it: methodResponses: {{'{response.status}': {{}}}}",
            )
        allowed = route.method_responses.get(response.status)
        for destination, source in response.parameters.items():
            at = (*where, "responseParameters", destination)
            header = RESPONSE_DESTINATION.match(destination)
            if header is None:
                yield Problem(
                    at, invalid_expression(destination), "write to method.response.header.NAME"
                )
                continue
            if RESPONSE_SOURCE.match(source) is None:
                yield Problem(
                    at, invalid_expression(source),
                    "read integration.response.header.NAME, integration.response.body(.path), "
                    "stageVariables.NAME, context.NAME or 'literal'",
                )  # fmt: skip
                continue
            if allowed is not None and header.group(1).lower() not in {h.lower() for h in allowed}:
                yield Problem(
                    at, undeclared_parameter(destination),
                    f"declare it on the method response: methodResponses: {{'{response.status}': "
                    f"{{responseParameters: {{{destination}: false}}}}}}",
                )  # fmt: skip
        for name, template in response.templates.items():
            problem = vtl.syntax_error(template)
            if problem:
                yield Problem((*where, "responseTemplates", name), problem)
