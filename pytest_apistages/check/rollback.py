"""Rollback readiness: the deployment `gw.rollback(stage)` would restore, and what in it would
fail with the stage's variables and the functions of today."""

from __future__ import annotations

from ..gateway import Gateway
from ..model import Deployment
from .breaks import Break, breaks


def rollback_target(gateway: Gateway, stage: str) -> Deployment | None:
    """The deployment a rollback of `stage` restores: the latest in its history that is not
    the one it serves and still exists, as `Gateway.rollback` picks it; None when there is
    none (nothing to roll back to)."""
    current = gateway.stage(stage)
    existing = {d.id: d for d in gateway.deployments}
    for deployment_id in reversed(current.history):
        if deployment_id != current.deployment_id and deployment_id in existing:
            return existing[deployment_id]
    return None


def rollback_breaks(gateway: Gateway, stage: str) -> tuple[Deployment | None, list[Break]]:
    """The rollback target of `stage` and each thing in it that would fail today. The canary,
    which a rollback does not move, is not concerned."""
    target = rollback_target(gateway, stage)
    if target is None:
        return None, []
    variables = gateway.stage(stage).variables
    return target, list(breaks(target.api, variables, gateway.functions))
