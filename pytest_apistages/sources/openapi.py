"""OpenAPI 3 and Swagger 2 definitions with API Gateway's `x-amazon-apigateway-*` extensions
(an exported API, a SAM `DefinitionBody`, a RestApi `Body`) in the config's shape: each
operation a route in the method form, so one parser reads both."""

from __future__ import annotations

import re
from typing import Any

from ..errors import BadRequestError
from ..model import check_stage_name
from .nodes import Node, Place
from .spec import Spec, at

_OPERATIONS = ("get", "put", "post", "delete", "options", "head", "patch")
_PATH_ITEM_KEYS = ("parameters", "summary", "description", "servers", "$ref")
ANY_METHOD = "x-amazon-apigateway-any-method"
INTEGRATION = "x-amazon-apigateway-integration"
HTTP_API_ONLY = "payloadFormatVersion"
# OpenAPI's parameter `in` -> the method request's location.
PARAMETER_IN = {"path": "path", "query": "querystring", "header": "header"}
_NOT_EMULATED = {
    "x-amazon-apigateway-request-validators": "request validation is not emulated: requests "
    "are not validated",
    "x-amazon-apigateway-request-validator": "request validation is not emulated: requests "
    "are not validated",
    "x-amazon-apigateway-policy": "resource policies are not emulated: every caller is allowed",
}


def is_openapi(data: Any) -> bool:
    return isinstance(data, dict) and ("openapi" in data or "swagger" in data)


def read_openapi(doc: Any, spec: Spec, place: Place) -> str | None:
    """Put the routes, binary media types and gateway responses `doc` declares into
    `spec.data["api"]`; return the stage its `basePath` names (an export's stage), if any."""
    root = Node(doc, place.source, "", {"": place})
    entries = root.mapping()
    version = entries.get("openapi") or entries.get("swagger")
    if version is None or not re.match(r"^[23](\.|$)", str(version.value)):
        raise root.error(
            "not an OpenAPI 3 or Swagger 2 document",
            "it starts with openapi: 3.0.1 or swagger: '2.0'",
        )
    info = entries["info"].mapping() if "info" in entries else {}
    if "title" in info and isinstance(info["title"].value, str) and info["title"].value:
        spec.put(["api", "name"], info["title"].value, at(place, "info", "title"))
    schemes = _security_schemes(entries)
    routes: dict[str, Any] = {}
    spec.put(["api", "routes"], routes, at(place, "paths"))
    for path, item in (entries["paths"].mapping() if "paths" in entries else {}).items():
        if not path.startswith("/"):
            raise item.error(f"path {path!r} does not start with '/'", "write it as /" + path)
        operations = item.mapping()
        shared = operations["parameters"].sequence() if "parameters" in operations else []
        for name, operation in operations.items():
            if name in _OPERATIONS or name == ANY_METHOD:
                method = "ANY" if name == ANY_METHOD else name.upper()
                key = f"{method} {path}"
                routes[key] = _route(root, operation, shared, schemes, spec)
                here = at(place, "paths", path, name)
                spec.mark(["api", "routes", key], here)
                spec.mark(["api", "routes", key, "integration"], at(here, INTEGRATION))
                spec.mark(["api", "routes", key, "requestParameters"], at(here, "parameters"))
                spec.mark(["api", "routes", key, "methodResponses"], at(here, "responses"))
                spec.mark(["api", "routes", key, "apiKeyRequired"], at(here, "security"))
            elif name not in _PATH_ITEM_KEYS and not name.startswith("x-"):
                spec.notices.append(_notice(
                    operation, f"{name!r} is not a method API Gateway has: not imported "
                    f"(its methods: {', '.join(_OPERATIONS)} and {ANY_METHOD})",
                ))  # fmt: skip
    if "x-amazon-apigateway-binary-media-types" in entries:
        types = entries["x-amazon-apigateway-binary-media-types"]
        spec.put(["api", "binary_media_types"], types.value, at(place, types.path))
    if "x-amazon-apigateway-gateway-responses" in entries:
        responses = entries["x-amazon-apigateway-gateway-responses"]
        spec.put(["api", "gateway_responses"], responses.value, at(place, responses.path))
    if "x-amazon-apigateway-api-key-source" in entries:
        source = entries["x-amazon-apigateway-api-key-source"]
        if str(source.value).upper() != "HEADER":
            raise source.error(
                f"API key source {source.value!r} is not emulated (it needs an authorizer)",
                "use HEADER (keys in the x-api-key header)",
            )
    for key, text in _NOT_EMULATED.items():
        if key in entries:
            spec.notices.append(_notice(entries[key], text))
    return _stage_named(entries)


