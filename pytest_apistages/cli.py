"""The `apistages` command: check a config file and show what it declares."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from importlib import metadata
from pathlib import Path

import yaml

from .errors import ConfigError, NotFoundError
from .functions import FunctionNotFound
from .gateway import Gateway
from .model import ALL_METHODS
from .sources.export import openapi_document
from .sources.load import load_file


def _version() -> str:
    try:
        return metadata.version("pytest-apistages")
    except metadata.PackageNotFoundError:  # run from a source tree that is not installed
        return "(not installed)"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="apistages", description=__doc__)
    parser.add_argument("--version", action="version", version=f"%(prog)s {_version()}")
    commands = parser.add_subparsers(dest="command", required=True)
    check = commands.add_parser("check", help="validate a config file and summarise it")
    check.add_argument("config", nargs="?", default="apistages.yaml")
    routes = commands.add_parser("routes", help="list each stage's routes and where they go")
    routes.add_argument("config", nargs="?", default="apistages.yaml")
    _add_export(commands)
    args = parser.parse_args(argv)
    if args.command == "export":
        return export(args.config, args.stage, args.output, args.format)
    try:
        loaded = load_file(args.config)
        gateway = Gateway.from_config(loaded)
    except ConfigError as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    if args.command == "check":
        n_routes, n_deployments = len(loaded.definition.routes), len(gateway.deployments)
        print(f"{args.config}: OK - api {loaded.name} ({gateway.api_id}), {n_routes} routes, "
              f"{n_deployments} deployments")  # fmt: skip
        warnings = (
            unresolved_functions(gateway)
            + unmatched_method_settings(gateway)
            + unmatched_plan_throttles(gateway)
        )
        for warning in warnings:
            print(f"  warning: {warning}")
        for stage in gateway.stages.values():
            pending = gateway.pending_changes(stage.name)
            note = f", {len(pending)} undeployed change(s)" if pending else ""
            print(f"  stage {stage.name}: deployment {stage.deployment_id}, "
                  f"history {' -> '.join(stage.history)}{note}")  # fmt: skip
        return 0
    for stage in gateway.stages.values():
        deployment = gateway.deployment(stage.deployment_id)
        print(f"{stage.name} (deployment {deployment.id}):")
        for key, route in deployment.api.routes.items():
            print(f"  {key:<32} {route.integration.describe()}")
    return 0


def _add_export(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser(
        "export",
        help="write the API a stage serves as an OpenAPI 3.0 document",
        description="Write the deployment a stage serves as an OpenAPI 3.0.1 document with API "
        "Gateway's extensions, in the shape API Gateway's own export writes: it imports into "
        "API Gateway, or back into a config.",
    )
    parser.add_argument(
        "config", nargs="?", default="apistages.yaml", help="the config file (default: %(default)s)"
    )
    parser.add_argument("--stage", required=True, help="the stage whose deployment is exported")
    parser.add_argument(
        "--output", metavar="FILE", help="write the document to FILE (default: standard output)"
    )
    parser.add_argument(
        "--format", choices=("yaml", "json"), default="yaml", help="default: %(default)s"
    )


def export(config: str, stage: str, output: str | None, fmt: str) -> int:
    """`apistages export`: 0, or 2 with one line on stderr for a config, stage or file error."""
    try:
        gateway = Gateway.from_file(config)
    except ConfigError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    try:
        served = gateway.stage(stage)
    except NotFoundError:
        known = ", ".join(gateway.stages) or "none"
        print(f"error: {config} has no stage {stage!r} (stages: {known})", file=sys.stderr)
        return 2
    api = gateway.deployment(served.deployment_id).api
    document = openapi_document(
        api, title=api.name, stage=stage, region=gateway.region, api_id=gateway.api_id,
        account_id=gateway.functions.account_id,
    )  # fmt: skip
    if fmt == "json":
        text = json.dumps(document, indent=2) + "\n"
    else:
        text = yaml.safe_dump(document, sort_keys=False)
    if output is None:
        sys.stdout.write(text)
        return 0
    try:
        Path(output).write_text(text, encoding="utf-8")
    except OSError as e:
        print(f"error: cannot write {output}: {e.strerror or e}", file=sys.stderr)
        return 2
    print(f"{output}: stage {stage}, {len(api.routes)} routes in {len(document['paths'])} paths")
    return 0


def unresolved_functions(gateway: Gateway) -> list[str]:
    """Function references (without stage variables) that name no declared function, version
    or alias. AWS accepts them and fails at request time with a 500; a hook may still register
    the function, so these are warnings."""
    warnings = []
    for deployment in gateway.deployments:
        for key, route in deployment.api.routes.items():
            integration = route.integration
            if integration.type != "AWS_PROXY" or "${" in integration.target:
                continue
            try:
                gateway.functions.resolve(integration.target)
            except FunctionNotFound as e:
                warnings.append(f"deployment {deployment.id}: {key}: {e}")
    return list(dict.fromkeys(warnings))


def unmatched_method_settings(gateway: Gateway) -> list[str]:
    """Method settings for a route the stage does not serve: likely a typo (AWS accepts them)."""
    warnings = []
    for stage in gateway.stages.values():
        routes = gateway.deployment(stage.deployment_id).api.routes
        for key in stage.settings.method_settings:
            if key != ALL_METHODS and key not in routes:
                warnings.append(
                    f"stage {stage.name}: method_settings {key!r} names no route it serves"
                )
    return warnings


def unmatched_plan_throttles(gateway: Gateway) -> list[str]:
    """A usage plan's method throttle for a route the stage does not serve never applies."""
    warnings = []
    for plan in gateway.usage_plans.all():
        for stage in plan.stages:
            routes = gateway.deployment(gateway.stage(stage).deployment_id).api.routes
            for key in {**plan.stage_throttles.get(stage, {}), **plan.method_throttles}:
                if key not in routes:
                    warnings.append(
                        f"usage plan {plan.name}: stage {stage}: method throttle {key!r} names "
                        f"no route it serves"
                    )
    return list(dict.fromkeys(warnings))


if __name__ == "__main__":
    sys.exit(main())
