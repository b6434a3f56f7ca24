"""One entry point for every source of an API: `apistages.yaml` (optionally naming a template
as its `source:`), a CloudFormation or SAM template (YAML with CloudFormation's tags, or
JSON; `cdk synth` output too), or an OpenAPI 3 / Swagger 2 file. The kind is told from the
content; each becomes the config's shape (a `Spec`) and is validated once, by `checked`."""

from __future__ import annotations

import dataclasses
import re
import traceback
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Literal

from ..errors import ConfigError, did_you_mean
from .cloudformation import read_cloudformation
from .config import LoadedConfig, checked
from .nodes import Node, Place, child_path, is_under, line_of, read_yaml, scalar_text
from .openapi import is_openapi, read_openapi
from .sam import SAM_TRANSFORM, is_sam, transformed
from .spec import Spec, merged
from .template import TAGS, Template, read_template

DEFAULT_STAGE = "dev"  # an OpenAPI file alone names no stage (and no basePath names one)
_SOURCE_KEYS = ("source", "parameters", "imports")


def load_file(
    path: str | Path,
    *,
    shown_as: str | None = None,
    parameters: Mapping[str, Any] | None = None,
    api: str | None = None,
) -> LoadedConfig:
    """Load any source of an API; errors name it `shown_as` (default: the path as given).
    `parameters` override a template's Parameters; `api` picks its REST API by logical id."""
    path = Path(path)
    source = shown_as or str(path)
    text = _read(path, source, "create it or pass --apistages-config")
    data, lines = _parsed(text, source)
    if _kind(data) == "config":
        root = read_yaml(text, source)  # our file: the strict reader, no CloudFormation tags
        return _with_source(root, path.parent, parameters or {}, api, lines)
    spec = _translated(data, lines, source, path.parent, dict(parameters or {}), api)
    return _loaded(spec, path.parent)


def load_dict(data: Mapping[str, Any], base_dir: Path = Path(".")) -> LoadedConfig:
    root = Node(dict(data) if isinstance(data, Mapping) else data, "config")
    return _with_source(root, base_dir, {}, None)


def _read(path: Path, source: str, fix: str) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(source, "", "file not found", fix) from None
    except (OSError, UnicodeDecodeError) as e:
        raise ConfigError(source, "", f"cannot read the file: {e}") from None


def _parsed(text: str, source: str) -> tuple[Any, dict[str, int]]:
    """The content, read the way templates are (CloudFormation's tags allowed); our own file
    is read again strictly once it is known to be ours. When both readers fail, the message
    is our reader's, unless it only trips on a CloudFormation tag: then the file is a template
    and the template reader's message says what is really wrong in it."""
    try:
        return read_template(text, source)
    except ConfigError as template_error:
        try:
            return read_yaml(text, source).value, {}
        except ConfigError as error:
            if _TEMPLATE_LIKE.search(text) or any(f"tag '{t}'" in error.problem for t in TAGS):
                raise template_error from None
            raise


# A top-level key only templates and OpenAPI files have (YAML or JSON).
_TEMPLATE_LIKE = re.compile(
    r'^\s*"?(AWSTemplateFormatVersion|Resources|Transform|openapi|swagger)"?\s*:', re.M
)


def _kind(data: Any) -> Literal["sam", "cloudformation", "openapi", "config"]:
    if isinstance(data, dict) and ("Resources" in data or "AWSTemplateFormatVersion" in data):
        return "sam" if is_sam(data) else "cloudformation"
    if is_openapi(data):
        return "openapi"
    return "config"  # anything else: the config's checks say what is wrong, in its words


