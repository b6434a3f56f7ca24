"""CloudFormation and SAM templates, read locally: the YAML short-form tags become their long
form, and intrinsics are resolved only for the values someone reads, so a resource the gateway
never looks at (a table, a queue, a parameter only they use) can never make loading fail."""

from __future__ import annotations

import base64
import copy
import hashlib
import ipaddress
import itertools
import re
import uuid
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from ..errors import ConfigError, did_you_mean, shown
from .nodes import DuplicateKey, Loader, check_depth, line_of, show_value

# Resolving deeper than this is a cycle or a template no one writes; refused before Python's own
# recursion limit (each level costs a few frames).
MAX_NESTING = 100

FUNCTIONS = (
    "Fn::And", "Fn::Base64", "Fn::Cidr", "Fn::Equals", "Fn::FindInMap", "Fn::GetAZs",
    "Fn::GetAtt", "Fn::If", "Fn::ImportValue", "Fn::Join", "Fn::Not", "Fn::Or", "Fn::Select",
    "Fn::Split", "Fn::Sub", "Fn::Transform",
)  # fmt: skip
CONDITION_FUNCTIONS = ("Fn::And", "Fn::Equals", "Fn::Not", "Fn::Or")
TAGS = ("!Ref", "!Condition", *sorted(f"!{name[4:]}" for name in FUNCTIONS))
PSEUDO_PARAMETERS = (
    "AWS::AccountId", "AWS::NotificationARNs", "AWS::NoValue", "AWS::Partition", "AWS::Region",
    "AWS::StackId", "AWS::StackName", "AWS::URLSuffix",
)  # fmt: skip
_PARAMETER_FIX = (
    "give it a Default, or pass parameters={{{name!r}: ...}} (parameters: in apistages.yaml)"
)


# -- reading -------------------------------------------------------------------------------------


class UnknownTag(yaml.MarkedYAMLError):
    """A `!Tag` CloudFormation does not define (a tool's own, or a Python object tag)."""


class TemplateLoader(Loader):
    """Our safe loader (duplicate keys refused) with CloudFormation's short forms turned into
    the long form: `!GetAtt A.B` is `{"Fn::GetAtt": ["A", "B"]}`, as SAM's own parser gives.
    Dates stay text: CloudFormation reads `Version: 2012-10-17` as a string, not a date."""


def _tagged(loader: yaml.SafeLoader, node: yaml.Node) -> Any:
    if isinstance(node, yaml.ScalarNode):
        return loader.construct_scalar(node)
    if isinstance(node, yaml.SequenceNode):
        return loader.construct_sequence(node, deep=True)
    assert isinstance(node, yaml.MappingNode)
    return loader.construct_mapping(node, deep=True)


def _long_form(key: str) -> Callable[[yaml.SafeLoader, yaml.Node], Any]:
    def construct(loader: yaml.SafeLoader, node: yaml.Node) -> Any:
        value = _tagged(loader, node)
        if key == "Fn::GetAtt" and isinstance(value, str) and "." in value:
            value = value.split(".", 1)
        return {key: value}

    return construct


def _as_text(loader: yaml.SafeLoader, node: yaml.Node) -> Any:
    assert isinstance(node, yaml.ScalarNode)
    return loader.construct_scalar(node)


def _unknown_tag(loader: yaml.SafeLoader, node: yaml.Node) -> Any:
    tag = node.tag
    if tag.startswith("tag:yaml.org,2002:"):
        tag = "!!" + tag.removeprefix("tag:yaml.org,2002:")
    raise UnknownTag(problem=f"unknown tag {tag!r}", problem_mark=node.start_mark)


for _key in ("Ref", "Condition", *FUNCTIONS):
    TemplateLoader.add_constructor(f"!{_key.removeprefix('Fn::')}", _long_form(_key))
TemplateLoader.add_constructor(None, _unknown_tag)
TemplateLoader.add_constructor("tag:yaml.org,2002:timestamp", _as_text)


def key_lines(text: str) -> dict[str, int]:
    """Each key path (`Resources.Api.Properties`, `a[0]`, as `Node.child` writes them) and its
    1-based line, so a template error can say where. Composing never constructs, so any tag is
    accepted; a text that does not compose gives {} (parsing it reports the real problem)."""
    for candidate in (text, _json_blanks(text)):
        if candidate is None:
            continue
        try:
            check_depth(candidate)
            root = yaml.compose(candidate, Loader=yaml.SafeLoader)
        except (yaml.YAMLError, RecursionError):
            continue
        return _lines_of(root)
    return {}


def _lines_of(root: yaml.Node | None) -> dict[str, int]:
    lines: dict[str, int] = {}
    seen: set[int] = set()  # an alias is the same node: walked once, never expanded
    todo: list[tuple[yaml.Node | None, str]] = [(root, "")]
    while todo:
        node, path = todo.pop()
        if node is None or id(node) in seen:
            continue
        seen.add(id(node))
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                if not isinstance(key, yaml.ScalarNode) or key.tag.endswith(":merge"):
                    continue
                child = f"{path}.{key.value}" if path else str(key.value)
                lines.setdefault(child, key.start_mark.line + 1)
                todo.append((value, child))
        elif isinstance(node, yaml.SequenceNode):
            for index, item in enumerate(node.value):
                child = f"{path}[{index}]"
                lines.setdefault(child, item.start_mark.line + 1)
                todo.append((item, child))
    return lines


