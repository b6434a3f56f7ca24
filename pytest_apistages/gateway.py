"""`Gateway`: the control plane (working API, deployments, stages) and the ways to call it
(WSGI app, test client, `requests` interception, a real server)."""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from werkzeug.test import Client, EnvironBuilder, TestResponse, run_wsgi_app
from werkzeug.wrappers import Request

from .cache import StageCaches
from .clock import Clock
from .draws import ID_ALPHABET, Draws
from .errors import BadRequestError, NotFoundError
from .functions import Functions
from .limits import Limiter
from .logs import LogEvent, execution_events, render_access_log
from .metrics import Metrics
from .model import (
    NO_METHODS,
    ApiDefinition,
    Canary,
    Deployment,
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
from .pipeline import FORCE_CANARY_KEY, RAW_HEADERS_KEY, RECORD_SINK_KEY, handle
from .records import Invocation
from .settings import DEFAULT_BURST, DEFAULT_RATE, method_settings_key, updated_settings
from .usage import ApiKeys, Throttle, UsagePlans, throttle_from

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

    from .context import RequestContext


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
    ) -> Route:
        """Create or replace `"VERB /path"` (AWS vocabulary or the short forms of the config,
        which may carry apiKeyRequired and operationName; the keywords win)."""
        from .config import route_from

        if isinstance(integration, Integration):
            method, path = parse_route_key(key)
            route = Route(method, path, integration)
        else:
            route = route_from(key, integration, "put_route")
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

    def set_binary_media_types(self, types: Iterable[str]) -> None:
        self.definition = replace(self.definition, binary_media_types=tuple(types))


class Backends:
    """Hosts whose HTTP integrations are answered by an in-process WSGI app."""

    def __init__(self) -> None:
        self._apps: dict[str, WSGIApplication] = {}

    def mount(self, host: str, app: WSGIApplication) -> None:
        """Serve `host` (or `host:port`) with `app`: a Flask app or any WSGI callable."""
        if not callable(app):
            raise BadRequestError(f"Backend for host {host!r} is not a WSGI callable: {app!r}")
        self._apps[host.lower()] = app

    def unmount(self, host: str) -> None:
        self._apps.pop(host.lower(), None)

    def get(self, netloc: str) -> WSGIApplication | None:
        netloc = netloc.lower()
        # A mount without a port serves that host on any port.
        return self._apps.get(netloc) or self._apps.get(netloc.rsplit(":", 1)[0])


class ApiResponse(TestResponse):
    """A werkzeug test response that also reads like a `requests` one: `r.json()`, `r.text`;
    `r.invocation` is the record of what served it."""

    _invocation: Invocation | None = None

    def json(self) -> Any:
        return self.get_json(force=True)

    @property
    def invocation(self) -> Invocation:
        if self._invocation is None:
            raise LookupError(
                "no invocation record: this request was built from a raw environ; "
                "use gw.invocation(request_id) with its x-amzn-RequestId"
            )
        return self._invocation