def _translated(
    data: Any,
    lines: Mapping[str, int],
    source: str,
    base_dir: Path,
    parameters: dict[str, Any],
    api: str | None,
    *,
    imports: Mapping[str, Any] | None = None,
    region: str = "us-east-1",
    account_id: str = "123456789012",
) -> Spec:
    """A template or OpenAPI file in the config's shape (not yet validated)."""
    with _unforeseen(source):
        spec = Spec(source)
        if is_openapi(data):
            why = "an OpenAPI file has no Parameters and one API"
            _unused_options(source, why, parameters, api)
            _no_intrinsics(data, source, lines)
            stage = read_openapi(data, spec, Place(source, "", lines))
            spec.put(["stages"], {stage or DEFAULT_STAGE: {}}, Place(source, "", lines))
            spec.default_stages = True
            return spec
        stack_name = str(parameters.pop("AWS::StackName", "apistages"))
        folders: dict[str, Path] = {}
        renames: dict[str, str] = {}
        if is_sam(data):
            renames = _sam_renames(data)
            original = data
            data, folders = transformed(
                data, source, base_dir=base_dir, parameters=parameters, region=region,
                account_id=account_id, lines=lines,
            )  # fmt: skip
            lines = _generated_lines(lines, original, data)
        else:
            _no_sam_types(data, source, lines)
        template = Template(
            data, source, lines=_aliased(lines, renames), base_dir=base_dir, parameters=parameters,
            imports=imports, region=region, account_id=account_id, stack_name=stack_name,
        )  # fmt: skip
        try:
            read_cloudformation(template, spec, api=api, code_folders=folders)
        except ConfigError as e:
            raise _renamed(e, renames) from None
        if renames:
            for key, place in spec.places.items():
                if place is not None:
                    renamed = _rename(place.path, renames)
                    spec.places[key] = Place(place.source, renamed, place.lines)
            for name, error in spec.pending.items():
                spec.pending[name] = _renamed(error, renames)
        return spec


@contextmanager
def _unforeseen(source: str) -> Iterator[None]:
    """A value the reading did not foresee is still one error, never a traceback (the fuzz
    tests look for these; each one found is mended where it arose)."""
    try:
        yield
    except (AttributeError, TypeError, ValueError, KeyError, IndexError, RecursionError) as e:
        error = ConfigError(
            source, "", f"cannot read a value: {type(e).__name__}: {str(e)[:200]}",
            "check the values against the template's reference",
        )  # fmt: skip
        error.detail = "".join(traceback.format_exception(e))  # for -v: where it arose
        raise error from None


# -- where SAM's output came from ----------------------------------------------------------
# The transform writes an AWS::Serverless::Api's `DefinitionBody` as the RestApi's `Body`
# (same logical id): an error in it is named, and lined, by the user's own key.


def _sam_renames(data: Mapping[str, Any]) -> dict[str, str]:
    resources = data.get("Resources")
    renames: dict[str, str] = {}
    for logical_id, resource in resources.items() if isinstance(resources, Mapping) else []:
        if not isinstance(resource, Mapping) or resource.get("Type") != "AWS::Serverless::Api":
            continue
        properties = resource.get("Properties")
        if isinstance(properties, Mapping) and isinstance(properties.get("DefinitionBody"), dict):
            if "Fn::Transform" in properties["DefinitionBody"]:
                continue  # an included file: its keys are not in this one
            prefix = f"Resources.{logical_id}.Properties."
            renames[f"{prefix}Body"] = f"{prefix}DefinitionBody"
    return renames


def _generated_lines(
    lines: Mapping[str, int], original: Mapping[str, Any], output: Mapping[str, Any]
) -> dict[str, int]:
    """`lines` with what the SAM transform wrote given the user's own lines: a value Globals
    gave a resource, the Globals line; the resources it generated (`PetsApiProdStage`,
    `PetsApiDeployment1a2b3c4d5e`), the lines of the SAM resource they come from (the longest
    logical id they start with), key by key where the keys are alike."""
    before = original.get("Resources")
    after = output.get("Resources")
    if not isinstance(before, Mapping) or not isinstance(after, Mapping):
        return dict(lines)
    out = dict(lines)
    for logical_id, resource in before.items():  # what Globals gave a resource: its line there
        kind = resource.get("Type") if isinstance(resource, Mapping) else None
        section = {"AWS::Serverless::Function": "Function", "AWS::Serverless::Api": "Api"}
        if kind not in section:
            continue
        given, into = f"Globals.{section[kind]}.", f"Resources.{logical_id}.Properties."
        for key, line in lines.items():
            if key.startswith(given):
                out.setdefault(into + key[len(given) :], line)
    for generated in after:
        if generated in before:
            continue
        origins = [lid for lid in before if isinstance(lid, str) and generated.startswith(lid)]
        if not origins:
            continue
        origin, into = f"Resources.{max(origins, key=len)}", f"Resources.{generated}"
        for key, line in lines.items():
            if key == origin or is_under(key, origin):
                out.setdefault(into + key[len(origin) :], line)
    return out


