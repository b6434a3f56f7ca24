"""One request, one pass down one list of steps, in API Gateway's order:

    read request -> read body -> resolve stage -> choose deployment (canary or not)
    -> match route -> API key / usage plan -> throttle and quota -> cache lookup
    -> integration request -> integration -> integration response -> cache store
    and then, for every request, however it ended:
    -> gateway response -> record

Each step is a plain function over the `RequestContext`. A step that refuses the request raises
`GatewayFailure` (the gateway response step turns it into API Gateway's answer); a cache hit
answers the request, and the steps up to the gateway response are skipped."""

from __future__ import annotations

import difflib
import logging
import sys
import traceback
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from werkzeug.http import HTTP_STATUS_CODES

from .. import errors
from ..errors import did_you_mean
from ..observe.logs import Deferred
from .cache import cache_lookup, cache_store
from .context import GatewayFailure, RequestContext, Services, UndefinedStageVariable
from .integrations import KINDS
from .keys import check_api_key
from .request import query_map, read_body, read_request
from .respond import gateway_response, record
from .throttling import throttle

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse

FORCE_CANARY_KEY = "apistages.force_canary"  # test-only, not an AWS feature
logger = logging.getLogger("pytest_apistages")
Step = Callable[[RequestContext], None]


def resolve_stage(ctx: RequestContext) -> None:
    """The stage and what it serves, taken as one snapshot. `//prod/x` finds stage prod;
    `/prod//x` serves path `/x` (recorded AWS behaviour)."""
    stage_name, _, rest = ctx.raw_path.lstrip("/").partition("/")
    ctx.stage_name = stage_name
    ctx.path = "/" + rest.lstrip("/")
    ctx.served = ctx.services.served.get(stage_name)
    if ctx.served is None:
        hint = did_you_mean(stage_name, list(ctx.services.served))
        logger.warning(
            "%s %s: no stage %r%s; answered 403 Missing Authentication Token (stages: %s)",
            ctx.method, ctx.raw_path, stage_name, hint, ", ".join(ctx.services.served) or "none",
        )  # fmt: skip
        raise GatewayFailure(errors.MISSING_AUTHENTICATION_TOKEN, f"No stage named {stage_name!r}")


def choose_deployment(ctx: RequestContext) -> None:
    """The stage's deployment, or with probability percent/100 its canary's (no stickiness)."""
    served = ctx.served
    assert served is not None
    canary = served.stage.canary
    forced = ctx.environ.get(FORCE_CANARY_KEY)
    if canary is None:
        ctx.canary = False
    elif forced is not None:
        ctx.canary = bool(forced)
    else:
        ctx.canary = ctx.services.draws.canary(served.stage.name, canary.percent)
    if ctx.canary:
        assert served.canary is not None
        ctx.deployment, ctx.variables = served.canary, served.canary_variables
    else:
        ctx.deployment, ctx.variables = served.deployment, served.stage.variables


def match_route(ctx: RequestContext) -> None:
    """The deployment's route for the method and path, and the stage settings for it."""
    assert ctx.deployment is not None and ctx.served is not None
    ctx.match = ctx.deployment.api.match(ctx.method, ctx.path)
    if ctx.match is None:
        _warn_no_route(ctx)
        raise GatewayFailure(
            errors.MISSING_AUTHENTICATION_TOKEN,
            f"No route for {ctx.method} {ctx.path} in deployment {ctx.deployment.id}",
        )
    ctx.settings = ctx.served.stage.settings.for_route(ctx.match.route.key)
    ctx.note("HTTP Method: {}, Resource Path: {}", ctx.method, ctx.path)
    ctx.note("Method request path: {}", ctx.match.path_parameters)
    ctx.note("Method request query string: {}", Deferred(query_map, ctx.query_string))
    if ctx.data_traced:
        ctx.note("Method request headers: {}", dict(ctx.headers), level="DATA")
        body = ctx.body.decode("utf-8", "replace") if ctx.body else ""
        ctx.note("Method request body before transformations: {}", body, level="DATA")


