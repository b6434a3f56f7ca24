"""A CloudFormation template (written by hand, by the SAM transform or by `cdk synth`) in the
config's shape: one `AWS::ApiGateway::RestApi` with its methods (or OpenAPI body), its
deployments and stages, keys and plans, gateway responses, and the Lambda functions, versions
and aliases its integrations and stage variables reach. Only what the gateway uses is resolved,
so the rest of a stack (tables, queues, roles) never stands in the way."""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ..errors import ConfigError
from .nodes import Place, show_value
from .openapi import read_openapi
from .spec import Spec, at
from .template import Template, read_template

REST_API = "AWS::ApiGateway::RestApi"
_PYTHON = re.compile(r"^python3(\.\d+)?$")
_METHOD_SETTING_KEYS = {
    "ThrottlingRateLimit": ("throttling", "rate"),
    "ThrottlingBurstLimit": ("throttling", "burst"),
    "CachingEnabled": ("caching", "enabled"),
    "CacheTtlInSeconds": ("caching", "ttl"),
    "LoggingLevel": ("logging",),
    "MetricsEnabled": ("metrics",),
    "DataTraceEnabled": ("data_trace",),
}
# Integration properties in CloudFormation's spelling -> x-amazon-apigateway-integration's.
_INTEGRATION_KEYS = {
    "Type": "type", "IntegrationHttpMethod": "httpMethod", "Uri": "uri",
    "RequestParameters": "requestParameters", "RequestTemplates": "requestTemplates",
    "PassthroughBehavior": "passthroughBehavior", "ContentHandling": "contentHandling",
    "TimeoutInMillis": "timeoutInMillis", "CacheKeyParameters": "cacheKeyParameters",
    "CacheNamespace": "cacheNamespace", "Credentials": "credentials",
    "ConnectionType": "connectionType", "ConnectionId": "connectionId",
}  # fmt: skip
_METHOD_PROPERTIES = (
    "RestApiId", "ResourceId", "HttpMethod", "Integration", "RequestParameters",
    "MethodResponses", "ApiKeyRequired", "OperationName", "AuthorizationType", "AuthorizerId",
    "AuthorizationScopes", "RequestValidatorId", "RequestModels",
)  # fmt: skip
_RESPONSE_KEYS = {
    "StatusCode": "statusCode", "ResponseParameters": "responseParameters",
    "ResponseTemplates": "responseTemplates", "ContentHandling": "contentHandling",
}  # fmt: skip


def read_cloudformation(
    template: Template,
    spec: Spec,
    *,
    api: str | None = None,
    code_folders: Mapping[str, Path] | None = None,
) -> None:
    """Put the API `api` (a RestApi's logical id; needed when there are several) and what it
    uses into `spec`. `code_folders` maps the functions whose local `CodeUri` the SAM step
    parked to their folders."""
    reader = _Reader(template, spec, code_folders or {})
    reader.read(api)


