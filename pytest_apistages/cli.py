"""The `apistages` command: check a config, show what its stages serve, compare deployments,
serve it over HTTP, export a stage as OpenAPI.

Exit codes: 0 clean; 1 for findings at or above `--fail-on` (check) or differences (diff);
2 for unusable input (a config error, an unknown file, stage or deployment, bad options)."""

from __future__ import annotations

import argparse
import io
import json
import os
import signal
import sys
import threading
from collections.abc import Callable, Sequence
from contextlib import ExitStack, redirect_stderr
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from types import FrameType
from typing import Any, TextIO, TypeAlias

import yaml

from .check import formats
from .check.discovery import DiscoveryError, discover
from .check.findings import Finding, at_least
from .check.rules import run_checks
from .diff import definition_changes
from .errors import ApiStagesError, NotFoundError, did_you_mean
from .functions import FunctionNotFound, Functions, parse_reference
from .gateway import Gateway
from .model import STAGE_VARIABLE, ApiDefinition, Route, Stage
from .observe.records import Invocation
from .sources.config import CURRENT, LoadedConfig
from .sources.export import openapi_document
from .sources.load import load_file

CONFIG_HELP = (
    "apistages.yaml, a SAM or CloudFormation template, or an OpenAPI file (default: "
    "apistages.yaml in pytest's rootdir, else here; unless pytest's ini file, found from here "
    "upwards as pytest finds it, sets apistages_config, a path relative to that file)"
)


class Unusable(Exception):
    """Input the command cannot work with: one line on stderr, exit 2."""


