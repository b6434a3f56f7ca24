# ruff: noqa: E501  (the expected findings are written out whole, one message a line)
"""`apistages check` rules: for each rule a config that trips it and one that does not, with
the exact findings (rule, severity, stage, file, line, key, message, fix)."""

from __future__ import annotations

import re
import shutil
import textwrap
from pathlib import Path

import pytest

from pytest_apistages import Gateway
from pytest_apistages.assertions import assert_rollback_safe
from pytest_apistages.check.findings import Finding
from pytest_apistages.check.rules import run_checks
from pytest_apistages.errors import ConfigError
from pytest_apistages.sources.load import load_file

EXAMPLE = Path(__file__).parent.parent / "example_project"
FUNCTIONS = """
functions:
  pets:
    handler: index.handler
    inline_code: "def handler(event, context):\\n    return {'statusCode': 200}\\n"
    versions: {"1": {description: one}, "2": {description: two}}
    aliases: {live: "1", next: "2"}
"""


def check(tmp_path: Path, text: str, functions: bool = True) -> list[Finding]:
    body = textwrap.dedent(text).lstrip("\n") + (FUNCTIONS if functions else "")
    (tmp_path / "apistages.yaml").write_text(body, encoding="utf-8")
    loaded = load_file(tmp_path / "apistages.yaml", shown_as="apistages.yaml")
    return run_checks(loaded, Gateway.from_config(loaded))


def rules(findings: list[Finding]) -> list[str]:
    return [f.rule for f in findings]


def F(rule: str, stage: str | None, line: int | None, key: str, message: str, fix: str,
      severity: str = "error", source: str = "apistages.yaml") -> Finding:  # fmt: skip
    return Finding(rule, severity, stage, source, line, key, message, fix)  # type: ignore[arg-type]


FAILING = {
    "undefined": """
api:
  routes:
    GET /pets: {function: "pets:${stageVariables.fastalias}"}
    GET /health:
      type: MOCK
      requestTemplates: {application/json: '{"statusCode": 200}'}
      responses:
        default:
          statusCode: "200"
          responseTemplates: {application/json: '{"env": "$stageVariables.envName"}'}
stages:
  prod:
    variables: {fastAlias: live, envName: prod}
""",
    "function": """
api:
  routes:
    GET /pets: {function: "pets:${stageVariables.alias}"}
    GET /old: {function: "pets:3"}
stages:
  prod:
    variables: {alias: nxt}
    canary: {percent: 10, variables: {alias: next}}
""",
    "rollback": """
api:
  routes:
    GET /pets: {function: "pets:${stageVariables.alias}"}
deployments:
  v1:
    routes:
      GET /pets: {function: "pets:${stageVariables.petsAlias}"}
      GET /legacy: {function: "pets:old"}
stages:
  prod:
    history: [v1]
    variables: {alias: live}
""",
    "undeployed": """
api:
  routes:
    GET /pets: {function: "pets:live"}
    GET /new: {function: "pets:next"}
deployments:
  v1:
    routes:
      GET /pets: {function: "pets:live"}
stages:
  prod:
    history: [v1, current]
    deployment: v1
  pinned:
    deployment: v1
""",
    "unreachable": """
api:
  routes:
    ANY /x: {type: MOCK}
    GET /x: {type: MOCK}
    PUT /x: {type: MOCK}
    POST /x: {type: MOCK}
    DELETE /x: {type: MOCK}
    PATCH /x: {type: MOCK}
    HEAD /x: {type: MOCK}
    OPTIONS /x: {type: MOCK}
stages:
  prod: {}
""",
    "cache": """
api:
  routes:
    GET /pets:
      requestParameters: {method.request.header.Authorization: false}
      integration:
        type: HTTP
        uri: https://pets.internal/pets
        requestParameters: {integration.request.header.Authorization: method.request.header.Authorization}
        cacheKeyParameters: [method.request.querystring.type]
        responses: {default: {statusCode: "200"}}
    POST /orders: {type: MOCK}
stages:
  prod:
    caching: {enabled: true, ttl: 300}
    method_settings:
      POST /orders: {caching: {enabled: true}}
""",
    "keys": """
api:
  routes:
    GET /partner: {type: MOCK, apiKeyRequired: true}
stages:
  prod:
    method_settings:
      GET /partnr: {throttling: {rate: 1, burst: 1}}
  dev: {}
api_keys: {acme: {value: "acme-0123456789abcdef0123"}}
usage_plans:
  gold: {stages: [{stage: dev, throttle: {"/partners/GET": {rate: 1, burst: 1}}}], keys: [acme]}
""",
    "canary": """
api:
  routes:
    GET /pets: {function: "pets:${stageVariables.alias}"}
deployments:
  v1:
    routes:
      GET /pets: {function: "pets:live"}
stages:
  prod:
    variables: {alias: live}
    canary: {percent: 0, deployment: v1, variables: {aliass: next}}
  dev:
    variables: {alias: live}
    canary: {percent: 5}
""",
    "policies": """
api:
  routes:
    GET /pets:
      type: HTTP_PROXY
      uri: "https://${stageVariables.host}/pets"
      credentials: "arn:aws:iam::123456789012:role/${stageVariables.role}"
stages:
  prod:
    variables: {host: pets.internal, role: r}
    caching: {enabled: true, ttl: 600}
    canary: {percent: 50}
policies:
  max_canary_percent: 20
  require_throttling: [prod]
  require_api_key: [prod, staging]
  require_logging: true
  forbid_stage_variables_in: [credentials, uri]
  max_cache_ttl: 300
""",
}


