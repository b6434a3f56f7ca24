"""Integrations by type, each as AWS's three phases: the integration request (what is sent),
the call, and the integration response (what the client gets). Each phase reads and writes the
request context, or raises `GatewayFailure` with API Gateway's answer."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from ..context import RequestContext
from . import aws, http, lambda_proxy, mock

Phase = Callable[[RequestContext], None]


@dataclass(frozen=True)
class Kind:
    request: Phase
    call: Phase
    response: Phase


KINDS: dict[str, Kind] = {
    "AWS_PROXY": Kind(lambda_proxy.request, lambda_proxy.call, lambda_proxy.response),
    "HTTP_PROXY": Kind(http.request, http.call, http.response),
    "HTTP": Kind(http.request, http.call, http.response),
    "MOCK": Kind(mock.request, mock.call, mock.response),
    "AWS": Kind(aws.request, aws.call, aws.response),
}
