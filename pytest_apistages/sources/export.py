"""An API definition as an OpenAPI 3.0.1 document in the shape API Gateway's own export writes
(GetExport with the `integrations` and `apigateway` extensions), so the document imports into
API Gateway, and back here, as the routes it came from."""

from __future__ import annotations

import base64
import re
from dataclasses import replace
from typing import Any

from ..model import (
    DEFAULT_TIMEOUT_MS,
    STAGE_VARIABLE,
    ApiDefinition,
    GatewayResponse,
    Integration,
    IntegrationResponse,
    Route,
    frozen_map,
)
from .openapi import ANY_METHOD, INTEGRATION, PARAMETER_IN

OPENAPI_VERSION = "3.0.1"
INFO_VERSION = "1.0"  # AWS writes the deployment's date; a fixed text keeps exports comparable
API_KEY_SCHEME = "api_key"
_IN = {ours: theirs for theirs, ours in PARAMETER_IN.items()}  # querystring -> query
_PARAMETER = re.compile(r"^method\.request\.(path|querystring|header)\.(.+)$")
_SERVICE_ARN = re.compile(r"^arn:aws[a-z-]*:apigateway:")
_LAMBDA_ARN = re.compile(r"^arn:aws[a-z-]*:lambda:")
_VTL_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_-]*$")
_PLAIN_VTL_STRING = re.compile(r'^[^"$#\\]*$')
_INVOCATIONS = "/invocations"
_INVOCATION_URI = re.compile(
    r"^arn:aws[a-z-]*:apigateway:[^:]+:lambda:path/2015-03-31/functions/(?P<arn>[^/]+)/invocations$"
)


def openapi_document(
    definition: ApiDefinition,
    *,
    title: str,
    stage: str | None = None,
    region: str = "us-east-1",
    api_id: str | None = None,
    account_id: str = "123456789012",
) -> dict[str, Any]:
    """What `definition` serves, as API Gateway exports it: one path item per resource path,
    one operation per method (in route order: by path, then verb), and the API-level
    extensions. `stage` names the export's stage in `servers` (with `api_id` for its URL)."""
    document: dict[str, Any] = {
        "openapi": OPENAPI_VERSION,
        "info": {"title": title, "version": INFO_VERSION},
    }
    if stage is not None:
        host = f"https://{api_id}.execute-api.{region}.amazonaws.com" if api_id else ""
        document["servers"] = [
            {"url": f"{host}/{{basePath}}", "variables": {"basePath": {"default": stage}}}
        ]
    paths: dict[str, dict[str, Any]] = {}
    for route in sorted(definition.routes.values(), key=lambda r: (r.path, r.method)):
        name = ANY_METHOD if route.method == "ANY" else route.method.lower()
        paths.setdefault(route.path, {})[name] = _operation(route, region, account_id)
    document["paths"] = paths
    if any(route.api_key_required for route in definition.routes.values()):
        scheme = {"type": "apiKey", "name": "x-api-key", "in": "header"}
        document["components"] = {"securitySchemes": {API_KEY_SCHEME: scheme}}
    if definition.gateway_responses:
        document["x-amazon-apigateway-gateway-responses"] = {
            kind: _gateway_response(definition.gateway_responses[kind])
            for kind in sorted(definition.gateway_responses)
        }
    if definition.binary_media_types:
        document["x-amazon-apigateway-binary-media-types"] = list(definition.binary_media_types)
    document["x-amazon-apigateway-api-key-source"] = "HEADER"  # the only source emulated
    return document


def lambda_uri(reference: str, *, region: str, account_id: str) -> str:
    """The invocation URI API Gateway needs for a function reference (`pets`,
    `pets:${stageVariables.alias}`, a Lambda ARN); a URI or service ARN is kept as written."""
    if _SERVICE_ARN.match(reference):
        return reference
    arn = (
        reference
        if _LAMBDA_ARN.match(reference)
        else f"arn:aws:lambda:{region}:{account_id}:function:{reference}"
    )
    return f"arn:aws:apigateway:{region}:lambda:path/2015-03-31/functions/{arn}{_INVOCATIONS}"