def _route(
    root: Node, operation: Node, shared: list[Node], schemes: dict[str, Node], spec: Spec
) -> dict[str, Any]:
    """One operation in the method form (`{integration:, requestParameters:, ...}`)."""
    entries = operation.mapping()
    if INTEGRATION not in entries:
        raise operation.error(
            f"no {INTEGRATION}",
            "API Gateway needs an integration for every method: add one (type: mock for a stub)",
        )
    route: dict[str, Any] = {"integration": _integration(entries[INTEGRATION], spec)}
    parameters: dict[str, bool] = {}
    for parameter in [
        *shared,
        *(entries["parameters"].sequence() if "parameters" in entries else []),
    ]:
        parameter = _dereferenced(root, parameter)
        fields = parameter.mapping()
        where = str(fields["in"].value) if "in" in fields else ""
        if where in PARAMETER_IN and "name" in fields:
            required = fields.get("required")
            parameters[f"method.request.{PARAMETER_IN[where]}.{fields['name'].value}"] = bool(
                required.value if required is not None else where == "path"
            )
    if parameters:
        route["requestParameters"] = parameters
    responses: dict[str, Any] = {}
    for status, response in _statuses(entries["responses"]) if "responses" in entries else []:
        if not re.fullmatch(r"[1-5]\d\d", status):
            continue  # `default` and the like: API Gateway imports status codes only
        response = _dereferenced(root, response)
        headers = response.mapping().get("headers")
        names = headers.mapping() if headers is not None else {}
        responses[str(status)] = {
            "responseParameters": {f"method.response.header.{name}": False for name in names}
        }
    if responses:
        route["methodResponses"] = responses
    if "operationId" in entries:
        route["operationName"] = entries["operationId"].value
    for requirement in entries["security"].sequence() if "security" in entries else []:
        for name in requirement.mapping():
            scheme = schemes.get(name)
            if scheme is None:
                raise requirement.child(name).error(
                    f"security scheme {name!r} is not defined",
                    f"define it under securityDefinitions or components.securitySchemes "
                    f"(defined: {', '.join(schemes) or 'none'})",
                )
            if _is_api_key(scheme):
                route["apiKeyRequired"] = True
            else:
                spec.notices.append(
                    _notice(
                        requirement.child(name),
                        f"authorizer {name!r} is not emulated: "
                        "requests are let through unauthorized",
                    )  # fmt: skip
                )
    if "x-amazon-apigateway-request-validator" in entries:
        spec.notices.append(
            _notice(
                entries["x-amazon-apigateway-request-validator"],
                _NOT_EMULATED["x-amazon-apigateway-request-validator"],
            )  # fmt: skip
        )
    return route


def _integration(node: Node, spec: Spec) -> Any:
    """The operation's integration as the route parser reads it. `payloadFormatVersion` is an
    HTTP API setting that a REST API's import ignores; so do we, and say so."""
    if not isinstance(node.value, dict) or HTTP_API_ONLY not in node.value:
        return node.value
    spec.notices.append(
        _notice(
            node.child(HTTP_API_ONLY),
            f"{HTTP_API_ONLY} is an HTTP API setting: REST APIs ignore it, and so do we",
        )
    )
    return {key: value for key, value in node.value.items() if key != HTTP_API_ONLY}


def _statuses(node: Node) -> list[tuple[str, Node]]:
    """An operation's `responses` by status, as text: YAML reads an unquoted `200:` as a
    number, which API Gateway's import takes as the status it spells."""
    if not isinstance(node.value, dict):
        return list(node.mapping().items())  # the mapping check's own error
    return [(str(key), node.child(key)) for key in node.value]


def _security_schemes(entries: dict[str, Node]) -> dict[str, Node]:
    if "securityDefinitions" in entries:
        return entries["securityDefinitions"].mapping()
    components = entries["components"].mapping() if "components" in entries else {}
    return components["securitySchemes"].mapping() if "securitySchemes" in components else {}


def _is_api_key(scheme: Node) -> bool:
    """API Gateway's API key: `{type: apiKey, name: x-api-key, in: header}` with no authorizer."""
    fields = scheme.mapping()
    kind = str(fields["type"].value) if "type" in fields else ""
    custom = "x-amazon-apigateway-authtype" in fields or "x-amazon-apigateway-authorizer" in fields
    name = str(fields["name"].value).lower() if "name" in fields else ""
    return kind == "apiKey" and not custom and name == "x-api-key"


def _dereferenced(root: Node, node: Node) -> Node:
    """A `$ref` to a local definition (`#/components/parameters/Id`) read in its place."""
    for _ in range(32):
        if not (isinstance(node.value, dict) and "$ref" in node.value):
            return node
        ref = node.child("$ref")
        text = str(ref.value)
        if not text.startswith("#/"):
            raise ref.error(f"external reference {text!r} is not read", "inline the definition")
        target = root
        for part in text[2:].split("/"):
            part = part.replace("~1", "/").replace("~0", "~")
            if not isinstance(target.value, dict) or part not in target.value:
                raise ref.error(f"reference {text!r} points at nothing", "fix the path")
            target = target.child(part)
        node = target
    raise node.error("references refer to each other in a loop")


def _stage_named(entries: dict[str, Node]) -> str | None:
    """The stage an export was taken from: Swagger's `basePath: /prod`, or OpenAPI 3's
    `servers[0].variables.basePath.default`."""
    base: Any = entries["basePath"].value if "basePath" in entries else None
    if base is None and "servers" in entries and isinstance(entries["servers"].value, list):
        servers = entries["servers"].value
        first = servers[0] if servers and isinstance(servers[0], dict) else {}
        variables = first.get("variables") if isinstance(first.get("variables"), dict) else {}
        base_variable = variables.get("basePath") if variables else None
        if isinstance(base_variable, dict):
            base = base_variable.get("default")
    if not isinstance(base, str):
        return None
    name = base.strip("/")
    try:
        check_stage_name(name)
    except BadRequestError:
        return None
    return name


def _notice(node: Node, text: str) -> str:
    error = node.error(text)
    return str(error)
