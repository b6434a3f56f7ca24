"""Realistic templates, imported and driven by requests: a SAM project (`sam_shop/`), plain
CloudFormation (`cfn_shop/`) and an API Gateway OpenAPI export (`openapi_export/`), each under
tests/data/templates/. Every expected value is read off the template it comes from."""

from __future__ import annotations

import base64
import shutil
import textwrap
from pathlib import Path

import pytest

from pytest_apistages import Gateway
from pytest_apistages.assertions import assert_cached, assert_canary_ratio, assert_throttled
from pytest_apistages.errors import ConfigError
from pytest_apistages.sources.load import load_file
from pytest_apistages.stats import binomial_test

pytest.importorskip("samtranslator")

TEMPLATES = Path(__file__).resolve().parent / "data" / "templates"
SAM = TEMPLATES / "sam_shop" / "template.yaml"
CFN = TEMPLATES / "cfn_shop" / "template.yaml"
CFN_CONFIG = TEMPLATES / "cfn_shop" / "apistages.yaml"
EXPORT = TEMPLATES / "openapi_export" / "openapi.yaml"
EXPORT_CONFIG = TEMPLATES / "openapi_export" / "apistages.yaml"


def line_of(file: Path, text: str, after: str = "") -> int:
    """The 1-based line of the first `text` in `file` (after the first `after`)."""
    lines = file.read_text().splitlines()
    start = next(i for i, line in enumerate(lines) if after in line)
    return next(i for i, line in enumerate(lines) if i >= start and text in line) + 1


PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(32))
JPEG = b"\xff\xd8\xff\xe0 thumbnail"


# -- sam_shop: a SAM project -----------------------------------------------------------------


@pytest.fixture
def shop() -> Gateway:
    """A fresh gateway of the template's ShopApi (stage `prod`, the Stage parameter's
    default)."""
    return Gateway.from_file(SAM, api="ShopApi")


def sam_key(gw: Gateway) -> str:
    """The key SAM's `CreateUsagePlan: PER_API` creates (`<Api>ApiKey`, value generated)."""
    key = gw.api_keys.get("ShopApiApiKey")
    assert key.enabled  # SAM writes Enabled: true
    return key.value


def test_a_template_with_two_apis_needs_one_picked() -> None:
    # ShopApi is explicit; the Ping event (no RestApiId) makes SAM's implicit ServerlessRestApi.
    with pytest.raises(ConfigError) as info:
        Gateway.from_file(SAM)
    assert "the template declares 2 REST APIs: ShopApi, ServerlessRestApi" in str(info.value)
    assert "api='<logical id>'" in str(info.value)
    with pytest.raises(ConfigError) as info:
        Gateway.from_file(SAM, api="OrdersApi")
    assert "no REST API 'OrdersApi' in the template" in str(info.value)
    assert "its REST APIs: ShopApi, ServerlessRestApi" in str(info.value)


def test_sam_api_name_stage_and_functions(shop: Gateway) -> None:
    assert shop.api.name == "shop"  # ShopApi's Name, not the body's title (the stack name)
    assert list(shop.stages) == ["prod"]  # StageName: !Ref Stage, default prod
    # OpenApiVersion in Globals.Api: no extra stage named "Stage" (reference §3.2).
    assert set(shop.api.routes) == {
        "GET /orders", "POST /orders", "OPTIONS /orders",
        "GET /users/{id}", "OPTIONS /users/{id}",
        "POST /users/{id}/avatar", "OPTIONS /users/{id}/avatar",
    }  # fmt: skip
    assert shop.functions.aliases("OrdersFunction")["live"].version == "1"
    assert list(shop.functions.versions("OrdersFunction")) == ["1"]  # AutoPublishAlias
    assert shop.functions.versions("UsersFunction") == {}


