"""What MOCK, HTTP and AWS integrations share: the integration request body (a template
rendered, or the body passed through) and the integration response (selected by pattern,
mapped to headers, rendered, overridden)."""

from __future__ import annotations

import re

from ... import errors
from ...model import IntegrationResponse
from ...observe.logs import DATA, body_text
from ..context import EndpointResponse, GatewayFailure, RequestContext
from ..mapping import map_response, replaced
from ..templates import (
    override_status,
    overrides,
    render,
    request_template,
    response_template,
)

# An integration with no responses at all answers as if it had `default: 200` (our choice, so a
# short form needs none; AWS would fail every call: no match and no default).
_IMPLICIT = (IntegrationResponse(200),)


def transformed(ctx: RequestContext) -> bytes | None:
    """The Content-Type's request template rendered over the request, or None when the body
    passes through (a 415 where passthroughBehavior refuses that)."""
    assert ctx.match is not None
    template = request_template(ctx, ctx.match.route.integration)
    if template is None:
        return None
    text = ctx.body.decode("utf-8", "replace") or "{}"
    return render(ctx, template, text, "request").encode("utf-8")


def request_body(ctx: RequestContext) -> bytes:
    """The integration request's body, as the endpoint gets it (and the log shows it)."""
    body = transformed(ctx)
    if body is None:
        body = ctx.body
    if ctx.data_traced:
        ctx.note("Endpoint request body after transformations: {}",
                 body_text(body.decode("utf-8", "replace")), level=DATA)  # fmt: skip
    return body


def select(
    responses: tuple[IntegrationResponse, ...], selector: str | None
) -> IntegrationResponse | None:
    """The integration response for `selector` (a status, or a Lambda's errorMessage; None
    for a successful Lambda call): a pattern matching the whole of it, preferring one whose
    own status is that status, else the default."""
    if selector is not None:
        matching = [
            r for r in responses if r.pattern is not None and re.fullmatch(r.pattern, selector)
        ]
        if matching:
            return next((r for r in matching if str(r.status) == selector), matching[0])
    return next((r for r in responses if r.pattern is None), None)


def respond(ctx: RequestContext, selector: str | None, answer: EndpointResponse) -> None:
    """The method response from the integration's answer, as API Gateway makes it."""
    assert ctx.match is not None
    route = ctx.match.route
    ctx.integration_status = answer.status
    if ctx.data_traced:
        ctx.note("Endpoint response body before transformations: {}",
                 body_text(answer.body.decode("utf-8", "replace")), level=DATA)  # fmt: skip
    responses = route.integration.responses or _IMPLICIT
    response = select(responses, selector)
    if response is None:
        raise GatewayFailure(
            errors.API_CONFIGURATION_ERROR,
            "Execution failed due to configuration error: No match for output mapping and no "
            f"default output mapping configured. Endpoint Response Status Code: {answer.status}",
        )
    if route.method_responses and response.status not in route.method_responses:
        raise GatewayFailure(
            errors.API_CONFIGURATION_ERROR,
            "Execution failed due to configuration error: Output mapping refers to an invalid "
            f"method response: {response.status}",
        )
    headers = map_response(ctx, response.parameters, answer)
    media_type, template = response_template(response.templates, ctx.header("Accept"))
    if template is None:
        body = answer.body
    else:
        text = answer.body.decode("utf-8", "replace") or "{}"
        body = render(ctx, template, text, "response").encode("utf-8")
    status = override_status(ctx) or response.status
    headers = replaced(headers, list(overrides(ctx, "responseOverride", "header").items()))
    if not any(name.lower() == "content-type" for name, _ in headers):
        headers.insert(0, ("Content-Type", media_type))
    ctx.status, ctx.response_headers, ctx.response_body = status, headers, body