def function_reference(uri: str, *, region: str, account_id: str) -> str | None:
    """The inverse of `lambda_uri`: the function an invocation URI names, as the short
    reference (`pets:${stageVariables.alias}`) in `region` and `account_id`, else as its
    Lambda ARN; None for any other URI. A route written with AWS's URI or ARN of one of its
    own functions therefore reads back in the short form: the same function at run time."""
    found = _INVOCATION_URI.match(uri)
    if found is None:
        return None
    arn = found.group("arn")
    own = f"arn:aws:lambda:{region}:{account_id}:function:"
    if arn.startswith(own) and len(arn) > len(own):
        return arn[len(own) :]
    return arn if _LAMBDA_ARN.match(arn) else None


def aws_mock(route: Route) -> Integration:
    """The short MOCK form's static answer as AWS's MOCK: a request template giving the
    status, and a default integration response giving the headers and the body.

    No AWS-form integration reads back as the short form, so the route that comes back
    differs in `integration` (and in the record's `target`, `MOCK` for `MOCK 200`) while
    answering every request as the short form does: header values become `'literal'`
    mappings, or, where a mapping cannot say them (a quote, `${stageVariables.x}`, a header
    the declared method responses leave out), `$context.responseOverride.header` in the
    template; a body with VTL's `$` or `#` is rendered from base64 so no part of it runs.
    passthroughBehavior becomes WHEN_NO_MATCH: the short form answers every Content-Type."""
    mock = route.integration
    declared = route.method_responses.get(mock.status)
    allowed = None if not route.method_responses else {h.lower() for h in declared or ()}
    mapped, overrides = {}, []
    for name, value in mock.headers.items():
        plain = "'" not in value and "${" not in value
        if plain and (allowed is None or name.lower() in allowed):
            mapped[f"method.response.header.{name}"] = f"'{value}'"
        else:
            overrides.append(_header_override(name, value))
    template = "".join(overrides) + _literal_template(mock.body)
    response = IntegrationResponse(
        mock.status,
        parameters=frozen_map(mapped),
        templates=frozen_map({"application/json": template} if template else {}),
    )
    return replace(
        mock,
        status=200,
        headers=frozen_map(),
        body="",
        request_templates=frozen_map({"application/json": f'{{"statusCode": {mock.status}}}'}),
        passthrough_behavior="WHEN_NO_MATCH",
        responses=(response,),
    )


def integration_object(integration: Integration, *, region: str, account_id: str) -> dict[str, Any]:
    """`x-amazon-apigateway-integration` in AWS's keys, as AWS exports it (type and
    passthroughBehavior in lower case, statuses as strings); defaults are left out. So is an
    httpMethod the route does not give (ours may: POST for Lambda, the request's verb for
    HTTP), so that it reads back unchanged; AWS's import wants one for all but MOCK."""
    out: dict[str, Any] = {"type": integration.type.lower()}
    if integration.http_method is not None:
        out["httpMethod"] = integration.http_method
    if integration.type in ("AWS_PROXY", "AWS"):
        out["uri"] = lambda_uri(integration.target, region=region, account_id=account_id)
    elif integration.type in ("HTTP", "HTTP_PROXY"):
        out["uri"] = integration.target
    if integration.responses:
        out["responses"] = {
            "default" if r.pattern is None else r.pattern: _integration_response(r)
            for r in integration.responses
        }
    if integration.request_parameters:
        out["requestParameters"] = dict(integration.request_parameters)
    if integration.request_templates:
        out["requestTemplates"] = dict(integration.request_templates)
    out["passthroughBehavior"] = integration.passthrough_behavior.lower()
    if integration.content_handling is not None:
        out["contentHandling"] = integration.content_handling
    if integration.timeout_ms != DEFAULT_TIMEOUT_MS:
        out["timeoutInMillis"] = integration.timeout_ms
    if integration.cache_key_parameters:
        out["cacheKeyParameters"] = list(integration.cache_key_parameters)
    if integration.credentials is not None:
        out["credentials"] = integration.credentials
    return out