def _rename(key: str, renames: Mapping[str, str]) -> str:
    for old, new in renames.items():
        if key == old or is_under(key, old):
            return new + key[len(old) :]
    return key


def _aliased(lines: Mapping[str, int], renames: Mapping[str, str]) -> dict[str, int]:
    """`lines` with each renamed key's line also under the transform's key."""
    out = dict(lines)
    for old, new in renames.items():
        for key, line in lines.items():
            if key == new or is_under(key, new):
                out.setdefault(old + key[len(new) :], line)
    return out


def _renamed(error: ConfigError, renames: Mapping[str, str]) -> ConfigError:
    key = _rename(error.key, renames)
    if key == error.key:
        return error
    renamed = ConfigError(error.source, key, error.problem, error.fix, line=error.line)
    renamed.detail = error.detail
    return renamed


def _no_sam_types(data: Mapping[str, Any], source: str, lines: Mapping[str, int]) -> None:
    """SAM's resource types in a template that does not declare SAM's transform, which
    CloudFormation refuses as unrecognised types."""
    resources = data.get("Resources")
    for logical_id, resource in resources.items() if isinstance(resources, Mapping) else []:
        kind = resource.get("Type") if isinstance(resource, Mapping) else None
        if isinstance(kind, str) and kind.startswith("AWS::Serverless::"):
            key = f"Resources.{logical_id}.Type"
            raise ConfigError(
                source, key, f"{kind} is a SAM type, and the template declares no SAM transform",
                f"add Transform: {SAM_TRANSFORM} at the top level of the template",
                line=line_of(lines, key),
            )  # fmt: skip


def _no_intrinsics(data: Any, source: str, lines: Mapping[str, int]) -> None:
    """An OpenAPI file alone is imported as it is: a CloudFormation function in it (the file is
    one a template includes with AWS::Include, or a DefinitionBody copied out) is never
    resolved, and API Gateway's import refuses it where it needs a string."""
    todo: list[tuple[Any, str]] = [(data, "")]
    while todo:
        value, path = todo.pop()
        if isinstance(value, dict):
            if len(value) == 1:
                (name,) = value
                if name == "Ref" or (isinstance(name, str) and name.startswith("Fn::")):
                    raise ConfigError(
                        source, path, f"{name} is a CloudFormation function, which an OpenAPI "
                        "file alone does not resolve",
                        "load the template that includes this file (AWS::Include or "
                        "DefinitionUri), or write the value itself",
                        line=line_of(lines, path),
                    )  # fmt: skip
            for key, item in reversed(list(value.items())):
                todo.append((item, child_path(path, str(key))))
        elif isinstance(value, list):
            for index in reversed(range(len(value))):
                todo.append((value[index], child_path(path, index)))


def _unused_options(source: str, why: str, parameters: Mapping[str, Any], api: str | None) -> None:
    """`parameters=` and `api=` for a file that has neither: a mistake, never ignored."""
    given = [name for name, value in (("parameters", parameters), ("api", api)) if value]
    if given:
        raise ConfigError(
            source, "", f"{' and '.join(f'{name}=' for name in given)} given, but {why}",
            "they apply to a CloudFormation or SAM template (or a config whose source: is one)",
        )  # fmt: skip


