"""One request, one pass down a short list of steps over a `RequestContext`:

    read body -> resolve stage -> choose deployment (canary or not) -> match route
    -> API key / usage plan -> throttle and quota -> cache -> integration -> record

Each step is a plain function; a step that must answer early raises `GatewayFailure`."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from werkzeug.wrappers import Response

from . import errors
from .context import GatewayFailure, RequestContext, UndefinedStageVariable, trace_id
from .errors import GatewayErrorKind, NotFoundError
from .events import parse_query
from .logs import DATA, ERROR, INFO
from .protection import check_api_key, throttle
from .records import Invocation

if TYPE_CHECKING:
    from .gateway import Gateway

MAX_PAYLOAD = 10 * 1024 * 1024
RAW_HEADERS_KEY = "apistages.raw_headers"
FORCE_CANARY_KEY = "apistages.force_canary"  # test-only, not an AWS feature
RECORD_SINK_KEY = "apistages.record_sink"  # a list the invocation record is appended to
_URI_SAFE = "/?#[]@!$&'()*+,;=:-._~%"


def handle(gateway: Gateway, environ: dict[str, Any]) -> Response:
    """Serve one WSGI request and leave its invocation record."""
    ctx = read_request(gateway, environ)
    error: str | None = None
    try:
        for step in STEPS:
            step(ctx)
        response = serve_from_cache_or_integrate(ctx)
        ctx.note("Successfully completed execution")
    except GatewayFailure as failure:
        response = error_response(failure.kind)
        error = failure.kind.response_type
        ctx.error_message = failure.kind.message
        if failure.reason:
            ctx.note(failure.reason, ERROR if failure.kind.status >= 500 else INFO)
    if error != errors.PAYLOAD_TOO_LARGE.response_type:  # that answer has none of them
        add_gateway_headers(ctx, response)
    completed = ERROR if error and response.status_code >= 500 else INFO
    ctx.note(f"Method completed with status: {response.status_code}", completed)
    record = Invocation.from_context(ctx, response.status_code, error)
    gateway.record(ctx, record, len(response.get_data()))
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
    request_id, extended = gateway.draws.request_ids()
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
    ctx.note(f"Starting execution for request: {request_id}")
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
    try:
        ctx.stage = ctx.gateway.stage(stage_name)
    except NotFoundError:
        raise GatewayFailure(
            errors.MISSING_AUTHENTICATION_TOKEN, f"No stage named {stage_name!r}"
        ) from None


def choose_deployment(ctx: RequestContext) -> None:
    """The stage's deployment, or with probability percent/100 its canary's (no stickiness)."""
    stage = ctx.stage
    assert stage is not None
    forced = ctx.environ.get(FORCE_CANARY_KEY)
    if forced and stage.canary is None:
        raise ValueError(f"gw.client({stage.name!r}, canary=True): stage has no canary to force")
    if stage.canary is None:
        ctx.canary = False
    elif forced is not None:
        ctx.canary = bool(forced)
    else:
        ctx.canary = ctx.gateway.draws.canary(stage.name, stage.canary.percent)
    if ctx.canary:
        assert stage.canary is not None
        ctx.deployment = ctx.gateway.deployment(stage.canary.deployment_id)
        ctx.variables = stage.canary.stage_variables(stage.variables)
    else:
        ctx.deployment = ctx.gateway.deployment(stage.deployment_id)
        ctx.variables = dict(stage.variables)


def match_route(ctx: RequestContext) -> None:
    assert ctx.deployment is not None
    ctx.match = ctx.deployment.api.router.match(ctx.method, ctx.path)
    if ctx.match is None:
        raise GatewayFailure(
            errors.MISSING_AUTHENTICATION_TOKEN,
            f"No route for {ctx.method} {ctx.path} in deployment {ctx.deployment.id}",
        )
    assert ctx.stage is not None
    ctx.settings = ctx.stage.settings.for_route(ctx.match.route.key)
    ctx.note(f"HTTP Method: {ctx.method}, Resource Path: {ctx.path}")
    ctx.note(f"Method request path: {_java_map(ctx.match.path_parameters)}")
    ctx.note(f"Method request query string: {_java_map(dict(parse_query(ctx.query_string)))}")
    if ctx.settings.data_trace:  # formatted only when it will be logged
        ctx.note(f"Method request headers: {_java_map(dict(ctx.headers))}", DATA)
        body = ctx.body.decode("utf-8", "replace") if ctx.body else ""
        ctx.note(f"Method request body before transformations: {body}", DATA)


STEPS: tuple[Callable[[RequestContext], None], ...] = (
    read_body,
    resolve_stage,
    choose_deployment,
    match_route,
    check_api_key,
    throttle,
)


def serve_from_cache_or_integrate(ctx: RequestContext) -> Response:
    from .cache import serve

    response = serve(ctx, integrate)
    if ctx.settings is not None and ctx.settings.data_trace:
        body = response.get_data(as_text=True)
        ctx.note(f"Method response body after transformations: {body}", DATA)
        ctx.note(f"Method response headers: {_java_map(dict(response.headers))}", DATA)
    return response


def integrate(ctx: RequestContext) -> Response:
    """Run the matched route's integration. Errors of the user's code or configuration become
    API Gateway's answers; an error of the emulator itself propagates, so it is seen."""
    from .integrations import INTEGRATIONS

    assert ctx.match is not None
    integration = ctx.match.route.integration
    ctx.integrated = True
    try:
        response = INTEGRATIONS[integration.type](ctx, integration)
        ctx.integration_status = response.status_code
        return response
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
