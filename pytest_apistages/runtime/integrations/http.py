"""HTTP_PROXY and HTTP: send the request to a backend URI after stage-variable and path-parameter
substitution. A host mounted with `gw.backends.mount` is served in-process; any other goes
through `requests`, so a `responses` mock in the test answers it."""

from __future__ import annotations

import logging
import re
import time
import traceback
from collections.abc import Iterable
from http.client import HTTPException
from typing import TYPE_CHECKING
from urllib.parse import quote, urlsplit

import requests
import urllib3
from werkzeug.exceptions import InternalServerError
from werkzeug.test import run_wsgi_app

from ... import errors
from ...errors import BadRequestError, refused_at_the_caller
from ...model import Integration
from ...observe.logs import ERROR
from ..context import (
    EndpointRequest,
    EndpointResponse,
    GatewayFailure,
    RequestContext,
    UndefinedStageVariable,
)
from ..mapping import map_request, replaced
from ..request import environ_for
from ..templates import overrides
from . import nonproxy

if TYPE_CHECKING:
    from _typeshed.wsgi import WSGIApplication

logger = logging.getLogger("pytest_apistages")
# Request headers API Gateway does not pass on to an HTTP backend.
# Beyond what never reaches an integration, HTTP_PROXY does not pass these on (recorded:
# test_apigateway_header_remapping_http[HTTP_PROXY]); the backend gets its own Host.
_NOT_FORWARDED = {"host", "content-encoding", "via"}
# Backend response headers API Gateway renames to x-amzn-Remapped-<name> (recorded on AWS).
_REMAPPED = {"connection", "content-length", "date", "server", "x-amzn-requestid"}
_REQUESTS_DEFAULTS = ("Accept", "Accept-Encoding", "Connection", "User-Agent")
_DROPPED = {"transfer-encoding", "keep-alive"}
_PATH_PARAMETER = re.compile(r"\{([A-Za-z0-9_.\-]+)\}")
_CONFIG_ERROR = "Execution failed due to configuration error: Invalid endpoint address"


def request(ctx: RequestContext) -> None:
    """The endpoint request: the URI after stage-variable and path-parameter substitution,
    with the headers, query string and body the integration type passes on, the mapped
    parameters, and (HTTP) the request template's output and overrides."""
    assert ctx.match is not None
    integration = ctx.match.route.integration
    try:
        host_part = ctx.substitute(integration.target)
    except UndefinedStageVariable as e:
        raise GatewayFailure(
            errors.API_CONFIGURATION_ERROR,
            f"{_CONFIG_ERROR} (stage variable {e} is not defined on stage {ctx.stage_name})",
        ) from None
    mapped = map_request(ctx)
    proxy = integration.type == "HTTP_PROXY"
    body = ctx.body if proxy else nonproxy.request_body(ctx)
    params = {**ctx.match.path_parameters, **mapped.path}
    query_pairs = mapped.query
    if not proxy:  # overrides win over the mappings, once the whole template has run
        params.update(overrides(ctx, "requestOverride", "path"))
        overridden = overrides(ctx, "requestOverride", "querystring")
        query_pairs = [(k, v) for k, v in query_pairs if k not in overridden]
        query_pairs += list(overridden.items())
        mapped.headers = replaced(
            mapped.headers, list(overrides(ctx, "requestOverride", "header").items())
        )
    uri = _PATH_PARAMETER.sub(lambda m: params.get(m.group(1), m.group(0)), host_part)
    ctx.target = uri
    url = urlsplit(uri)
    if url.scheme not in ("http", "https") or not url.hostname:
        raise GatewayFailure(errors.API_CONFIGURATION_ERROR, f"{_CONFIG_ERROR}: {uri!r}")
    method = integration.http_method or ctx.method
    if method == "ANY":
        method = ctx.method
    mapped_query = "&".join(f"{quote(k, safe='')}={quote(v, safe='')}" for k, v in query_pairs)
    if proxy:
        client = [(k, v) for k, v in ctx.headers if k.lower() not in _NOT_FORWARDED]
        headers = replaced(client, mapped.headers)
        query = "&".join(q for q in (url.query, ctx.query_string, mapped_query) if q)
    else:
        # Recorded (test_http_integration_with_lambda[HTTP]): the backend gets API Gateway's
        # own Accept, and the client's Content-Type with a body; other headers only mapped.
        headers = [("Accept", "application/json")]
        content_type = ctx.header("Content-Type")
        if body and content_type:
            headers.append(("Content-Type", content_type))
        headers = replaced(headers, mapped.headers)
        query = "&".join(q for q in (url.query, mapped_query) if q)
    headers.append(("x-amzn-apigateway-api-id", ctx.api_id))
    if not any(k.lower() == "user-agent" for k, _ in headers):
        headers.append(("User-Agent", f"AmazonAPIGateway_{ctx.api_id}"))
    # The forwarded request headers already carry the request's trace id: send it once.
    if not any(k.lower() == "x-amzn-trace-id" for k, _ in headers):
        headers.append(("X-Amzn-Trace-Id", ctx.trace_id))
    target = f"{url.scheme}://{url.netloc}{url.path or '/'}" + (f"?{query}" if query else "")
    ctx.endpoint = EndpointRequest(
        method, target, url.netloc, url.path or "/", query, headers, body
    )
    ctx.note("Endpoint request URI: {}", target)


