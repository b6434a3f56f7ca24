"""Integrations by type: each takes the request context and the integration, returns a response
or raises `GatewayFailure` with API Gateway's answer."""

from __future__ import annotations

from collections.abc import Callable

from werkzeug.wrappers import Response

from ..context import RequestContext
from ..model import Integration
from . import http, lambda_proxy, mock

Invoke = Callable[[RequestContext, Integration], Response]

INTEGRATIONS: dict[str, Invoke] = {
    "AWS_PROXY": lambda_proxy.invoke,
    "HTTP_PROXY": http.invoke,
    "HTTP": http.invoke,
    "MOCK": mock.invoke,
}
