"""Assertion helpers whose failure messages show the request beside what served it."""

from __future__ import annotations

from typing import Any

from .gateway import Gateway, StageClient
from .records import Invocation


def assert_routes_to(
    api: StageClient,
    request: str,
    *,
    route: str | None = None,
    target: str | None = None,
    version: str | None = None,
    deployment: str | None = None,
    status: int | None = None,
    **request_kwargs: Any,
) -> Invocation:
    """Send `request` ("GET /pets/1") through `api` and check what served it; returns the record.

    Every keyword given must match the invocation record (route key, integration target after
    stage-variable substitution, function version, deployment id, HTTP status)."""
    __tracebackhide__ = True
    method, _, path = request.strip().partition(" ")
    if not path:
        raise ValueError(f"assert_routes_to: write the request as 'VERB /path', got {request!r}")
    response = api.open(path, method=method.upper(), **request_kwargs)
    record = served_by(api.gateway, response.headers.get("x-amzn-RequestId", ""))
    expected = {
        "route": route,
        "target": target,
        "version": version,
        "deployment_id": deployment,
        "status": status,
    }
    wrong = {
        name: (want, getattr(record, name))
        for name, want in expected.items()
        if want is not None and getattr(record, name) != want
    }
    assert not wrong, _routing_message(api, request, record, wrong)
    return record


def assert_no_pending_changes(gateway: Gateway, stage: str) -> None:
    """The stage serves exactly the working API: nothing edited since the last deploy."""
    __tracebackhide__ = True
    changes = gateway.pending_changes(stage)
    served = gateway.stage(stage).deployment_id
    assert not changes, (
        f"stage {stage!r} (deployment {served}) does not serve the working API; "
        f"{len(changes)} undeployed change(s):\n" + "\n".join(f"  - {c}" for c in changes)
    )


def served_by(gateway: Gateway, request_id: str) -> Invocation:
    """The invocation record of a response, by its x-amzn-RequestId header."""
    for record in reversed(gateway.invocations()):
        if record.request_id == request_id:
            return record
    raise LookupError(f"no invocation record with request id {request_id!r}")


def _routing_message(
    api: StageClient, request: str, record: Invocation, wrong: dict[str, tuple[Any, Any]]
) -> str:
    gw = api.gateway
    lines = [f"{request} on stage {api.stage!r} was not served as expected:"]
    lines += [f"  {name}: expected {want!r}, got {got!r}" for name, (want, got) in wrong.items()]
    lines.append(f"  served by: {record.describe()}")
    if api.stage in gw.stages:
        deployment = gw.deployment(gw.stage(api.stage).deployment_id)
        lines.append(f"  routes in deployment {deployment.id}:")
        lines += [
            f"    {key} -> {r.integration.describe()}" for key, r in deployment.api.routes.items()
        ]
        if record.stage_variables:
            variables = ", ".join(f"{k}={v}" for k, v in record.stage_variables.items())
            lines.append(f"  stage variables: {variables}")
    return "\n".join(lines)
