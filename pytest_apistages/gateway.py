"""`Gateway`: the control plane (working API, deployments, stages, canaries, settings) and the
services the data plane uses; the ways to call it are in `clients`."""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager
from dataclasses import replace
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

from werkzeug.test import run_wsgi_app

from . import clients, rollout
from .clock import Clock
from .diff import definition_changes
from .draws import ID_ALPHABET, Draws
from .errors import BadRequestError, NotFoundError, refused_at_the_caller, shown
from .functions import Functions
from .model import (
    DEFAULT_BURST,
    DEFAULT_RATE,
    GATEWAY_RESPONSE_TYPES,
    NO_METHODS,
    ApiDefinition,
    Canary,
    Deployment,
    GatewayResponse,
    Integration,
    Route,
    Stage,
    check_deployment_id,
    check_percent,
    check_stage_name,
    check_variables,
    frozen_map,
    parse_route_key,
)
from .observe.canary import CanaryReport, compare
from .observe.logs import LogEvent, log_group_name
from .observe.metrics import Metrics
from .observe.records import DEFAULT_MAX_RECORDS, MAX_RECORDS_LIMIT, Invocation, Records
from .runtime import pipeline
from .runtime.cache import StageCaches
from .runtime.context import Served, Services
from .runtime.integrations.http import Backends
from .runtime.limits import Limiter
from .settings import method_settings_key, updated_settings
from .sources.config import CURRENT, LoadedConfig
from .sources.load import load_dict, load_file
from .sources.responses import gateway_response_from, unknown_type
from .sources.routes import route_from
from .usage import ApiKeys, Throttle, UsagePlans, throttle_from

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIEnvironment


@refused_at_the_caller
class WorkingApi:
    """The editable API definition. Edits reach a stage only through the next deploy."""

    def __init__(self, definition: ApiDefinition) -> None:
        self.definition = definition

    @property
    def name(self) -> str:
        return self.definition.name

    @property
    def routes(self) -> Mapping[str, Route]:
        return self.definition.routes

    def put_route(
        self,
        key: str,
        integration: Integration | Mapping[str, Any] | str,
        *,
        api_key_required: bool | None = None,
        operation_name: str | None = None,
        request_parameters: Mapping[str, bool] | None = None,
        method_responses: Mapping[int | str, Any] | None = None,
    ) -> Route:
        """Create or replace `"VERB /path"`. `integration` is AWS's integration object, one of
        the config's short forms, or a method (`{"integration": ..., "requestParameters":
        ...}`); the keywords set the method's own parts and win over the mapping's."""
        method_parts: dict[str, Any] = {}
        if request_parameters is not None:
            method_parts["requestParameters"] = dict(request_parameters)
        if method_responses is not None:
            method_parts["methodResponses"] = {str(k): v for k, v in method_responses.items()}
        data: Any = integration
        if isinstance(integration, Mapping) and "integration" in integration:
            data = {**integration, **method_parts}
        elif method_parts or isinstance(integration, Integration):
            data = {"integration": integration, **method_parts}
        route = route_from(key, data, "put_route")
        route = replace(
            route,
            api_key_required=route.api_key_required if api_key_required is None
            else api_key_required,
            operation_name=operation_name or route.operation_name,
        )  # fmt: skip
        self.definition = self.definition.with_route(route)
        return route

    def delete_route(self, key: str) -> None:
        method, path = parse_route_key(key)
        if f"{method} {path}" not in self.definition.routes:
            raise NotFoundError(
                f"Invalid Method identifier specified: no route {method} {path} "
                f"(routes: {', '.join(self.definition.routes) or 'none'})"
            )
        self.definition = self.definition.without_route(f"{method} {path}")

    def put_gateway_response(
        self, response_type: str, response: Mapping[str, Any] | None = None
    ) -> GatewayResponse:
        """Customise one gateway response type (PutGatewayResponse: the whole response is
        replaced; what is not given takes the type's default). `DEFAULT_4XX`/`DEFAULT_5XX`
        apply to every type of their class that is not customised itself."""
        customised = gateway_response_from(
            response_type, dict(response or {}), "put_gateway_response"
        )
        responses = {**self.definition.gateway_responses, response_type: customised}
        self.definition = replace(self.definition, gateway_responses=frozen_map(responses))
        return customised

    def delete_gateway_response(self, response_type: str) -> None:
        """Back to the type's default (DeleteGatewayResponse)."""
        if response_type not in GATEWAY_RESPONSE_TYPES:
            raise BadRequestError(unknown_type(response_type))
        if response_type not in self.definition.gateway_responses:
            raise NotFoundError("Gateway response type not defined on api")
        responses = dict(self.definition.gateway_responses)
        del responses[response_type]
        self.definition = replace(self.definition, gateway_responses=frozen_map(responses))

    @property
    def gateway_responses(self) -> Mapping[str, GatewayResponse]:
        return self.definition.gateway_responses

    def set_binary_media_types(self, types: Iterable[str]) -> None:
        self.definition = replace(self.definition, binary_media_types=tuple(types))


