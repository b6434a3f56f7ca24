"""Parameter mapping: the values `integration.request.*` and `method.response.header.*`
mappings read (method request values, the integration's answer, stage variables, context
variables, literals), and the headers API Gateway drops or refuses once mapped."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from .. import errors, vtl
from ..expressions import REQUEST_DESTINATION, REQUEST_SOURCE, RESPONSE_SOURCE
from .context import EndpointResponse, GatewayFailure, RequestContext
from .request import parse_query
from .templates import context_map

# Mapping these fails every call with a 500 (recorded on AWS: LocalStack's header remapping
# tests); Lambda integrations refuse a few more.
_REFUSED = {"content-length", "transfer-encoding"}
_REFUSED_BY_LAMBDA = {"authorization", "connection", "expect", "proxy-authenticate", "te"}
# Mapped, then dropped before the call (recorded: the backend never saw them).
_DROPPED = {"connection", "expect", "proxy-authenticate", "te", "via"}
# Response headers a mapping may set only under another name (recorded on AWS).
REMAPPED_RESPONSE_HEADERS = frozenset(
    ("authorization", "connection", "content-length", "content-md5", "date", "expect", "host",
     "max-forwards", "proxy-authenticate", "server", "trailer", "upgrade", "user-agent",
     "www-authenticate")
)  # fmt: skip


@dataclass
class Mapped:
    """What the request mappings produced, in the order they were given."""

    headers: list[tuple[str, str]] = field(default_factory=list)
    query: list[tuple[str, str]] = field(default_factory=list)
    path: dict[str, str] = field(default_factory=dict)


def map_request(ctx: RequestContext, lambda_type: bool = False) -> Mapped:
    """Evaluate the integration's `requestParameters`. A source with no value maps nothing;
    a header AWS refuses to map is the 500 AWS gives, before anything is called."""
    assert ctx.match is not None
    mapped = Mapped()
    if not ctx.match.route.integration.request_parameters:
        return mapped
    refused = _REFUSED | _REFUSED_BY_LAMBDA if lambda_type else _REFUSED
    for destination, source in ctx.match.route.integration.request_parameters.items():
        found = REQUEST_DESTINATION.match(destination)
        assert found is not None  # checked when the route was put
        kind, name = found.groups()
        if kind == "header" and name.lower() in refused:
            raise GatewayFailure(
                errors.API_CONFIGURATION_ERROR,
                f"Execution failed due to configuration error: the header {name} cannot be "
                f"mapped (integration.request.header.{name})",
            )
        value = request_value(ctx, source)
        if value is None:
            continue
        if kind == "header":
            if name.lower() not in _DROPPED:
                mapped.headers.append((name, value))
        elif kind == "querystring":
            mapped.query.append((name, value))
        else:
            mapped.path[name] = value
    return mapped


def request_value(ctx: RequestContext, source: str) -> str | None:
    """A request mapping source's value: single values are the last given, multi-values are
    joined with commas; an empty body reads as `{}`."""
    assert ctx.match is not None
    found = REQUEST_SOURCE.match(source)
    assert found is not None  # checked when the route was put
    where, name = found.group("where"), found.group("name")
    if where == "path":
        return ctx.match.path_parameters.get(name)
    if where in ("querystring", "multivaluequerystring"):
        values = [v for k, v in parse_query(ctx.query_string) if k == name]
        return _single_or_joined(values, where.startswith("multi"))
    if where in ("header", "multivalueheader"):
        lowered = name.lower()
        values = [v for k, v in ctx.headers if k.lower() == lowered]
        return _single_or_joined(values, where.startswith("multi"))
    if found.group("whole") is not None and source.startswith("method.request.body"):
        return _body_value(ctx.body.decode("utf-8", "replace"), found.group("body"))
    return shared_value(ctx, found)


def response_value(ctx: RequestContext, source: str, answer: EndpointResponse) -> str | None:
    """A response mapping source's value, read from the integration's answer."""
    found = RESPONSE_SOURCE.match(source)
    assert found is not None  # checked when the route was put
    where, name = found.group("where"), found.group("name")
    if where is not None:
        lowered = name.lower()
        values = [v for k, v in answer.headers if k.lower() == lowered]
        return _single_or_joined(values, where == "multivalueheader")
    if source.startswith("integration.response.body"):
        text = answer.body.decode("utf-8", "replace")
        path = found.group("body")
        if path and ctx.function_error is not None:
            # a Lambda custom error: the JSON inside errorMessage is read as an object
            return _body_value(json.dumps(_unpacked_error(text)), path)
        return _body_value(text, path)
    return shared_value(ctx, found)


def shared_value(
    ctx: RequestContext, found: re.Match[str], context: Mapping[str, Any] | None = None
) -> str | None:
    """What every kind of mapping reads alike: a `'literal'`, a stage variable, a context
    variable (from `context`, or the request's `$context`)."""
    if found.group("literal") is not None:
        return found.group("literal")
    if found.group("variable") is not None:
        return ctx.variables.get(found.group("variable"))
    value = context_value(context_map(ctx) if context is None else context, found.group("context"))
    return None if value is None else vtl.java_text(value)


def context_value(context: Mapping[str, Any], dotted: str) -> Any:
    """`identity.sourceIp` in the `$context` map."""
    value: Any = context
    for part in dotted.split("."):
        if not isinstance(value, Mapping):
            return None
        value = value.get(part)
    return value


def _single_or_joined(values: list[str], multi: bool) -> str | None:
    if not values:
        return None
    return ",".join(values) if multi else values[-1]


def _body_value(text: str, path: str | None) -> str | None:
    """The whole body, or one JSONPath (written without `$.`) into it as JSON text; an
    empty body is `{}`."""
    if path is None:
        return text or "{}"
    try:
        data = vtl.parse_json(text)
        value = vtl.select(data, "$." + path)
    except vtl.TemplateFailure:
        return None
    if value is None:
        return None
    return value if isinstance(value, str) else json.dumps(value, separators=(",", ":"))


def _unpacked_error(text: str) -> Any:
    """A Lambda error object whose errorMessage is itself JSON, with that JSON parsed."""
    try:
        payload = json.loads(text)
        payload["errorMessage"] = json.loads(payload["errorMessage"])
    except (ValueError, KeyError, TypeError):
        return json.loads(text) if text else {}
    return payload


def map_response(
    ctx: RequestContext, parameters: Mapping[str, str], answer: EndpointResponse
) -> list[tuple[str, str]]:
    """The method response headers the selected integration response maps."""
    headers = []
    for destination, source in parameters.items():
        value = response_value(ctx, source, answer)
        if value is None:
            continue
        name = destination.removeprefix("method.response.header.")
        if name.lower() in REMAPPED_RESPONSE_HEADERS:
            name = f"x-amzn-Remapped-{name}"
        headers.append((name, value))
    return headers


def replaced(headers: list[tuple[str, str]], by: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """`headers` without the names `by` gives (whatever their case), then `by`: how mapped
    values replace defaults and client headers, and overrides replace mapped ones."""
    names = {name.lower() for name, _ in by}
    return [(k, v) for k, v in headers if k.lower() not in names] + by
