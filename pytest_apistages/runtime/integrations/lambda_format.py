"""The Lambda proxy integration's wire format: the payload 1.0 event API Gateway sends to a
function, and the checks it applies to what the function returns."""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from ..context import RequestContext
from ..request import format_request_time, is_binary, parse_query

_IDENTITY_NULLS = (
    "accessKey",
    "accountId",
    "caller",
    "cognitoAuthenticationProvider",
    "cognitoAuthenticationType",
    "cognitoIdentityId",
    "cognitoIdentityPoolId",
    "principalOrgId",
)
_RESPONSE_KEYS = {"statusCode", "headers", "multiValueHeaders", "body", "isBase64Encoded"}
# Recorded AWS events keep every header name as the client wrote it, except these two, which
# arrive capitalised (`authorization` and `aUThorization` both become `Authorization`).
_CAPITALISED_HEADERS = {"authorization": "Authorization", "user-agent": "User-Agent"}
_TOKEN = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
_SENDABLE = re.compile(r"[\t\x20-\x7e\x80-\xff]*")


def single_and_multi(pairs: Sequence[tuple[str, str]]) -> tuple[Any, Any]:
    """The (last-value map, all-values map) pair the event carries; both null when empty."""
    if not pairs:
        return None, None
    single: dict[str, str] = {}
    multi: dict[str, list[str]] = {}
    for key, value in pairs:
        single[key] = value
        multi.setdefault(key, []).append(value)
    return single, multi


def event_headers(headers: Sequence[tuple[str, str]]) -> list[tuple[str, str]]:
    """The request headers as the event shows them (names in the client's case, mostly)."""
    return [(_CAPITALISED_HEADERS.get(name.lower(), name), value) for name, value in headers]


def build_event(ctx: RequestContext) -> dict[str, Any]:
    """The payload format 1.0 event, with every key (and every null) a real REST event has."""
    assert ctx.match is not None and ctx.deployment is not None
    headers, multi_headers = single_and_multi(event_headers(ctx.headers))
    query, multi_query = single_and_multi(parse_query(ctx.query_string))
    route = ctx.match.route
    body: str | None = None
    is_base64 = False
    if ctx.body:
        if is_binary(ctx.header("Content-Type"), ctx.deployment.api.binary_media_types):
            body, is_base64 = base64.b64encode(ctx.body).decode("ascii"), True
        else:
            body = ctx.body.decode("utf-8", errors="replace")
    request_context: dict[str, Any] = {
        "accountId": ctx.account_id,
        "apiId": ctx.api_id,
        "deploymentId": ctx.deployment.id,
        "domainName": ctx.host,
        "domainPrefix": ctx.host.split(".")[0],
        "extendedRequestId": ctx.extended_request_id,
        "httpMethod": ctx.method,
        "identity": {
            **{key: None for key in _IDENTITY_NULLS},
            "sourceIp": ctx.source_ip,
            "user": None,
            "userAgent": ctx.header("User-Agent"),
            "userArn": None,
        },
        # raw, with the stage; `//stage/x` shows as `/stage/x` but `/stage//x` stays as sent
        "path": "/" + ctx.raw_path.lstrip("/"),
        "protocol": ctx.protocol,
        "requestId": ctx.request_id,
        "requestTime": format_request_time(ctx.started),
        "requestTimeEpoch": int(ctx.started * 1000),
        "resourceId": ctx.resource_id,
        "resourcePath": route.path,
        "stage": ctx.stage_name,
    }
    if ctx.api_key is not None:
        request_context["identity"]["apiKey"] = ctx.api_key.value
        request_context["identity"]["apiKeyId"] = ctx.api_key.id
    if route.operation_name:
        request_context["operationName"] = route.operation_name
    return {
        "resource": route.path,
        "path": ctx.path,
        "httpMethod": ctx.method,
        "headers": headers,
        "multiValueHeaders": multi_headers,
        "queryStringParameters": query,
        "multiValueQueryStringParameters": multi_query,
        "pathParameters": dict(ctx.match.path_parameters) or None,
        "stageVariables": dict(ctx.variables) or None,
        "requestContext": request_context,
        "body": body,
        "isBase64Encoded": is_base64,
    }


