"""A stage's response cache and the step that uses it: entries keyed by deployment, method,
resource and the declared cache-key parameters, each living `ttl` seconds on the gateway's
clock."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass

from werkzeug.wrappers import Response

from . import errors
from .context import GatewayFailure, RequestContext
from .events import parse_query

MAX_ENTRY_BYTES = 1_048_576
# The wording is ours: AWS's exact warning text is not documented.
UNAUTHORIZED_WARNING = '199 - "Cache-Control: max-age=0 ignored: the caller may not invalidate"'


@dataclass(frozen=True)
class CachedResponse:
    status: int
    headers: tuple[tuple[str, str], ...]
    body: bytes
    expires: float


class StageCaches:
    """Each stage's cache cluster, created on first use; safe to call from the live server's
    threads."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._entries: dict[str, dict[tuple[str, ...], CachedResponse]] = {}
        self._flushes: dict[str, int] = {}

    def get(
        self, stage: str, key: tuple[str, ...], now: float
    ) -> tuple[CachedResponse | None, int]:
        """The live entry, if any, and the stage's flush count to hand back to `put`."""
        with self._lock:
            entries = self._entries.get(stage, {})
            entry = entries.get(key)
            if entry is not None and entry.expires <= now:
                del entries[key]
                entry = None
            return entry, self._flushes.get(stage, 0)

    def put(self, stage: str, key: tuple[str, ...], entry: CachedResponse, flushes: int) -> bool:
        """Store unless the body is over API Gateway's 1 MB limit, or the cache was flushed
        since the request looked (its answer may predate the flush); True when stored."""
        if len(entry.body) > MAX_ENTRY_BYTES:
            return False
        with self._lock:
            if self._flushes.get(stage, 0) != flushes:
                return False
            self._entries.setdefault(stage, {})[key] = entry
        return True

    def flush(self, stage: str) -> None:
        with self._lock:
            self._entries.pop(stage, None)
            self._flushes[stage] = self._flushes.get(stage, 0) + 1


def serve(ctx: RequestContext, integrate: Callable[[RequestContext], Response]) -> Response:
    """Answer from the stage cache when the method caches, else integrate (and store).

    `Cache-Control: max-age=0` refreshes the entry when the caller may invalidate: always when
    authorization is not required, else only for a signed (IAM) request; an unauthorized one
    is handled per `unauthorizedCacheControlHeaderStrategy`."""
    assert ctx.stage is not None and ctx.match is not None and ctx.settings is not None
    settings, gw = ctx.settings, ctx.gateway
    canary = ctx.stage.canary
    uses_cache = (
        ctx.stage.settings.cache_cluster_enabled
        and settings.caching_enabled
        and settings.cache_ttl > 0
        and not (ctx.canary and canary is not None and not canary.use_stage_cache)
    )
    if not uses_cache:
        return integrate(ctx)
    key = cache_key(ctx)
    refresh = _asks_to_invalidate(ctx.header("Cache-Control"))
    warning = None
    if refresh and settings.require_authorization_for_cache_control and not _signed(ctx):
        strategy = settings.unauthorized_cache_control_strategy
        if strategy == "FAIL_WITH_403":
            raise GatewayFailure(
                errors.CACHE_INVALIDATION_DENIED,
                "Unauthorized request to invalidate the cache (Cache-Control: max-age=0)",
            )
        refresh = False
        if strategy == "SUCCEED_WITH_RESPONSE_HEADER":
            warning = UNAUTHORIZED_WARNING
    now = gw.clock.now()
    entry, flushes = gw.caches.get(ctx.stage_name, key, now)
    if refresh:
        entry = None
    if entry is not None:
        ctx.cache_hit = True
        ctx.note("Serving the response from the cache")
        response = Response(entry.body, status=entry.status, headers=list(entry.headers))
    else:
        ctx.cache_miss = True
        response = integrate(ctx)
        stored = CachedResponse(
            response.status_code,
            tuple(response.headers.items()),
            response.get_data(),
            now + settings.cache_ttl,
        )
        gw.caches.put(ctx.stage_name, key, stored, flushes)
    if warning:
        response.headers["Warning"] = warning
    return response


def cache_key(ctx: RequestContext) -> tuple[str, ...]:
    """Deployment, method and resource (the default cacheNamespace), plus the values of the
    integration's cacheKeyParameters; other parameters do not split entries."""
    assert ctx.match is not None and ctx.deployment is not None
    route = ctx.match.route
    parts = [ctx.deployment.id, ctx.method, route.path]
    query = parse_query(ctx.query_string)
    for parameter in route.integration.cache_key_parameters:
        kind, _, name = parameter.removeprefix("method.request.").partition(".")
        if kind == "querystring":
            value = ",".join(v for k, v in query if k == name)
        elif kind == "header":
            value = ctx.header(name) or ""
        else:
            value = ctx.match.path_parameters.get(name, "")
        parts.append(f"{parameter}={value}")
    return tuple(parts)


def _asks_to_invalidate(cache_control: str | None) -> bool:
    """`Cache-Control: max-age=0` (directive names are case-insensitive, and other directives
    may come with it); `max-age=05` or `s-maxage=0` do not ask for a fresh answer."""
    for directive in (cache_control or "").split(","):
        name, _, argument = directive.partition("=")
        if name.strip().lower() == "max-age":
            argument = argument.strip().strip('"')
            return argument.isdigit() and int(argument) == 0
    return False


def _signed(ctx: RequestContext) -> bool:
    """An IAM-signed request (the signature is not verified: there is no IAM here)."""
    return (ctx.header("Authorization") or "").startswith("AWS4-HMAC-SHA256")