def call(ctx: RequestContext) -> None:
    """Send it: to a mounted WSGI app in-process, else through `requests` (so a `responses`
    mock in the test answers it), within the integration's timeout."""
    endpoint = ctx.endpoint
    assert endpoint is not None and ctx.match is not None
    integration = ctx.match.route.integration
    timeout = integration.timeout_ms / 1000
    started = time.perf_counter()
    app = ctx.services.backends.get(endpoint.netloc)
    if app is not None:
        answer = _call_mounted(ctx, app, endpoint)
        if time.perf_counter() - started > timeout:
            raise _timeout(integration)
    else:
        answer = _call_remote(ctx, endpoint, integration, started + timeout)
    ctx.integration_ms = (time.perf_counter() - started) * 1000
    ctx.note(
        "Received response. Status: {}, Integration latency: {} ms",
        answer.status,
        f"{ctx.integration_ms:.0f}",
    )
    ctx.result = answer


def response(ctx: RequestContext) -> None:
    """HTTP_PROXY passes the backend's answer on (renaming the headers AWS renames); HTTP
    answers through its integration responses, selected by the backend's status."""
    answer = ctx.result
    assert isinstance(answer, EndpointResponse) and ctx.match is not None
    if ctx.match.route.integration.type == "HTTP_PROXY":
        ctx.status = answer.status
        ctx.response_headers = _response_headers(answer.headers)
        ctx.response_body = answer.body
    else:
        nonproxy.respond(ctx, str(answer.status), answer)


def _call_remote(
    ctx: RequestContext, endpoint: EndpointRequest, integration: Integration, deadline: float
) -> EndpointResponse:
    """Through `requests`, within the integration's timeout for the whole call (a backend that
    trickles its body is cut off too): a timeout is AWS's 504, a backend that cannot be
    reached its 500, one that fails while it sends its answer (reset, truncated, bad chunked
    encoding) a 502."""
    try:
        sent = requests.request(
            endpoint.method, endpoint.url, headers=requests_headers(endpoint.headers),
            data=endpoint.body or None, timeout=max(0.001, deadline - time.perf_counter()),
            allow_redirects=False, stream=True,
        )  # fmt: skip
    except requests.Timeout:
        raise _timeout(integration) from None
    except (requests.RequestException, urllib3.exceptions.HTTPError, OSError) as e:
        raise GatewayFailure(errors.API_CONFIGURATION_ERROR, f"{_CONFIG_ERROR}: {e}") from None
    chunks = []
    try:
        with sent:
            while chunk := sent.raw.read1(65536, decode_content=False):
                chunks.append(chunk)
                if time.perf_counter() > deadline:
                    raise _timeout(integration)
    except (requests.Timeout, urllib3.exceptions.TimeoutError, TimeoutError):
        raise _timeout(integration) from None
    except (requests.RequestException, urllib3.exceptions.HTTPError, OSError, HTTPException) as e:
        raise GatewayFailure(
            errors.INTEGRATION_FAILURE,
            f"Execution failed due to an internal error: the backend's answer broke off ({e})",
        ) from None
    return EndpointResponse(sent.status_code, list(sent.raw.headers.items()), b"".join(chunks))


