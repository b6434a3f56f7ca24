"""One request, one pass down a short list of steps over a `RequestContext`:

    read request -> resolve stage -> choose deployment -> match route
    -> integration request (stage variables) -> integration -> respond and record

Each step is a plain function; a step that must answer early raises `GatewayFailure`."""

from __future__ import annotations

import hashlib
import logging
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from werkzeug.wrappers import Response

from . import errors
from .errors import GatewayErrorKind
from .model import Deployment, Stage
from .records import Invocation
from .routing import Match

if TYPE_CHECKING:
    from .gateway import Gateway

MAX_PAYLOAD = 10 * 1024 * 1024
RAW_HEADERS_KEY = "apistages.raw_headers"
FORCE_CANARY_KEY = "apistages.force_canary"  # test-only, not an AWS feature
RECORD_SINK_KEY = "apistages.record_sink"  # a list the invocation record is appended to
logger = logging.getLogger("pytest_apistages")
_URI_SAFE = "/?#[]@!$&'()*+,;=:-._~%"
_STAGE_VARIABLE = re.compile(r"\$\{stageVariables\.([A-Za-z0-9_]+)\}")


class GatewayFailure(Exception):
    """Stop the request with one of API Gateway's error answers; `reason` goes to the log."""

    def __init__(self, kind: GatewayErrorKind, reason: str = "") -> None:
        super().__init__(reason or kind.response_type)
        self.kind = kind
        self.reason = reason


class UndefinedStageVariable(Exception):
    pass


@dataclass
class RequestContext:
    """What the steps know about one request so far."""

    gateway: Gateway
    environ: dict[str, Any]
    method: str
    raw_path: str
    query_string: str
    headers: list[tuple[str, str]]
    source_ip: str
    protocol: str
    host: str
    request_id: str
    extended_request_id: str
    started: float
    timer: float
    body: bytes = b""
    stage_name: str = ""
    path: str = "/"
    stage: Stage | None = None
    deployment: Deployment | None = None
    match: Match | None = None
    variables: dict[str, str] = field(default_factory=dict)
    canary: bool = False
    integration_ms: float = 0.0
    target: str | None = None
    version: str | None = None
    log: list[str] = field(default_factory=list)

    @property
    def account_id(self) -> str:
        return self.gateway.account_id

    @property
    def api_id(self) -> str:
        return self.gateway.api_id

    @property
    def resource_id(self) -> str:
        assert self.match is not None
        return resource_id(self.api_id, self.match.route.path)

    def header(self, name: str) -> str | None:
        """The last value of a request header, by case-insensitive name."""
        lowered = name.lower()
        found = None
        for key, value in self.headers:
            if key.lower() == lowered:
                found = value
        return found

    def substitute(self, text: str, undefined: str | None = None) -> str:
        """Replace `${stageVariables.x}`. An undefined one renders as `undefined` where given
        (templates render ""), else it is an error for the caller to map."""

        def value(m: re.Match[str]) -> str:
            found = self.variables.get(m.group(1), undefined)
            if found is None:
                raise UndefinedStageVariable(m.group(1))
            return found

        return _STAGE_VARIABLE.sub(value, text)


def resource_id(api_id: str, path: str) -> str:
    """A stable 6-character resource id, as AWS shows in `requestContext.resourceId`."""
    digest = hashlib.sha256(f"{api_id}{path}".encode()).digest()
    alphabet = "abcdefghijklmnopqrstuvwxyz0123456789"
    return "".join(alphabet[b % 36] for b in digest[:6])


def handle(gateway: Gateway, environ: dict[str, Any]) -> Response:
    """Serve one WSGI request and leave its invocation record."""
    ctx = read_request(gateway, environ)
    error: str | None = None
    try:
        for step in STEPS:
            step(ctx)
        response = integrate(ctx)
    except GatewayFailure as failure:
        response = error_response(failure.kind)
        error = failure.kind.response_type
        if failure.reason:
            ctx.log.append(failure.reason)
        # Through Python logging too, so pytest shows why a test got this answer.
        logger.log(
            logging.WARNING if failure.kind.status >= 500 else logging.INFO,
            "%s %s on stage %s: %s %s: %s",
            ctx.method, ctx.path, ctx.stage_name, failure.kind.status, error, failure.reason,
        )  # fmt: skip
    if error != errors.PAYLOAD_TOO_LARGE.response_type:  # that answer has none of them
        add_gateway_headers(ctx, response)
    ctx.log.append(f"Method completed with status: {response.status_code}")
    record = Invocation.from_context(ctx, response.status_code, error)
    gateway._record(ctx, record)
    if RECORD_SINK_KEY in environ:
        environ[RECORD_SINK_KEY].append(record)
    return response


