"""Deployments are snapshots; stages point at them; rollback and deletion follow AWS."""

import pytest

from pytest_apistages import BadRequestError, Gateway, NotFoundError
from pytest_apistages.assertions import assert_no_pending_changes


def mock(body: str) -> dict:
    return {"type": "MOCK", "status": 200, "body": body}


@pytest.fixture
def gw() -> Gateway:
    gw = Gateway("shop")
    gw.api.put_route("GET /items", mock('"v1"'))
    return gw


def test_deploy_creates_the_stage_and_serves_the_snapshot(gw):
    deployment = gw.deploy("prod", description="first")

    stage = gw.stage("prod")
    assert stage.deployment_id == deployment.id
    assert stage.history == (deployment.id,)
    assert deployment.description == "first"
    assert gw.client("prod").get("/items").text == '"v1"'


def test_editing_the_api_does_not_change_what_a_stage_serves(gw):
    deployment = gw.deploy("prod")
    gw.api.put_route("GET /items", mock('"v2"'))
    gw.api.put_route("GET /new", mock('"new"'))
    gw.api.delete_route("GET /items")

    client = gw.client("prod")
    assert client.get("/items").text == '"v1"'
    assert client.get("/new").status_code == 403
    assert "GET /items" in deployment.api.routes
    assert "GET /new" not in deployment.api.routes


def test_pending_changes_lists_each_difference_in_words(gw):
    gw.api.put_route("POST /orders", "orders")
    gw.deploy("prod")
    gw.api.put_route("GET /items", mock('"v2"'))
    gw.api.put_route("GET /new", mock("{}"))
    gw.api.delete_route("POST /orders")
    gw.api.set_binary_media_types(["image/png"])

    assert gw.pending_changes("prod") == [
        "GET /items: integration changed (body: '\"v1\"' -> '\"v2\"')",
        "GET /new: added, not deployed",
        "POST /orders: deleted, still served",
        "binary media types changed ([] -> ['image/png'])",
    ]


def test_assert_no_pending_changes_names_the_changes(gw):
    gw.deploy("prod")
    assert_no_pending_changes(gw, "prod")
    gw.api.put_route("GET /new", mock("{}"))

    with pytest.raises(
        AssertionError, match=r"1 undeployed change\(s\):\n\s+- GET /new: added, not deployed"
    ):
        assert_no_pending_changes(gw, "prod")


def test_deploy_to_an_existing_stage_repoints_it_and_keeps_history(gw):
    first = gw.deploy("prod")
    gw.api.put_route("GET /items", mock('"v2"'))
    second = gw.deploy("prod")

    assert gw.stage("prod").history == (first.id, second.id)
    assert gw.client("prod").get("/items").text == '"v2"'


def test_rollback_goes_to_the_previous_deployment_then_further(gw):
    ids = []
    for version in ("v1", "v2", "v3"):
        gw.api.put_route("GET /items", mock(f'"{version}"'))
        ids.append(gw.deploy("prod").id)
    client = gw.client("prod")

    assert gw.rollback("prod").id == ids[1]
    assert client.get("/items").text == '"v2"'
    assert gw.rollback("prod").id == ids[0]
    assert client.get("/items").text == '"v1"'
    with pytest.raises(BadRequestError, match="has no earlier deployment to roll back to"):
        gw.rollback("prod")


def test_rollback_to_a_named_deployment_and_unknown_id(gw):
    first = gw.deploy("prod")
    gw.api.put_route("GET /items", mock('"v2"'))
    gw.deploy("prod")

    assert gw.rollback("prod", to=first.id) == first
    with pytest.raises(BadRequestError, match="^Deployment id does not exist$"):
        gw.rollback("prod", to="nope42")


def test_delete_deployment_refused_while_a_stage_serves_it(gw):
    first = gw.deploy("prod")
    with pytest.raises(BadRequestError) as refused:
        gw.delete_deployment(first.id)
    assert str(refused.value).startswith(
        "Active stages pointing to this deployment must be moved or deleted"
    )
    assert "prod" in str(refused.value)

    gw.api.put_route("GET /items", mock('"v2"'))
    gw.deploy("prod")
    gw.delete_deployment(first.id)
    assert first.id not in [d.id for d in gw.deployments]
    with pytest.raises(BadRequestError, match="has no earlier deployment"):
        gw.rollback("prod")


def test_update_stage_variables_merge_and_remove_and_apply_at_once(gw):
    gw.api.put_route("GET /v", {"type": "MOCK", "headers": {"X-Color": "${stageVariables.color}"}})
    gw.deploy("prod", variables={"color": "blue", "size": "L"})
    client = gw.client("prod")
    assert client.get("/v").headers["X-Color"] == "blue"

    gw.update_stage("prod", variables={"color": "green", "size": None, "new": "x"})

    assert dict(gw.stage("prod").variables) == {"color": "green", "new": "x"}
    assert client.get("/v").headers["X-Color"] == "green"
    assert gw.invocations("prod")[-1].stage_variables == {"color": "green", "new": "x"}