def _version() -> str:
    try:
        return metadata.version("pytest-apistages")
    except metadata.PackageNotFoundError:  # run from a source tree that is not installed
        return "(not installed)"


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    command: Callable[[argparse.Namespace], int] = args.run
    try:
        return command(args)
    except Unusable as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # `apistages routes | head`
        sys.stderr.close()
        return 0
    except KeyboardInterrupt:  # Ctrl-C while loading
        return 130


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="apistages", description=__doc__)
    parser.add_argument("--version", action="version", version=f"%(prog)s {_version()}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    _add_check(commands)
    _add_routes(commands)
    _add_diff(commands)
    _add_serve(commands)
    _add_export(commands)
    return parser


Commands: TypeAlias = "argparse._SubParsersAction[argparse.ArgumentParser]"


def _command(commands: Commands, name: str, help: str, description: str) -> argparse.ArgumentParser:
    parser = commands.add_parser(
        name, help=help, description=description,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )  # fmt: skip
    parser.add_argument("config", nargs="?", metavar="CONFIG", help=CONFIG_HELP)
    return parser


# -- loading -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Loaded:
    config: LoadedConfig
    gateway: Gateway
    shown: str  # the config's path as messages show it


def load(config: str | None) -> Loaded:
    """The config named on the command line, or found as the plugin finds it; any problem is
    `Unusable` with one line saying what and where."""
    cwd = Path.cwd()
    if config is None:
        try:
            found = discover(cwd)
        except DiscoveryError as e:
            raise Unusable(str(e)) from None
        path, shown = found.path, _relative(found.path, cwd)
        if not path.is_file():
            raise Unusable(
                f"{shown}: file not found (looked for {found.origin}); give the config file "
                f"as CONFIG"
            )
    else:
        path, shown = Path(config), config
        if not path.is_file():
            what = "is a folder, not a file" if path.is_dir() else "file not found"
            raise Unusable(f"{config}: {what}")
    try:
        loaded = load_file(path, shown_as=shown)
        return Loaded(loaded, Gateway.from_config(loaded), shown)
    except ApiStagesError as e:  # ConfigError, and whatever the gateway refuses
        raise Unusable(str(e)) from None


def _relative(path: Path, start: Path) -> str:
    try:
        return str(path.resolve().relative_to(start.resolve()))
    except ValueError:
        return str(path)


def _stage(loaded: Loaded, name: str) -> Stage:
    try:
        return loaded.gateway.stage(name)
    except NotFoundError:
        known = list(loaded.gateway.stages)
        raise Unusable(
            f"{loaded.shown} has no stage {name!r}{did_you_mean(name, known)} "
            f"(stages: {', '.join(known) or 'none'})"
        ) from None


# -- check -------------------------------------------------------------------------------------


def _add_check(commands: Commands) -> None:
    parser = _command(
        commands, "check", "run the contract checks on a config and report the findings",
        "Load the config as the tests would, run the checks on each stage and canary, and "
        "report each finding with its rule, severity, file, line and fix.\n\n"
        "exit codes: 0 no finding at or above --fail-on, 1 findings at or above it, 2 the "
        "config cannot be used (unreadable, not found, invalid) or bad options",
    )  # fmt: skip
    parser.add_argument(
        "--format", choices=("text", "json", "github", "sarif"), default="text",
        help="text (grouped by stage, coloured on a terminal unless NO_COLOR is set), json, "
        "github (workflow annotations) or sarif (2.1.0, for code scanning); default: "
        "%(default)s",
    )  # fmt: skip
    parser.add_argument(
        "--fail-on", choices=("error", "warning", "note"), default="error",
        help="exit 1 when a finding is this severe or worse (default: %(default)s)",
    )  # fmt: skip
    parser.add_argument(
        "--stage", action="append", metavar="S",
        help="report only this stage's findings, and those about no one stage (repeatable; "
        "default: every stage)",
    )  # fmt: skip
    parser.set_defaults(run=check)


def check(args: argparse.Namespace) -> int:
    loaded = load(args.config)
    for name in args.stage or ():
        _stage(loaded, name)
    findings = [
        *run_checks(loaded.config, loaded.gateway),
        *formats.notice_findings(loaded.config.notices, loaded.shown),
    ]
    if args.stage:
        findings = [f for f in findings if f.stage is None or f.stage in args.stage]
    sys.stdout.write(_render(args.format, findings, loaded, args.stage))
    return 1 if any(at_least(f.severity, args.fail_on) for f in findings) else 0


def _render(fmt: str, findings: list[Finding], loaded: Loaded, only: list[str] | None) -> str:
    if fmt == "json":
        return formats.as_json(findings, config=loaded.shown)
    if fmt == "github":
        return formats.github(findings, config=loaded.shown)
    if fmt == "sarif":
        return formats.sarif(findings, tool_version=_version())
    gateway = loaded.gateway
    stages = {
        name: _stage_heading(gateway, stage)
        for name, stage in gateway.stages.items()
        if not only or name in only
    }
    routes, deployments = len(loaded.config.definition.routes), len(gateway.deployments)
    headline = (
        f"{loaded.shown}: api {loaded.config.name} ({gateway.api_id}), "
        f"{_plural(routes, 'route')}, {_plural(deployments, 'deployment')}"
    )
    return formats.text(
        findings, config=loaded.shown, headline=headline, stages=stages, colour=_colour()
    )


def _plural(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"


def _stage_heading(gateway: Gateway, stage: Stage) -> str:
    pending = gateway.pending_changes(stage.name)
    heading = f"deployment {stage.deployment_id}, history {' -> '.join(stage.history)}"
    if stage.canary is not None:
        heading += f", canary {stage.canary.percent:g}% on {stage.canary.deployment_id}"
    if pending:
        heading += f", {_plural(len(pending), 'undeployed change')}"
    return heading


def _colour(stream: TextIO | None = None) -> bool:
    """Colour only on a terminal, and never with NO_COLOR set (no-color.org)."""
    stream = stream or sys.stdout
    return stream.isatty() and not os.environ.get("NO_COLOR")


# -- routes ------------------------------------------------------------------------------------


def _add_routes(commands: Commands) -> None:
    parser = _command(
        commands, "routes", "list what each stage serves and where each route goes",
        "For each stage (and its canary): each route of the deployment it serves, sorted by "
        "path then method, with its integration target once the stage variables are "
        "substituted (a function as function:alias -> version, with the alias's weights) and "
        "the settings that apply (throttle rate/burst, cache and its TTL, API key required).",
    )  # fmt: skip
    parser.add_argument(
        "--stage", action="append", metavar="S",
        help="only this stage (repeatable; default: every stage)",
    )  # fmt: skip
    parser.add_argument(
        "--format", choices=("text", "json"), default="text", help="default: %(default)s"
    )
    parser.set_defaults(run=routes)


def routes(args: argparse.Namespace) -> int:
    loaded = load(args.config)
    names = args.stage or list(loaded.gateway.stages)
    views = [_stage_view(loaded.gateway, _stage(loaded, name)) for name in names]
    if args.format == "json":
        document = {"version": 1, "config": loaded.shown, "stages": views}
        sys.stdout.write(json.dumps(document, indent=2) + "\n")
        return 0
    for view in views:
        sys.stdout.write(_routes_text(view))
    return 0


def _stage_view(gateway: Gateway, stage: Stage) -> dict[str, Any]:
    served = gateway.deployment(stage.deployment_id).api.routes
    canary, canary_routes, canary_variables = stage.canary, {}, {}
    if canary is not None:
        canary_routes = dict(gateway.deployment(canary.deployment_id).api.routes)
        canary_variables = canary.stage_variables(stage.variables)
    keys = sorted({*served, *canary_routes}, key=route_order)
    routes = []
    for key in keys:
        route, canary_route = served.get(key), canary_routes.get(key)
        any_route = route or canary_route
        assert any_route is not None
        view: dict[str, Any] = {
            "route": key,
            "integration": _target(gateway.functions, route, stage.variables),
            "settings": _settings(stage, any_route),
        }
        if canary is not None:
            view["canary"] = _target(gateway.functions, canary_route, canary_variables)
        routes.append(view)
    return {
        "stage": stage.name,
        "deployment": stage.deployment_id,
        "variables": dict(stage.variables),
        "canary": None if canary is None else {
            "percent": canary.percent, "deployment": canary.deployment_id,
            "variables": dict(canary.variables),
        },
        "routes": routes,
    }  # fmt: skip


def route_order(key: str) -> tuple[str, str]:
    method, _, path = key.partition(" ")
    return path, method


def _target(
    functions: Functions, route: Route | None, variables: dict[str, str] | Any
) -> dict[str, Any] | None:
    """Where a route goes with these stage variables (None: the deployment lacks it)."""
    if route is None:
        return None
    integration = route.integration
    target, undefined = substituted(integration.target, variables)
    view: dict[str, Any] = {"type": integration.type, "target": target}
    if integration.type == "MOCK":
        view["target"] = integration.describe()
    if undefined:
        view["undefined_variables"] = undefined
    elif integration.type in ("AWS_PROXY", "AWS"):
        view["function"] = function_view(functions, target)
    return view


def substituted(text: str, variables: Any) -> tuple[str, list[str]]:
    """`text` with `${stageVariables.x}` replaced; the undefined ones stay, and are named."""
    undefined: list[str] = []

    def value(match: Any) -> str:
        name = match.group(1)
        if name in variables:
            return str(variables[name])
        undefined.append(name)
        return str(match.group(0))

    return STAGE_VARIABLE.sub(value, text), list(dict.fromkeys(undefined))


def function_view(functions: Functions, reference: str) -> dict[str, Any]:
    """The function a reference names, and the version (or versions, by weight) that run;
    `error` says what does not exist."""
    try:
        name, qualifier = parse_reference(reference)
    except FunctionNotFound as e:
        return {"error": str(e)}
    view: dict[str, Any] = {"name": name, "qualifier": qualifier}
    try:
        versions, aliases = functions.versions(name), functions.aliases(name)
    except FunctionNotFound:
        try:
            functions.resolve(name)
        except FunctionNotFound as e:  # its message has the did-you-mean
            return {**view, "error": str(e)}
        raise
    if qualifier is None or qualifier == "$LATEST":
        return {**view, "version": "$LATEST"}
    if qualifier in versions:
        return {**view, "version": qualifier}
    if qualifier in aliases:
        alias = aliases[qualifier]
        weights = {v: w for v, w in alias.weights.items()}
        if weights:
            weights = {alias.version: round(1 - sum(weights.values()), 6), **weights}
        return {**view, "alias": qualifier, "version": alias.version, "weights": weights}
    known = [*versions, *aliases]
    return {
        **view,
        "error": f"{name} has no version or alias {qualifier!r}{did_you_mean(qualifier, known)}"
        f" (versions and aliases: {', '.join(known) or 'none'})",
    }


def _settings(stage: Stage, route: Route) -> dict[str, Any]:
    effective = stage.settings.for_route(route.key)
    cached = (
        stage.settings.cache_cluster_enabled
        and effective.caching_enabled
        and effective.cache_ttl > 0
    )
    return {
        "throttle": {"rate": effective.throttling_rate, "burst": effective.throttling_burst},
        "cache": {"enabled": cached, "ttl": effective.cache_ttl if cached else None},
        "api_key_required": route.api_key_required,
    }


def _routes_text(view: dict[str, Any]) -> str:
    heading = f"stage {view['stage']} (deployment {view['deployment']})"
    if view["variables"]:
        heading += ": variables " + _pairs(view["variables"])
    lines = [heading]
    canary = view["canary"]
    if canary is not None:
        overrides = f", overrides {_pairs(canary['variables'])}" if canary["variables"] else ""
        lines.append(f"  canary: {canary['percent']:g}% to deployment {canary['deployment']}"
                     f"{overrides}")  # fmt: skip
    width = max((len(r["route"]) for r in view["routes"]), default=0)
    targets = [_target_text(r["integration"]) for r in view["routes"]]
    target_width = max((len(t) for t in targets), default=0)
    for route, target in zip(view["routes"], targets, strict=True):
        lines.append(f"  {route['route']:<{width}}  {target:<{target_width}}  "
                     f"{_settings_text(route['settings'])}".rstrip())  # fmt: skip
        if canary is not None:
            lines.append(f"  {'':<{width}}  canary: {_target_text(route['canary'])}")
    if not view["routes"]:
        lines.append("  (no routes)")
    return "\n".join(lines) + "\n"


def _pairs(values: dict[str, str]) -> str:
    return ", ".join(f"{k}={v}" for k, v in sorted(values.items()))


def _target_text(target: dict[str, Any] | None) -> str:
    if target is None:
        return "(not in this deployment)"
    if target["type"] == "MOCK":
        return str(target["target"])
    text = f"{target['type']} {target['target']}"
    if "undefined_variables" in target:
        return f"{text} (undefined stage variable: {', '.join(target['undefined_variables'])})"
    function = target.get("function")
    if function is None:
        return text
    if "error" in function:
        return f"{target['type']} {target['target']} ({function['error']})"
    name = function["name"]
    ref = f"{name}:{function['qualifier']}" if function["qualifier"] else name
    if function.get("alias") is None:
        shown = ref if function["qualifier"] not in (None, "$LATEST") else f"{name} -> $LATEST"
        return f"{target['type']} {shown}"
    if function["weights"]:
        split = ", ".join(f"{v} ({w:.0%})" for v, w in function["weights"].items())
        return f"{target['type']} {ref} -> {split}"
    return f"{target['type']} {ref} -> {function['version']}"


def _settings_text(settings: dict[str, Any]) -> str:
    throttle = settings["throttle"]
    parts = [f"throttle {throttle['rate']:g}/s burst {throttle['burst']}"]
    if settings["cache"]["enabled"]:
        parts.append(f"cache {settings['cache']['ttl']}s")
    if settings["api_key_required"]:
        parts.append("api key required")
    return ", ".join(parts)


# -- diff --------------------------------------------------------------------------------------


def _add_diff(commands: Commands) -> None:
    parser = _command(
        commands, "diff", "what a deploy would change, or what changed between two deployments",
        "With --stage: the working definition (the config's api) against what the stage "
        "serves, i.e. what deploying it would change. With --from and --to: one deployment "
        "against another (`current` is the working definition).\n\n"
        "exit codes: 0 no difference, 1 differences, 2 unknown stage or deployment, a config "
        "that cannot be used, or bad options",
    )  # fmt: skip
    parser.add_argument("--stage", metavar="S", help="compare the working definition with S")
    parser.add_argument("--from", dest="old", metavar="DEPLOYMENT", help="the earlier deployment")
    parser.add_argument("--to", dest="new", metavar="DEPLOYMENT", help="the later deployment")
    parser.set_defaults(run=diff, parser=parser)


def diff(args: argparse.Namespace) -> int:
    if (args.stage is None) == (args.old is None and args.new is None) or (
        (args.old is None) != (args.new is None)
    ):
        args.parser.error("give --stage S, or --from DEPLOYMENT and --to DEPLOYMENT")
    loaded = load(args.config)
    if args.stage is not None:
        stage = _stage(loaded, args.stage)
        changes = loaded.gateway.pending_changes(stage.name)
        what = f"stage {stage.name} serves deployment {stage.deployment_id}"
        if not changes:
            print(f"{what}, the same as the working definition: no changes")
            return 0
        print(f"{what}; deploying the working definition would make {_count(changes)}:")
    else:
        old, new = _definition(loaded, args.old), _definition(loaded, args.new)
        changes = [_between(change) for change in definition_changes(old, new)]
        if not changes:
            print(f"deployment {args.old} -> {args.new}: no changes")
            return 0
        print(f"deployment {args.old} -> {args.new}: {_count(changes)}:")
    for change in changes:
        print(f"  {change}")
    return 1


def _count(changes: list[str]) -> str:
    return _plural(len(changes), "change")


def _definition(loaded: Loaded, deployment_id: str) -> ApiDefinition:
    if deployment_id == CURRENT:
        return loaded.gateway.api.definition
    try:
        return loaded.gateway.deployment(deployment_id).api
    except ApiStagesError:
        known = [d.id for d in loaded.gateway.deployments] + [CURRENT]
        raise Unusable(
            f"{loaded.shown} has no deployment {deployment_id!r}"
            f"{did_you_mean(deployment_id, known)} (deployments: {', '.join(known)})"
        ) from None


def _between(change: str) -> str:
    """A served-vs-working change worded for two deployments."""
    for suffix in (", not deployed", ", still served"):
        if change.endswith(suffix):
            return change[: -len(suffix)]
    return change


# -- serve -------------------------------------------------------------------------------------


def _add_serve(commands: Commands) -> None:
    parser = _command(
        commands, "serve", "serve the gateway over HTTP for manual testing",
        "Serve every stage over real HTTP at http://HOST:PORT/{stage}/..., print each stage's "
        "base URL, then one line per request (method, path, status, latency, stage). Ctrl-C "
        "stops it.\n\n"
        "exit codes: 0 stopped, 2 a config that cannot be used or a port that cannot be had",
    )  # fmt: skip
    parser.add_argument(
        "--host", default="127.0.0.1",
        help="the address to listen on (default: %(default)s, this machine only; 0.0.0.0 "
        "serves other machines too)",
    )  # fmt: skip
    parser.add_argument(
        "--port", type=int, default=8080, help="default: %(default)s; 0 picks a free port"
    )
    parser.set_defaults(run=serve)


def serve(args: argparse.Namespace) -> int:
    loaded = load(args.config)
    gateway = loaded.gateway
    lock = threading.Lock()

    def log(record: Invocation) -> None:
        where = f"{record.stage} canary" if record.canary else record.stage
        line = f"{record.method} {record.path} {record.status} {record.latency_ms:.1f}ms {where}"
        with lock:
            print(line, flush=True)

    gateway.on_invocation(log)
    stop = threading.Event()
    previous = signal.signal(signal.SIGTERM, _stopper(stop))
    try:
        with ExitStack() as server:
            base_url = _listening(server, gateway, args.host, args.port)
            print(f"{loaded.shown}: serving api {loaded.config.name} on {base_url} "
                  f"(Ctrl-C to stop)")  # fmt: skip
            for name in gateway.stages:
                print(f"  {name}: {base_url}/{name}")
            sys.stdout.flush()
            while not stop.wait(0.2):
                pass
    except KeyboardInterrupt:
        pass
    finally:
        signal.signal(signal.SIGTERM, previous)
    print("stopped", flush=True)
    return 0


def _listening(server: ExitStack, gateway: Gateway, host: str, port: int) -> str:
    """Start the server; a port or host it cannot have is `Unusable` (werkzeug says why on
    stderr and exits: that is caught and said in one line)."""
    said = io.StringIO()
    try:
        with redirect_stderr(said):
            return server.enter_context(gateway.serve(port=port, host=host))
    except (OSError, SystemExit) as e:
        why = e.strerror if isinstance(e, OSError) else said.getvalue().strip().split("\n")[0]
        raise Unusable(f"cannot serve on {host}:{port}: {why or e}") from None


def _stopper(stop: threading.Event) -> Callable[[int, FrameType | None], None]:
    def handler(signum: int, frame: FrameType | None) -> None:
        stop.set()

    return handler


# -- export ------------------------------------------------------------------------------------


def _add_export(commands: Commands) -> None:
    parser = _command(
        commands, "export", "write the API a stage serves as an OpenAPI 3.0 document",
        "Write the deployment a stage serves as an OpenAPI 3.0.1 document with API Gateway's "
        "extensions, in the shape API Gateway's own export writes: it imports into API "
        "Gateway, or back into a config.",
    )  # fmt: skip
    parser.add_argument("--stage", required=True, help="the stage whose deployment is exported")
    parser.add_argument(
        "--output", metavar="FILE", help="write the document to FILE (default: standard output)"
    )
    parser.add_argument(
        "--format", choices=("yaml", "json"), default="yaml", help="default: %(default)s"
    )
    parser.set_defaults(run=export)


def export(args: argparse.Namespace) -> int:
    """`apistages export`: 0, or 2 with one line on stderr for a config, stage or file error."""
    loaded = load(args.config)
    gateway, stage = loaded.gateway, args.stage
    served = _stage(loaded, stage)
    api = gateway.deployment(served.deployment_id).api
    document = openapi_document(
        api, title=api.name, stage=stage, region=gateway.region, api_id=gateway.api_id,
        account_id=gateway.functions.account_id,
    )  # fmt: skip
    if args.format == "json":
        text = json.dumps(document, indent=2) + "\n"
    else:
        text = yaml.safe_dump(document, sort_keys=False)
    if args.output is None:
        sys.stdout.write(text)
        return 0
    try:
        Path(args.output).write_text(text, encoding="utf-8")
    except OSError as e:
        raise Unusable(f"cannot write {args.output}: {e.strerror or e}") from None
    print(f"{args.output}: stage {stage}, {len(api.routes)} routes in {len(document['paths'])} "
          f"paths")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