def _operation(route: Route, region: str, account_id: str) -> dict[str, Any]:
    """One operation. A route without method responses gets no `responses`, as AWS's OpenAPI
    3 export writes it (validators want one; importers, ours and AWS's, do not)."""
    operation: dict[str, Any] = {}
    if route.operation_name is not None:
        operation["operationId"] = route.operation_name
    parameters = [_parameter(name, required) for name, required in route.request_parameters.items()]
    if parameters:
        operation["parameters"] = parameters
    if route.method_responses:
        operation["responses"] = {
            str(status): _method_response(status, headers)
            for status, headers in route.method_responses.items()
        }
    if route.api_key_required:
        operation["security"] = [{API_KEY_SCHEME: []}]
    integration = route.integration
    if integration.type == "MOCK" and not integration.templated:
        integration = aws_mock(route)
    operation[INTEGRATION] = integration_object(integration, region=region, account_id=account_id)
    return operation


def _parameter(name: str, required: bool) -> dict[str, Any]:
    """`method.request.path.id: true` as `{name: id, in: path, required: true}`."""
    found = _PARAMETER.match(name)
    if found is None:  # route_problems refuses any other name before a route exists
        raise ValueError(f"not a method request parameter: {name!r}")
    where, short = found.groups()
    return {"name": short, "in": _IN[where], "required": required, "schema": {"type": "string"}}


def _method_response(status: int, headers: tuple[str, ...]) -> dict[str, Any]:
    response: dict[str, Any] = {"description": f"{status} response"}
    if headers:
        response["headers"] = {name: {"schema": {"type": "string"}} for name in headers}
    return response


def _integration_response(response: IntegrationResponse) -> dict[str, Any]:
    out: dict[str, Any] = {"statusCode": str(response.status)}
    if response.parameters:
        out["responseParameters"] = dict(response.parameters)
    if response.templates:
        out["responseTemplates"] = dict(response.templates)
    if response.content_handling is not None:
        out["contentHandling"] = response.content_handling
    return out


def _gateway_response(response: GatewayResponse) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if response.status is not None:
        out["statusCode"] = str(response.status)
    if response.parameters:
        out["responseParameters"] = dict(response.parameters)
    if response.templates:
        out["responseTemplates"] = dict(response.templates)
    return out


def _literal_template(text: str) -> str:
    """A template that renders `text` exactly: as itself when VTL would leave it alone."""
    if "$" not in text and "#" not in text:
        return text
    return f"$util.base64Decode('{_base64(text)}')"


def _header_override(name: str, value: str) -> str:
    """`#set($context.responseOverride.header.NAME = "...")`, with the value's stage
    variables rendered as the short form renders them (undefined: empty)."""
    parts, at = [], 0
    for found in STAGE_VARIABLE.finditer(value):
        parts += [_vtl_text(value[at : found.start()]), f"$!{{stageVariables.{found.group(1)}}}"]
        at = found.end()
    text = '"' + "".join([*parts, _vtl_text(value[at:])]) + '"'
    if _VTL_NAME.match(name):
        return f"#set($context.responseOverride.header.{name} = {text})"
    # a name VTL cannot write as a property (AWS documents the property form only)
    return f'#set($ignored = $context.responseOverride.header.put("{_vtl_text(name)}", {text}))'


def _vtl_text(text: str) -> str:
    """`text` inside a VTL double-quoted string, rendering as written."""
    if _PLAIN_VTL_STRING.match(text):
        return text
    return f"$util.base64Decode('{_base64(text)}')"


def _base64(text: str) -> str:
    return base64.b64encode(text.encode("utf-8")).decode("ascii")