def test_each_app_py_runs_with_its_own_utils(shop: Gateway) -> None:
    client = shop.client("prod", canary=False)
    orders = client.get("/orders")
    users = client.get("/users/7")

    assert orders.status_code == 200
    assert orders.json()["service"] == "orders"
    assert orders.json()["orders"] == [
        {"id": 1, "service": "orders"},
        {"id": 2, "service": "orders"},
    ]
    assert users.json()["service"] == "users"
    assert users.json()["user"] == {"id": "7", "name": "user-7"}
    # AutoPublishAlias: live points the integration at the alias, which runs version 1.
    assert (orders.invocation.target, orders.invocation.version) == ("OrdersFunction:live", "1")
    assert orders.json()["arn"] == (
        "arn:aws:lambda:us-east-1:123456789012:function:OrdersFunction:live"
    )
    assert (users.invocation.target, users.invocation.version) == ("UsersFunction", "$LATEST")
    assert [r.route for r in shop.invocations("prod")] == ["GET /orders", "GET /users/{id}"]


def test_globals_environment_merges_and_the_table_is_only_a_name(shop: Gateway) -> None:
    client = shop.client("prod", canary=False)
    orders, users = client.get("/orders").json(), client.get("/users/1").json()
    # TABLE_NAME: !Ref Table, a type the gateway does not model: Ref gives the logical id.
    assert orders["table"] == users["table"] == "Table"
    # Globals' Variables merge with the function's, the function's winning (reference §3.3).
    assert orders["log_level"] == "DEBUG"
    assert users["log_level"] == "INFO"


def test_stage_variables_and_the_canary_overrides(shop: Gateway) -> None:
    base = shop.client("prod", canary=False).get("/users/1")
    canary = shop.client("prod", canary=True).get("/orders")

    assert base.json()["variables"] == {"greeting": "hello", "region": "eu"}
    assert canary.json()["greeting"] == "howdy"  # CanarySetting.StageVariableOverrides
    assert canary.invocation.canary
    assert shop.stage("prod").canary is not None
    assert shop.stage("prod").canary.percent == 20


def test_the_canary_takes_its_percent_of_traffic(shop: Gateway) -> None:
    result = assert_canary_ratio(shop, "prod", "/orders", samples=1000)
    assert result.expected_percent == 20  # CanarySetting.PercentTraffic


def test_api_key_and_usage_plan_quota(shop: Gateway) -> None:
    client = shop.client("prod", canary=False)
    refused = client.post("/orders", json={"id": 3})
    assert refused.status_code == 403
    assert refused.json() == {"message": "Forbidden"}
    # GatewayResponses.DEFAULT_4XX reaches this 403 (it has no entry of its own).
    assert refused.headers["Access-Control-Allow-Origin"] == "https://shop.example.com"
    key = {"x-api-key": sam_key(shop)}

    created = [client.post("/orders", json={"id": n}, headers=key) for n in range(1, 5)]

    # Quota: Limit 3 per DAY; the fourth request is over it.
    assert [r.status_code for r in created] == [201, 201, 201, 429]
    assert created[0].json()["created"] == {"id": 1, "service": "orders"}
    assert created[3].json() == {"message": "Limit Exceeded"}
    # GET /orders has no Auth: no key needed.
    assert client.get("/orders").status_code == 200
    plan = shop.usage_plans.get("shop-partners")
    assert plan.throttle is not None and plan.quota is not None
    assert (plan.throttle.rate, plan.throttle.burst) == (100, 20)
    assert (plan.quota.limit, plan.quota.period) == (3, "DAY")


def test_cors_preflight_is_sams_mock(shop: Gateway) -> None:
    response = shop.client("prod").options(
        "/orders",
        headers={"Origin": "https://shop.example.com", "Access-Control-Request-Method": "POST"},
    )
    assert response.status_code == 200
    assert response.json() == {}  # SAM's `{}` response template
    assert response.headers["Access-Control-Allow-Origin"] == "https://shop.example.com"
    assert response.headers["Access-Control-Allow-Methods"] == "GET,POST,OPTIONS"
    assert response.headers["Access-Control-Allow-Headers"] == "Content-Type,X-Api-Key"
    assert response.headers["Access-Control-Max-Age"] == "600"
    assert response.invocation.integration == "MOCK"


