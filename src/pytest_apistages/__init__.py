"""Test AWS API Gateway stages, deployments, stage variables and rollbacks in-process."""

from .errors import ApiStagesError, BadRequestError, ConfigError, NotFoundError
from .gateway import Gateway, StageClient
from .model import ApiDefinition, Deployment, Integration, Route, Stage
from .records import Invocation

__all__ = [
    "ApiDefinition",
    "ApiStagesError",
    "BadRequestError",
    "ConfigError",
    "Deployment",
    "Gateway",
    "Integration",
    "Invocation",
    "NotFoundError",
    "Route",
    "Stage",
    "StageClient",
]