def read_request(gateway: Gateway, environ: dict[str, Any]) -> RequestContext:
    """What arrived, as API Gateway sees it: the raw (not URL-decoded) path and query, the
    header names in the client's case, and the ids and time of this request."""
    raw_uri = environ.get("RAW_URI") or environ.get("REQUEST_URI")
    if raw_uri:
        # WSGI carries the request line as latin-1 text; non-ASCII bytes travel %-encoded.
        raw_uri = quote(raw_uri.encode("latin-1", "replace"), safe=_URI_SAFE)
        raw_path, mark, query = raw_uri.partition("?")
        if not mark:
            query = environ.get("QUERY_STRING", "")
        if "://" in raw_path:  # absolute-form request target
            raw_path = "/" + raw_path.split("://", 1)[1].partition("/")[2]
        mount = quote(environ.get("SCRIPT_NAME", ""), safe="/")
        if mount and raw_path.startswith(mount):  # the gateway is mounted under a prefix
            raw_path = raw_path[len(mount) :] or "/"
    else:
        raw_path = quote(environ.get("PATH_INFO", ""), safe="/")
        query = environ.get("QUERY_STRING", "")
    raw_headers = environ.get(RAW_HEADERS_KEY) or _headers_from_environ(environ)
    source_ip = environ.get("REMOTE_ADDR") or "127.0.0.1"
    started = gateway.clock.now()
    request_id, extended = gateway._new_request_ids()
    ctx = RequestContext(
        gateway=gateway,
        environ=environ,
        method=environ.get("REQUEST_METHOD", "GET").upper(),
        raw_path=raw_path,
        query_string=query,
        headers=[],
        source_ip=source_ip,
        protocol=environ.get("SERVER_PROTOCOL") or "HTTP/1.1",
        host=_host(environ),
        request_id=request_id,
        extended_request_id=extended,
        started=started,
        timer=time.perf_counter(),
    )
    ctx.headers = forwarded_headers(ctx, raw_headers)
    ctx.log.append(f"Starting execution for request: {request_id}")
    return ctx


