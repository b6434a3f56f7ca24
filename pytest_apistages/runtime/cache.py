"""A stage's response cache and the steps that use it: entries keyed by deployment, method,
resource and the declared cache-key parameters, each living `ttl` seconds on the gateway's
clock."""

from __future__ import annotations

import threading
from dataclasses import dataclass

from .. import errors
from .context import GatewayFailure, RequestContext
from .request import parse_query

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


def cache_lookup(ctx: RequestContext) -> None:
    """Answer from the stage cache when the method caches and holds a live entry.

    `Cache-Control: max-age=0` refreshes the entry when the caller may invalidate: always when
    authorization is not required, else only for a signed (IAM) request; an unauthorized one
    is handled per `unauthorizedCacheControlHeaderStrategy`."""
    if not _uses_cache(ctx):
        return
    assert ctx.settings is not None
    settings = ctx.settings
    ctx.cache_key = cache_key(ctx)
    refresh = _asks_to_invalidate(ctx.header("Cache-Control"))
    if refresh and settings.require_authorization_for_cache_control and not _signed(ctx):
        strategy = settings.unauthorized_cache_control_strategy
        if strategy == "FAIL_WITH_403":
            raise GatewayFailure(
                errors.CACHE_INVALIDATION_DENIED,
                "Unauthorized request to invalidate the cache (Cache-Control: max-age=0)",
            )
        refresh = False
        if strategy == "SUCCEED_WITH_RESPONSE_HEADER":
            ctx.cache_warning = UNAUTHORIZED_WARNING
    entry, ctx.cache_flushes = ctx.services.caches.get(
        ctx.stage_name, ctx.cache_key, ctx.services.clock.now()
    )
    if entry is None or refresh:
        ctx.cache_miss = True
        return
    ctx.cache_hit = ctx.answered = True
    ctx.note("Serving the response from the cache")
    ctx.status, ctx.response_headers, ctx.response_body = (
        entry.status, list(entry.headers), entry.body,
    )  # fmt: skip
    _warn(ctx)


def cache_store(ctx: RequestContext) -> None:
    """Keep the integration's answer for the method's TTL (not over 1 MB, and not when the
    cache was flushed since the lookup)."""
    if ctx.cache_key is None:
        return
    assert ctx.settings is not None
    stored = CachedResponse(
        ctx.status,
        tuple(ctx.response_headers),
        ctx.response_body,
        ctx.services.clock.now() + ctx.settings.cache_ttl,
    )
    ctx.services.caches.put(ctx.stage_name, ctx.cache_key, stored, ctx.cache_flushes)
    _warn(ctx)


def _uses_cache(ctx: RequestContext) -> bool:
    assert ctx.served is not None and ctx.settings is not None
    settings, canary = ctx.settings, ctx.served.stage.canary
    return (
        ctx.served.stage.settings.cache_cluster_enabled
        and settings.caching_enabled
        and settings.cache_ttl > 0
        and not (ctx.canary and canary is not None and not canary.use_stage_cache)
    )


def _warn(ctx: RequestContext) -> None:
    if ctx.cache_warning:
        ctx.response_headers.append(("Warning", ctx.cache_warning))


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