EXPECTED = {
    "undefined": [
        F(
            "stage-variable-undefined",
            "prod",
            3,
            "api.routes.GET /pets.function",
            "GET /pets reads stage variable 'fastalias' in the integration URI, which stage prod does not define (did you mean 'fastAlias'?) (defined: fastAlias, envName)",
            "write fastAlias instead, or define fastalias in the stage's variables",
        ),
        F(
            "stage-variable-unused",
            "prod",
            13,
            "stages.prod.variables.fastAlias",
            "stage prod defines fastAlias, which no route it serves (or would serve after a rollback) reads (did you mean 'fastalias'?)",
            "remove it, or correct its name",
            "warning",
        ),
    ],
    "function": [
        F(
            "function-missing",
            "prod",
            4,
            "api.routes.GET /old.function",
            "GET /old on stage prod calls pets:3, which does not exist: Function not found: arn:aws:lambda:us-east-1:123456789012:function:pets:3",
            "use pets:{live, next, 1, 2, $LATEST}, or declare 3 for pets",
        ),
        F(
            "function-missing",
            "prod",
            4,
            "api.routes.GET /old.function",
            "GET /old on the canary of stage prod calls pets:3, which does not exist: Function not found: arn:aws:lambda:us-east-1:123456789012:function:pets:3",
            "use pets:{live, next, 1, 2, $LATEST}, or declare 3 for pets",
        ),
        F(
            "function-missing",
            "prod",
            7,
            "stages.prod.variables.alias",
            "GET /pets on stage prod calls pets:nxt (alias = nxt), which does not exist: Function not found: arn:aws:lambda:us-east-1:123456789012:function:pets:nxt (did you mean 'next'?)",
            "set alias to one of live, next, 1, 2, $LATEST",
        ),
    ],
    "rollback": [
        F(
            "rollback-unsafe",
            "prod",
            8,
            "deployments.v1.routes.GET /legacy.function",
            "a rollback of stage prod restores deployment v1, whose GET /legacy calls pets:old, which no longer exists: Function not found: arn:aws:lambda:us-east-1:123456789012:function:pets:old",
            "keep old published while deployment v1 is in the stage's history",
        ),
        F(
            "rollback-unsafe",
            "prod",
            7,
            "deployments.v1.routes.GET /pets.function",
            "a rollback of stage prod restores deployment v1, whose GET /pets reads stage variable 'petsAlias' in the integration URI, which the stage no longer defines",
            "keep petsAlias in the stage's variables while deployment v1 is in its history",
        ),
    ],
    "undeployed": [
        F(
            "undeployed-changes",
            "pinned",
            14,
            "stages.pinned.deployment",
            "stage pinned serves deployment v1, not the working definition: GET /new: added, not deployed",
            "deploy the working definition to pinned (or point it back at it)",
            "warning",
        ),
        F(
            "undeployed-changes",
            "prod",
            12,
            "stages.prod.deployment",
            "stage prod serves deployment v1, not the working definition: GET /new: added, not deployed",
            "deploy the working definition to prod (or point it back at it)",
            "warning",
        ),
    ],
    "unreachable": [
        F(
            "route-unreachable",
            None,
            3,
            "api.routes.ANY /x",
            "ANY /x is never called: /x has its own method for every verb (DELETE, GET, HEAD, OPTIONS, PATCH, POST, PUT), and a verb's own method wins over ANY",
            "remove ANY /x, or one of the verb methods it should answer",
        ),
    ],
    "cache": [
        F(
            "cache-key-undeclared",
            None,
            9,
            "api.routes.GET /pets.integration.cacheKeyParameters",
            "GET /pets: cache key parameter method.request.querystring.type is not declared in the method's requestParameters; AWS refuses this at import (the emulator accepts it)",
            "declare it beside integration: requestParameters: {method.request.querystring.type: false}",
        ),
        F(
            "cache-key-missing",
            "prod",
            9,
            "api.routes.GET /pets.integration.cacheKeyParameters",
            "GET /pets is cached on stage prod, but its answer depends on method.request.header.Authorization (read in mapping integration.request.header.Authorization), which its cache key leaves out: requests that differ only there get the first one's cached answer",
            "add method.request.header.Authorization to the integration's cacheKeyParameters",
        ),
        F(
            "cache-non-get",
            "prod",
            16,
            "stages.prod.method_settings.POST /orders.caching",
            "POST /orders is cached on stage prod (its own method setting enables caching): the request body is never in a cache key, so different POST requests get the first one's cached answer",
            "turn caching off for it: method_settings: {POST /orders: {caching: {enabled: false}}}",
        ),
    ],
    "keys": [
        F(
            "plan-unknown-route",
            "dev",
            11,
            "usage_plans.gold.stages[0].throttle./partners/GET",
            "usage plan gold: stage dev: method throttle '/partners/GET' names no route it serves (did you mean 'GET /partner'?)",
            "correct the route key (VERB /path or /path/VERB), or remove it",
            "warning",
        ),
        F(
            "api-key-no-plan",
            "prod",
            3,
            "api.routes.GET /partner.apiKeyRequired",
            "GET /partner requires an API key on stage prod, but no usage plan with an enabled key covers stage prod: every call gets 403 Forbidden",
            "add a usage plan with stages: [prod] and keys: [a key]",
        ),
        F(
            "plan-unknown-route",
            "prod",
            7,
            "stages.prod.method_settings.GET /partnr",
            "stage prod: method_settings 'GET /partnr' names no route it serves (did you mean 'GET /partner'?)",
            "correct the route key (VERB /path), or remove the entry",
            "warning",
        ),
    ],
    "canary": [
        F(
            "canary-same-as-stage",
            "dev",
            14,
            "stages.dev.canary",
            "the canary of stage dev runs what the stage runs (the current definition), with no overrides: it tests nothing",
            "give the canary the deployment to try (deployment:) or overrides (variables:), or remove it",
            "warning",
        ),
        F(
            "canary-override-unused",
            "prod",
            11,
            "stages.prod.canary.variables.aliass",
            "the canary of stage prod overrides aliass, which no route of its deployment reads",
            "remove the override, or correct its name",
            "warning",
        ),
        F(
            "canary-percent-zero",
            "prod",
            11,
            "stages.prod.canary.percent",
            "the canary of stage prod runs deployment v1 but gets 0 % of the requests",
            "give it a percent above 0, or remove the canary",
            "warning",
        ),
    ],
    "policies": [
        F(
            "policy-require-api-key",
            None,
            15,
            "policies.require_api_key[1]",
            "policy require_api_key names stage 'staging', which the config does not declare",
            "name one of prod",
        ),
        F(
            "canary-same-as-stage",
            "prod",
            11,
            "stages.prod.canary",
            "the canary of stage prod runs what the stage runs (the current definition), with no overrides: it tests nothing",
            "give the canary the deployment to try (deployment:) or overrides (variables:), or remove it",
            "warning",
        ),
        F(
            "policy-forbid-stage-variables-in",
            "prod",
            6,
            "api.routes.GET /pets.credentials",
            "GET /pets's integration credentials read a stage variable (arn:aws:iam::123456789012:role/${stageVariables.role}); the policy forbid_stage_variables_in forbids it there",
            "write the role ARN itself",
        ),
        F(
            "policy-forbid-stage-variables-in",
            "prod",
            5,
            "api.routes.GET /pets.uri",
            "GET /pets reads stage variable 'host' in the integration URI; the policy forbid_stage_variables_in forbids stage variables in uri",
            "write the value itself in uri",
        ),
        F(
            "policy-max-cache-ttl",
            "prod",
            10,
            "stages.prod.caching.ttl",
            "GET /pets on stage prod keeps cached answers 600 s; the policy max_cache_ttl allows 300 s",
            "set caching: {ttl: 300} (or less)",
        ),
        F(
            "policy-max-canary-percent",
            "prod",
            11,
            "stages.prod.canary.percent",
            "the canary of stage prod gets 50 % of the requests; the policy max_canary_percent allows 20 %",
            "lower the canary's percent to 20 or less",
        ),
        F(
            "policy-require-api-key",
            "prod",
            3,
            "api.routes.GET /pets",
            "GET /pets on stage prod takes calls without an API key; the policy require_api_key wants one for every method of prod",
            "set apiKeyRequired: true on GET /pets",
        ),
        F(
            "policy-require-api-key",
            "prod",
            3,
            "api.routes.GET /pets",
            "GET /pets on the canary of stage prod takes calls without an API key; the policy require_api_key wants one for every method of prod",
            "set apiKeyRequired: true on GET /pets",
        ),
        F(
            "policy-require-logging",
            "prod",
            8,
            "stages.prod",
            "GET /pets on stage prod sets no execution logging (AWS's default is OFF); the policy require_logging wants it for every method",
            "set logging: ERROR (or INFO) on stage prod",
        ),
        F(
            "policy-require-throttling",
            "prod",
            8,
            "stages.prod",
            "GET /pets on stage prod has no throttle (only the account's); the policy require_throttling wants one for every method of prod",
            "add throttling: {rate: ..., burst: ...} to stage prod, or to GET /pets's method_settings",
        ),
        F(
            "stage-variable-unused",
            "prod",
            9,
            "stages.prod.variables.role",
            "stage prod defines role, which no route it serves (or would serve after a rollback) reads",
            "remove it, or correct its name",
            "warning",
        ),
    ],
}