def test_stage_and_variable_names_use_aws_rules_and_messages(gw):
    with pytest.raises(BadRequestError, match="Invalid stage name 'pr od'"):
        gw.deploy("pr od")
    with pytest.raises(
        BadRequestError,
        match=r"^Invalid stage variable name: owner:app\.  Please use names with only word",
    ):
        gw.deploy("prod", variables={"owner:app": "x"})
    with pytest.raises(BadRequestError, match=r"^Invalid stage variable value: \.  Please use"):
        gw.deploy("prod", variables={"empty": ""})
    with pytest.raises(BadRequestError, match="Invalid stage variable value: a b"):
        gw.deploy("prod", variables={"spaced": "a b"})
    with pytest.raises(BadRequestError, match="the value is 513 characters, the limit is 512"):
        gw.deploy("prod", variables={"long": "x" * 513})
    with pytest.raises(BadRequestError, match="is longer than 64 characters"):
        gw.deploy("prod", variables={"n" * 65: "x"})
    with pytest.raises(BadRequestError, match="Stage variable gone has no value"):
        gw.deploy("prod", variables={"gone": None})
    assert gw.stages == {}


def test_deploy_without_methods_is_refused_like_aws():
    with pytest.raises(BadRequestError, match="^The REST API doesn't contain any methods$"):
        Gateway().deploy("dev")


def test_unknown_stage_lookups_say_which_stages_exist(gw):
    gw.deploy("dev")
    with pytest.raises(
        NotFoundError, match=r"Invalid stage identifier specified: 'prod' \(stages: dev\)"
    ):
        gw.stage("prod")
    with pytest.raises(NotFoundError, match="Invalid Method identifier specified"):
        gw.api.delete_route("GET /missing")


def test_create_stage_on_an_existing_deployment(gw):
    deployment = gw.deploy()
    assert gw.stages == {}

    gw.create_stage("test", deployment.id, variables={"a": "1"})

    assert gw.stage("test").deployment_id == deployment.id
    with pytest.raises(BadRequestError, match="Stage already exists: test"):
        gw.create_stage("test", deployment.id)


def test_create_deployment_snapshots_without_moving_any_stage(gw):
    served = gw.deploy("dev")
    gw.api.put_route("GET /items", mock('"v2"'))

    staged = gw.create_deployment("v2, not yet on a stage")
    declared = gw.create_deployment("declared", definition=served.api, deployment_id="october")

    assert gw.stage("dev").deployment_id == served.id
    assert gw.client("dev").get("/items").get_data() == b'"v1"'
    assert [d.id for d in gw.deployments] == [served.id, staged.id, "october"]
    assert declared.api == served.api
    gw.update_stage("dev", deployment_id=staged.id)
    assert gw.client("dev").get("/items").get_data() == b'"v2"'
    with pytest.raises(BadRequestError, match="Deployment id 'october' already exists"):
        gw.create_deployment(definition=served.api, deployment_id="october")
    with pytest.raises(BadRequestError, match="^The REST API doesn't contain any methods$"):
        Gateway().create_deployment()
    with pytest.raises(BadRequestError, match="^The REST API doesn't contain any methods$"):
        gw.create_deployment(definition=Gateway().api.definition)
    with pytest.raises(BadRequestError, match=r"^Invalid deployment id '': use 1-64 letters"):
        gw.create_deployment(deployment_id="")


def test_deployment_ids_and_request_ids_are_reproducible_by_seed():
    def run(seed):
        gw = Gateway("shop", seed=seed)
        gw.api.put_route("GET /x", mock("{}"))
        deployment = gw.deploy("prod")
        response = gw.client("prod").get("/x")
        return deployment.id, response.headers["x-amzn-RequestId"], gw.api_id

    assert run(1) == run(1)
    assert run(1)[:2] != run(2)[:2]
    assert run(1)[2] == run(2)[2]


def test_rollback_undoes_moves_in_the_order_they_were_made(gw):
    d1 = gw.deploy("prod").id
    gw.api.put_route("GET /items", mock('"v2"'))
    d2 = gw.deploy().id
    gw.api.put_route("GET /items", mock('"v3"'))
    d3 = gw.deploy("prod").id  # prod: d1 -> d3
    gw.update_stage("prod", deployment_id=d2)  # prod: d1 -> d3 -> d2
    gw.update_stage("prod", deployment_id=d2)  # no move, no new history entry

    assert gw.stage("prod").history == (d1, d3, d2)
    assert gw.rollback("prod").id == d3
    assert gw.rollback("prod").id == d1
    assert gw.stage("prod").history == (d1,)


def test_rollback_skips_deployments_deleted_since(gw):
    d1 = gw.deploy("prod").id
    gw.api.put_route("GET /items", mock('"v2"'))
    d2 = gw.deploy("prod").id
    gw.api.put_route("GET /items", mock('"v3"'))
    gw.deploy("prod")
    gw.delete_deployment(d2)

    assert gw.rollback("prod").id == d1


def test_update_stage_changes_nothing_when_it_is_refused(gw):
    gw.deploy("prod", variables={"a": "1"})
    before = gw.stage("prod")

    with pytest.raises(BadRequestError, match="Deployment id does not exist"):
        gw.update_stage("prod", variables={"a": "2"}, description="x", deployment_id="nope")

    assert gw.stage("prod") == before


def test_deploy_variables_merge_and_none_removes(gw):
    gw.deploy("prod", variables={"a": "1", "b": "2"})
    gw.deploy("prod", variables={"a": None, "c": "3"})

    assert dict(gw.stage("prod").variables) == {"b": "2", "c": "3"}


def test_a_stage_client_says_which_stage_it_calls(gw):
    gw.deploy("prod")

    assert repr(gw.client("prod")) == f"<StageClient 'prod' of {gw!r}>"
    assert repr(gw.client("prod", canary=False)).endswith(", canary=False>")