def _with_source(
    root: Node,
    base_dir: Path,
    parameters: Mapping[str, Any],
    api: str | None,
    lines: Mapping[str, int] | None = None,
) -> LoadedConfig:
    """Our config, over the template its `source:` names (if it names one)."""
    top = root.value
    if not isinstance(top, dict) or "source" not in top:
        for key in ("parameters", "imports"):
            if isinstance(top, dict) and key in top:
                raise root.child(key).error(
                    f"'{key}' applies to a template", "name the template with source: template.yaml"
                )
        _unused_options(root.source, "this config names no template", parameters, api)
        return dataclasses.replace(checked(root, base_dir), lines=dict(lines or {}))
    entries = root.mapping()
    given = entries["source"]
    if isinstance(given.value, dict):
        parts = given.mapping(("path", "api"))
        if "path" not in parts:
            raise given.error("missing 'path'", "write source: {path: template.yaml, api: MyApi}")
        file_node, chosen = parts["path"], (parts["api"].string() if "api" in parts else None)
    else:
        file_node, chosen = given, None
    file = base_dir / file_node.string()
    if not file.is_file():
        raise file_node.error(
            f"no file {file_node.string()!r} in this config's folder",
            "the path is relative to the folder of this apistages.yaml",
        )
    text = _read(file, str(file), "the path is relative to this config's folder")
    shown = file_node.string()
    data, source_lines = _parsed(text, shown)
    if _kind(data) == "config":
        raise file_node.error(
            "a source is a template or an OpenAPI file, not another apistages.yaml"
        )
    values: dict[str, Any] = {}
    declared = data.get("Parameters") if isinstance(data, dict) else None
    declared = list(declared) if isinstance(declared, dict) else []
    if "parameters" in entries:
        for name, value in entries["parameters"].mapping().items():
            values[name] = _parameter(value, name, declared, data, shown)
    values.update(parameters)
    imports = entries["imports"].mapping() if "imports" in entries else {}
    settings = (
        entries["api"].value if "api" in entries and isinstance(entries["api"].value, dict) else {}
    )
    spec = _translated(
        data, source_lines, shown, file.parent, values, api or chosen,
        imports={name: node.value for name, node in imports.items()},
        region=str(settings.get("region", "us-east-1")),
        account_id=str(settings.get("account_id", "123456789012")),
    )  # fmt: skip
    own = {key: value for key, value in top.items() if key not in _SOURCE_KEYS}
    if spec.default_stages and "stages" in own:
        spec.data.pop("stages")
    declared_stages = list(spec.data.get("stages") or {})
    if declared_stages and "stages" in entries and isinstance(entries["stages"].value, dict):
        for name, stage in entries["stages"].mapping().items():
            if name not in declared_stages:  # an added stage, or a misspelt one: said
                spec.notices.append(str(stage.error(
                    f"{shown} has no stage {name!r}{did_you_mean(name, declared_stages)}: this "
                    "config adds it",
                    f"the template's stages: {', '.join(declared_stages)}",
                )))  # fmt: skip
    for name, error in spec.pending.items():
        if name not in (own.get("functions") or {}):
            raise error
    spec.pending.clear()
    out = merged(spec, own, root.source)
    own_api = own.get("api")
    routes = own_api.get("routes") if isinstance(own_api, dict) else None
    if isinstance(routes, dict):  # the config's routes are served by the template's stages too
        for deployment in spec.data.get("deployments") or {}:
            if deployment in (own.get("deployments") or {}):
                continue
            entry = out.data["deployments"][deployment]
            out.data["deployments"][deployment] = {**entry, "routes": out.data["api"]["routes"]}
            for key in routes:
                out.own(["deployments", deployment, "routes", key])
    return _loaded(out, base_dir, lines)


def _parameter(node: Node, name: str, declared: list[str], data: Any, shown: str) -> Any:
    """A value the config gives a template parameter, checked as CloudFormation checks it
    (declared, its type and AllowedValues) and refused here, in the config, if wrong."""
    if name == "AWS::StackName":
        return scalar_text(node, "parameter values")
    if name not in declared:
        fix = f"its parameters: {', '.join(declared) or 'none'}"
        if name.startswith("AWS::"):
            fix = "pseudo parameters come from api.region and api.account_id (AWS::StackName "
            fix += "may be given)"
        raise node.error(
            f"{shown} declares no parameter {name!r}{did_you_mean(name, declared)}", fix
        )
    try:
        Template(data, shown, parameters={name: node.value})
    except ConfigError as e:
        raise node.error(
            e.problem.replace("parameters= gives", "the config gives"), e.fix
        ) from None
    return node.value


def _loaded(spec: Spec, base_dir: Path, lines: Mapping[str, int] | None = None) -> LoadedConfig:
    """Validated, with where each value came from (`lines`: the config file's own)."""
    for error in spec.pending.values():
        raise error
    loaded = checked(spec.node(), base_dir)
    return dataclasses.replace(
        loaded, notices=tuple(spec.notices), places=dict(spec.places), lines=dict(lines or {})
    )
