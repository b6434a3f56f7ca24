"""MOCK: no backend. The short form answers with its static status, headers and body (header
values may use `${stageVariables.x}`, rendered as a template would: undefined is empty). AWS's
form takes its status from the request template's `{"statusCode": N}` and answers through its
integration responses."""

from __future__ import annotations

import json
import re

from ... import errors
from ..context import EndpointResponse, GatewayFailure, RequestContext
from ..mapping import map_request
from . import nonproxy

# AWS reads the status leniently: `{statusCode: 200}` (as CDK writes it) works (recorded).
_STATUS = re.compile(r"""["']?statusCode["']?\s*:\s*["']?(\d+)""")


def request(ctx: RequestContext) -> None:
    assert ctx.match is not None
    integration = ctx.match.route.integration
    if not integration.templated:
        ctx.target = f"MOCK {integration.status}"
        return
    ctx.target = "MOCK"
    map_request(ctx)  # nothing is sent, but a refused mapping still fails
    rendered = nonproxy.transformed(ctx)  # no endpoint request: nothing is logged of it
    # no template: the default integration response answers
    ctx.result = None if rendered is None else _status(rendered.decode("utf-8", "replace"))


def _status(text: str) -> int:
    try:
        data = json.loads(text)
        value = data.get("statusCode") if isinstance(data, dict) else None
    except ValueError:
        found = _STATUS.search(text)
        value = found.group(1) if found else None
    if isinstance(value, str) and value.isdigit():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int):
        raise GatewayFailure(
            errors.API_CONFIGURATION_ERROR,
            "Execution failed due to configuration error: statusCode should be an integer "
            "which defined in request template",
        )
    return value


def call(ctx: RequestContext) -> None:
    """Nothing is called: the integration response is the mock's own."""


def response(ctx: RequestContext) -> None:
    assert ctx.match is not None
    integration = ctx.match.route.integration
    if integration.templated:
        status = ctx.result
        answer = EndpointResponse(status if isinstance(status, int) else 200, [], b"")
        nonproxy.respond(ctx, str(status) if isinstance(status, int) else None, answer)
        return
    headers = {"content-type": ("Content-Type", "application/json")}
    for name, value in integration.headers.items():
        headers[name.lower()] = (name, ctx.substitute(value, undefined=""))
    ctx.status = integration.status
    ctx.response_headers = list(headers.values())
    ctx.response_body = integration.body.encode("utf-8")
