"""Test AWS API Gateway stages, deployments, stage variables and rollbacks in-process."""

import logging

from .clients import StageClient
from .errors import ApiStagesError, BadRequestError, ConfigError, NotFoundError
from .gateway import Gateway
from .model import ApiDefinition, Deployment, Integration, Route, Stage
from .observe.records import Invocation

# A library logs; the application (or pytest) decides where the lines go.
logging.getLogger("pytest_apistages").addHandler(logging.NullHandler())

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