def test_gateway_responses(shop: Gateway) -> None:
    missing = shop.client("prod").get("/carts")
    assert missing.status_code == 404  # MISSING_AUTHENTICATION_TOKEN's StatusCode
    assert missing.json() == {"message": "no such route on stage prod"}
    # A type's own entry replaces DEFAULT_4XX for it: no CORS header here.
    assert "Access-Control-Allow-Origin" not in missing.headers


def test_binary_media_types(shop: Gateway) -> None:
    client = shop.client("prod")
    picture = client.post("/users/7/avatar", data=PNG, headers={"Content-Type": "image/png"})
    text = client.post("/users/7/avatar", json={"url": "x"})

    # BinaryMediaTypes: [image~1png] (`~1` is `/`): the body reaches Lambda base64-encoded.
    assert picture.json()["avatar"] == {"base64": True, "bytes": len(PNG)}
    assert text.json()["avatar"] == {"base64": False, "bytes": len('{"url": "x"}')}


def test_method_settings_throttle_every_method(shop: Gateway) -> None:
    shop.clock.freeze()
    # MethodSettings /* *: ThrottlingBurstLimit 5 (rate 50/s, but the clock stands still).
    assert_throttled(shop.client("prod", canary=False), "/orders", after=5)
    assert shop.invocations("prod")[-1].throttled


def test_caching_for_one_path(shop: Gateway) -> None:
    shop.clock.freeze()
    client = shop.client("prod", canary=False)
    assert_cached(client, "/users/7")  # /~1users~1{id} GET: CachingEnabled
    assert [client.get("/orders").invocation.cache_hit for _ in range(2)] == [False, False]
    shop.clock.advance(119)  # CacheTtlInSeconds: 120
    assert client.get("/users/7").invocation.cache_hit
    shop.clock.advance(2)
    assert not client.get("/users/7").invocation.cache_hit


def test_a_parameter_names_the_stage() -> None:
    gw = Gateway.from_file(SAM, api="ShopApi", parameters={"Stage": "staging"})
    assert list(gw.stages) == ["staging"]
    assert gw.usage_plans.get("shop-partners").stages == ("staging",)
    assert gw.client("staging").get("/orders").json()["stage"] == "staging"
    with pytest.raises(ConfigError, match="prod, staging"):  # AllowedValues
        Gateway.from_file(SAM, api="ShopApi", parameters={"Stage": "qa"})


def test_the_implicit_api() -> None:
    gw = Gateway.from_file(SAM, api="ServerlessRestApi")
    assert list(gw.stages) == ["Prod"]  # SAM's implicit API deploys to Prod
    assert list(gw.api.routes) == ["GET /ping"]
    ping = gw.client("Prod").get("/ping")
    assert ping.json()["service"] == "users"
    assert ping.json()["variables"] is None  # the implicit API has no stage variables
    assert gw.client("Prod").get("/orders").status_code == 403


def test_a_deployment_preference_is_how_the_alias_shifts() -> None:
    """SAM's DeploymentPreference (Canary10Percent5Minutes) makes a CodeDeploy group that
    shifts the alias; here the alias serves its version (as after a deployment) and
    `shift_traffic` rehearses the shift with that preset's steps: 10 %, then all."""
    assert load_file(SAM, api="ShopApi").notices == ()
    shop = Gateway.from_file(SAM, api="ShopApi")
    live = shop.functions.aliases("OrdersFunction")["live"]
    assert (live.version, live.deployment_preference) == ("1", "Canary10Percent5Minutes")
    handler = shop.functions.versions("OrdersFunction")["1"].handler
    shop.functions.publish_version("OrdersFunction", handler)
    start = shop.clock.freeze()

    result = shop.functions.shift_traffic(
        "OrdersFunction", "live", "2", traffic=["/orders"], stage="prod", requests=200,
        health={"min_requests": 10},
    )  # fmt: skip

    assert result.promoted, result.text()
    assert [step.percent for step in result.steps] == [10.0, 100.0]
    assert shop.clock.now() == start + 2 * 5 * 60  # each step is watched for 5 minutes
    assert shop.functions.aliases("OrdersFunction")["live"].version == "2"