def _warn_no_route(ctx: RequestContext) -> None:
    """The most common failure in a test: say what was asked, where, and what is near, at a
    level pytest shows by default (the client still gets AWS's 403)."""
    assert ctx.deployment is not None
    routes = list(ctx.deployment.api.routes)
    near = difflib.get_close_matches(f"{ctx.method} {ctx.path}", routes, n=3, cutoff=0.5)
    logger.warning(
        "%s %s: no route on stage %s (deployment %s); answered 403 Missing Authentication "
        "Token. %s",
        ctx.method, ctx.path, ctx.stage_name, ctx.deployment.id,
        f"Nearest routes: {', '.join(near)}" if near else f"Routes: {', '.join(routes[:10])}",
    )  # fmt: skip


def integration_request(ctx: RequestContext) -> None:
    """What the integration will be sent: a function's event, an endpoint request, or nothing
    (MOCK). An undefined stage variable in its target is a configuration error."""
    assert ctx.match is not None
    try:
        KINDS[ctx.match.route.integration.type].request(ctx)
    except UndefinedStageVariable as e:
        raise GatewayFailure(
            errors.API_CONFIGURATION_ERROR,
            f"Execution failed due to configuration error: stage variable {e} is not defined "
            f"on stage {ctx.stage_name}",
        ) from e


def integrate(ctx: RequestContext) -> None:
    """Call the function or backend. Errors of the user's code become API Gateway's answers
    (a fault of the emulator itself is `handle`'s 500)."""
    assert ctx.match is not None
    ctx.integrated = True
    KINDS[ctx.match.route.integration.type].call(ctx)


def integration_response(ctx: RequestContext) -> None:
    """What the client gets from the integration's answer: status, headers and body."""
    assert ctx.match is not None
    KINDS[ctx.match.route.integration.type].response(ctx)
    ctx.integration_status = ctx.status


STEPS: tuple[Step, ...] = (
    read_request,
    read_body,
    resolve_stage,
    choose_deployment,
    match_route,
    check_api_key,
    throttle,
    cache_lookup,
    integration_request,
    integrate,
    integration_response,
    cache_store,
)
EVERY_REQUEST: tuple[Step, ...] = (gateway_response, record)


def handle(services: Services, environ: dict[str, Any]) -> RequestContext:
    """Serve one WSGI request; the context holds the answer and the record it left. Nothing
    escapes: a fault of the emulator itself is a 500, logged with its traceback at ERROR."""
    ctx = RequestContext(services, environ)
    try:
        for step in STEPS:
            step(ctx)
            if ctx.answered:
                break
    except GatewayFailure as failure:
        ctx.failure = failure.with_traceback(None)  # its frames would hold the context
    except Exception:
        logger.exception("pytest-apistages failed on %s %s", ctx.method, ctx.raw_path)
        ctx.failure = GatewayFailure(
            errors.INTERNAL_ERROR, f"Execution failed due to an internal error: {_fault()}"
        )
    for step in EVERY_REQUEST:
        step(ctx)
    return ctx


def _fault() -> str:
    """The innermost frame and the exception being handled, in one line."""
    error = sys.exc_info()[1]
    frames = traceback.extract_tb(error.__traceback__ if error else None)
    where = f" at {frames[-1].filename}:{frames[-1].lineno}" if frames else ""
    return f"{type(error).__name__}: {str(error)[:300]}{where}"


def wire(ctx: RequestContext) -> tuple[int, list[tuple[str, str]], bytes]:
    """The answer as it goes on the wire: API Gateway's headers with the Content-Length a
    server sends, and no body for HEAD."""
    status, body = ctx.status, ctx.response_body
    headers = list(ctx.response_headers)
    if status not in (204, 304) and status >= 200:
        headers.append(("Content-Length", str(len(body))))
    return status, headers, b"" if ctx.method == "HEAD" else body


def wsgi_app(
    services: Services, environ: dict[str, Any], start_response: StartResponse
) -> Iterable[bytes]:
    """The gateway as a WSGI application: paths are `/{stage}/{resource path}`. The answer is
    written as the pipeline made it, without a werkzeug Response in between."""
    status, headers, body = wire(handle(services, environ))
    start_response(f"{status} {HTTP_STATUS_CODES.get(status, 'UNKNOWN')}", headers)
    return [body]
