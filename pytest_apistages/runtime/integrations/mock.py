"""MOCK: a static answer, no backend. Header values may use `${stageVariables.x}`, rendered as
in a mapping template (an undefined variable is empty)."""

from __future__ import annotations

from ..context import RequestContext


def request(ctx: RequestContext) -> None:
    assert ctx.match is not None
    ctx.target = f"MOCK {ctx.match.route.integration.status}"


def call(ctx: RequestContext) -> None:
    """Nothing is called: the integration response is the mock's own."""


def response(ctx: RequestContext) -> None:
    assert ctx.match is not None
    integration = ctx.match.route.integration
    headers = {"content-type": ("Content-Type", "application/json")}
    for name, value in integration.headers.items():
        headers[name.lower()] = (name, ctx.substitute(value, undefined=""))
    ctx.status = integration.status
    ctx.response_headers = list(headers.values())
    ctx.response_body = integration.body.encode("utf-8")