def test_without_openapi_version_sam_adds_a_stage_named_stage(tmp_path: Path) -> None:
    shutil.copytree(SAM.parent, tmp_path / "shop")
    template = tmp_path / "shop" / "template.yaml"
    text = template.read_text()
    assert "  Api:\n    OpenApiVersion: 3.0.1\n" in text
    template.write_text(text.replace("  Api:\n    OpenApiVersion: 3.0.1\n", ""))

    gw = Gateway.from_file(template, api="ShopApi")

    # Reference §3.2: the Deployment's StageName "Stage" makes CloudFormation create it too.
    assert sorted(gw.stages) == ["Stage", "prod"]
    assert gw.stage("Stage").deployment_id == gw.stage("prod").deployment_id
    assert dict(gw.stage("Stage").variables) == {}  # ShopApi's settings are prod's only
    assert gw.client("Stage").get("/users/2").json()["stage"] == "Stage"
    key = {"x-api-key": sam_key(gw)}  # the usage plan names prod alone
    assert gw.client("Stage").post("/orders", json={}, headers=key).status_code == 403


def test_the_plugin_reads_a_sam_project(pytester: pytest.Pytester) -> None:
    shutil.copytree(SAM.parent, pytester.path, dirs_exist_ok=True)
    pytester.makefile(
        ".yaml", apistages="source: {path: template.yaml, api: ShopApi}\n"
    )  # the SAM template holds two APIs: the config picks one
    pytester.makepyfile(
        test_shop=textwrap.dedent(
            """
            import pytest
            from pytest_apistages.assertions import assert_routes_to


            @pytest.mark.stage("prod")
            def test_orders(api):
                assert_routes_to(api, "GET /orders", target="OrdersFunction:live", version="1")


            @pytest.mark.stage("prod")
            def test_users(api, gateway):
                assert gateway.client("prod", canary=False).get("/users/3").json()["user"] == {
                    "id": "3", "name": "user-3"
                }
            """
        )
    )
    result = pytester.runpytest("--apistages-config=apistages.yaml", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=2)


# -- cfn_shop: plain CloudFormation ----------------------------------------------------------


PARTNER = {"x-api-key": "partner-key-0123456789abcdef"}  # ApiKey's Value


@pytest.fixture
def items() -> Gateway:
    """cfn_shop through its apistages.yaml: FilesHost overridden, the file store mounted."""
    return Gateway.from_file(CFN_CONFIG)


def test_cfn_template_alone_takes_the_defaults() -> None:
    gw = Gateway.from_file(CFN)
    assert gw.api.name == "items-prod"  # !Sub "items-${Environment}"
    stage = gw.stage("prod")
    assert dict(stage.variables) == {
        "itemsAlias": "live",
        "filesHost": "files.example.com",  # FilesHost's Default
        "env": "production",  # !If [IsProd, production, development]
    }
    assert stage.description == "production"
    assert stage.deployment_id == "Deployment"
    assert stage.canary is not None
    assert (stage.canary.deployment_id, stage.canary.percent) == ("CanaryDeployment", 10)
    assert dict(stage.canary.variables) == {"itemsAlias": "next"}
    limits = stage.settings.for_route("GET /health")
    assert (limits.throttling_rate, limits.throttling_burst) == (100, 20)  # Limits.prod
    assert limits.metrics_enabled