def _json_blanks(text: str) -> str | None:
    """JSON indented with tabs, which PyYAML refuses: in valid JSON a raw tab can only be a
    blank (strings must escape it), so it becomes a space. None when that cannot apply."""
    if "\t" in text and text.lstrip("\ufeff \t\r\n").startswith("{"):
        return text.replace("\t", " ")
    return None


def read_template(text: str, source: str) -> tuple[Any, dict[str, int]]:
    """A CloudFormation/SAM template (YAML with short-form tags, or JSON) as plain data with
    long-form intrinsics, and its key lines; every problem is a ConfigError at its line."""
    try:
        data = _load(text, source)
    except ConfigError:
        blanked = _json_blanks(text)
        if blanked is None:
            raise
        text = blanked
        data = _load(text, source)
    if not isinstance(data, dict):
        problem = "the template is empty" if data is None else f"got {show_value(data)}"
        raise ConfigError(
            source, "", problem, "a template is a mapping of sections: Parameters, Resources, …"
        )
    return data, key_lines(text)


def _load(text: str, source: str) -> Any:
    try:
        check_depth(text)
        return yaml.load(text, Loader=TemplateLoader)
    except UnknownTag as e:
        raise _at_mark(
            source,
            e,
            f"{e.problem}",
            f"CloudFormation's tags are {', '.join(TAGS)}; expand any other with its own tool",
        ) from None
    except DuplicateKey as e:
        raise _at_mark(
            source, e, f"{e.problem}", "YAML would keep only the last one; merge them"
        ) from None
    except yaml.MarkedYAMLError as e:
        raise _at_mark(source, e, f"invalid YAML: {e.problem}", "fix the syntax there") from None
    except yaml.YAMLError as e:
        raise ConfigError(source, "", f"invalid YAML: {str(e)[:300]}") from None


def _at_mark(source: str, e: yaml.MarkedYAMLError, problem: str, fix: str) -> ConfigError:
    """As `nodes.read_yaml` words it: the key is "line N, column M"."""
    mark = e.problem_mark
    where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else "YAML"
    error = ConfigError(source, where, problem, fix)
    error.line = mark.line + 1 if mark else None  # as data; the key already says it
    return error


def located(source: str, path: str, problem: str, fix: str, line: int | None) -> ConfigError:
    """A template error at its key path and line (`source:line: path: problem`)."""
    return ConfigError(source, path, problem, fix, line=line)


# -- resolving -----------------------------------------------------------------------------------


class _NoValue:
    """`AWS::NoValue`: the key or list item holding it is removed."""

    def __repr__(self) -> str:
        return "AWS::NoValue"


_NO_VALUE = _NoValue()
_SUB = re.compile(r"\$\{([^}]*)\}")
_ALNUM = "0123456789abcdefghijklmnopqrstuvwxyz"


@dataclass
class _Shared:
    """What a template and the views of the files it includes share: caches, and what is being
    resolved right now (for cycles and depth)."""

    parameters: dict[str, Any] = field(default_factory=dict)
    conditions: dict[str, bool] = field(default_factory=dict)
    values: dict[tuple[str, str | None], Any] = field(default_factory=dict)
    resources: dict[str, Mapping[str, Any]] | None = None
    active: list[str] = field(default_factory=list)
    depth: int = 0