class Verbs:
    """The test client's verb helpers, typed to return our response class."""

    if TYPE_CHECKING:

        def open(self, *args: Any, **kwargs: Any) -> ApiResponse: ...

    def get(self, *args: Any, **kwargs: Any) -> ApiResponse:
        return self.open(*args, method="GET", **kwargs)

    def post(self, *args: Any, **kwargs: Any) -> ApiResponse:
        return self.open(*args, method="POST", **kwargs)

    def put(self, *args: Any, **kwargs: Any) -> ApiResponse:
        return self.open(*args, method="PUT", **kwargs)

    def patch(self, *args: Any, **kwargs: Any) -> ApiResponse:
        return self.open(*args, method="PATCH", **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> ApiResponse:
        return self.open(*args, method="DELETE", **kwargs)

    def head(self, *args: Any, **kwargs: Any) -> ApiResponse:
        return self.open(*args, method="HEAD", **kwargs)

    def options(self, *args: Any, **kwargs: Any) -> ApiResponse:
        return self.open(*args, method="OPTIONS", **kwargs)

    def resolve_redirect(self, response: TestResponse, buffered: bool = False) -> TestResponse:
        """Following a 307/308 sends the body again: rewind what the first hop read."""
        stream = response.request.environ.get("wsgi.input")
        if stream is not None and stream.seekable():
            stream.seek(0)
        redirected: TestResponse = super().resolve_redirect(  # type: ignore[misc]
            response, buffered=buffered
        )
        return redirected


class StageClient(Verbs, Client):
    """A werkzeug test client for one stage; paths are given without the stage prefix."""

    def __init__(self, gateway: Gateway, stage: str, canary: bool | None = None) -> None:
        super().__init__(gateway.wsgi_app, response_wrapper=ApiResponse)
        self.gateway = gateway
        self.stage = stage
        self.canary = canary
        self.base_url = f"https://{gateway.host}"

    def __repr__(self) -> str:
        forced = "" if self.canary is None else f", canary={self.canary}"
        return f"<StageClient {self.stage!r} of {self.gateway!r}{forced}>"

    def open(self, *args: Any, **kwargs: Any) -> ApiResponse:
        if not args or not isinstance(args[0], (EnvironBuilder, dict, Request)):
            options = {k: kwargs.pop(k) for k in ("buffered", "follow_redirects") if k in kwargs}
            kwargs.setdefault("base_url", self.base_url)
            path = str(args[0] if args else kwargs.pop("path", "/"))
            args = (f"/{self.stage}/{path.lstrip('/')}", *args[1:])
            builder = EnvironBuilder(*args, **kwargs)
            try:
                environ = builder.get_environ()
            finally:
                builder.close()
            environ[RAW_HEADERS_KEY] = _client_headers(builder, environ)
            environ[RECORD_SINK_KEY] = []
            if self.canary is not None:
                environ[FORCE_CANARY_KEY] = self.canary
            response = super().open(Request(environ), **options)
        else:
            response = super().open(*args, **kwargs)
        assert isinstance(response, ApiResponse)
        sink = response.request.environ.get(RECORD_SINK_KEY)
        response._invocation = sink[-1] if sink else None
        return response


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
    ) -> None:
        self.api = WorkingApi(ApiDefinition(name, binary_media_types=tuple(binary_media_types)))
        self.api_id = api_id or _derived_id(name)
        self.region = region
        self.account_id = account_id
        self.seed = seed
        self.seed_origin = f"replay with Gateway(seed={seed})"
        self.draws = Draws(seed)
        self.functions = Functions(region, account_id, self.draws.alias)
        self.backends = Backends()
        self.clock = Clock()
        self._lock = threading.RLock()
        self._deployments: dict[str, Deployment] = {}
        self._stages: dict[str, Stage] = {}
        self._invocations: list[Invocation] = []
        self._logs: list[LogEvent] = []
        self._access_logs: list[LogEvent] = []
        self.api_keys = ApiKeys()
        self.usage_plans = UsagePlans(self.api_keys, lambda: self._stages)
        self.account_throttle = Throttle(DEFAULT_RATE, DEFAULT_BURST)
        self.limiter = Limiter()
        self.caches = StageCaches()
        self._listeners: list[Callable[[Invocation], None]] = []

    # -- construction ------------------------------------------------------------------------

    @classmethod
    def from_file(cls, path: str | Path, *, seed: int = 0) -> Gateway:
        """Build a gateway from an `apistages.yaml` file (errors name file, key and fix)."""
        from .config import load_file

        return load_file(path).build(seed=seed)

    @classmethod
    def from_dict(
        cls, data: Mapping[str, Any], *, base_dir: str | Path = ".", seed: int = 0
    ) -> Gateway:
        """Build a gateway from the config's structure; handlers import relative to base_dir."""
        from .config import load_dict

        return load_dict(data, base_dir=Path(base_dir)).build(seed=seed)

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
                raise BadRequestError(f"Deployment id {deployment_id!r} already exists")
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
            self._stages[name] = Stage(
                name, deployment_id, frozen_map(checked), description, (deployment_id,), now, now
            )
            return self._stages[name]

    def stage(self, name: str) -> Stage:
        stage = self._stages.get(name)
        if stage is not None:
            return stage
        with self._lock:
            known = ", ".join(self._stages) or "none"
        raise NotFoundError(f"Invalid stage identifier specified: {name!r} (stages: {known})")

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
                    f"Stage {stage!r} has no earlier deployment to roll back to "
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
            del self._stages[name]
            self.caches.flush(name)

    def flush_cache(self, stage: str) -> None:
        """Empty the stage's cache (DELETE .../stages/{stage}/cache/data)."""
        with self._lock:
            self.stage(stage)
            self.caches.flush(stage)

    def update_account(self, *, throttling: Mapping[str, Any]) -> None:
        """The account-level throttle (AWS: 10,000 requests per second, burst 5,000)."""
        self.account_throttle = throttle_from("account throttling", throttling)

    def pending_changes(self, stage: str) -> list[str]:
        """What the working API has that `stage` does not serve yet, one line per difference."""
        from .diff import definition_changes

        served = self._deployments[self.stage(stage).deployment_id].api
        return definition_changes(served, self.api.definition)

    # -- data plane --------------------------------------------------------------------------

    def wsgi_app(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        """The WSGI application: paths are `/{stage}/{resource path}`."""
        return handle(self, environ)(environ, start_response)

    def client(self, stage: str, *, canary: bool | None = None) -> StageClient:
        """A werkzeug test client bound to `stage`: `gw.client("prod").get("/pets")`.

        `canary=True` (or False) sends every request of this client to the stage's canary (or
        away from it) instead of drawing: a test-only switch, not an AWS feature."""
        return StageClient(self, stage, canary)

    def url(self, stage: str, path: str = "") -> str:
        """The invoke URL AWS would give: https://{api_id}.execute-api.{region}.amazonaws.com/..."""
        if path and not path.startswith("/"):
            path = "/" + path
        return f"https://{self.host}/{stage}{path}"

    @property
    def host(self) -> str:
        return f"{self.api_id}.execute-api.{self.region}.amazonaws.com"

    @contextmanager
    def intercept(self) -> Iterator[Any]:
        """Serve `requests` calls to this gateway's URLs in-process; other URLs are untouched."""
        from .serving import intercept

        with intercept(self) as mock:
            yield mock

    @contextmanager
    def serve(self, port: int = 0, host: str = "127.0.0.1") -> Iterator[str]:
        """A real HTTP server on 127.0.0.1 in a thread; yields its base URL."""
        from .serving import serve

        with serve(self, host, port) as base_url:
            yield base_url

    def call(self, environ: WSGIEnvironment) -> tuple[int, list[tuple[str, str]], bytes]:
        """Run one WSGI environ through the gateway; (status, headers, body)."""
        app_iter, status, headers = run_wsgi_app(self.wsgi_app, environ, buffered=True)
        return int(status.split()[0]), list(headers.items()), b"".join(app_iter)

    # -- what happened -----------------------------------------------------------------------

    def invocations(self, stage: str | None = None) -> list[Invocation]:
        """Invocation records, oldest first, optionally of one stage."""
        with self._lock:
            return [r for r in self._invocations if stage is None or r.stage == stage]

    def invocation(self, request_id: str) -> Invocation:
        """The record of one request, by its x-amzn-RequestId."""
        with self._lock:
            for record in reversed(self._invocations):
                if record.request_id == request_id:
                    return record
        raise LookupError(f"no request with id {request_id!r} was served by this gateway")

    def metrics(self, stage: str, canary: bool = False, route: str | None = None) -> Metrics:
        """The stage's metrics (or its canary's: AWS keeps them apart) over the requests so far.
        Per-route figures (`route="GET /pets"`) exist only where metrics are enabled for that
        method (or `*/*`), as with CloudWatch's per-method dimensions."""
        self.stage(stage)
        records = [r for r in self.invocations(stage) if r.canary == canary]
        if route is not None:
            key = method_settings_key(route)
            served = self._deployments[self.stage(stage).deployment_id].api.routes
            if key not in served:
                raise BadRequestError(
                    f"No route {key} on stage {stage} (routes: {', '.join(served) or 'none'})"
                )
            if not self.stage(stage).settings.metrics_enabled_for(key):
                raise BadRequestError(
                    f"No per-method metrics for {key} on stage {stage}: enable them with "
                    f"metrics: true (for the stage) or method_settings: {{'{key}': "
                    f"{{metrics: true}}}}"
                )
            records = [r for r in records if r.route == key]
        return Metrics.of(records)

    def logs(self, stage: str, canary: bool = False) -> list[LogEvent]:
        """The stage's execution log (or its canary's), oldest first."""
        group = self.log_group(stage, canary)
        with self._lock:
            return [e for e in self._logs if e.group == group]

    def access_logs(self, stage: str, canary: bool = False) -> list[LogEvent]:
        """The stage's access log lines (its `access_log` format), oldest first."""
        settings = self.stage(stage).settings.access_log
        if settings is None:
            return []
        group = _log_group_name(settings.destination) + ("/Canary" if canary else "")
        with self._lock:
            return [e for e in self._access_logs if e.group == group]

    def log_group(self, stage: str, canary: bool = False) -> str:
        """The CloudWatch log group AWS writes the stage's execution log to."""
        group = f"API-Gateway-Execution-Logs_{self.api_id}/{stage}"
        return f"{group}/Canary" if canary else group

    def on_invocation(self, callback: Callable[[Invocation], None]) -> None:
        """Call `callback(record)` after every request (the pytest plugin's hook uses this)."""
        self._listeners.append(callback)

    def record(self, ctx: RequestContext, record: Invocation, length: int) -> None:
        """The pipeline's last step: keep the invocation record and the request's execution
        and access log lines, then tell the listeners."""
        with self._lock:
            self._invocations.append(record)
            if ctx.stage is not None:
                settings = ctx.settings or ctx.stage.settings.for_route(None)
                group = self.log_group(ctx.stage_name, ctx.canary)
                self._logs.extend(execution_events(ctx, settings, group))
                access = ctx.stage.settings.access_log
                if access is not None:
                    line = render_access_log(access.format, ctx, record, length)
                    group = _log_group_name(access.destination) + ("/Canary" if ctx.canary else "")
                    self._access_logs.append(LogEvent(group, ctx.started, ctx.request_id, line))
        for listener in self._listeners:
            listener(record)

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
        self._stages[stage.name] = updated
        return updated

    def __repr__(self) -> str:
        return (
            f"<Gateway {self.api.name} ({self.api_id}): stages {', '.join(self._stages) or 'none'}>"
        )


def _log_group_name(destination: str) -> str:
    """A log group's name from its ARN (arn:aws:logs:region:account:log-group:NAME[:*])."""
    if destination.startswith("arn:"):
        name = destination.split(":log-group:", 1)[-1]
        return name[:-2] if name.endswith(":*") else name
    return destination


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


def _client_headers(builder: EnvironBuilder, environ: dict[str, Any]) -> list[tuple[str, str]]:
    """The request's headers with the case the test wrote them in, as a real client sends."""
    headers = [("Host", environ["HTTP_HOST"])]
    given = {k.lower() for k, _ in builder.headers.items()}
    if "user-agent" not in given and environ.get("HTTP_USER_AGENT"):
        headers.append(("User-Agent", environ["HTTP_USER_AGENT"]))
    headers += [(k, v) for k, v in builder.headers.items() if k.lower() != "host"]
    if builder.content_length and "content-length" not in given:
        headers.append(("Content-Length", str(builder.content_length)))
    return headers
