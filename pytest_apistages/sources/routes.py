"""Routes and their integrations, in the config's short forms and in AWS's own vocabulary; shared
by the config file and `gw.api.put_route`."""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import quote

from ..errors import shown
from ..expressions import RESPONSE_DESTINATION, route_problems
from ..model import (
    CONTENT_HANDLINGS,
    DEFAULT_TIMEOUT_MS,
    INTEGRATION_TYPES,
    METHODS,
    PASSTHROUGH_BEHAVIORS,
    ApiDefinition,
    Integration,
    IntegrationResponse,
    Route,
    frozen_map,
    parse_route_key,
)
from .nodes import Node, expanded_size, one_of, scalar_text, show_value

MAX_BODY_VALUES = 100_000


_INTEGRATION_KEYS = (
    "type", "function", "uri", "http_method", "httpMethod", "timeout_ms", "timeoutInMillis",
    "request_parameters", "requestParameters", "request_templates", "requestTemplates",
    "passthrough_behavior", "passthroughBehavior", "content_handling", "contentHandling",
    "responses", "status", "statusCode", "headers", "body", "cache_key_parameters",
    "cacheKeyParameters", "cacheNamespace", "credentials", "connectionType", "connectionId",
    "tlsConfig", "description",
)  # fmt: skip
_ROUTE_KEYS = ("api_key_required", "apiKeyRequired", "operation_name", "operationName")
_METHOD_KEYS = (
    "integration", "request_parameters", "requestParameters", "method_responses",
    "methodResponses", "authorizationType", *_ROUTE_KEYS,
)  # fmt: skip
_RESPONSE_KEYS = (
    "statusCode", "status", "responseTemplates", "response_templates", "responseParameters",
    "response_parameters", "contentHandling", "content_handling",
)  # fmt: skip
_STATIC_MOCK_KEYS = ("status", "statusCode", "headers", "body")
_NON_PROXY_KEYS = ("request_templates", "requestTemplates", "responses")
_CACHE_KEY_PARAMETER = re.compile(r"^method\.request\.(querystring|header|path)\.[^.\s]+$")
_MEDIA_TYPE = re.compile(r"^[\w.+*-]+/[\w.+*-]+$")


def _integration(node: Node) -> Integration:
    """An integration in a short form (a URL, a function reference, a mapping of our keys) or
    as AWS's own `x-amazon-apigateway-integration` object (or one already made, from
    `put_route`)."""
    if isinstance(node.value, Integration):
        return node.value
    if isinstance(node.value, str):
        text = node.string()
        if text.startswith(("http://", "https://")):
            _check_http_uri(node, text)
            return Integration("HTTP_PROXY", text)
        _check_service_arn(node, text, "AWS_PROXY")
        return Integration("AWS_PROXY", text)
    entries = node.mapping((*_INTEGRATION_KEYS, *_ROUTE_KEYS))
    kind_node = entries.get("type")
    target_node = one_of(entries, "function", "uri")
    if kind_node is not None:
        kind = kind_node.string().upper()
    elif "function" in entries:
        kind = "AWS_PROXY"
    elif target_node is not None and str(target_node.value).startswith(("http://", "https://")):
        kind = "HTTP_PROXY"
    else:
        raise node.error("missing 'type'", f"use one of {', '.join(INTEGRATION_TYPES)}")
    if kind not in INTEGRATION_TYPES:
        assert kind_node is not None
        raise kind_node.error(
            f"unknown integration type {shown(kind_node.value)}",
            f"use one of {', '.join(INTEGRATION_TYPES)}",
        )
    method_node = one_of(entries, "http_method", "httpMethod")
    http_method = method_node.string().upper() if method_node else None
    if method_node is not None and http_method not in METHODS:
        raise method_node.error(
            f"invalid integration HTTP method {shown(method_node.value)}",
            f"use one of {', '.join(METHODS)}",
        )
    timeout_node = one_of(entries, "timeout_ms", "timeoutInMillis")
    timeout = timeout_node.integer(50, 29000, " ms") if timeout_node else DEFAULT_TIMEOUT_MS
    cache_keys = one_of(entries, "cache_key_parameters", "cacheKeyParameters")
    parameters = one_of(entries, "request_parameters", "requestParameters")
    templates = one_of(entries, "request_templates", "requestTemplates")
    passthrough = one_of(entries, "passthrough_behavior", "passthroughBehavior")
    handling = one_of(entries, "content_handling", "contentHandling")
    common: dict[str, Any] = {
        "timeout_ms": timeout,
        "cache_key_parameters": tuple(
            item.string(_CACHE_KEY_PARAMETER, "e.g. method.request.querystring.type")
            for item in (cache_keys.sequence() if cache_keys else [])
        ),
        "request_parameters": frozen_map(_request_parameters(parameters) if parameters else {}),
        "request_templates": frozen_map(parse_templates(templates) if templates else {}),
        "passthrough_behavior": (
            _choice(passthrough, PASSTHROUGH_BEHAVIORS) if passthrough else "WHEN_NO_MATCH"
        ),
        "content_handling": _choice(handling, CONTENT_HANDLINGS) if handling else None,
        "responses": _responses(entries["responses"]) if "responses" in entries else (),
        "credentials": entries["credentials"].string() if "credentials" in entries else None,
    }
    if kind == "MOCK":
        return _mock(entries, common)
    for name in _STATIC_MOCK_KEYS:
        if name in entries:
            raise entries[name].error(f"a {kind} integration does not take {name!r}", _MOCK_FIX)
    if target_node is None:
        wanted = "function" if kind in ("AWS_PROXY", "AWS") else "uri"
        example = "pets:${stageVariables.alias}" if wanted == "function" else "https://host/path"
        raise node.error(f"{kind} integration needs '{wanted}'", f"e.g. {wanted}: {shown(example)}")
    target = target_node.string()
    if kind not in ("AWS_PROXY", "AWS") and "function" in entries:
        raise target_node.error(f"a {kind} integration takes 'uri', not 'function'")
    if kind in ("AWS_PROXY", "AWS") and target.startswith(("http://", "https://")):
        raise target_node.error(
            f"{shown(target)} is a URL, not a function", "use type HTTP_PROXY for an HTTP backend"
        )
    if kind in ("HTTP", "HTTP_PROXY"):
        _check_http_uri(target_node, target)
    else:
        if "uri" in entries:  # AWS's own key: AWS's rules (ours, `function`, takes short forms)
            _check_invocation_uri(target_node, target)
        _check_service_arn(target_node, target, kind)
    return Integration(kind, target, http_method, **common)