class MalformedProxyResponse(Exception):
    """What API Gateway logs as `Malformed Lambda proxy response`; the client gets a 502."""


class UndecodableProxyBody(Exception):
    """A body marked `isBase64Encoded` that is not base64, when the client accepts binary:
    API Gateway cannot convert it and answers 500, not the malformed-response 502."""


@dataclass(frozen=True)
class ProxyResponse:
    status: int
    headers: list[tuple[str, str]]
    body: bytes


def parse_proxy_response(result: Any, accept_binary: bool) -> ProxyResponse:
    """Check a function's result the way API Gateway does (recorded AWS behaviour)."""
    if not isinstance(result, dict):
        raise MalformedProxyResponse(f"result is {type(result).__name__}, not an object")
    unknown = set(result) - _RESPONSE_KEYS
    if unknown:
        raise MalformedProxyResponse(f"unknown key(s) {sorted(unknown)}")
    status = _status(result.get("statusCode", 200))
    single = result.get("headers") or {}
    multi = result.get("multiValueHeaders") or {}
    if not isinstance(single, dict) or not isinstance(multi, dict):
        raise MalformedProxyResponse("headers and multiValueHeaders must be objects")
    merged: dict[str, tuple[str, list[str]]] = {}
    for name, values in multi.items():
        if not isinstance(values, list):
            raise MalformedProxyResponse(f"multiValueHeaders[{name!r}] is not a list")
        merged[name.lower()] = (_header_name(name), [_header_text(v) for v in values])
    for name, value in single.items():
        shown, values = merged.get(name.lower(), (_header_name(name), []))
        merged[name.lower()] = (shown, [*values, _header_text(value)])
    # One line per name with the values joined (recorded), but Set-Cookie a line per cookie.
    headers = [
        (name, value)
        for name, values in merged.values()
        for value in (values if name.lower() == "set-cookie" else [", ".join(values)])
    ]
    if "content-type" not in merged:
        headers.append(("Content-Type", "application/json"))
    body = result.get("body")
    if body is None:
        data = b""
    elif isinstance(body, str):
        data = body.encode("utf-8")
        if result.get("isBase64Encoded") is True and accept_binary:
            try:
                data = base64.b64decode(body, validate=True)
            except ValueError as e:
                raise UndecodableProxyBody(f"isBase64Encoded but body is not base64: {e}") from e
    else:
        raise MalformedProxyResponse(f"body is {type(body).__name__}, not a string")
    return ProxyResponse(status, headers, data)


def _status(value: Any) -> int:
    if isinstance(value, bool):
        raise MalformedProxyResponse(f"statusCode {value!r} is not a number")
    try:
        status = int(value)
    except (TypeError, ValueError, OverflowError):  # OverflowError: an infinite status
        raise MalformedProxyResponse(f"statusCode {value!r} is not a number") from None
    if not 100 <= status <= 599:
        raise MalformedProxyResponse(f"statusCode {status} is not an HTTP status")
    return status


def _header_name(name: str) -> str:
    if not _TOKEN.fullmatch(name):
        raise MalformedProxyResponse(f"header name {name[:40]!r} is not an HTTP token")
    return name


def _header_text(value: Any) -> str:
    """A header value as it goes on the wire: a non-string is its JSON text; CR, LF, NUL or a
    character outside Latin-1 cannot be sent (our choice: a malformed response, 502)."""
    text = value if isinstance(value, str) else json.dumps(value)
    if not _SENDABLE.fullmatch(text):
        raise MalformedProxyResponse(f"header value {text[:40]!r} cannot be sent in HTTP")
    return text