@pytest.mark.parametrize("name", list(FAILING))
def test_failing_config_gives_the_exact_findings(tmp_path: Path, name: str) -> None:
    assert check(tmp_path, FAILING[name]) == EXPECTED[name]


PASSING = """
api:
  routes:
    GET /pets: {function: "pets:${stageVariables.alias}"}
    GET /partner/{item}:
      type: HTTP_PROXY
      uri: "https://${stageVariables.host}/stock/{item}"
      apiKeyRequired: true
      cacheKeyParameters: [method.request.path.item]
deployments:
  v1:
    routes:
      GET /pets: {function: "pets:${stageVariables.alias}"}
stages:
  prod:
    history: [v1]
    variables: {alias: live, host: stock.internal}
    caching: {enabled: true, ttl: 60}
    throttling: {rate: 10, burst: 5}
    logging: ERROR
    method_settings:
      GET /pets: {caching: {enabled: false}}
    canary: {percent: 10, variables: {alias: next}}
api_keys: {acme: {value: "acme-0123456789abcdef0123"}}
usage_plans:
  gold: {stages: [prod], keys: [acme], method_throttles: {GET /pets: {rate: 1, burst: 1}}}
policies:
  max_canary_percent: 20
  require_throttling: [prod]
  require_logging: [prod]
  forbid_stage_variables_in: [credentials]
  max_cache_ttl: 300
"""