def _call_mounted(
    ctx: RequestContext, app: WSGIApplication, endpoint: EndpointRequest
) -> EndpointResponse:
    """Call an in-process backend as a server would: its crash, even while it sends its body,
    is its own 500, not ours."""
    scheme = endpoint.url.partition("://")[0]
    target = endpoint.path + (f"?{endpoint.query}" if endpoint.query else "")
    headers = [("Host", endpoint.netloc), *endpoint.headers]
    environ = environ_for(endpoint.method, scheme, endpoint.netloc, target, headers, endpoint.body)
    try:
        app_iter, status, answer_headers = run_wsgi_app(app, environ, buffered=True)
        body = b"".join(app_iter)
        return EndpointResponse(int(status.split()[0]), list(answer_headers.items()), body)
    except Exception as e:
        logger.error("backend %s failed:\n%s", endpoint.netloc, traceback.format_exc())
        ctx.note("Backend {} raised {}:\n{}", endpoint.netloc, repr(e), traceback.format_exc(),
                 level=ERROR)  # fmt: skip
        failed = InternalServerError().get_response()
        return EndpointResponse(failed.status_code, list(failed.headers), failed.get_data())


def requests_headers(headers: Iterable[tuple[str, str]]) -> dict[str, str | None]:
    """`requests` takes a dict: a header sent several times goes once, its values joined.
    requests' own default headers are switched off (None): the peer sees only ours (the HTTP
    library below still adds a User-Agent and `Accept-Encoding: identity` when none is given)."""
    joined: dict[str, str | None] = {name: None for name in _REQUESTS_DEFAULTS}
    names = {name.lower(): name for name in _REQUESTS_DEFAULTS}
    for name, value in headers:
        key = names.setdefault(name.lower(), name)
        previous = joined.get(key)
        joined[key] = f"{previous}, {value}" if previous is not None else value
    return joined


def _response_headers(backend_headers: list[tuple[str, str]]) -> list[tuple[str, str]]:
    out = []
    for name, value in backend_headers:
        lowered = name.lower()
        if lowered in _DROPPED:
            continue
        out.append((f"x-amzn-Remapped-{name}" if lowered in _REMAPPED else name, value))
    return out


def _timeout(integration: Integration) -> GatewayFailure:
    return GatewayFailure(
        errors.INTEGRATION_TIMEOUT,
        f"Execution failed due to a timeout error (integration timeout "
        f"{integration.timeout_ms} ms)",
    )


@refused_at_the_caller
class Backends:
    """Hosts whose HTTP integrations are answered by an in-process WSGI app."""

    def __init__(self) -> None:
        self._apps: dict[str, WSGIApplication] = {}

    def mount(self, host: str, app: WSGIApplication) -> None:
        """Serve `host` (or `host:port`) with `app`: a Flask app or any WSGI callable."""
        if not callable(app):
            raise BadRequestError(f"Backend for host {host!r} is not a WSGI callable: {app!r}")
        self._apps[host.lower()] = app

    def unmount(self, host: str) -> None:
        self._apps.pop(host.lower(), None)

    def get(self, netloc: str) -> WSGIApplication | None:
        netloc = netloc.lower()
        # A mount without a port serves that host on any port.
        return self._apps.get(netloc) or self._apps.get(netloc.rsplit(":", 1)[0])