class Template:
    """A loaded CloudFormation template whose intrinsics are resolved on demand, for the values
    someone reads. Ids and ARNs CloudFormation would mint are synthesised deterministically
    from logical ids (`ref_value`, `attribute_value`)."""

    def __init__(
        self,
        data: Mapping[str, Any],
        source: str,
        *,
        lines: Mapping[str, int] | None = None,
        base_dir: Path = Path("."),
        parameters: Mapping[str, Any] | None = None,
        imports: Mapping[str, Any] | None = None,
        region: str = "us-east-1",
        account_id: str = "123456789012",
        stack_name: str = "apistages",
    ) -> None:
        self.source = source
        self.lines = dict(lines or {})
        if not isinstance(data, Mapping):
            raise self.error("", f"a template is a mapping of sections, got {show_value(data)}")
        self.data = data
        self.base_dir = base_dir
        self.overrides = dict(parameters or {})
        self.imports = dict(imports or {})
        self.region = region
        self.account_id = account_id
        self.stack_name = stack_name
        self._shared = _Shared()
        self._check_overrides()

    # -- public ----------------------------------------------------------------------------------

    @property
    def resources(self) -> dict[str, Mapping[str, Any]]:
        """Logical id -> resource (Type, Properties, …), for those whose Condition holds."""
        with self._guarded("Resources"):
            return dict(self._resources())

    def resolve(self, value: Any, path: str) -> Any:
        """`value` (found at template path `path`) with every intrinsic resolved; None when the
        whole value is AWS::NoValue (the property is absent)."""
        with self._guarded(path):
            resolved = self._resolve(value, path)
        return None if resolved is _NO_VALUE else resolved

    def ref_value(self, logical_id: str) -> Any:
        """What `Ref` of a resource gives (see `attribute_value` for the choices made)."""
        with self._guarded("Resources"):
            return self._synthesised(logical_id, None, f"Resources.{logical_id}")

    def attribute_value(self, logical_id: str, attribute: str, path: str) -> Any:
        """What `Fn::GetAtt` gives. API Gateway ids are minted from the logical id (10 lowercase
        alphanumerics for an API, an API key and a usage-plan key, 6 for the others); a
        Deployment's id is its logical id, which the gateway uses as deployment id. A Lambda
        function is named by FunctionName, else its logical id; a Version's number is its place
        among the template's Versions of that function. A log group is named by LogGroupName,
        else its logical id, and its Arn ends in `:*` as CloudFormation's does. For a type we do
        not model (a table, a queue…), our choice: Ref gives the logical id, Arn gives
        `arn:{partition}:{service}:{region}:{account}:{logical id}`, any other attribute
        `{logical id}.{attribute}`."""
        with self._guarded(path):
            return self._synthesised(logical_id, attribute, path)

    def error(self, path: str, problem: str, fix: str = "") -> ConfigError:
        """A problem at template path `path`, with its line when known."""
        return located(self.source, path, problem, fix, self.line(path))

    def line(self, path: str) -> int | None:
        """The line of `path`, or of its nearest ancestor that has one."""
        return line_of(self.lines, path)

    # -- sections --------------------------------------------------------------------------------

    @contextmanager
    def _guarded(self, path: str) -> Iterator[None]:
        """The backstop behind MAX_NESTING: Python's recursion limit is never the user's error."""
        try:
            yield
        except RecursionError:
            raise self.error(path, "intrinsics nested too deeply to resolve") from None

    def _section(self, name: str) -> Mapping[str, Any]:
        value = self.data.get(name)
        if value is None:
            return {}
        if not isinstance(value, Mapping):
            raise self.error(name, f"expected a mapping, got {show_value(value)}")
        return value

    def _resources(self) -> dict[str, Mapping[str, Any]]:
        if self._shared.resources is None:
            kept: dict[str, Mapping[str, Any]] = {}
            for logical_id, resource in self._section("Resources").items():
                path = f"Resources.{logical_id}"
                if not isinstance(resource, Mapping):
                    raise self.error(
                        path, f"expected a resource mapping, got {show_value(resource)}"
                    )
                condition = resource.get("Condition")
                if condition is None or self._condition(condition, f"{path}.Condition"):
                    kept[str(logical_id)] = resource
            self._shared.resources = kept
        return self._shared.resources

    def _view(self, source: str, lines: Mapping[str, int], base_dir: Path) -> Template:
        """This template seen from an included file: its own source and lines, shared state."""
        view = copy.copy(self)
        view.source, view.lines, view.base_dir = source, dict(lines), base_dir
        return view

    @contextmanager
    def _visiting(self, name: str, path: str) -> Iterator[None]:
        active = self._shared.active
        if name in active:
            cycle = " → ".join([*active[active.index(name) :], name])
            raise self.error(path, f"these refer to each other in a cycle: {cycle}", "break it")
        active.append(name)
        try:
            yield
        finally:
            active.pop()

    # -- parameters ------------------------------------------------------------------------------

    def _check_overrides(self) -> None:
        if not self.overrides:
            return
        declared = self._section("Parameters")
        for name, value in self.overrides.items():
            if name not in declared:
                known = ", ".join(map(str, declared)) or "none"
                raise self.error(
                    "Parameters",
                    f"a value is given for parameter {name!r}, which the template does not "
                    f"declare{did_you_mean(name, map(str, declared))}",
                    f"its parameters: {known}",
                )
            path = f"Parameters.{name}"
            self._shared.parameters[name] = self._parameter_value(
                name, self._declaration(name), value, path, "parameters= gives"
            )

    def _declaration(self, name: str) -> Mapping[str, Any]:
        declaration = self._section("Parameters")[name]
        if not isinstance(declaration, Mapping):
            raise self.error(
                f"Parameters.{name}",
                f"expected a mapping with Type and Default, got {show_value(declaration)}",
            )
        type_ = declaration.get("Type", "String")
        if not isinstance(type_, str):
            raise self.error(f"Parameters.{name}.Type", f"expected a type, got {shown(type_)}")
        return declaration

    def _parameter(self, name: str, path: str) -> Any:
        cached = self._shared.parameters.get(name, _NO_VALUE)
        if cached is not _NO_VALUE:
            return cached
        declaration = self._declaration(name)
        type_ = declaration.get("Type", "String")
        if type_.startswith("AWS::SSM::Parameter::"):
            raise self.error(
                path,
                f"parameter {name!r} is read from SSM Parameter Store ({type_}), which is not "
                "there locally",
                f"pass parameters={{{name!r}: ...}} (parameters: in apistages.yaml)",
            )
        if "Default" not in declaration:
            raise self.error(
                path,
                f"parameter {name!r} has no Default and no value was given",
                _PARAMETER_FIX.format(name=name),
            )
        value = self._parameter_value(
            name,
            declaration,
            declaration["Default"],
            f"Parameters.{name}.Default",
            "its Default is",
        )
        self._shared.parameters[name] = value
        return value

    def _parameter_value(
        self, name: str, declaration: Mapping[str, Any], raw: Any, path: str, given: str
    ) -> Any:
        """A parameter's value as CloudFormation passes it: text (a Number too), or a list of
        texts for CommaDelimitedList and List<…> (a string is split at commas, kept as is)."""
        type_ = str(declaration.get("Type", "String"))
        listed = type_ == "CommaDelimitedList" or "List<" in type_
        if listed and isinstance(raw, str):
            raw = raw.split(",")
        items = raw if listed and isinstance(raw, list) else [raw]
        texts = [_scalar_text(item) for item in items]
        for item, text in zip(items, texts, strict=True):
            if text is None:
                raise self.error(
                    path, f"parameter {name!r}: {given} {show_value(item)}", "give text"
                )
            if "Number" in type_ and not _is_number(text):
                raise self.error(path, f"parameter {name!r} is a {type_}: {given} {text!r}")
        allowed = declaration.get("AllowedValues")
        if isinstance(allowed, list):
            choices = [_scalar_text(choice) for choice in allowed]
            for text in texts:
                if text not in choices:
                    raise self.error(
                        path,
                        f"parameter {name!r}: {given} {text!r}, not one of its AllowedValues"
                        f"{did_you_mean(str(text), [c for c in choices if c is not None])}",
                        f"use one of: {', '.join(map(str, choices))}",
                    )
        return texts if listed else texts[0]

    # -- conditions ------------------------------------------------------------------------------

    def _condition(self, name: Any, path: str) -> bool:
        declared = self._section("Conditions")
        if not isinstance(name, str) or name not in declared:
            known = ", ".join(map(str, declared)) or "none"
            raise self.error(
                path,
                f"condition {shown(name)} is not declared under Conditions"
                f"{did_you_mean(str(name), map(str, declared))}",
                f"declared conditions: {known}",
            )
        if name not in self._shared.conditions:
            with self._visiting(f"Conditions.{name}", path):
                truth = self._truth(declared[name], f"Conditions.{name}")
            self._shared.conditions[name] = truth
        return self._shared.conditions[name]

    def _truth(self, expression: Any, path: str) -> bool:
        with self._deeper(path):
            key, arg = _only_key(expression)
            here = f"{path}.{key}"
            if key == "Condition":
                return self._condition(arg, here)
            if key == "Fn::Equals":
                left, right = self._arguments(arg, here, 2)
                left = _comparable(self._resolve(left, f"{here}[0]"))
                return bool(left == _comparable(self._resolve(right, f"{here}[1]")))
            if key == "Fn::Not":
                (inner,) = self._arguments(arg, here, 1)
                return not self._truth(inner, f"{here}[0]")
            if key in ("Fn::And", "Fn::Or"):
                if not isinstance(arg, list) or not arg:
                    raise self.error(here, f"{key} takes a list of conditions, got {shown(arg)}")
                truths = (self._truth(item, f"{here}[{i}]") for i, item in enumerate(arg))
                return all(truths) if key == "Fn::And" else any(truths)
            raise self.error(
                path,
                f"a condition is Fn::Equals, Fn::And, Fn::Or, Fn::Not or Condition, "
                f"got {shown(expression)}",
            )

    # -- values ----------------------------------------------------------------------------------

    @contextmanager
    def _deeper(self, path: str) -> Iterator[None]:
        shared = self._shared
        if shared.depth >= MAX_NESTING:
            raise self.error(
                path,
                f"intrinsics nested more than {MAX_NESTING} levels deep",
                "is a Ref or Fn::Transform pointing back at itself?",
            )
        shared.depth += 1
        try:
            yield
        finally:
            shared.depth -= 1

    def _resolve(self, value: Any, path: str) -> Any:
        with self._deeper(path):
            if isinstance(value, Mapping):
                if len(value) == 1:
                    key, arg = next(iter(value.items()))
                    if key == "Ref" or (isinstance(key, str) and key.startswith("Fn::")):
                        return self._intrinsic(key, arg, f"{path}.{key}" if path else key)
                resolved: dict[Any, Any] = {}
                for key, item in value.items():
                    item = self._resolve(item, f"{path}.{key}" if path else str(key))
                    if item is not _NO_VALUE:
                        resolved[key] = item
                return resolved
            if isinstance(value, (list, tuple)):
                items = (self._resolve(item, f"{path}[{i}]") for i, item in enumerate(value))
                return [item for item in items if item is not _NO_VALUE]
            return value

    def _intrinsic(self, key: str, arg: Any, path: str) -> Any:
        if key == "Ref":
            return self._ref(arg, path)
        handler = _HANDLERS.get(key)
        if handler is not None:
            return handler(self, arg, path)
        if key in CONDITION_FUNCTIONS:
            raise self.error(
                path,
                f"{key} belongs under Conditions",
                "declare a condition there and choose with Fn::If [Condition, yes, no]",
            )
        raise self.error(
            path,
            f"unknown function {key!r}{did_you_mean(key, FUNCTIONS)}",
            f"CloudFormation's functions here: Ref, {', '.join(_HANDLERS)}",
        )

    def _arguments(self, arg: Any, path: str, count: int) -> list[Any]:
        if not isinstance(arg, list) or len(arg) != count:
            function = path.rsplit(".", 1)[-1]
            raise self.error(path, f"{function} takes a list of {count}, got {shown(arg)}")
        return arg

    def _text(self, value: Any, path: str, what: str) -> str:
        """A resolved value where text is needed (a number or boolean as JSON writes it)."""
        text = _scalar_text(value) if value is not _NO_VALUE else None
        if text is None:
            shown_value = "AWS::NoValue" if value is _NO_VALUE else show_value(value)
            raise self.error(path, f"{what} must be text, got {shown_value}")
        return text

    def _integer(self, value: Any, path: str, what: str) -> int:
        text = _scalar_text(value)
        if isinstance(value, bool) or text is None or not text.strip().isdigit():
            raise self.error(path, f"{what} must be a whole number, got {show_value(value)}")
        return int(text)

    def _ref(self, name: Any, path: str) -> Any:
        if not isinstance(name, str):
            raise self.error(path, f"Ref takes a name, got {show_value(name)}")
        if name in PSEUDO_PARAMETERS:
            return self._pseudo(name)
        parameters = self._section("Parameters")
        if name in parameters:
            return self._parameter(name, path)
        if name in self._section("Resources"):
            return self._synthesised(name, None, path)
        known = [*map(str, parameters), *map(str, self._section("Resources"))]
        raise self.error(
            path,
            f"{name!r} is neither a parameter nor a resource of this template"
            f"{did_you_mean(name, [*known, *PSEUDO_PARAMETERS])}",
            "declare it under Parameters or Resources",
        )

    @property
    def partition(self) -> str:
        if self.region.startswith("cn-"):
            return "aws-cn"
        return "aws-us-gov" if self.region.startswith("us-gov-") else "aws"

    def _pseudo(self, name: str) -> Any:
        if name == "AWS::NoValue":
            return _NO_VALUE
        if name == "AWS::NotificationARNs":
            return []
        if name == "AWS::StackId":
            digest = hashlib.sha256(self.stack_name.encode()).digest()[:16]
            stack = f"stack/{self.stack_name}/{uuid.UUID(bytes=digest, version=4)}"
            return f"arn:{self.partition}:cloudformation:{self.region}:{self.account_id}:{stack}"
        return {
            "AWS::AccountId": self.account_id,
            "AWS::Partition": self.partition,
            "AWS::Region": self.region,
            "AWS::StackName": self.stack_name,
            "AWS::URLSuffix": "amazonaws.com.cn"
            if self.region.startswith("cn-")
            else "amazonaws.com",
        }[name]

    # -- resource values -------------------------------------------------------------------------

    def _resource(self, logical_id: str, path: str) -> Mapping[str, Any]:
        declared = self._section("Resources")
        if logical_id not in declared:
            raise self.error(
                path,
                f"resource {logical_id!r} is not in the template"
                f"{did_you_mean(logical_id, map(str, declared))}",
            )
        resource = self._resources().get(logical_id)
        if resource is None:
            condition = declared[logical_id].get("Condition")
            raise self.error(
                path,
                f"resource {logical_id!r} is not created: its Condition {condition!r} is false",
                f"refer to it inside Fn::If [{condition}, ..., ...]",
            )
        return resource

    def _synthesised(self, logical_id: str, attribute: str | None, path: str) -> Any:
        resource = self._resource(logical_id, path)
        key = (logical_id, attribute)
        if key not in self._shared.values:
            with self._visiting(logical_id, path):
                self._shared.values[key] = self._minted_value(logical_id, resource, attribute, path)
        return self._shared.values[key]

    def _minted_value(
        self, logical_id: str, resource: Mapping[str, Any], attribute: str | None, path: str
    ) -> Any:
        type_ = resource.get("Type")
        if not isinstance(type_, str) or "::" not in type_:
            raise self.error(
                f"Resources.{logical_id}.Type",
                f"expected a resource type such as AWS::Lambda::Function, got {shown(type_)}",
            )
        here = f"Resources.{logical_id}"
        if type_ in _MINTED:
            length, salt, attributes = _MINTED[type_]
            if attribute is None or attribute in attributes:
                return _minted(logical_id, length, salt)
            if attribute == "RootResourceId" and salt == "api":
                return _minted(logical_id, 10, "root")
            known = (*attributes, "RootResourceId") if salt == "api" else attributes
        elif type_ in _FUNCTION_TYPES:
            if attribute is None:
                return self._name(logical_id, resource, "FunctionName")
            if attribute == "Arn":
                return self._function_arn(self._name(logical_id, resource, "FunctionName"))
            known = ("Arn",)
        elif type_ == "AWS::Lambda::Version":
            if attribute is None:
                return f"{self._function_arn(self._target(logical_id))}:{self._version(logical_id)}"
            if attribute == "Version":
                return str(self._version(logical_id))
            known = ("Version",)
        elif type_ == "AWS::Lambda::Alias":
            if attribute in (None, "AliasArn"):
                name = self._text(
                    self._property(logical_id, "Name"), f"{here}.Properties.Name", "Name"
                )
                return f"{self._function_arn(self._target(logical_id))}:{name}"
            known = ("AliasArn",)
        elif type_ == "AWS::ApiGateway::Stage":
            if attribute is None:
                stage = self._property(logical_id, "StageName")
                return self._text(stage, f"{here}.Properties.StageName", "a Stage's StageName")
            known = ()
        elif type_ == "AWS::Logs::LogGroup":  # an access log's destination: named, ARN `:*`
            name = self._name(logical_id, resource, "LogGroupName")
            if attribute is None:
                return name
            if attribute == "Arn":
                return (
                    f"arn:{self.partition}:logs:{self.region}:{self.account_id}:log-group:{name}:*"
                )
            known = ("Arn",)
        elif type_ in _NAMED:
            if attribute is None or attribute in _NAMED[type_]:
                return logical_id
            known = _NAMED[type_]
        else:
            if attribute is None:
                return logical_id
            if attribute == "Arn":
                service = type_.split("::")[1].lower()
                return (
                    f"arn:{self.partition}:{service}:{self.region}:{self.account_id}:{logical_id}"
                )
            return f"{logical_id}.{attribute}"
        raise self.error(
            path,
            f"{type_} {logical_id!r} has no attribute {attribute!r} here",
            f"its attributes: {', '.join(known)}" if known else "it has none to read",
        )

    def _property(self, logical_id: str, name: str) -> Any:
        """A resource's property, resolved (the resource's own path locates its errors)."""
        here = f"Resources.{logical_id}.Properties"
        properties = self._resources()[logical_id].get("Properties") or {}
        if not isinstance(properties, Mapping):
            raise self.error(here, f"expected a mapping, got {show_value(properties)}")
        if name not in properties:
            raise self.error(here, f"{name} is not given, and this resource's value needs it")
        return self._resolve(properties[name], f"{here}.{name}")

    def _name(self, logical_id: str, resource: Mapping[str, Any], key: str) -> str:
        """A resource's own name (`FunctionName`, `LogGroupName`), or its logical id."""
        properties = resource.get("Properties")
        if isinstance(properties, Mapping) and properties.get(key) is not None:
            path = f"Resources.{logical_id}.Properties.{key}"
            return self._text(self._property(logical_id, key), path, key)
        return logical_id

    def _target(self, logical_id: str) -> str:
        """The function a Version or Alias belongs to, by name (its FunctionName may be an ARN)."""
        path = f"Resources.{logical_id}.Properties.FunctionName"
        name = self._text(self._property(logical_id, "FunctionName"), path, "FunctionName")
        return name.split(":function:", 1)[-1].split(":", 1)[0]

    def _function_arn(self, name: str) -> str:
        return f"arn:{self.partition}:lambda:{self.region}:{self.account_id}:function:{name}"

    def _version(self, logical_id: str) -> int:
        """1-based, among the Versions of the same function in template order: a Version whose
        function cannot be resolved is not counted (its own error comes when it is read)."""
        function = self._target(logical_id)
        number = 0
        for other, resource in self._resources().items():
            if resource.get("Type") != "AWS::Lambda::Version":
                continue
            if other == logical_id:
                return number + 1
            try:
                number += self._target(other) == function
            except ConfigError:
                continue
        raise AssertionError("a Version resource is among the resources")  # pragma: no cover

    # -- functions -------------------------------------------------------------------------------

    def _get_att(self, arg: Any, path: str) -> Any:
        if isinstance(arg, str) and "." in arg:
            arg = arg.split(".", 1)
        pair = self._arguments(arg, path, 2)
        logical_id = self._text(self._resolve(pair[0], f"{path}[0]"), f"{path}[0]", "a resource")
        attribute = self._text(self._resolve(pair[1], f"{path}[1]"), f"{path}[1]", "an attribute")
        return self._synthesised(logical_id, attribute, path)

    def _sub(self, arg: Any, path: str) -> str:
        text_path = path
        variables: Any = {}
        if isinstance(arg, list):
            text, variables = self._arguments(arg, path, 2)
            text_path = f"{path}[0]"
            if not isinstance(variables, Mapping):
                raise self.error(
                    f"{path}[1]", f"expected a mapping of variables, got {shown(variables)}"
                )
        else:
            text = arg
        if not isinstance(text, str):
            raise self.error(text_path, f"Fn::Sub takes text, got {show_value(text)}")

        def value(match: re.Match[str]) -> str:
            name = match.group(1)
            if name.startswith("!"):
                return "${" + name[1:] + "}"
            name = name.strip()
            if name in variables:
                here = f"{path}[1].{name}"
                return self._text(self._resolve(variables[name], here), here, f"${{{name}}}")
            if "." in name:
                return self._text(self._sub_attribute(name, text_path), text_path, f"${{{name}}}")
            if not name:
                raise self.error(text_path, "an empty ${}", "write ${!} for the literal text")
            return self._text(self._ref(name, text_path), text_path, f"${{{name}}}")

        return _SUB.sub(value, text)

    def _sub_attribute(self, name: str, path: str) -> Any:
        logical_id, attribute = name.split(".", 1)
        if logical_id not in self._section("Resources"):
            raise self.error(
                path,
                f"Fn::Sub reads ${{{name}}} as attribute {attribute!r} of resource "
                f"{logical_id!r}, which the template does not define"
                f"{did_you_mean(logical_id, map(str, self._section('Resources')))}",
                f"to pass it on as text (for API Gateway), write ${{!{name}}}",
            )
        return self._synthesised(logical_id, attribute, path)

    def _join(self, arg: Any, path: str) -> str:
        delimiter, items = self._arguments(arg, path, 2)
        delimiter = self._text(
            self._resolve(delimiter, f"{path}[0]"), f"{path}[0]", "the delimiter"
        )
        items = self._resolve(items, f"{path}[1]")
        if not isinstance(items, list):
            raise self.error(f"{path}[1]", f"Fn::Join joins a list, got {show_value(items)}")
        return delimiter.join(
            self._text(item, f"{path}[1][{i}]", "a joined value") for i, item in enumerate(items)
        )

    def _select(self, arg: Any, path: str) -> Any:
        index, items = self._arguments(arg, path, 2)
        index = self._integer(self._resolve(index, f"{path}[0]"), f"{path}[0]", "the index")
        items = self._resolve(items, f"{path}[1]")
        if not isinstance(items, list):
            raise self.error(f"{path}[1]", f"Fn::Select picks from a list, got {show_value(items)}")
        if index >= len(items):
            raise self.error(
                f"{path}[0]", f"index {index} is out of range: the list has {len(items)} items"
            )
        return items[index]

    def _split(self, arg: Any, path: str) -> list[str]:
        delimiter, text = self._arguments(arg, path, 2)
        delimiter = self._text(
            self._resolve(delimiter, f"{path}[0]"), f"{path}[0]", "the delimiter"
        )
        if not delimiter:
            raise self.error(f"{path}[0]", "the delimiter is empty")
        return self._text(self._resolve(text, f"{path}[1]"), f"{path}[1]", "the text").split(
            delimiter
        )

    def _base64(self, arg: Any, path: str) -> str:
        text = self._text(self._resolve(arg, path), path, "Fn::Base64's value")
        return base64.b64encode(text.encode()).decode("ascii")

    def _get_azs(self, arg: Any, path: str) -> list[str]:
        region = self._resolve(arg, path)
        region = self.region if region in ("", None) else self._text(region, path, "the region")
        return [f"{region}{zone}" for zone in "abc"]

    def _cidr(self, arg: Any, path: str) -> list[str]:
        block, count, bits = (
            self._resolve(item, f"{path}[{i}]")
            for i, item in enumerate(self._arguments(arg, path, 3))
        )
        try:
            network = ipaddress.ip_network(
                self._text(block, f"{path}[0]", "the block"), strict=False
            )
        except ValueError as e:
            raise self.error(
                f"{path}[0]", f"not an address block: {e}", "write it as 10.0.0.0/16"
            ) from None
        count = self._integer(count, f"{path}[1]", "the count")
        bits = self._integer(bits, f"{path}[2]", "cidrBits")
        prefix = network.max_prefixlen - bits
        if not 1 <= count <= 256 or not network.prefixlen <= prefix < network.max_prefixlen:
            raise self.error(
                path,
                f"cannot cut {count} /{prefix} blocks from {network}",
                f"count is 1-256 and cidrBits 1-{network.max_prefixlen - network.prefixlen}",
            )
        blocks = [str(b) for b in itertools.islice(network.subnets(new_prefix=prefix), count)]
        if len(blocks) < count:
            raise self.error(
                path, f"{network} holds only {len(blocks)} /{prefix} blocks, not {count}"
            )
        return blocks

    def _if(self, arg: Any, path: str) -> Any:
        condition, yes, no = self._arguments(arg, path, 3)
        if self._condition(condition, f"{path}[0]"):
            return self._resolve(yes, f"{path}[1]")
        return self._resolve(no, f"{path}[2]")

    def _find_in_map(self, arg: Any, path: str) -> Any:
        names = [
            self._text(self._resolve(item, f"{path}[{i}]"), f"{path}[{i}]", "a key")
            for i, item in enumerate(self._arguments(arg, path, 3))
        ]
        found: Any = self._section("Mappings")
        where = "Mappings"
        for i, name in enumerate(names):
            if not isinstance(found, Mapping):
                raise self.error(where, f"expected a mapping, got {show_value(found)}")
            keys = {_scalar_text(k): k for k in found}
            if name not in keys:
                known = ", ".join(str(k) for k in keys) or "none"
                raise self.error(
                    f"{path}[{i}]",
                    f"{where} has no key {name!r}{did_you_mean(name, map(str, keys))}",
                    f"its keys: {known}",
                )
            found, where = found[keys[name]], f"{where}.{keys[name]}"
        return self._resolve(found, where)

    def _import_value(self, arg: Any, path: str) -> Any:
        name = self._text(self._resolve(arg, path), path, "an export name")
        if name not in self.imports:
            raise self.error(
                path,
                f"Fn::ImportValue reads export {name!r} of another stack, which is not there "
                f"locally{did_you_mean(name, map(str, self.imports))}",
                f"add imports: {{{name}: value}} next to source: in apistages.yaml",
            )
        return self.imports[name]

    def _transform(self, arg: Any, path: str) -> Any:
        if not isinstance(arg, Mapping) or arg.get("Name") != "AWS::Include":
            name = arg.get("Name") if isinstance(arg, Mapping) else arg
            raise self.error(
                path,
                f"only the AWS::Include transform runs locally, got {shown(name)}",
                "inline what the macro would produce",
            )
        parameters = arg.get("Parameters")
        here = f"{path}.Parameters.Location"
        if not isinstance(parameters, Mapping) or "Location" not in parameters:
            raise self.error(f"{path}.Parameters", "AWS::Include needs Parameters.Location")
        location = self._text(self._resolve(parameters["Location"], here), here, "Location")
        file = self.base_dir / location
        if not file.is_file():
            where = "from S3" if location.startswith("s3://") else "as a file next to the template"
            raise self.error(
                here,
                f"AWS::Include cannot read {location!r} {where}",
                "give Location as a file path relative to the template",
            )
        try:
            text = file.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as e:
            raise self.error(here, f"cannot read {location!r}: {e}") from None
        with self._visiting(f"include {location}", here):
            data, lines = read_template(text, location)
            return self._view(location, lines, file.parent)._resolve(data, "")