def test_a_config_that_follows_every_rule_has_no_findings(tmp_path: Path) -> None:
    assert check(tmp_path, PASSING) == []


@pytest.mark.parametrize(
    "route, problem",
    [
        ("GET /a/{proxy+}/b", "Cannot create a child of a resource with a greedy path variable"),
        ("GET /pets/{name}", "A sibling ({id}) of this resource already has a variable path part"),
    ],
)
def test_what_aws_refuses_at_import_is_refused_by_the_loader(
    tmp_path: Path, route: str, problem: str
) -> None:
    """greedy-with-children and sibling-variables need no rule: the loader refuses them."""
    text = f"""
    api:
      routes:
        GET /pets/{{id}}: {{type: MOCK}}
        {route}: {{type: MOCK}}
    stages:
      prod: {{}}
    """
    with pytest.raises(ConfigError, match=re.escape(problem)):
        check(tmp_path, text)


@pytest.mark.parametrize(
    "policies, message",
    [
        ("{max_canary_pct: 5}", "policies.max_canary_pct: unknown key"),
        ("{max_cache_ttl: 7200}", "policies.max_cache_ttl: must be 0-3600 seconds, got 7200"),
        ("{require_api_key: prod}", "policies.require_api_key: expected a list of stages"),
        ("{forbid_stage_variables_in: [body]}", "unknown integration field 'body'"),
    ],
)
def test_policies_are_validated_at_their_key(tmp_path: Path, policies: str, message: str) -> None:
    text = f"api: {{routes: {{GET /x: {{type: MOCK}}}}}}\nstages: {{prod: {{}}}}\npolicies: {policies}\n"
    with pytest.raises(ConfigError, match=re.escape(message)):
        check(tmp_path, text)


