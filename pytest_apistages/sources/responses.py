"""Gateway responses as AWS writes them (`x-amazon-apigateway-gateway-responses`,
PutGatewayResponse): `TYPE: {statusCode, responseParameters, responseTemplates}`, checked with
AWS's rules."""

from __future__ import annotations

from typing import Any

from ..expressions import GATEWAY_DESTINATION, GATEWAY_SOURCE, invalid_expression
from ..model import GATEWAY_RESPONSE_TYPES, GatewayResponse, frozen_map
from .nodes import Node, one_of, scalar_text
from .routes import parse_status, parse_templates

_KEYS = (
    "statusCode", "status", "responseParameters", "response_parameters", "responseTemplates",
    "response_templates",
)  # fmt: skip


def unknown_type(name: object) -> str:
    """AWS's answer to a response type it does not have."""
    return (
        f"1 validation error detected: Value '{name}' at 'responseType' failed to satisfy "
        f"constraint: Member must satisfy enum value set: [{', '.join(GATEWAY_RESPONSE_TYPES)}]"
    )


def gateway_response_from(response_type: str, data: Any, source: str) -> GatewayResponse:
    """One gateway response; errors located at `source: TYPE`."""
    return _response(Node(data, source, response_type), response_type)


def gateway_responses_from(node: Node) -> dict[str, GatewayResponse]:
    return {name: _response(value, name) for name, value in node.mapping().items()}


def _response(node: Node, response_type: str) -> GatewayResponse:
    if response_type not in GATEWAY_RESPONSE_TYPES:
        raise node.error(unknown_type(response_type))
    entries = node.mapping(_KEYS)
    status = one_of(entries, "statusCode", "status")
    parameters = one_of(entries, "responseParameters", "response_parameters")
    templates = one_of(entries, "responseTemplates", "response_templates")
    mapped = {}
    for destination, value in (parameters.mapping() if parameters else {}).items():
        source = scalar_text(value, "mapping expressions")
        if not GATEWAY_DESTINATION.match(destination):
            raise value.error(
                invalid_expression(destination), "write to gatewayresponse.header.NAME"
            )
        if not GATEWAY_SOURCE.match(source):
            raise value.error(
                invalid_expression(source),
                "read method.request.{path|querystring|header}.NAME, stageVariables.NAME, "
                "context.NAME or 'literal'",
            )
        mapped[destination] = source
    return GatewayResponse(
        response_type,
        parse_status(status) if status else None,
        frozen_map(mapped),
        frozen_map(parse_templates(templates) if templates else {}),
    )
