"""Invocation records: what served each request, for assertions, hooks and the summary."""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from .model import frozen_map

if TYPE_CHECKING:
    from .context import RequestContext


@dataclass(frozen=True)
class Invocation:
    """One request as the gateway saw it. `route` is None when nothing matched."""

    request_id: str
    stage: str
    method: str
    path: str
    deployment_id: str | None
    canary: bool
    canary_percent: float | None
    route: str | None
    path_parameters: Mapping[str, str]
    stage_variables: Mapping[str, str]
    integration: str | None
    target: str | None
    version: str | None
    status: int
    latency_ms: float
    integration_latency_ms: float
    cache_hit: bool
    cache_miss: bool
    throttled: bool
    api_key_id: str | None
    error: str | None
    timestamp: float

    @classmethod
    def from_context(cls, ctx: RequestContext, status: int, error: str | None) -> Invocation:
        match = ctx.match
        return cls(
            request_id=ctx.request_id,
            stage=ctx.stage_name,
            method=ctx.method,
            path=ctx.path,
            deployment_id=ctx.deployment.id if ctx.deployment else None,
            canary=ctx.canary,
            canary_percent=ctx.stage.canary.percent if ctx.stage and ctx.stage.canary else None,
            route=match.route.key if match else None,
            path_parameters=frozen_map(match.path_parameters if match else {}),
            stage_variables=frozen_map(ctx.variables),
            integration=match.route.integration.type if match else None,
            target=ctx.target,
            version=ctx.version,
            status=status,
            latency_ms=(time.perf_counter() - ctx.timer) * 1000,
            integration_latency_ms=ctx.integration_ms,
            cache_hit=ctx.cache_hit,
            cache_miss=ctx.cache_miss,
            throttled=ctx.throttled,
            api_key_id=ctx.api_key.id if ctx.api_key else None,
            error=error,
            timestamp=ctx.started,
        )

    def describe(self) -> str:
        """One line for failure messages: what served the request."""
        served = f"route {self.route}" if self.route else "no route"
        parts = [f"{self.method} {self.path} on stage {self.stage}: {served}"]
        if self.deployment_id:
            parts.append(f"deployment {self.deployment_id}" + (" (canary)" if self.canary else ""))
        if self.target:
            parts.append(f"target {self.target}")
        if self.version:
            parts.append(f"version {self.version}")
        if self.cache_hit:
            parts.append("from the cache")
        if self.throttled:
            parts.append("throttled")
        parts.append(f"status {self.status}")
        return ", ".join(parts)
