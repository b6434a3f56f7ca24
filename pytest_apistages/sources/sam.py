"""SAM templates (`Transform: AWS::Serverless-2016-10-31`) through AWS's own transform,
aws-sam-translator, run offline: local `CodeUri` folders and `DefinitionUri` files (which
`sam deploy` would upload first) are settled beforehand, and the CloudFormation it writes is
then read like any other template."""

from __future__ import annotations

import copy
import logging
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ..errors import ConfigError
from .template import read_template

SAM_TRANSFORM = "AWS::Serverless-2016-10-31"
LOCAL_CODE_BUCKET = "apistages-local-code"  # a local CodeUri, parked while the transform runs


def is_sam(data: Mapping[str, Any]) -> bool:
    transform = data.get("Transform")
    names = transform if isinstance(transform, list) else [transform]
    return SAM_TRANSFORM in names


def transformed(
    data: Mapping[str, Any],
    source: str,
    *,
    base_dir: Path,
    parameters: Mapping[str, Any],
    region: str,
    account_id: str,
    lines: Mapping[str, int],
) -> tuple[dict[str, Any], dict[str, Path]]:
    """The CloudFormation the SAM transform makes of `data`, and the local code folder of
    each function whose `CodeUri` is a folder (by logical id)."""
    try:
        import boto3
        from samtranslator.metrics.metrics import DummyMetricsPublisher, Metrics
        from samtranslator.model.exceptions import InvalidDocumentException
        from samtranslator.parser.parser import Parser
        from samtranslator.translator.translator import Translator
    except ImportError:
        raise ConfigError(
            source, "Transform", "reading a SAM template needs aws-sam-translator",
            "install the extra: pip install 'pytest-apistages[sam]'",
        ) from None  # fmt: skip
    template = copy.deepcopy(dict(data))
    folders = _park_local_code(template, base_dir)
    _inline_definitions(template, source, base_dir)
    values = {**_defaults(template), **parameters, "AWS::Region": region,
              "AWS::AccountId": account_id}  # fmt: skip
    # Its metrics are published (to nowhere) before they are dropped: unpublished, they log a
    # warning when collected, in whichever test that happens.
    metrics = Metrics("ServerlessTransform", DummyMetricsPublisher())
    translator = Translator(
        None, Parser(), boto_session=boto3.Session(region_name=region), metrics=metrics
    )
    quiet = logging.getLogger("samtranslator")
    level, quiet.level = quiet.level, logging.ERROR  # its feature-toggle chatter
    try:
        return translator.translate(template, values, get_managed_policy_map=dict), folders
    except InvalidDocumentException as e:
        causes = list(getattr(e, "causes", [])) or [e]
        first = causes[0]
        logical_id = getattr(first, "_logical_id", None)  # InvalidResourceException's
        key = f"Resources.{logical_id}" if logical_id else ""
        message = getattr(first, "message", str(first))
        event = re.search(r"Event with id \[(\w+)\] is invalid", message)
        if key and event and f"{key}.Properties.Events.{event.group(1)}" in lines:
            key = f"{key}.Properties.Events.{event.group(1)}"
        more = f" (and {len(causes) - 1} more)" if len(causes) > 1 else ""
        raise ConfigError(
            source, key, f"the SAM transform refused the template: {message}{more}",
            "fix it as `sam validate` would ask", line=lines.get(key),
        ) from None  # fmt: skip
    except Exception as e:  # the transform's own failures, not the user's: still one error
        raise ConfigError(
            source, "", f"the SAM transform failed: {type(e).__name__}: {str(e)[:300]}"
        ) from None
    finally:
        metrics.publish()
        quiet.level = level


def _defaults(template: Mapping[str, Any]) -> dict[str, Any]:
    parameters = template.get("Parameters")
    if not isinstance(parameters, Mapping):
        return {}
    return {
        name: spec["Default"]
        for name, spec in parameters.items()
        if isinstance(spec, Mapping) and "Default" in spec
    }


def _park_local_code(template: dict[str, Any], base_dir: Path) -> dict[str, Path]:
    """Swap each function's local `CodeUri` folder (its own or the Globals') for an S3
    location the transform accepts, remembering the folder."""
    globals_ = template.get("Globals")
    function_globals = globals_.get("Function") if isinstance(globals_, dict) else None
    shared = function_globals.pop("CodeUri", None) if isinstance(function_globals, dict) else None
    folders: dict[str, Path] = {}
    resources = template.get("Resources")
    for logical_id, resource in resources.items() if isinstance(resources, dict) else []:
        if not isinstance(resource, dict) or resource.get("Type") != "AWS::Serverless::Function":
            continue
        properties = resource.setdefault("Properties", {})
        if not isinstance(properties, dict) or "InlineCode" in properties:
            continue
        uri = properties.get("CodeUri", shared)
        if isinstance(uri, str) and not uri.startswith("s3://"):
            folders[logical_id] = (base_dir / uri).resolve()
            properties["CodeUri"] = {"Bucket": LOCAL_CODE_BUCKET, "Key": logical_id}
        elif uri is not None and "CodeUri" not in properties:
            properties["CodeUri"] = uri
    return folders


def _inline_definitions(template: dict[str, Any], source: str, base_dir: Path) -> None:
    """A local `DefinitionUri` file, and `AWS::Include` of a local file in a
    `DefinitionBody`, read in place (as `sam deploy` would upload and include them)."""
    resources = template.get("Resources")
    for logical_id, resource in resources.items() if isinstance(resources, dict) else []:
        if not isinstance(resource, dict) or resource.get("Type") != "AWS::Serverless::Api":
            continue
        properties = resource.get("Properties")
        if not isinstance(properties, dict):
            continue
        uri = properties.get("DefinitionUri")
        if isinstance(uri, str) and not uri.startswith("s3://"):
            properties.pop("DefinitionUri")
            key = f"Resources.{logical_id}.Properties.DefinitionUri"
            properties["DefinitionBody"] = _read_local(base_dir / uri, source, key)
        body = properties.get("DefinitionBody")
        include = body.get("Fn::Transform") if isinstance(body, dict) else None
        if isinstance(include, dict) and include.get("Name") == "AWS::Include":
            location = (include.get("Parameters") or {}).get("Location")
            if isinstance(location, str) and not location.startswith("s3://"):
                key = f"Resources.{logical_id}.Properties.DefinitionBody"
                properties["DefinitionBody"] = _read_local(base_dir / location, source, key)


def _read_local(file: Path, source: str, key: str) -> Any:
    try:
        text = file.read_text(encoding="utf-8")
    except OSError as e:
        raise ConfigError(
            source, key, f"cannot read {file.name}, which the template names: {e.strerror}",
            "paths are relative to the template's folder",
        ) from None  # fmt: skip
    return read_template(text, str(file))[0]