_MOCK_FIX = (
    "status, headers and body are the short MOCK form's static answer; other types answer "
    "through responses"
)


def _mock(entries: dict[str, Node], common: dict[str, Any]) -> Integration:
    """MOCK in the short form (a static status, headers and body) or AWS's (a request template
    giving the statusCode, and integration responses); one or the other."""
    for name in ("function", "uri"):
        if name in entries:
            raise entries[name].error("a MOCK integration calls nothing: remove it")
    static = [entries[name] for name in _STATIC_MOCK_KEYS if name in entries]
    templated = [entries[name] for name in _NON_PROXY_KEYS if name in entries]
    if static and templated:
        raise templated[0].error(
            "a MOCK integration takes status/headers/body (a static answer) or "
            "requestTemplates/responses (AWS's form), not both",
            "keep one form",
        )
    status_node = one_of(entries, "status", "statusCode")
    status = int(status_node.number(100, 599)) if status_node else 200
    headers = {}
    if "headers" in entries:
        for name, value in entries["headers"].mapping().items():
            headers[name] = scalar_text(value, "header values")
    body = entries["body"].value if "body" in entries else ""
    if not isinstance(body, str):
        try:
            if expanded_size(body, MAX_BODY_VALUES) > MAX_BODY_VALUES:
                raise entries["body"].error(
                    f"the body holds over {MAX_BODY_VALUES} values once its YAML aliases are "
                    f"expanded",
                    "write the body out, or as a string",
                )
            body = json.dumps(body)
        except (TypeError, ValueError) as e:
            raise entries["body"].error(
                f"body cannot be written as JSON: {e}", "give the body as a string"
            ) from None
    return Integration("MOCK", status=status, headers=frozen_map(headers), body=body, **common)


def _choice(node: Node, choices: tuple[str, ...]) -> str:
    value = node.string().upper()
    if value not in choices:
        raise node.error(f"invalid value {shown(node.value)}", f"use one of {', '.join(choices)}")
    return value


def _request_parameters(node: Node) -> dict[str, str]:
    """`integration.request.{header|querystring|path}.NAME: <source>`; sources are checked
    against the method's declared parameters once the route is known."""
    return {
        destination: scalar_text(source, "mapping expressions")
        for destination, source in node.mapping().items()
    }


def parse_templates(node: Node) -> dict[str, str]:
    """Mapping templates by media type; a template is a string (an empty one passes the
    payload through unchanged)."""
    out = {}
    for media_type, template in node.mapping().items():
        if not _MEDIA_TYPE.match(media_type):
            raise template.error(f"invalid media type {shown(media_type)}", "e.g. application/json")
        if template.value is None:
            out[media_type] = ""
        elif not isinstance(template.value, str):
            raise template.error(
                f"a mapping template is a string, got {show_value(template.value)}",
                "write it as a YAML block string (|) or a quoted string",
            )
        else:
            out[media_type] = template.value
    return out