@refused_at_the_caller
class Gateway:
    """An in-process API Gateway REST API: edit `api`, `deploy` to stages, call stages."""

    def __init__(
        self,
        name: str = "api",
        *,
        api_id: str | None = None,
        region: str = "us-east-1",
        account_id: str = "123456789012",
        seed: int = 0,
        binary_media_types: Iterable[str] = (),
        max_records: int = DEFAULT_MAX_RECORDS,
    ) -> None:
        if (
            isinstance(max_records, bool)
            or not isinstance(max_records, int)
            or not 1 <= max_records <= MAX_RECORDS_LIMIT
        ):
            raise BadRequestError(
                f"max_records must be a whole number from 1 to {MAX_RECORDS_LIMIT}, "
                f"got {shown(max_records)}"
            )
        self.api = WorkingApi(ApiDefinition(name, binary_media_types=tuple(binary_media_types)))
        self.seed = seed
        self.seed_origin = f"replay with Gateway(seed={seed})"
        self._lock = threading.RLock()
        self._deployments: dict[str, Deployment] = {}
        self._stages: dict[str, Stage] = {}
        self._served: dict[str, Served] = {}  # what each stage serves, read by the data plane
        self.api_id, self.region, self.account_id = api_id or _derived_id(name), region, account_id
        draws = Draws(seed)
        self.api_keys = ApiKeys()
        self.services = Services(
            api_id=self.api_id,
            region=region,
            account_id=account_id,
            clock=Clock(),
            draws=draws,
            limiter=Limiter(),
            caches=StageCaches(),
            functions=Functions(
                region, account_id, draws.alias, partial(rollout.alias_rollout, self)
            ),
            backends=Backends(),
            api_keys=self.api_keys,
            usage_plans=UsagePlans(self.api_keys, lambda: self._stages),
            records=Records(max_records),
            account_throttle=Throttle(DEFAULT_RATE, DEFAULT_BURST),
            served=self._served,
        )
        services = self.services
        self.clock, self.draws, self.functions = services.clock, services.draws, services.functions
        self.backends, self.usage_plans = services.backends, services.usage_plans
        self.limiter, self.caches = services.limiter, services.caches

    # -- construction ------------------------------------------------------------------------

    @classmethod
    def from_file(
        cls,
        path: str | Path,
        *,
        seed: int = 0,
        parameters: Mapping[str, Any] | None = None,
        api: str | None = None,
    ) -> Gateway:
        """Build a gateway from `apistages.yaml`, a CloudFormation or SAM template or an
        OpenAPI file (told apart by content). `parameters` override a template's Parameters;
        `api` picks its REST API by logical id. Errors name file, key (line) and fix."""
        return cls.from_config(load_file(path, parameters=parameters, api=api), seed=seed)

    @classmethod
    def from_dict(
        cls, data: Mapping[str, Any], *, base_dir: str | Path = ".", seed: int = 0
    ) -> Gateway:
        """Build a gateway from the config's structure; handlers import relative to base_dir."""
        return cls.from_config(load_dict(data, base_dir=Path(base_dir)), seed=seed)

    @classmethod
    def from_config(
        cls, loaded: LoadedConfig, *, seed: int = 0, max_records: int | None = None
    ) -> Gateway:
        """A fresh gateway from a loaded config (validated, its handlers imported);
        `max_records` overrides the config's."""
        gw = cls(
            loaded.name, api_id=loaded.api_id, region=loaded.region,
            account_id=loaded.account_id, seed=seed,
            max_records=max_records or loaded.max_records,
        )  # fmt: skip
        gw.api.definition = loaded.definition
        for fn in loaded.functions:
            gw.functions.register(
                fn.name, fn.handler, environment=fn.environment, timeout=fn.timeout,
                memory=fn.memory,
            )  # fmt: skip
            for handler, description in fn.versions.values():
                gw.functions.publish_version(fn.name, handler, description=description)
            for alias, (version, weights, preference) in fn.aliases.items():
                gw.functions.set_alias(
                    fn.name, alias, version, weights=weights, deployment_preference=preference
                )
        for host, app in loaded.backends.items():
            gw.backends.mount(host, app)
        for deployment_id, (definition, description) in loaded.deployments.items():
            gw.create_deployment(description, definition=definition, deployment_id=deployment_id)
        ids = {name: name for name in loaded.deployments}
        served = [d for s in loaded.stages for d in (s.deployment, *s.history)]
        served += [s.canary.deployment for s in loaded.stages if s.canary is not None]
        if CURRENT in served:
            current = gw.create_deployment("current definition", definition=loaded.definition)
            ids[CURRENT] = current.id
        for stage in loaded.stages:
            first, *later = [ids[d] for d in (*stage.history, stage.deployment)]
            gw.create_stage(
                stage.name, first, variables=stage.variables, description=stage.description
            )
            for deployment_id in later:
                gw.update_stage(stage.name, deployment_id=deployment_id)
            if stage.settings:
                gw.update_stage(stage.name, **stage.settings)
            if stage.canary is not None:
                gw.update_canary(
                    stage.name,
                    percent=stage.canary.percent,
                    variables=stage.canary.variables,
                    deployment_id=ids[stage.canary.deployment],
                    use_stage_cache=stage.canary.use_stage_cache,
                )
        for name, value, enabled in loaded.api_keys:
            gw.api_keys.create(name, value, enabled=enabled)
        for name, plan in loaded.usage_plans:
            gw.usage_plans.create(name, **plan)
        if loaded.account_throttling is not None:
            gw.update_account(throttling=loaded.account_throttling)
        return gw

    # -- control plane -----------------------------------------------------------------------

    def deploy(
        self,
        stage: str | None = None,
        description: str = "",
        *,
        variables: Mapping[str, Any] | None = None,
    ) -> Deployment:
        """Snapshot the working API as a new deployment and point `stage` at it (created if
        absent). `variables` are merged into the stage's, as `update_stage` does."""
        if stage is not None:
            check_stage_name(stage)
        with self._lock:
            current = self._stages.get(stage) if stage is not None else None
            if current is not None and current.canary is not None:
                raise BadRequestError(
                    f"Invalid deployment content specified.Non canary deployment not supported on "
                    f"stage {stage} because Canary is enabled. Provide CanarySettings in "
                    f"deploymentInput. (deploy_canary({stage!r}, ...) updates the canary; "
                    f"promote_canary or remove_canary ends it)"
                )
            deployment = self.create_deployment(description)
            if stage is not None:
                if stage in self._stages:
                    self._point(stage, deployment.id, variables)
                else:
                    self.create_stage(stage, deployment.id, variables=variables)
        return deployment

    def create_deployment(
        self,
        description: str = "",
        *,
        definition: ApiDefinition | None = None,
        deployment_id: str | None = None,
    ) -> Deployment:
        """A deployment on no stage (AWS's CreateDeployment without a stage name): a snapshot of
        `definition`, by default the working API. `deployment_id` is generated unless given."""
        if definition is None:
            definition = self.api.definition
        if not definition.routes:
            raise BadRequestError(NO_METHODS)
        if deployment_id is not None:
            check_deployment_id(deployment_id)
        with self._lock:
            if deployment_id is None:
                deployment_id = self.draws.new_id(6, self._deployments)
            elif deployment_id in self._deployments:
                raise BadRequestError(f"Deployment id {shown(deployment_id)} already exists")
            deployment = Deployment(deployment_id, definition, description, self.clock.now())
            self._deployments[deployment_id] = deployment
            return deployment

    def create_stage(
        self,
        name: str,
        deployment_id: str,
        *,
        variables: Mapping[str, Any] | None = None,
        description: str = "",
    ) -> Stage:
        """CreateStage: a new stage serving an existing deployment."""
        check_stage_name(name)
        checked = check_variables(variables or {})
        with self._lock:
            if name in self._stages:
                raise BadRequestError(f"Stage already exists: {name}")
            self.deployment(deployment_id)
            now = self.clock.now()
            stage = Stage(
                name, deployment_id, frozen_map(checked), description, (deployment_id,), now, now
            )
            self._store(stage)
            return stage

    def stage(self, name: str) -> Stage:
        stage = self._stages.get(name)
        if stage is not None:
            return stage
        with self._lock:
            known = ", ".join(self._stages) or "none"
        raise NotFoundError(f"Invalid stage identifier specified: {shown(name)} (stages: {known})")

    @property
    def stages(self) -> dict[str, Stage]:
        return dict(self._stages)

    def deployment(self, deployment_id: str) -> Deployment:
        try:
            return self._deployments[deployment_id]
        except KeyError:
            raise BadRequestError("Deployment id does not exist") from None

    @property
    def deployments(self) -> list[Deployment]:
        """All deployments, oldest first."""
        return list(self._deployments.values())

    def update_stage(
        self,
        name: str,
        *,
        variables: Mapping[str, Any] | None = None,
        deployment_id: str | None = None,
        description: str | None = None,
        throttling: Mapping[str, Any] | None = None,
        caching: Mapping[str, Any] | None = None,
        logging: str | Mapping[str, Any] | None = None,
        metrics: bool | None = None,
        access_log: Mapping[str, Any] | bool | None = None,
        method_settings: Mapping[str, Mapping[str, Any] | None] | None = None,
    ) -> Stage:
        """Change a stage at once, as on AWS: no deploy needed. Variables merge (None removes
        one). Stage-level throttling/caching/logging/metrics are the `*/*` method settings;
        `method_settings` entries (`"GET /pets"`) merge into theirs; `access_log=False` stops
        access logging. The keys are those of a stage in the config file."""
        with self._lock:
            stage = self.stage(name)
            changes: dict[str, Any] = {}
            if deployment_id is not None:
                self.deployment(deployment_id)  # checked before anything changes
            if variables is not None:
                changes["variables"] = frozen_map(_merged(stage.variables, variables))
            if description is not None:
                changes["description"] = description
            settings = updated_settings(
                stage.settings,
                throttling=throttling,
                caching=caching,
                logging=logging,
                metrics=metrics,
                access_log=access_log,
                method_settings=method_settings,
            )
            if settings != stage.settings:
                changes["settings"] = settings
                old = stage.settings
                if not settings.cache_cluster_enabled or (
                    settings.cache_cluster_size != old.cache_cluster_size
                ):
                    self.caches.flush(name)  # disabling or resizing empties the cache
            stage = self._replace(stage, **changes)
            if deployment_id is not None:
                stage = self._point(name, deployment_id)
            return stage

    def rollback(self, stage: str, to: str | None = None) -> Deployment:
        """Undo the stage's last move: back to the deployment it served before (again and
        again, through its history), or to the deployment `to`."""
        with self._lock:
            current = self.stage(stage)
            if to is not None:
                self._point(stage, to)
                return self._deployments[to]
            history = list(current.history)
            while history and (
                history[-1] == current.deployment_id or history[-1] not in self._deployments
            ):
                history.pop()  # the current deployment, and any deleted since
            if not history:
                raise BadRequestError(
                    f"Stage {shown(stage)} has no earlier deployment to roll back to "
                    f"(history: {', '.join(current.history)})"
                )
            self._replace(current, deployment_id=history[-1], history=tuple(history))
            return self._deployments[history[-1]]

    # -- canary releases ---------------------------------------------------------------------

    def deploy_canary(
        self,
        stage: str,
        percent: float,
        variables: Mapping[str, Any] | None = None,
        use_stage_cache: bool = False,
        description: str = "",
    ) -> Deployment:
        """Snapshot the working API as the stage's canary; the stage itself does not move
        (CreateDeployment with canarySettings)."""
        if not stage:  # recorded: create-canary-deployment-no-stage / -empty-stage
            raise BadRequestError(
                f"Invalid deployment content specified.Non null and non empty stageName must be "
                f"provided for canary deployment. Provided value is {'' if stage == '' else 'null'}"
            )
        percent = check_percent(percent)
        overrides = check_variables(variables or {})
        with self._lock:
            if stage not in self._stages:
                raise BadRequestError(
                    f"Invalid deployment content specified.Stage {stage} must already be created "
                    f"before making a canary release deployment"
                )
            deployment = self.deploy(description=description)
            canary = Canary(percent, deployment.id, frozen_map(overrides), use_stage_cache)
            self._replace(self._stages[stage], canary=canary)
            return deployment

    def update_canary(
        self,
        stage: str,
        *,
        percent: float | None = None,
        variables: Mapping[str, Any] | None = None,
        deployment_id: str | None = None,
        use_stage_cache: bool | None = None,
    ) -> Canary:
        """Change canary settings at once. Without a canary, one is created as AWS does: 0 %,
        on the stage's current deployment. Variables merge; a value of None removes one."""
        with self._lock:
            current = self.stage(stage)
            canary = current.canary or Canary(0.0, current.deployment_id)
            changes: dict[str, Any] = {}
            if percent is not None:
                changes["percent"] = check_percent(percent)
            if deployment_id is not None:
                self.deployment(deployment_id)
                changes["deployment_id"] = deployment_id
            if use_stage_cache is not None:
                changes["use_stage_cache"] = bool(use_stage_cache)
            if variables is not None:
                changes["variables"] = frozen_map(_merged(canary.variables, variables))
            canary = replace(canary, **changes)
            self._replace(current, canary=canary)
            return canary

    def promote_canary(self, stage: str) -> Stage:
        """The stage takes the canary's deployment and its variables merge with the overrides.
        As on AWS the canary stays, at 0 %, until `remove_canary`."""
        with self._lock:
            current = self.stage(stage)
            if current.canary is None:
                raise BadRequestError("Promotion not available. Canary does not exist.")
            canary = current.canary
            promoted = self._point(stage, canary.deployment_id, canary.variables)
            return self._replace(promoted, canary=replace(canary, percent=0.0))

    def remove_canary(self, stage: str) -> Stage:
        """Disable the canary: every request runs the stage's deployment again."""
        with self._lock:
            return self._replace(self.stage(stage), canary=None)

    # -- deletion ----------------------------------------------------------------------------

    def delete_deployment(self, deployment_id: str) -> None:
        with self._lock:
            self.deployment(deployment_id)
            users = [s.name for s in self._stages.values() if s.deployment_id == deployment_id]
            users += [
                f"{s.name} (canary)"
                for s in self._stages.values()
                if s.canary is not None and s.canary.deployment_id == deployment_id
            ]
            if users:
                raise BadRequestError(
                    f"Active stages pointing to this deployment must be moved or deleted "
                    f"(deployment {deployment_id} is served by: {', '.join(users)})"
                )
            del self._deployments[deployment_id]

    def delete_stage(self, name: str) -> None:
        with self._lock:
            self.stage(name)
            del self._served[name]
            del self._stages[name]
            self.caches.flush(name)

    def flush_cache(self, stage: str) -> None:
        """Empty the stage's cache (DELETE .../stages/{stage}/cache/data)."""
        with self._lock:
            self.stage(stage)
            self.caches.flush(stage)

    def update_account(self, *, throttling: Mapping[str, Any]) -> None:
        """The account-level throttle (AWS: 10,000 requests per second, burst 5,000)."""
        self.services.account_throttle = throttle_from("account throttling", throttling)

    def pending_changes(self, stage: str) -> list[str]:
        """What the working API has that `stage` does not serve yet, one line per difference."""
        served = self._deployments[self.stage(stage).deployment_id].api
        return definition_changes(served, self.api.definition)

    # -- data plane --------------------------------------------------------------------------

    def wsgi_app(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        """The WSGI application: paths are `/{stage}/{resource path}`."""
        return pipeline.wsgi_app(self.services, environ, start_response)

    def client(self, stage: str, *, canary: bool | None = None) -> clients.StageClient:
        """A werkzeug test client bound to `stage`: `gw.client("prod").get("/pets")`.

        `canary=True` (or False) sends every request of this client to the stage's canary (or
        away from it) instead of drawing: a test-only switch, not an AWS feature."""
        return clients.StageClient(self, stage, canary)

    def url(self, stage: str, path: str = "") -> str:
        """The invoke URL AWS would give: https://{api_id}.execute-api.{region}.amazonaws.com/..."""
        if path and not path.startswith("/"):
            path = "/" + path
        return f"https://{self.host}/{stage}{path}"

    @property
    def host(self) -> str:
        return self.services.host

    @property
    def account_throttle(self) -> Throttle:
        return self.services.account_throttle

    @contextmanager
    def intercept(self) -> Iterator[Any]:
        """Serve `requests` calls to this gateway's URLs in-process; other URLs are untouched."""
        with clients.intercept(self) as mock:
            yield mock

    @contextmanager
    def serve(self, port: int = 0, host: str = "127.0.0.1") -> Iterator[str]:
        """A real HTTP server on 127.0.0.1 in a thread; yields its base URL."""
        with clients.serve(self, host, port) as base_url:
            yield base_url

    def call(self, environ: WSGIEnvironment) -> tuple[int, list[tuple[str, str]], bytes]:
        """Run one WSGI environ through the gateway; (status, headers, body)."""
        app_iter, status, headers = run_wsgi_app(self.wsgi_app, environ, buffered=True)
        return int(status.split()[0]), list(headers.items()), b"".join(app_iter)

    # -- what happened -----------------------------------------------------------------------

    @property
    def max_records(self) -> int:
        """How many invocation records (and their requests' log lines) are kept."""
        return self.services.records.max_records

    def invocations(self, stage: str | None = None) -> list[Invocation]:
        """The latest invocation records (up to `max_records`), oldest first, optionally of one
        stage."""
        return self.services.records.invocations(stage)

    def invocation(self, request_id: str) -> Invocation:
        """The record of one request, by its x-amzn-RequestId."""
        found = self.services.records.find(request_id)
        if found is None:
            raise LookupError(
                f"no request with id {shown(request_id)} among the last {self.max_records} "
                "served by "
                f"this gateway"
            )
        return found

    def metrics(self, stage: str, canary: bool = False, route: str | None = None) -> Metrics:
        """The stage's metrics (or its canary's: AWS keeps them apart) over every request so
        far. Per-route figures (`route="GET /pets"`) exist only where metrics are enabled for
        that method (or `*/*`), as with CloudWatch's per-method dimensions."""
        current = self.stage(stage)
        if route is None:
            return self.services.records.metrics(stage, canary)
        key = method_settings_key(route)
        served = self._deployments[current.deployment_id].api.routes
        if key not in served:
            raise BadRequestError(
                f"No route {key} on stage {stage} (routes: {', '.join(served) or 'none'})"
            )
        if not current.settings.metrics_enabled_for(key):
            raise BadRequestError(
                f"No per-method metrics for {key} on stage {stage}: enable them with "
                f"metrics: true (for the stage) or method_settings: {{'{key}': "
                f"{{metrics: true}}}}"
            )
        return self.services.records.metrics(stage, canary, key)

    def logs(self, stage: str, canary: bool = False) -> list[LogEvent]:
        """The stage's execution log (or its canary's), oldest first, for the latest
        `max_records` requests."""
        return self.services.records.logs(self.log_group(stage, canary))

    def access_logs(self, stage: str, canary: bool = False) -> list[LogEvent]:
        """The stage's access log lines (its `access_log` format), oldest first."""
        settings = self.stage(stage).settings.access_log
        if settings is None:
            return []
        group = log_group_name(settings.destination) + ("/Canary" if canary else "")
        return self.services.records.access_logs(group)

    def log_group(self, stage: str, canary: bool = False) -> str:
        """The CloudWatch log group AWS writes the stage's execution log to."""
        return self.services.log_group(stage, canary)

    def watch(self, stage: str | None = None) -> AbstractContextManager[list[Invocation]]:
        """`with gw.watch("prod") as seen:` - the records of the requests served while the
        block runs (of one stage, or of all), however many `max_records` keeps."""
        return rollout.watching(self.services.listeners, stage)

    # -- canary analysis ---------------------------------------------------------------------

    def canary_report(self, stage: str, **health: Any) -> CanaryReport:
        """The stage's canary against its base over every request so far: rates, latency
        percentiles, each comparison's effect, test, p-value and verdict (allowances as in
        `assert_canary_healthy`)."""
        self.stage(stage)
        records = self.services.records
        return compare(stage, records.tally(stage, False), records.tally(stage, True), health)

    def rollout(
        self,
        stage: str,
        *,
        steps: str | Sequence[float],
        traffic: rollout.Traffic,
        health: Mapping[str, Any] | None = None,
        interval: float | None = None,
        requests: int = rollout.DEFAULT_REQUESTS,
    ) -> rollout.Rollout:
        """Progressive delivery of the stage's canary: at each step set its percent, drive
        `traffic` (a callable given the stage's client, or paths requested `requests` times),
        advance the clock by `interval`, judge the step by `health`; promoted (and the canary
        removed) after the last step, or rolled back (removed) at the first unhealthy one."""
        return rollout.stage_rollout(
            self, stage, steps=steps, traffic=traffic, health=health, interval=interval,
            requests=requests,
        )  # fmt: skip

    def on_invocation(self, callback: Callable[[Invocation], None]) -> None:
        """Call `callback(record)` after every request (the pytest plugin's hook uses this)."""
        self.services.listeners.append(callback)

    # -- internals ---------------------------------------------------------------------------

    def _point(
        self, name: str, deployment_id: str, variables: Mapping[str, Any] | None = None
    ) -> Stage:
        """Move a stage to a deployment (pushed on its history unless already current)."""
        self.deployment(deployment_id)
        stage = self._stages[name]
        history = stage.history
        if history[-1:] != (deployment_id,):
            history = (*history, deployment_id)
        return self._replace(
            stage,
            deployment_id=deployment_id,
            history=history,
            variables=frozen_map(_merged(stage.variables, variables or {})),
        )

    def _replace(self, stage: Stage, **changes: Any) -> Stage:
        updated = replace(stage, last_updated_date=self.clock.now(), **changes)
        self._store(updated)
        return updated

    def _store(self, stage: Stage) -> None:
        """Keep the stage, and the snapshot requests take of what it serves."""
        canary = stage.canary
        self._stages[stage.name] = stage
        self._served[stage.name] = Served(
            stage,
            self._deployments[stage.deployment_id],
            self._deployments[canary.deployment_id] if canary is not None else None,
            frozen_map(canary.stage_variables(stage.variables)) if canary is not None else {},
        )

    def __repr__(self) -> str:
        return (
            f"<Gateway {self.api.name} ({self.api_id}): stages {', '.join(self._stages) or 'none'}>"
        )


def _merged(current: Mapping[str, str], changes: Mapping[str, Any]) -> dict[str, str]:
    """Apply variable changes as AWS's patch operations do: set each name; None removes it."""
    kept = check_variables({k: v for k, v in changes.items() if v is not None})
    merged = {**current, **kept}
    for name in [k for k, v in changes.items() if v is None]:
        merged.pop(name, None)
    return check_variables(merged)


def _derived_id(name: str) -> str:
    """A stable 10-character REST API id, so two gateways built alike have the same URLs."""
    digest = hashlib.sha256(name.encode()).digest()
    return "".join(ID_ALPHABET[b % len(ID_ALPHABET)] for b in digest[:10])