class _Reader:
    def __init__(self, template: Template, spec: Spec, code_folders: Mapping[str, Path]) -> None:
        self.t = template
        self.spec = spec
        self.code_folders = code_folders
        self.resources = template.resources
        self.api = ""  # the RestApi's logical id, its Ref and root resource id, once chosen
        self.api_id: Any = None
        self.root_id: Any = None

    # -- helpers -----------------------------------------------------------------------------

    def place(self, *keys: str | int) -> Place:
        """The place of a template key, given as its keys or as one dotted key path."""
        if len(keys) == 1 and isinstance(keys[0], str) and keys[0].startswith("Resources."):
            return Place(self.t.source, keys[0], self.t.lines)
        return at(Place(self.t.source, "", self.t.lines), *keys)

    def prop(self, logical_id: str, key: str, default: Any = None) -> Any:
        """A resource's property, intrinsics resolved (only when read)."""
        properties = self.resources[logical_id].get("Properties") or {}
        if not isinstance(properties, Mapping):
            raise self.t.error(f"Resources.{logical_id}.Properties", "expected a mapping")
        if key not in properties:
            return default
        return self.t.resolve(properties[key], f"Resources.{logical_id}.Properties.{key}")

    def path(self, logical_id: str, *keys: str | int) -> str:
        """The key path of a resource's property (`Resources.Api.Properties.Name`)."""
        return self.place("Resources", logical_id, "Properties", *keys).path

    def mapping(self, value: Any, path: str) -> Mapping[str, Any]:
        """`value` as a mapping (nothing: an empty one); anything else, a located error."""
        if value is None:
            return {}
        if not isinstance(value, Mapping):
            raise self.t.error(path, f"expected a mapping, got {show_value(value)}")
        return value

    def sequence(self, value: Any, path: str) -> list[Any]:
        """`value` as a list (nothing: an empty one); anything else, a located error."""
        if value is None:
            return []
        if not isinstance(value, list):
            raise self.t.error(path, f"expected a list, got {show_value(value)}")
        return value

    def notice(self, path: str, text: str) -> None:
        """Something read that is not emulated: said once, where it is."""
        self.spec.notices.append(str(self.t.error(path, text)))

    def of_type(self, kind: str) -> list[str]:
        return [lid for lid, r in self.resources.items() if r.get("Type") == kind]

    def for_api(self, kind: str, key: str = "RestApiId") -> list[str]:
        """The resources of `kind` whose `key` names our API."""
        return [lid for lid in self.of_type(kind) if self.prop(lid, key) == self.api_id]

    # -- the API -----------------------------------------------------------------------------

    def read(self, wanted: str | None) -> None:
        apis = self.of_type(REST_API)
        if not apis:
            raise self.t.error(
                "Resources", "the template declares no AWS::ApiGateway::RestApi",
                "REST APIs only: an AWS::Serverless::Api or Events of Type Api make one",
            )  # fmt: skip
        if wanted is None and len(apis) > 1:
            raise self.t.error(
                "Resources", f"the template declares {len(apis)} REST APIs: {', '.join(apis)}",
                "pick one: api='<logical id>' (source: {path: ..., api: ...} in apistages.yaml)",
            )  # fmt: skip
        if wanted is not None and wanted not in apis:
            raise self.t.error(
                "Resources", f"no REST API {wanted!r} in the template",
                f"its REST APIs: {', '.join(apis)}",
            )  # fmt: skip
        self.api = lid = wanted or apis[0]
        self.api_id = self.t.ref_value(lid)
        self.root_id = self.t.attribute_value(lid, "RootResourceId", f"Resources.{lid}")
        here = self.place("Resources", lid, "Properties")
        name = self.prop(lid, "Name")
        self.spec.put(["api", "name"], name or lid, at(here, "Name"))
        self.spec.put(["api", "id"], self.api_id, self.place("Resources", lid))
        self.spec.put(["api", "region"], self.t.region)
        self.spec.put(["api", "account_id"], self.t.account_id)
        body, location = self.prop(lid, "Body"), self.prop(lid, "BodyS3Location")
        if body is not None:
            read_openapi(body, self.spec, at(here, "Body"))
        elif location is not None:
            self._body_file(location, at(here, "BodyS3Location"))
        else:
            self._methods()
        if name:  # top-level properties apply over the body (CFN's RestApi: Mode), info.title too
            self.spec.put(["api", "name"], name, at(here, "Name"))
        given_types = self.sequence(
            self.prop(lid, "BinaryMediaTypes"), self.path(lid, "BinaryMediaTypes")
        )
        types = [  # (what is not a string, the config's check refuses where it is)
            t.replace("~1", "/").replace("~0", "~") if isinstance(t, str) else t
            for t in given_types
        ]
        if types:
            known = self.spec.data["api"].get("binary_media_types") or []
            self.spec.put(
                ["api", "binary_media_types"], [*known, *(t for t in types if t not in known)],
                at(here, "BinaryMediaTypes"),
            )  # fmt: skip
        source_type = self.prop(lid, "ApiKeySourceType")
        if source_type not in (None, "HEADER"):
            raise self.t.error(
                self.path(lid, "ApiKeySourceType"),
                f"API key source {source_type!r} is not emulated (it needs an authorizer)",
                "use HEADER (keys in the x-api-key header)",
            )
        if self.prop(lid, "Policy") is not None:
            self.notice(
                self.path(lid, "Policy"),
                "resource policies are not emulated: every caller is allowed",
            )
        self._gateway_responses()
        self._deployments_and_stages()
        self._keys_and_plans()
        self._functions()

    def _body_file(self, location: Any, place: Place) -> None:
        """`BodyS3Location` read from a local file: its Key, relative to the template."""
        key = location.get("Key") if isinstance(location, Mapping) else None
        candidates = [self.t.base_dir / str(key)] if key else []
        if key and isinstance(location, Mapping) and location.get("Bucket"):
            candidates.append(self.t.base_dir / str(location["Bucket"]) / str(key))
        for file in candidates:
            if file.is_file():
                text = file.read_text(encoding="utf-8")
                doc, lines = read_template(text, str(file))
                read_openapi(
                    Template(doc, str(file), lines=lines, base_dir=file.parent).resolve(doc, ""),
                    self.spec, Place(str(file), "", lines),
                )  # fmt: skip
                return
        raise self.t.error(
            place.path, f"the OpenAPI body is in S3 ({location!r}), not in a local file",
            "put the file at the Key's path relative to the template (or use Body)",
        )  # fmt: skip

    def _methods(self) -> None:
        """`AWS::ApiGateway::Resource` chains and `Method`s, as routes."""
        resources = self.for_api("AWS::ApiGateway::Resource")
        by_id = {self.t.ref_value(lid): lid for lid in resources}
        paths: dict[Any, str] = {self.root_id: "/"}

        def path_of(resource_id: Any, where: str, seen: tuple[str, ...] = ()) -> str:
            """The path of a resource, from the key (`where`) that names it."""
            if resource_id in paths:
                return paths[resource_id]
            lid = by_id.get(resource_id)
            if lid is None or lid in seen:
                raise self.t.error(
                    where, f"resource {resource_id!r} is not a resource of {self.api}",
                    "name one of its AWS::ApiGateway::Resource (or its RootResourceId)",
                )  # fmt: skip
            parent = path_of(self.prop(lid, "ParentId"), self.path(lid, "ParentId"), (*seen, lid))
            part = self.prop(lid, "PathPart")
            if not isinstance(part, str) or not part:
                raise self.t.error(
                    self.path(lid, "PathPart"), f"expected a path part, got {show_value(part)}",
                    "e.g. items, {id} or {proxy+}",
                )  # fmt: skip
            paths[resource_id] = f"{parent.rstrip('/')}/{part}"
            return paths[resource_id]

        routes: dict[str, Any] = {}
        self.spec.put(["api", "routes"], routes, self.place("Resources"))
        for lid in self.for_api("AWS::ApiGateway::Method"):
            here = self.place("Resources", lid, "Properties")
            for name in self.mapping(self.resources[lid].get("Properties"), here.path):
                if name not in _METHOD_PROPERTIES:
                    raise self.t.error(
                        at(here, name).path, "unknown Method property",
                        f"known: {', '.join(_METHOD_PROPERTIES)}",
                    )  # fmt: skip
            path = path_of(self.prop(lid, "ResourceId"), self.path(lid, "ResourceId"))
            key = f"{str(self.prop(lid, 'HttpMethod', '')).upper()} {path}"
            if key in routes:
                raise self.t.error(here.path, f"a second method for {key}", "keep one")
            integration = self._integration(lid, key, at(here, "Integration"))
            route: dict[str, Any] = {"integration": integration}
            for ours, theirs in (("requestParameters", "RequestParameters"),
                                 ("apiKeyRequired", "ApiKeyRequired"),
                                 ("operationName", "OperationName")):  # fmt: skip
                value = self.prop(lid, theirs)
                if value is not None:
                    route[ours] = value
                    self.spec.mark(["api", "routes", key, ours], at(here, theirs))
            responses = {}
            given = self.sequence(
                self.prop(lid, "MethodResponses"), self.path(lid, "MethodResponses")
            )
            for index, response in enumerate(given):
                where = self.path(lid, "MethodResponses", index)
                response = self.mapping(response, where)
                status = str(response.get("StatusCode"))
                responses[status] = {"responseParameters": response.get("ResponseParameters") or {}}
                self.spec.mark(
                    ["api", "routes", key, "methodResponses", status],
                    at(here, "MethodResponses", index),
                )
            if responses:
                route["methodResponses"] = responses
            authorization = str(self.prop(lid, "AuthorizationType") or "NONE").upper()
            if authorization != "NONE":
                self.notice(
                    self.path(lid, "AuthorizationType"),
                    f"authorization {authorization} is not emulated: requests are let through",
                )
            if self.prop(lid, "RequestValidatorId") is not None:
                self.notice(
                    self.path(lid, "RequestValidatorId"),
                    "request validation is not emulated: requests are not validated",
                )
            routes[key] = route
            self.spec.mark(["api", "routes", key], here)

    def _integration(self, lid: str, key: str, place: Place) -> dict[str, Any]:
        """A Method's `Integration` in x-amazon-apigateway-integration's keys, each located
        at CloudFormation's."""
        given = self.mapping(self.prop(lid, "Integration"), place.path)
        integration = ["api", "routes", key, "integration"]
        self.spec.mark(integration, place)
        out: dict[str, Any] = {}
        for theirs, value in given.items():
            ours = _INTEGRATION_KEYS.get(theirs)
            if ours is not None:
                out[ours] = value
                self.spec.mark([*integration, ours], at(place, theirs))
            elif theirs == "IntegrationResponses":
                out["responses"] = self._responses(
                    value, [*integration, "responses"], at(place, theirs)
                )
            else:
                raise self.t.error(
                    at(place, theirs).path, "unknown Integration property",
                    f"known: {', '.join([*_INTEGRATION_KEYS, 'IntegrationResponses'])}",
                )  # fmt: skip
        return out

    def _responses(self, given: Any, keys: list[str], place: Place) -> dict[str, Any]:
        """IntegrationResponses by selection pattern (none: the default response)."""
        responses: dict[str, Any] = {}
        for index, response in enumerate(self.sequence(given, place.path)):
            here = at(place, index)
            response = self.mapping(response, here.path)
            pattern = str(response.get("SelectionPattern") or "default")
            if pattern in responses:
                raise self.t.error(
                    here.path, f"a second integration response for selection pattern {pattern!r}",
                    "give each a SelectionPattern of its own (one may have none: the default)",
                )  # fmt: skip
            responses[pattern] = {
                _RESPONSE_KEYS.get(k, k): v for k, v in response.items() if k != "SelectionPattern"
            }
            self.spec.mark([*keys, pattern], here)
            for theirs, ours in _RESPONSE_KEYS.items():
                self.spec.mark([*keys, pattern, ours], at(here, theirs))
        return responses

    def _gateway_responses(self) -> None:
        found: dict[str, Any] = dict(self.spec.data["api"].get("gateway_responses") or {})
        for lid in self.for_api("AWS::ApiGateway::GatewayResponse"):
            entry = {
                key: value
                for key, value in (
                    ("statusCode", self.prop(lid, "StatusCode")),
                    ("responseParameters", self.prop(lid, "ResponseParameters")),
                    ("responseTemplates", self.prop(lid, "ResponseTemplates")),
                )
                if value is not None
            }
            kind = str(self.prop(lid, "ResponseType"))
            found[kind] = entry
            self.spec.mark(
                ["api", "gateway_responses", kind], self.place("Resources", lid, "Properties")
            )
        if found:
            self.spec.put(["api", "gateway_responses"], found)

    # -- deployments and stages --------------------------------------------------------------

    def _deployments_and_stages(self) -> None:
        routes = self.spec.data["api"].get("routes") or {}
        route_places = {k: v for k, v in self.spec.places.items() if k.startswith("api.routes")}
        deployments = self.for_api("AWS::ApiGateway::Deployment")
        for lid in deployments:
            description = self.prop(lid, "Description") or ""
            self.spec.put(["deployments", lid], {"description": str(description), "routes": routes},
                          self.place("Resources", lid))  # fmt: skip
            for key, place in route_places.items():
                self.spec.places[f"deployments.{lid}{key[len('api') :]}"] = place
        stages: dict[str, dict[str, Any]] = {}
        for lid in self.for_api("AWS::ApiGateway::Stage"):
            name = self.prop(lid, "StageName")
            if not name:
                raise self.t.error(
                    f"Resources.{lid}.Properties", "the stage has no StageName",
                    "give it one: the gateway serves each stage under its name",
                )  # fmt: skip
            deployment = self.prop(lid, "DeploymentId")
            if deployment not in deployments:
                raise self.t.error(
                    self.path(lid, "DeploymentId"),
                    f"the stage's deployment {deployment!r} is not a Deployment of this API",
                    f"its deployments: {', '.join(deployments) or 'none'}",
                )
            stage = {"deployment": deployment, **self._stage_settings(lid, "", name)}
            stages[str(name)] = stage
            self.spec.mark(["stages", str(name)], self.place("Resources", lid, "Properties"))
        for lid in deployments:
            name = self.prop(lid, "StageName")
            if not name:
                continue
            canary = self.prop(lid, "DeploymentCanarySettings")
            if canary is not None:
                if name not in stages:
                    raise self.t.error(
                        self.path(lid, "DeploymentCanarySettings"),
                        f"a canary deployment needs stage {name!r} to exist already",
                        "declare the stage (an AWS::ApiGateway::Stage) with its deployment",
                    )  # fmt: skip
                where = self.path(lid, "DeploymentCanarySettings")
                stages[name]["canary"] = {
                    "deployment": lid,
                    **self._canary(self.mapping(canary, where), where, name),
                }
                self.spec.mark(
                    ["stages", name, "canary"],
                    self.place("Resources", lid, "Properties", "DeploymentCanarySettings"),
                )
            elif name not in stages:
                stages[str(name)] = {
                    "deployment": lid,
                    **self._stage_settings(lid, "StageDescription", str(name)),
                }
                self.spec.mark(
                    ["stages", str(name)],
                    self.place("Resources", lid, "Properties", "StageDescription"),
                )
        if not stages:
            raise self.t.error(
                f"Resources.{self.api}", f"the template deploys {self.api} to no stage",
                "add an AWS::ApiGateway::Deployment with a StageName (or a Stage), or give "
                "stages: in an apistages.yaml that names this template as its source:",
            )  # fmt: skip
        self.spec.put(["stages"], stages)

    def _stage_settings(self, lid: str, under: str, name: str) -> dict[str, Any]:
        """A Stage's (or a Deployment's StageDescription's) settings in the config's keys."""

        base = [under] if under else []
        holder = self.mapping(self.prop(lid, under), self.path(lid, under)) if under else {}

        def get(key: str) -> Any:
            return holder.get(key) if under else self.prop(lid, key)

        def where(*keys: str | int) -> str:
            return self.path(lid, *base, *keys)

        out: dict[str, Any] = {}
        if get("Variables") is not None:
            variables = self.mapping(get("Variables"), where("Variables"))
            out["variables"] = {k: _text(v) for k, v in variables.items()}
            self.spec.mark(["stages", name, "variables"], self.place(where("Variables")))
        if get("Description") is not None:
            out["description"] = str(get("Description"))
        method_settings: dict[str, Any] = {}
        for index, entry in enumerate(
            self.sequence(get("MethodSettings"), where("MethodSettings"))
        ):
            entry = self.mapping(entry, where("MethodSettings", index))
            key = _method_settings_key(entry)
            if key.startswith("* "):  # settings apply to one method, or to all as /* and *
                raise self.t.error(
                    self.path(lid, *base, "MethodSettings", index, "HttpMethod"),
                    f"HttpMethod '*' with ResourcePath {entry.get('ResourcePath')!r}: a "
                    "method setting is for one method, or for all with ResourcePath /*",
                    "name the method (GET, POST, ...), one entry per method",
                )
            method_settings[key] = _method_setting(entry)
            entry_at = self.place(where("MethodSettings", index))
            self.spec.mark(["stages", name, "method_settings", key], entry_at)
            for theirs, ours in _METHOD_SETTING_KEYS.items():
                self.spec.mark(
                    ["stages", name, "method_settings", key, *ours], at(entry_at, theirs)
                )
        if under:  # StageDescription also takes the `*/*` settings directly
            stage_level = _method_setting(
                {k: v for k, v in holder.items() if k in _METHOD_SETTING_KEYS}
            )
            if stage_level:
                method_settings["*/*"] = {**stage_level, **method_settings.get("*/*", {})}
        cluster = get("CacheClusterEnabled")
        if cluster:
            out["caching"] = {"enabled": True}
            if get("CacheClusterSize") is not None:
                out["caching"]["size"] = str(get("CacheClusterSize"))
            # The cluster alone caches nothing: methods cache only where a setting says so.
            everything = method_settings.setdefault("*/*", {})
            everything.setdefault("caching", {}).setdefault("enabled", False)
        if method_settings:
            out["method_settings"] = method_settings
        if get("AccessLogSetting") is not None:
            log = self.mapping(get("AccessLogSetting"), where("AccessLogSetting"))
            self.spec.mark(["stages", name, "access_log"], self.place(where("AccessLogSetting")))
            out["access_log"] = {
                "format": log.get("Format"),
                "destination": log.get("DestinationArn") or "access-logs",
            }
        if get("CanarySetting") is not None:
            canary = self.mapping(get("CanarySetting"), where("CanarySetting"))
            settings = self._canary(canary, where("CanarySetting"), name)
            self.spec.mark(["stages", name, "canary"], self.place(where("CanarySetting")))
            deployment = canary.get("DeploymentId")
            settings["deployment"] = deployment or (
                lid if under else self.prop(lid, "DeploymentId")
            )
            out["canary"] = settings
        return out

    def _canary(self, given: Mapping[str, Any], path: str, stage: str) -> dict[str, Any]:
        """CanarySetting / DeploymentCanarySettings in the config's keys (SAM passes through a
        misspelt `StageVariablesOverrides`; AWS's key is `StageVariableOverrides`)."""
        out: dict[str, Any] = {"percent": _number(given.get("PercentTraffic", 0))}
        spelling = "StageVariablesOverrides" if "StageVariablesOverrides" in given else None
        key = spelling or "StageVariableOverrides"
        for ours, theirs in (("percent", "PercentTraffic"), ("variables", key),
                             ("use_stage_cache", "UseStageCache")):  # fmt: skip
            self.spec.mark(["stages", stage, "canary", ours], self.place(f"{path}.{theirs}"))
        overrides = self.mapping(given.get(key), f"{path}.{key}")
        if overrides:
            out["variables"] = {k: _text(v) for k, v in overrides.items()}
        if given.get("UseStageCache") is not None:
            out["use_stage_cache"] = _boolean(given["UseStageCache"])
        return out

    # -- API keys and usage plans ------------------------------------------------------------

    def _keys_and_plans(self) -> None:
        keys: dict[str, Any] = {}
        key_names: dict[Any, str] = {}
        for lid in self.of_type("AWS::ApiGateway::ApiKey"):
            name = str(self.prop(lid, "Name") or lid)
            entry: dict[str, Any] = {"enabled": _boolean(self.prop(lid, "Enabled", False))}
            if self.prop(lid, "Value") is not None:
                entry["value"] = str(self.prop(lid, "Value"))
            keys[name] = entry
            key_names[self.t.ref_value(lid)] = name
            self.spec.mark(["api_keys", name], self.place("Resources", lid, "Properties"))
        plans: dict[str, Any] = {}
        members: dict[Any, list[str]] = {}
        for lid in self.of_type("AWS::ApiGateway::UsagePlanKey"):
            key_id = self.prop(lid, "KeyId")
            if key_id not in key_names:
                self.notice(
                    self.path(lid, "KeyId"),
                    f"API key {key_id!r} is not in this template: its calls are refused (give "
                    "it as api_keys: in an apistages.yaml whose source: is this template)",
                )
                continue
            members.setdefault(self.prop(lid, "UsagePlanId"), []).append(key_names[key_id])
        for lid in self.of_type("AWS::ApiGateway::UsagePlan"):
            plan_stages: list[Any] = []
            api_stages = self.sequence(self.prop(lid, "ApiStages"), self.path(lid, "ApiStages"))
            for index, item in enumerate(api_stages):
                item = self.mapping(item, self.path(lid, "ApiStages", index))
                if item.get("ApiId") != self.api_id:
                    continue
                stage = str(item.get("Stage"))
                where = self.path(lid, "ApiStages", index, "Throttle")
                throttle = self.mapping(item.get("Throttle"), where)
                if throttle:
                    limits = {k: self._limits(v, f"{where}.{k}") for k, v in throttle.items()}
                    plan_stages.append({"stage": stage, "throttle": limits})
                else:
                    plan_stages.append(stage)
            if not plan_stages:
                continue  # a plan for another API
            name = str(self.prop(lid, "UsagePlanName") or lid)
            plan: dict[str, Any] = {"stages": plan_stages}
            used = [key for key in members.get(self.t.ref_value(lid), []) if key in keys]
            if used:
                plan["keys"] = used
            if self.prop(lid, "Throttle"):
                plan["throttle"] = self._limits(
                    self.prop(lid, "Throttle"), self.path(lid, "Throttle")
                )
            quota = self.mapping(self.prop(lid, "Quota"), self.path(lid, "Quota"))
            if quota:
                plan["quota"] = {
                    "limit": _number(quota.get("Limit")),
                    "period": quota.get("Period"),
                }
                if quota.get("Offset") not in (None, 0, "0"):
                    self.notice(
                        self.path(lid, "Quota", "Offset"),
                        "quota offsets are not emulated: periods start at the first request",
                    )
            plans[name] = plan
            self.spec.mark(["usage_plans", name], self.place("Resources", lid, "Properties"))
        if keys:
            self.spec.put(["api_keys"], keys)
        if plans:
            self.spec.put(["usage_plans"], plans)

    def _limits(self, given: Any, path: str) -> dict[str, Any]:
        """`{RateLimit, BurstLimit}` as the config's `{rate, burst}`."""
        limits = self.mapping(given, path)
        return {
            "rate": _number(limits.get("RateLimit")),
            "burst": _number(limits.get("BurstLimit")),
        }

    # -- functions ---------------------------------------------------------------------------

    def _functions(self) -> None:
        """The Lambda functions the routes' URIs and the stages' variables name, each with
        its local code, versions and aliases."""
        used = _strings(self.spec.data["api"].get("routes"), self.spec.data.get("stages"))
        functions: dict[str, Any] = {}
        for lid in self.of_type("AWS::Lambda::Function"):
            name = str(self.t.ref_value(lid))
            if not any(re.search(rf"(^|[:/]){re.escape(name)}($|[:/])", text) for text in used):
                continue
            here = self.place("Resources", lid, "Properties")
            entry = self._code(lid, name)
            if entry is None:
                continue
            environment = self.mapping(self.prop(lid, "Environment"), self.path(lid, "Environment"))
            where = self.path(lid, "Environment", "Variables")
            variables = self.mapping(environment.get("Variables"), where)
            if variables:
                entry["environment"] = {k: _text(v) for k, v in variables.items()}
                self.spec.mark(
                    ["functions", name, "environment"], at(here, "Environment", "Variables")
                )
            if self.prop(lid, "Timeout") is not None:
                entry["timeout"] = _number(self.prop(lid, "Timeout"))
                self.spec.mark(["functions", name, "timeout"], at(here, "Timeout"))
            if self.prop(lid, "MemorySize") is not None:
                entry["memory"] = _number(self.prop(lid, "MemorySize"))
                self.spec.mark(["functions", name, "memory"], at(here, "MemorySize"))
            if self.prop(lid, "Layers"):
                self.notice(
                    self.path(lid, "Layers"),
                    f"layers of {name!r} are not loaded: what its code imports from them must "
                    "be installed where the tests run",
                )
            self._versions(lid, name, entry)
            functions[name] = entry
            self.spec.mark(["functions", name], here)
        if functions:
            self.spec.put(["functions"], functions)

    def _code(self, lid: str, name: str) -> dict[str, Any] | None:
        """`{code: folder, handler: app.handler}` or `{inline_code: ...}`; a function whose code
        cannot run here becomes an error the config may still settle by giving the function."""
        here = self.path(lid)
        handler = self.prop(lid, "Handler")
        runtime = str(self.prop(lid, "Runtime") or "")
        code = self.prop(lid, "Code") or {}
        if not _PYTHON.match(runtime):
            self.spec.pending[name] = self.t.error(
                f"{here}.Runtime", f"function {name!r} runs on {runtime or 'a container image'}, "
                "which cannot run in-process",
                f"give a Python stand-in: functions: {{{name}: {{handler: module:function}}}} "
                "in an apistages.yaml whose source: is this template",
            )  # fmt: skip
            return None
        properties = self.place("Resources", lid, "Properties")
        self.spec.mark(["functions", name, "handler"], at(properties, "Handler"))
        if isinstance(code, Mapping) and "ZipFile" in code:
            written = "InlineCode" if f"{here}.InlineCode" in self.t.lines else "Code"
            self.spec.mark(["functions", name, "inline_code"], at(properties, written))
            return {"inline_code": str(code["ZipFile"]), "handler": handler}
        folder = self.code_folders.get(lid)
        self.spec.mark(["functions", name, "code"], at(properties, "CodeUri"))
        asset = (self.resources[lid].get("Metadata") or {}).get("aws:asset:path")
        if folder is None and isinstance(asset, str):  # cdk synth: an asset folder beside it
            folder = (self.t.base_dir / asset).resolve()  # as the SAM step's folders are
            self.spec.mark(
                ["functions", name, "code"],
                self.place("Resources", lid, "Metadata", "aws:asset:path"),
            )
        if folder is None:
            self.spec.pending[name] = self.t.error(
                f"{here}.Code", f"function {name!r}'s code is in S3 ({_shown_code(code)}), "
                "not in a local folder",
                f"give functions: {{{name}: {{code: <folder>, handler: {handler}}}}} in an "
                "apistages.yaml whose source: is this template",
            )  # fmt: skip
            return None
        return {"code": str(folder), "handler": handler}

    def _versions(self, lid: str, name: str, entry: dict[str, Any]) -> None:
        names = {self.t.ref_value(lid), self.t.attribute_value(lid, "Arn", self.path(lid))}
        versions: dict[str, Any] = {}
        for vid in self.of_type("AWS::Lambda::Version"):
            if self.prop(vid, "FunctionName") in names:
                number = str(self.t.attribute_value(vid, "Version", self.path(vid)))
                versions[number] = {"description": str(self.prop(vid, "Description") or "")}
                self.spec.mark(
                    ["functions", name, "versions", number], self.place("Resources", vid)
                )
        if versions:
            entry["versions"] = dict(sorted(versions.items(), key=lambda item: int(item[0])))
        aliases: dict[str, Any] = {}
        for aid in self.of_type("AWS::Lambda::Alias"):
            if self.prop(aid, "FunctionName") not in names:
                continue
            alias = str(self.prop(aid, "Name"))
            version = str(self.prop(aid, "FunctionVersion"))
            weights = {}
            routing = self.mapping(self.prop(aid, "RoutingConfig"), self.path(aid, "RoutingConfig"))
            where = self.path(aid, "RoutingConfig", "AdditionalVersionWeights")
            for index, weight in enumerate(
                self.sequence(routing.get("AdditionalVersionWeights"), where)
            ):
                weight = self.mapping(weight, f"{where}[{index}]")
                weights[str(weight.get("FunctionVersion"))] = _number(weight.get("FunctionWeight"))
            entry_alias: dict[str, Any] = {"version": version}
            if weights:
                entry_alias["weights"] = weights
            preference = self._shifted_by_codedeploy(aid, lid, name, alias)
            if preference is not None:
                entry_alias["deployment_preference"] = preference
            aliases[alias] = entry_alias if len(entry_alias) > 1 else version
            self.spec.mark(
                ["functions", name, "aliases", alias], self.place("Resources", aid, "Properties")
            )
        if aliases:
            entry["aliases"] = aliases

    def _shifted_by_codedeploy(self, aid: str, function: str, name: str, alias: str) -> str | None:
        """The CodeDeploy preset that shifts an alias (SAM's DeploymentPreference, reference
        §3.4), which `gw.functions.shift_traffic` then follows by default. The alias serves
        its version here, as it does once a deployment has ended; a custom CodeDeploy config,
        whose steps are not in the template, is said."""
        policy = self.resources[aid].get("UpdatePolicy")
        shift = policy.get("CodeDeployLambdaAliasUpdate") if isinstance(policy, Mapping) else None
        if not isinstance(shift, Mapping):
            return None
        try:
            group = self.t.resolve(shift.get("DeploymentGroupName"), f"Resources.{aid}")
            found = isinstance(group, str) and group in self.resources
            config = self.prop(group, "DeploymentConfigName") if found else None
        except ConfigError:
            config = None
        if isinstance(config, str) and config.startswith("CodeDeployDefault.Lambda"):
            return config.removeprefix("CodeDeployDefault.Lambda")
        where = self.path(function, "DeploymentPreference")  # SAM's, in the template as written
        self.notice(
            where if where in self.t.lines else f"Resources.{aid}.UpdatePolicy",
            f"CodeDeploy config {config!r} of alias {name}:{alias} is not a preset: rehearse "
            f"its shift with gw.functions.shift_traffic({name!r}, {alias!r}, <version>, "
            "steps=[...], ...)",
        )
        return None


