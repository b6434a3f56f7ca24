"""The stages as their requests see them: each stage (its deployment with its variables) and
its canary (the canary's deployment with the variables its overrides overlay)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass

from ..gateway import Gateway
from ..model import ApiDefinition, Stage
from ..sources.config import CURRENT, LoadedConfig


@dataclass(frozen=True)
class View:
    """A stage as one share of its requests sees it: the stage itself, or its canary."""

    stage: Stage
    deployment_id: str
    definition: ApiDefinition
    variables: Mapping[str, str]
    canary: bool

    @property
    def who(self) -> str:
        return (
            f"the canary of stage {self.stage.name}" if self.canary else f"stage {self.stage.name}"
        )


def views(gateway: Gateway) -> Iterator[View]:
    """Each stage, then its canary when it has one."""
    for stage in gateway.stages.values():
        yield View(
            stage, stage.deployment_id, gateway.deployment(stage.deployment_id).api,
            stage.variables, False,
        )  # fmt: skip
        if stage.canary is not None:
            canary = stage.canary
            yield View(
                stage, canary.deployment_id, gateway.deployment(canary.deployment_id).api,
                canary.stage_variables(stage.variables), True,
            )  # fmt: skip


def deployment_label(loaded: LoadedConfig, deployment_id: str) -> str:
    """A deployment as the user knows it: its declared id, or the current definition."""
    if deployment_id in loaded.deployments and deployment_id != CURRENT:
        return f"deployment {deployment_id}"
    return "the current definition"


def served_definitions(gateway: Gateway) -> dict[str, ApiDefinition]:
    """Each deployment some stage or canary serves, by id."""
    served = {}
    for view in views(gateway):
        served[view.deployment_id] = view.definition
    return served


def cached(stage: Stage, key: str) -> bool:
    effective = stage.settings.for_route(key)
    return (
        stage.settings.cache_cluster_enabled
        and effective.caching_enabled
        and (effective.cache_ttl > 0)
    )