def test_cfn_config_overrides_a_parameter_and_mounts_the_backend(items: Gateway) -> None:
    assert items.stage("prod").variables["filesHost"] == "files.internal"
    response = items.client("prod").get("/files/reports/q3.csv?download=1")

    assert response.status_code == 200
    assert response.headers["X-Store"] == "files"
    assert response.json() == {
        "method": "GET",
        "path": "/reports/q3.csv",  # {proxy} from the greedy path
        "query": "download=1",
        "host": "files.internal",  # http://${stageVariables.filesHost}/{proxy}
        "stage_header": "prod",  # integration.request.header.X-Stage: context.stage
    }
    assert response.invocation.target == "http://files.internal/reports/q3.csv"
    assert items.client("prod").delete("/files/old.txt").json()["method"] == "DELETE"  # ANY


def test_cfn_api_key_alias_weights_and_versions(items: Gateway) -> None:
    client = items.client("prod", canary=False)
    assert client.get("/items").status_code == 403  # ApiKeyRequired: true
    assert client.get("/items", headers={"x-api-key": "someone-elses-key-0123"}).status_code == 403
    versions = items.functions.versions("ItemsFunction")
    assert {n: v.description for n, v in versions.items()} == {
        "1": "first release",
        "2": "second release",
    }
    served = []
    for _ in range(400):
        items.clock.advance(1)  # the plan's /items/GET limit refills 1 a second
        response = client.get("/items", headers=PARTNER)
        assert response.status_code == 200
        assert response.invocation.target == "ItemsFunction:live"
        assert response.json()["alias"] == "live"
        assert response.json()["version"] == response.invocation.version
        served.append(response.invocation.version)
    # live: version 1, with AdditionalVersionWeights 2: 0.25.
    assert set(served) == {"1", "2"}
    assert binomial_test(served.count("2"), len(served), 0.25) > 0.001
    body = client.get("/items", headers=PARTNER).json()
    assert body["items"] == ["kettle", "teapot"]  # the asset.abc123 folder's app.py
    assert body["function"] == "ItemsFunction"
    assert body["environment"] == "prod"


def test_cfn_canary_deployment(items: Gateway) -> None:
    assert_canary_ratio(items, "prod", "/health", samples=1000)  # CanaryPercent: 10
    canary = items.client("prod", canary=True).get("/items", headers=PARTNER)
    assert canary.invocation.deployment_id == "CanaryDeployment"
    # StageVariableOverrides itemsAlias: next -> ItemsNext, version 2 alone.
    assert (canary.invocation.target, canary.invocation.version) == ("ItemsFunction:next", "2")
    assert canary.json()["alias"] == "next"


def test_cfn_non_proxy_lambda_and_its_error_pattern(items: Gateway) -> None:
    client = items.client("prod")
    found = client.get("/items/3")
    missing = client.get("/items/9")

    assert found.status_code == 200
    assert found.json() == {
        "item": {"id": 3, "stage": "prod", "function": "item-prod"},  # FunctionName's Sub
        "served_by": "production",
    }
    assert found.invocation.target == "item-prod"
    assert missing.status_code == 404  # SelectionPattern .*not found.* on the errorMessage
    assert missing.json() == {"message": "no item 9"}
    # PassthroughBehavior WHEN_NO_TEMPLATES: templates exist, none for text/plain.
    refused = client.get("/items/3", headers={"Content-Type": "text/plain"})
    assert refused.status_code == 415
    assert refused.json() == {"message": "Unsupported Media Type"}