def test_assert_rollback_safe_lists_each_route_that_would_break(tmp_path: Path) -> None:
    check(tmp_path, FAILING["rollback"])
    loaded = load_file(tmp_path / "apistages.yaml")
    gateway = Gateway.from_config(loaded)
    with pytest.raises(AssertionError) as failure:
        assert_rollback_safe(gateway, "prod")
    text = str(failure.value)
    assert "rolling back stage prod to deployment v1 would break 2 thing(s):" in text
    assert "GET /legacy calls pets:old, which no longer exists" in text
    assert "fix: keep petsAlias in the stage's variables" in text
    gateway.update_stage("prod", variables={"petsAlias": "live"})
    gateway.functions.set_alias("pets", "old", "1")
    assert assert_rollback_safe(gateway, "prod") is None
    gateway.rollback("prod")  # and it really works
    assert gateway.client("prod").get("/legacy").status_code == 200


def _example(name: str) -> list[Finding]:
    loaded = load_file(EXAMPLE / name, shown_as=name)
    return run_checks(loaded, Gateway.from_config(loaded))


@pytest.mark.parametrize("name", ["apistages.yaml", "apistages-sam.yaml"])
def test_example_project_has_no_findings(name: str) -> None:
    assert _example(name) == []


def test_findings_of_a_template_are_located_in_the_template(tmp_path: Path) -> None:
    """The stage's variable renamed in a CloudFormation template: the route's Uri and the
    stage's Variables, at their own lines. The canary still overrides itemsAlias: it is fine."""
    shop = Path(__file__).parent / "data" / "templates" / "cfn_shop"
    shutil.copytree(shop / "asset.abc123", tmp_path / "asset.abc123")
    text = (shop / "template.yaml").read_text(encoding="utf-8")
    renamed = text.replace("        itemsAlias: live\n", "        itemAlias: live\n")
    (tmp_path / "template.yaml").write_text(renamed, encoding="utf-8")
    loaded = load_file(tmp_path / "template.yaml", shown_as="template.yaml")
    assert run_checks(loaded, Gateway.from_config(loaded)) == [
        F("stage-variable-undefined", "prod", 75, "Resources.ItemsGet.Properties.Integration.Uri",
          "GET /items reads stage variable 'itemsAlias' in the integration URI, which stage prod does not define (did you mean 'itemAlias'?) (defined: itemAlias, filesHost, env)",
          "write itemAlias instead, or define itemsAlias in the stage's variables",
          source="template.yaml"),
        F("stage-variable-unused", "prod", 167, "Resources.Stage.Properties.Variables.itemAlias",
          "stage prod defines itemAlias, which no route it serves (or would serve after a rollback) reads (did you mean 'itemsAlias'?)",
          "remove it, or correct its name", "warning", source="template.yaml"),
    ]  # fmt: skip


def test_cloudformation_shop_is_clean() -> None:
    path = Path(__file__).parent / "data" / "templates" / "cfn_shop" / "apistages.yaml"
    loaded = load_file(path)
    assert run_checks(loaded, Gateway.from_config(loaded)) == []