def _responses(node: Node) -> tuple[IntegrationResponse, ...]:
    """Integration responses by selection pattern (`default` for the default one): either
    `pattern: status` or AWS's `pattern: {statusCode, responseTemplates, responseParameters,
    contentHandling}`."""
    out = []
    for pattern, value in node.mapping().items():
        selection = None if pattern in ("default", "") else pattern  # "": as the SDK writes it
        if isinstance(value.value, dict):
            entries = value.mapping(_RESPONSE_KEYS)
            status_node = one_of(entries, "statusCode", "status")
            if status_node is None:
                raise value.error("missing 'statusCode'", "e.g. statusCode: '200'")
            parameters = one_of(entries, "responseParameters", "response_parameters")
            templates = one_of(entries, "responseTemplates", "response_templates")
            handling = one_of(entries, "contentHandling", "content_handling")
            out.append(
                IntegrationResponse(
                    parse_status(status_node),
                    selection,
                    frozen_map(
                        {
                            k: scalar_text(v, "mapping expressions")
                            for k, v in parameters.mapping().items()
                        }
                        if parameters
                        else {}
                    ),
                    frozen_map(parse_templates(templates) if templates else {}),
                    _choice(handling, CONTENT_HANDLINGS) if handling else None,
                )  # fmt: skip
            )
        else:
            out.append(IntegrationResponse(parse_status(value), selection))
    return tuple(out)


def parse_status(node: Node) -> int:
    """A status as a number or, as OpenAPI writes it, a string of digits."""
    value = node.value
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or not 100 <= value <= 599:
        raise node.error(f"invalid status code {shown(node.value)}", "use 100-599, e.g. '200'")
    return value


def _check_http_uri(node: Node, uri: str) -> None:
    """A fully formed, encoded http(s) URL on port 80, 443 or above 1024 (AWS's rules)."""
    url = re.match(r"^https?://(?P<host>[^/?#]+)", uri)
    if url is None:
        raise node.error(
            f"Invalid HTTP endpoint specified for URI (got {shown(uri)})",
            "give a full http(s) URL, e.g. https://${stageVariables.backend}/pets/{id}",
        )
    literal = re.sub(r"\$\{[^}]*\}", "", uri)  # stage variables are checked once filled in
    bad = re.search(r"[\s\x00-\x1f\x7f-\U0010ffff]", literal)
    if bad is not None:
        raise node.error(
            f"HTTP integration uri must be encoded, got {shown(bad.group())} in {shown(uri)}",
            f"percent-encode it (e.g. {quote(bad.group())})",
        )
    port = re.fullmatch(r"(?:\[[^\]]*\]|[^:]*):(\d+)", url.group("host"))
    if port is not None and int(port.group(1)) not in (80, 443) and int(port.group(1)) <= 1024:
        raise node.error(
            f"HTTP integration uri port {port.group(1)} is not allowed",
            "API Gateway accepts ports 80, 443 and above 1024",
        )


def _check_invocation_uri(node: Node, uri: str) -> None:
    """An AWS_PROXY `uri` is an API Gateway invocation ARN, as PutIntegration requires
    (recorded: LocalStack's test_put_integration_aws_proxy_uri)."""
    if "${" in uri:
        return  # checked once the stage variables are filled in
    if not uri.startswith("arn:"):
        raise node.error(
            f"Invalid ARN specified in the request (got {shown(uri)})",
            "use function: for a function name, or the invocation ARN "
            "arn:aws:apigateway:REGION:lambda:path/2015-03-31/functions/ARN/invocations",
        )
    if not re.match(r"^arn:aws[a-z-]*:apigateway:", uri):
        raise node.error(
            "AWS ARN for integration must contain path or action",
            "wrap the function ARN: "
            "arn:aws:apigateway:REGION:lambda:path/2015-03-31/functions/ARN/invocations",
        )


def _check_service_arn(node: Node, target: str, kind: str) -> None:
    """API Gateway's own ARN form: refused as AWS refuses it at PutIntegration (recorded:
    test_put_integration_validation). AWS_PROXY calls only Lambda; AWS may name any service
    (only Lambda's is emulated)."""
    if not re.match(r"^arn:aws[a-z-]*:apigateway:", target) or "${" in target:
        return
    arn = re.match(r"^arn:aws[a-z-]*:apigateway:[^:]*:(?P<service>[^:]+):(?P<rest>.*)$", target)
    if arn is None or not arn.group("rest").startswith(("path/", "action/")):
        raise node.error(
            "AWS ARN for integration must contain path or action",
            "e.g. arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/ARN/invocations",
        )
    invocation = re.fullmatch(r"path/2015-03-31/functions/.+/invocations", arn.group("rest"))
    if kind == "AWS_PROXY" and (arn.group("service") != "lambda" or invocation is None):
        raise node.error(
            "Integrations of type 'AWS_PROXY' currently only supports Lambda function and "
            "Firehose stream invocations.",
            "Lambda is emulated here; Firehose is not",
        )