def _method_settings_key(entry: Mapping[str, Any]) -> str:
    """`{ResourcePath: /~1pets~1{id}, HttpMethod: GET}` as `GET /pets/{id}`; `/*` and `*` as
    `*/*`."""
    path = str(entry.get("ResourcePath", "/*"))
    method = str(entry.get("HttpMethod", "*")).upper()
    if path in ("/*", "*") and method == "*":
        return "*/*"
    decoded = path.lstrip("/").replace("~1", "/").replace("~0", "~")
    return f"{method} /{decoded.lstrip('/')}"


def _method_setting(entry: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in entry.items():
        target = _METHOD_SETTING_KEYS.get(key)
        if target is None:
            continue  # ResourcePath, HttpMethod, CacheDataEncrypted
        value = _number(value) if key.endswith(("Limit", "Seconds")) else value
        if isinstance(value, str) and value.lower() in ("true", "false"):
            value = value.lower() == "true"
        if len(target) == 2:
            out.setdefault(target[0], {})[target[1]] = value
        else:
            out[target[0]] = value
    return out


def _number(value: Any) -> Any:
    """CloudFormation passes numbers as text as often as not; it converts them, so do we."""
    if isinstance(value, str):
        try:
            number = float(value)
        except ValueError:
            return value
        return int(number) if number.is_integer() else number
    return value


def _boolean(value: Any) -> Any:
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    return value


def _text(value: Any) -> Any:
    return str(value).lower() if isinstance(value, bool) else value


def _strings(*values: Any) -> list[str]:
    out: list[str] = []

    def walk(value: Any) -> None:
        if isinstance(value, str):
            out.append(value)
        elif isinstance(value, Mapping):
            for item in value.values():
                walk(item)
        elif isinstance(value, list):
            for item in value:
                walk(item)

    for value in values:
        walk(value)
    return out


def _shown_code(code: Any) -> str:
    if isinstance(code, Mapping) and "S3Bucket" in code:
        return f"s3://{code.get('S3Bucket')}/{code.get('S3Key')}"
    return "an image" if isinstance(code, Mapping) and "ImageUri" in code else "no local code"