_HANDLERS: dict[str, Callable[[Template, Any, str], Any]] = {
    "Fn::GetAtt": Template._get_att,
    "Fn::Sub": Template._sub,
    "Fn::Join": Template._join,
    "Fn::Select": Template._select,
    "Fn::Split": Template._split,
    "Fn::Base64": Template._base64,
    "Fn::GetAZs": Template._get_azs,
    "Fn::Cidr": Template._cidr,
    "Fn::If": Template._if,
    "Fn::FindInMap": Template._find_in_map,
    "Fn::ImportValue": Template._import_value,
    "Fn::Transform": Template._transform,
}

# Types whose ids are minted: (length, salt, attributes giving the same id). Salt "api" also
# answers RootResourceId.
_MINTED: dict[str, tuple[int, str, tuple[str, ...]]] = {
    "AWS::ApiGateway::RestApi": (10, "api", ("RestApiId",)),
    "AWS::Serverless::Api": (10, "api", ("RestApiId",)),
    "AWS::ApiGateway::Resource": (6, "resource", ("ResourceId",)),
    "AWS::ApiGateway::ApiKey": (10, "key", ("APIKeyId",)),
    "AWS::ApiGateway::UsagePlan": (6, "plan", ("Id",)),
    "AWS::ApiGateway::UsagePlanKey": (10, "plankey", ("Id",)),
    "AWS::ApiGateway::GatewayResponse": (6, "response", ("Id",)),
    "AWS::ApiGateway::Authorizer": (6, "authorizer", ("AuthorizerId",)),
    "AWS::ApiGateway::RequestValidator": (6, "validator", ("RequestValidatorId",)),
}
# Types whose Ref is their logical id: (attributes giving the same).
_NAMED: dict[str, tuple[str, ...]] = {
    "AWS::ApiGateway::Deployment": ("DeploymentId",),
    "AWS::ApiGateway::Method": (),
    "AWS::Lambda::Permission": (),
}
_FUNCTION_TYPES = ("AWS::Lambda::Function", "AWS::Serverless::Function")


def _minted(logical_id: str, length: int, salt: str) -> str:
    number = int.from_bytes(hashlib.sha256(f"{salt}:{logical_id}".encode()).digest(), "big")
    chars = []
    for _ in range(length):
        number, digit = divmod(number, len(_ALNUM))
        chars.append(_ALNUM[digit])
    return "".join(chars)


def _only_key(value: Any) -> tuple[Any, Any]:
    if isinstance(value, Mapping) and len(value) == 1:
        return next(iter(value.items()))
    return None, None


def _scalar_text(value: Any) -> str | None:
    """A scalar as CloudFormation's JSON text (`true`, `5`); None for anything else."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (str, int, float)):
        return str(value)
    return None


def _comparable(value: Any) -> Any:
    if isinstance(value, list):
        return [_comparable(item) for item in value]
    text = _scalar_text(value)
    return value if text is None else text


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True