def route_from(key: str, data: Any, source: str) -> Route:
    """A route from `"VERB /path"` and its integration (short or AWS form, with the route's own
    apiKeyRequired and operationName); errors located at `source: key`."""
    method, path = parse_route_key(key)  # AWS's refusal, as a BadRequestError
    return _route(method, path, Node(data, source, key))


def _route(method: str, path: str, value: Node) -> Route:
    """A route is its integration (with apiKeyRequired and operationName beside it), or a
    method: `integration:` with the method's requestParameters and methodResponses."""
    if isinstance(value.value, dict) and "integration" in value.value:
        entries = value.mapping(_METHOD_KEYS)
        integration = _integration(entries["integration"])
        parameters = one_of(entries, "request_parameters", "requestParameters")
        responses = one_of(entries, "method_responses", "methodResponses")
        if "authorizationType" in entries:
            kind = entries["authorizationType"].string().upper()
            if kind != "NONE":
                raise entries["authorizationType"].error(
                    f"authorizationType {kind} is not emulated yet", "use NONE, or remove it"
                )
    else:
        entries = value.mapping() if isinstance(value.value, dict) else {}
        integration, parameters, responses = _integration(value), None, None
    api_key_node = one_of(entries, "api_key_required", "apiKeyRequired")
    api_key = api_key_node.value if api_key_node else False
    if api_key_node is not None and not isinstance(api_key, bool):
        raise api_key_node.error(f"must be true or false, got {show_value(api_key)}")
    op_node = one_of(entries, "operation_name", "operationName")
    route = Route(
        method, path, integration, api_key, op_node.string() if op_node else None,
        frozen_map(_method_parameters(parameters) if parameters else {}),
        frozen_map(_method_responses(responses) if responses else {}),
    )  # fmt: skip
    for problem in route_problems(route):
        raise _locate(value, problem.path).error(problem.message, problem.fix)
    return route


def _method_parameters(node: Node) -> dict[str, bool]:
    """`method.request.querystring.q: true` (required) — the names mappings may read."""
    out = {}
    for name, required in node.mapping().items():
        if required.value is None:
            out[name] = False
        elif isinstance(required.value, bool):
            out[name] = required.value
        else:
            raise required.error(
                f"expected true (required) or false, got {show_value(required.value)}"
            )
    return out


def _method_responses(node: Node) -> dict[int, tuple[str, ...]]:
    """`'200': {responseParameters: {method.response.header.X: false}}` — the statuses a
    method answers with and the headers each may set (responseModels are accepted)."""
    out = {}
    for status, entry in node.mapping().items():
        entries = entry.mapping(("responseParameters", "response_parameters", "responseModels"))
        headers = []
        parameters = one_of(entries, "responseParameters", "response_parameters")
        for name, _ in (parameters.mapping() if parameters else {}).items():
            header = RESPONSE_DESTINATION.match(name)
            if header is None:
                raise parameters.child(name).error(  # type: ignore[union-attr]
                    f"invalid method response parameter {shown(name)}",
                    "use method.response.header.NAME",
                )
            headers.append(header.group(1))
        status_node = Node(str(status), entry.source, entry.path, entry.places)
        out[parse_status(status_node)] = tuple(headers)
    return out


def _locate(node: Node, path: tuple[str, ...]) -> Node:
    """The node at a problem's key path, trying AWS's spelling and ours for each key (a short
    form has no `integration` level); where the source has no such key, the path is named."""
    for i, key in enumerate(path):
        if not isinstance(node.value, dict):
            return Node(None, node.source, ".".join([node.path, *path[i:]]), node.places)
        spellings = (key, re.sub(r"(?<!^)([A-Z])", lambda m: "_" + m.group(1).lower(), key))
        found = next((s for s in spellings if s in node.value), None)
        if found is None:
            if key == "integration":
                continue
            return Node(None, node.source, ".".join([node.path, *path[i:]]), node.places)
        node = node.child(found)
    return node


def routes_from(node: Node) -> dict[str, Route]:
    routes: dict[str, Route] = {}
    written: dict[str, str] = {}
    definition = ApiDefinition()
    for key, value in node.mapping().items():
        with value.located():
            method, path = parse_route_key(key)
        if f"{method} {path}" in written:
            earlier = written[f"{method} {path}"]
            raise value.error(
                f"route {method} {path} is already given as {shown(earlier)}", "keep one"
            )
        written[f"{method} {path}"] = key
        route = _route(method, path, value)
        with value.located():
            definition = definition.with_route(route)
        routes[route.key] = route
    return routes
