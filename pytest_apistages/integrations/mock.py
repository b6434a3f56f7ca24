"""MOCK: a static answer, no backend. Header values may use `${stageVariables.x}`, rendered as
in a mapping template (an undefined variable is empty)."""

from __future__ import annotations

from werkzeug.wrappers import Response

from ..context import RequestContext
from ..model import Integration


def invoke(ctx: RequestContext, integration: Integration) -> Response:
    ctx.target = f"MOCK {integration.status}"
    response = Response(integration.body, status=integration.status)
    response.headers["Content-Type"] = "application/json"
    for name, value in integration.headers.items():
        response.headers[name] = ctx.substitute(value, undefined="")
    return response
