"""Routes and their integrations, in the config's short forms and in AWS's own vocabulary; shared
by the config file and `gw.api.put_route`."""

from __future__ import annotations

import json
import re
from dataclasses import replace
from typing import Any
from urllib.parse import quote

from ..errors import shown
from ..model import (
    DEFAULT_TIMEOUT_MS,
    INTEGRATION_TYPES,
    METHODS,
    ApiDefinition,
    Integration,
    Route,
    frozen_map,
    parse_route_key,
)
from .nodes import Node, expanded_size, one_of, scalar_text, show_value

MAX_BODY_VALUES = 100_000


_INTEGRATION_KEYS = (
    "type", "function", "uri", "http_method", "httpMethod", "timeout_ms", "timeoutInMillis",
    "request_parameters", "requestParameters", "responses", "status", "statusCode", "headers",
    "body", "api_key_required", "apiKeyRequired", "operation_name", "operationName",
    "cache_key_parameters", "cacheKeyParameters",
)  # fmt: skip
_CACHE_KEY_PARAMETER = re.compile(r"^method\.request\.(querystring|header|path)\.[^.\s]+$")


def _integration(node: Node) -> Integration:
    if isinstance(node.value, str):
        text = node.string()
        if text.startswith(("http://", "https://")):
            _check_http_uri(node, text)
            return Integration("HTTP_PROXY", text)
        _check_service_arn(node, text)
        return Integration("AWS_PROXY", text)
    entries = node.mapping(_INTEGRATION_KEYS)
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
        fix = f"use one of {', '.join(INTEGRATION_TYPES)}"
        if kind == "AWS":
            fix = "non-proxy AWS service integrations are not supported yet; use AWS_PROXY"
        raise kind_node.error(f"unknown integration type {shown(kind_node.value)}", fix)

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
    cache_key_parameters = tuple(
        item.string(_CACHE_KEY_PARAMETER, "e.g. method.request.querystring.type")
        for item in (cache_keys.sequence() if cache_keys else [])
    )
    if kind == "MOCK":
        return replace(_mock(node, entries), cache_key_parameters=cache_key_parameters)
    if target_node is None:
        wanted = "function" if kind == "AWS_PROXY" else "uri"
        example = "pets:${stageVariables.alias}" if kind == "AWS_PROXY" else "https://host/path"
        raise node.error(f"{kind} integration needs '{wanted}'", f"e.g. {wanted}: {shown(example)}")
    target = target_node.string()
    if kind != "AWS_PROXY" and "function" in entries:
        raise target_node.error(f"a {kind} integration takes 'uri', not 'function'")
    if kind == "AWS_PROXY" and target.startswith(("http://", "https://")):
        raise target_node.error(
            f"{shown(target)} is a URL, not a function", "use type HTTP_PROXY for an HTTP backend"
        )
    if kind in ("HTTP", "HTTP_PROXY"):
        _check_http_uri(target_node, target)
    if kind == "AWS_PROXY":
        if "uri" in entries:  # AWS's own key: AWS's rules (ours, `function`, takes short forms)
            _check_invocation_uri(target_node, target)
        _check_service_arn(target_node, target)
    parameters = one_of(entries, "request_parameters", "requestParameters")
    responses = entries.get("responses")
    if kind != "HTTP":
        for extra in (parameters, responses):
            if extra is not None:
                raise extra.error(f"only HTTP (non-proxy) integrations take this, not {kind}")
    return Integration(
        kind,
        target,
        http_method,
        timeout,
        request_parameters=frozen_map(_parameters(parameters)) if parameters else frozen_map(),
        responses=_responses(responses) if responses else (),
        cache_key_parameters=cache_key_parameters,
    )


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
    if re.match(r"^arn:aws[a-z-]*:lambda:", uri):
        raise node.error(
            "AWS ARN for integration must contain path or action",
            "wrap the function ARN: "
            "arn:aws:apigateway:REGION:lambda:path/2015-03-31/functions/ARN/invocations",
        )


def _check_service_arn(node: Node, target: str) -> None:
    """API Gateway's own ARN form: refused as AWS refuses it at PutIntegration."""
    arn = re.match(
        r"^arn:aws[a-z-]*:apigateway:[^:]*:(?P<service>[^:]*)(?::(?P<rest>.*))?$", target
    )
    if arn is None:
        return
    if not (arn.group("rest") or "").startswith(("path/", "action/")):
        raise node.error(
            "AWS ARN for integration must contain path or action",
            "e.g. arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/ARN/invocations",
        )
    invocation = re.fullmatch(r"path/2015-03-31/functions/.+/invocations", arn.group("rest") or "")
    if arn.group("service") != "lambda" or invocation is None:
        raise node.error(
            "Integrations of type 'AWS_PROXY' currently only supports Lambda function and "
            "Firehose stream invocations.",
            "Lambda is emulated here; Firehose is not",
        )


def _mock(node: Node, entries: dict[str, Node]) -> Integration:
    for name in ("function", "uri", "request_parameters", "requestParameters", "responses"):
        if name in entries:
            raise entries[name].error("a MOCK integration takes only status, headers and body")
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
    return Integration("MOCK", status=status, headers=frozen_map(headers), body=body)


def _parameters(node: Node) -> dict[str, str]:
    out = {}
    for destination, source in node.mapping().items():
        if not re.match(r"^integration\.request\.(header|querystring|path)\.[^.]+$", destination):
            raise source.error(
                "destination must be integration.request.{header|querystring|path}.NAME"
            )
        out[destination] = source.string(
            re.compile(
                r"^('.*'|stageVariables\.\w+|method\.request\.(path|querystring|header)\.\S+)$"
            ),
            "use method.request.{path|querystring|header}.NAME, stageVariables.NAME or 'literal'",
        )
    return out


def _responses(node: Node) -> tuple[tuple[str, int], ...]:
    out = []
    for pattern, status in node.mapping().items():
        try:
            re.compile(pattern)
        except re.error as e:
            raise status.error(f"selection pattern {shown(pattern)} is not a regex: {e}") from None
        out.append((pattern, int(status.number(100, 599))))
    return tuple(out)


def route_from(key: str, data: Any, source: str) -> Route:
    """A route from `"VERB /path"` and its integration (short or AWS form, with the route's own
    apiKeyRequired and operationName); errors located at `source: key`."""
    method, path = parse_route_key(key)  # AWS's refusal, as a BadRequestError
    return _route(method, path, Node(data, source, key))


def _route(method: str, path: str, value: Node) -> Route:
    integration = _integration(value)
    extra = value.mapping() if isinstance(value.value, dict) else {}
    api_key_node = one_of(extra, "api_key_required", "apiKeyRequired")
    api_key = api_key_node.value if api_key_node else False
    if api_key_node is not None and not isinstance(api_key, bool):
        raise api_key_node.error(f"must be true or false, got {show_value(api_key)}")
    op_node = one_of(extra, "operation_name", "operationName")
    op = op_node.string() if op_node else None
    return Route(method, path, integration, api_key, op)


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