def test_cfn_mock_renders_its_templates(items: Gateway) -> None:
    response = items.client("prod").get("/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "stage": "prod", "env": "production"}
    assert response.headers["X-Environment"] == "production"  # from stageVariables.env
    assert response.invocation.integration == "MOCK"


def test_cfn_usage_plan_method_throttle_and_the_custom_429(items: Gateway) -> None:
    items.clock.freeze()
    client = items.client("prod", canary=False)
    answers = [client.get("/items", headers=PARTNER) for _ in range(3)]

    # ApiStages Throttle "/items/GET": BurstLimit 2.
    assert [a.status_code for a in answers] == [200, 200, 429]
    assert answers[2].json() == {"message": "slow down", "stage": "prod"}  # THROTTLED
    assert answers[2].headers["Retry-After"] == "1"
    assert client.get("/health").status_code == 200  # another method, another bucket


def test_cfn_access_log(items: Gateway) -> None:
    response = items.client("prod", canary=False).get("/health")
    request_id = response.headers["x-amzn-RequestId"]
    assert [e.message for e in items.access_logs("prod")] == [f"{request_id} GET /health 200"]
    # DestinationArn: !GetAtt AccessLogs.Arn names the log group AccessLogs.
    assert items.stage("prod").settings.access_log.destination == (
        "arn:aws:logs:us-east-1:123456789012:log-group:AccessLogs:*"
    )


def test_cfn_parameters_change_stage_name_conditions_and_mappings() -> None:
    gw = Gateway.from_file(CFN, parameters={"Environment": "dev"})
    assert list(gw.stages) == ["dev"]
    assert gw.api.name == "items-dev"
    assert gw.stage("dev").variables["env"] == "development"
    assert gw.client("dev").get("/items/4").json()["item"]["function"] == "item-dev"
    gw.clock.freeze()
    assert_throttled(gw.client("dev", canary=False), "/health", after=3)  # Limits.dev Burst 3
    assert gw.usage_plans.get("partners").stages == ("dev",)


def test_a_method_setting_for_all_methods_of_one_path_is_refused(tmp_path: Path) -> None:
    shutil.copytree(CFN.parent, tmp_path / "items")
    template = tmp_path / "items" / "template.yaml"
    text = template.read_text()
    anchor = "          MetricsEnabled: true\n"
    extra = '        - ResourcePath: "/~1items~1{id}"\n          HttpMethod: "*"\n'
    template.write_text(text.replace(anchor, anchor + extra))

    with pytest.raises(ConfigError) as info:
        Gateway.from_file(template)
    # Stage.methodSettings keys are {resource_path}/{http_method}, or /*/* for all.
    line = line_of(template, 'HttpMethod: "*"', after="~1items~1")
    assert str(info.value) == (
        f"{template}:{line}: "
        "Resources.Stage.Properties.MethodSettings[1].HttpMethod: HttpMethod '*' with "
        "ResourcePath '/~1items~1{id}': a method setting is for one method, or for all with "
        "ResourcePath /* (name the method (GET, POST, ...), one entry per method)"
    )


def test_the_plugin_reads_a_cloudformation_template(pytester: pytest.Pytester) -> None:
    shutil.copytree(CFN.parent, pytester.path, dirs_exist_ok=True)
    pytester.makepyfile(
        test_items=textwrap.dedent(
            """
            import pytest
            from pytest_apistages.assertions import assert_routes_to


            @pytest.mark.stage("prod")
            def test_health(api):
                assert api.get("/health").json() == {
                    "status": "ok", "stage": "prod", "env": "production"
                }


            @pytest.mark.stage("prod")
            def test_item(api):
                assert_routes_to(api, "GET /items/2", target="item-prod", status=200)
            """
        )
    )
    result = pytester.runpytest("--apistages-config=template.yaml", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=2)


# -- openapi_export: an exported API with its config -----------------------------------------


MOBILE = {"x-api-key": "mobile-app-key-0123456789"}


@pytest.fixture
def catalog() -> Gateway:
    return Gateway.from_file(EXPORT_CONFIG)


def test_an_export_alone_serves_its_base_path_stage() -> None:
    gw = Gateway.from_file(EXPORT)
    assert gw.api.name == "catalog"  # info.title
    assert list(gw.stages) == ["v1"]  # servers[0].variables.basePath.default
    status = gw.client("v1").get("/status")
    assert status.json() == {"status": "up", "stage": "v1", "version": ""}  # no variables


def test_export_stages_functions_and_api_key(catalog: Gateway) -> None:
    assert list(catalog.stages) == ["v1", "beta"]  # the config's stages replace basePath's
    refused = catalog.client("v1").get("/products/7")
    assert refused.status_code == 401  # INVALID_API_KEY's statusCode
    assert refused.json() == {"message": "send your key in x-api-key (stage v1)"}
    live = catalog.client("v1").get("/products/7", headers=MOBILE)
    beta = catalog.client("beta").get("/products/7", headers=MOBILE)

    assert live.json() == {"id": "7", "release": "v1", "version": "1", "key": MOBILE["x-api-key"]}
    assert (live.invocation.target, live.invocation.version) == ("catalog:live", "1")
    assert beta.json()["release"] == "v2"
    assert (beta.invocation.target, beta.invocation.version) == ("catalog:beta", "2")


def test_export_quota_is_shared_across_the_plans_stages(catalog: Gateway) -> None:
    v1, beta = catalog.client("v1"), catalog.client("beta")
    statuses = [v1.get("/products/1", headers=MOBILE).status_code for _ in range(3)]
    statuses += [beta.get("/products/1", headers=MOBILE).status_code for _ in range(3)]
    assert statuses == [200, 200, 200, 200, 200, 429]  # quota: limit 5 per DAY


def test_export_mock_and_default_4xx(catalog: Gateway) -> None:
    client = catalog.client("beta")
    status = client.get("/status")
    assert status.json() == {"status": "up", "stage": "beta", "version": "beta"}
    assert status.headers["Cache-Control"] == "no-store"
    missing = client.get("/orders")
    assert missing.status_code == 403
    assert missing.json() == {"message": "Missing Authentication Token"}
    assert missing.headers["Access-Control-Allow-Origin"] == "*"  # DEFAULT_4XX


def test_export_http_integration_selects_by_status(catalog: Gateway) -> None:
    client = catalog.client("v1")
    logo = client.get("/images/logo.jpg")
    missing = client.get("/images/nope.jpg")

    assert logo.status_code == 200
    assert logo.data == b"\xff\xd8\xff\xe0 logo"
    assert logo.invocation.target == "http://images.internal/store/logo.jpg"
    assert missing.status_code == 404  # "4\\d{2}" -> 404, with its template
    assert missing.json() == {"message": "no image nope.jpg"}


def test_export_binary_media_types(catalog: Gateway) -> None:
    client = catalog.client("v1")
    headers = {"Content-Type": "image/jpeg"}
    raw = client.post("/thumbnails", data=JPEG, headers={**headers, "Accept": "image/jpeg"})
    encoded = client.post("/thumbnails", data=JPEG, headers=headers)

    # image/jpeg reaches Lambda base64-encoded; its base64 answer is decoded for an Accept
    # of image/jpeg, and passed on as text otherwise.
    assert raw.data == JPEG[::-1]
    assert raw.headers["Content-Type"] == "image/jpeg"
    assert base64.b64decode(encoded.data) == JPEG[::-1]


# -- cdk synth's output ---------------------------------------------------------------------

CDK = TEMPLATES / "cdk_shop" / "cdk.out" / "ShopStack.template.json"


def test_cdk_synth_output_runs_its_asset_folder() -> None:
    """What `cdk synth` writes for a LambdaRestApi: the function's code is in S3 by the
    template, in the asset folder beside it by its Metadata; the bootstrap parameter (an SSM
    path), the Rules and CDKMetadata the gateway does not use stay out of the way."""
    gw = Gateway.from_file(CDK)

    assert list(gw.stages) == ["prod"]
    assert sorted(gw.api.routes) == ["ANY /", "ANY /{proxy+}"]
    client = gw.client("prod")
    for path in ("/", "/orders/1"):
        response = client.get(path)
        assert response.status_code == 200
        assert response.json() == {"path": path, "stage": "prod"}
        assert response.invocation.target == "Handler886CB40B"