def forwarded_headers(ctx: RequestContext, raw: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """The headers as a regional endpoint passes them on: no Content-Length, with the
    X-Forwarded-* and X-Amzn-Trace-Id headers API Gateway adds."""
    headers = [(k, v) for k, v in raw if k.lower() not in ("content-length", "connection")]
    present = {k.lower() for k, _ in headers}
    forwarded_for = next((v for k, v in headers if k.lower() == "x-forwarded-for"), None)
    headers = [(k, v) for k, v in headers if k.lower() != "x-forwarded-for"]
    headers.append(
        ("X-Forwarded-For", f"{forwarded_for}, {ctx.source_ip}" if forwarded_for else ctx.source_ip)
    )
    for name, value in (
        ("X-Amzn-Trace-Id", trace_id(ctx)),
        ("X-Forwarded-Port", "443"),
        ("X-Forwarded-Proto", "https"),
    ):
        if name.lower() not in present:
            headers.append((name, value))
    return headers


def read_body(ctx: RequestContext) -> None:
    """The request body, refused over API Gateway's 10 MB limit."""
    environ = ctx.environ
    stream = environ.get("wsgi.input")
    try:
        length = max(0, int(environ.get("CONTENT_LENGTH") or 0))
    except ValueError:
        length = 0
    if length > MAX_PAYLOAD:
        raise GatewayFailure(errors.PAYLOAD_TOO_LARGE)
    if stream is None:
        return
    if length:
        ctx.body = bytes(stream.read(length))
    elif environ.get("wsgi.input_terminated") or environ.get("HTTP_TRANSFER_ENCODING"):
        ctx.body = bytes(stream.read(MAX_PAYLOAD + 1))
        if len(ctx.body) > MAX_PAYLOAD:
            raise GatewayFailure(errors.PAYLOAD_TOO_LARGE)


def resolve_stage(ctx: RequestContext) -> None:
    """`//prod/x` finds stage prod; `/prod//x` serves path `/x` (recorded AWS behaviour)."""
    stage_name, _, rest = ctx.raw_path.lstrip("/").partition("/")
    ctx.stage_name = stage_name
    ctx.path = "/" + rest.lstrip("/")
    ctx.stage = ctx.gateway._stages.get(stage_name)
    if ctx.stage is None:
        raise GatewayFailure(errors.MISSING_AUTHENTICATION_TOKEN, f"No stage named {stage_name!r}")


def choose_deployment(ctx: RequestContext) -> None:
    """The stage's deployment, or with probability percent/100 its canary's (no stickiness)."""
    stage = ctx.stage
    assert stage is not None
    ctx.canary = stage.canary is not None and ctx.gateway._canary_draw(
        stage.canary.percent, ctx.environ.get(FORCE_CANARY_KEY)
    )
    if ctx.canary:
        assert stage.canary is not None
        ctx.deployment = ctx.gateway._deployments[stage.canary.deployment_id]
        ctx.variables = stage.canary.stage_variables(stage.variables)
    else:
        ctx.deployment = ctx.gateway._deployments[stage.deployment_id]
        ctx.variables = dict(stage.variables)


def match_route(ctx: RequestContext) -> None:
    assert ctx.deployment is not None
    ctx.match = ctx.deployment.api.router.match(ctx.method, ctx.path)
    if ctx.match is None:
        raise GatewayFailure(
            errors.MISSING_AUTHENTICATION_TOKEN,
            f"No route for {ctx.method} {ctx.path} in deployment {ctx.deployment.id}",
        )
    route = ctx.match.route
    ctx.log.append(f"HTTP Method: {ctx.method}, Resource Path: {ctx.path}")
    ctx.log.append(f"Method request path: {_java_map(ctx.match.path_parameters)}")
    ctx.log.append(f"Method request query string: {_java_map(dict(_query(ctx)))}")
    ctx.log.append(f"Resource: {route.key}")


STEPS: tuple[Callable[[RequestContext], None], ...] = (
    read_body,
    resolve_stage,
    choose_deployment,
    match_route,
)


def integrate(ctx: RequestContext) -> Response:
    """Run the matched route's integration. Errors of the user's code or configuration become
    API Gateway's answers; an error of the emulator itself propagates, so it is seen."""
    from .integrations import INTEGRATIONS

    assert ctx.match is not None
    integration = ctx.match.route.integration
    try:
        return INTEGRATIONS[integration.type](ctx, integration)
    except UndefinedStageVariable as e:
        raise GatewayFailure(
            errors.API_CONFIGURATION_ERROR,
            f"Execution failed due to configuration error: stage variable {e} is not defined "
            f"on stage {ctx.stage_name}",
        ) from e


def error_response(kind: GatewayErrorKind) -> Response:
    response = Response(kind.body, status=kind.status, content_type=kind.content_type)
    if kind.error_type:
        response.headers["x-amzn-ErrorType"] = kind.error_type
    return response


def add_gateway_headers(ctx: RequestContext, response: Response) -> None:
    response.headers["x-amzn-RequestId"] = ctx.request_id
    response.headers["x-amz-apigw-id"] = ctx.extended_request_id
    response.headers["X-Amzn-Trace-Id"] = trace_id(ctx)


def trace_id(ctx: RequestContext) -> str:
    return f"Root=1-{int(ctx.started):08x}-{ctx.request_id.replace('-', '')[:24]}"


def _query(ctx: RequestContext) -> list[tuple[str, str]]:
    from .events import parse_query

    return parse_query(ctx.query_string)


def _java_map(values: dict[str, str]) -> str:
    """How API Gateway's execution log prints a map: `{petId=123}`."""
    return "{" + ", ".join(f"{k}={v}" for k, v in values.items()) + "}"


def _headers_from_environ(environ: dict[str, Any]) -> list[tuple[str, str]]:
    """Headers from a WSGI environ, which has lost their case: restore the usual spelling."""
    headers = []
    for key, value in environ.items():
        if key.startswith("HTTP_"):
            name = key[5:]
        elif key in ("CONTENT_TYPE", "CONTENT_LENGTH") and value:
            name = key
        else:
            continue
        headers.append(("-".join(p.capitalize() for p in name.split("_")), str(value)))
    return headers


def _host(environ: dict[str, Any]) -> str:
    host = environ.get("HTTP_HOST") or environ.get("SERVER_NAME") or "localhost"
    return str(host)
