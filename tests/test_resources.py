"""The persistent resource tree on its own: `put`, `remove` and `match`, with no API model and no
gateway. Routes are stored as their own keys, so a match names the route it reached."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pytest_apistages.errors import BadRequestError
from pytest_apistages.resources import HTTP_METHODS, Resource, match, put, remove


def tree(*keys: str) -> Resource[str]:
    """A tree holding each `"VERB /path"` key as its own value."""
    root: Resource[str] = Resource()
    for key in keys:
        root = add(root, key)
    return root


def add(root: Resource[str], key: str) -> Resource[str]:
    method, path = key.split()
    return put(root, parts(path), method, key, key)


def parts(path: str) -> list[str]:
    return [p for p in path.split("/") if p]


def reached(root: Resource[str], method: str, path: str) -> str | None:
    found = match(root, method, path)
    return None if found is None else found.route


def parameters(root: Resource[str], method: str, path: str) -> dict[str, str]:
    found = match(root, method, path)
    assert found is not None, f"{method} {path} matched nothing"
    return dict(found.path_parameters)


# -- precedence ------------------------------------------------------------------------------


def test_literal_beats_variable_beats_greedy():
    root = tree("GET /pets/mine", "GET /pets/{id}", "GET /{proxy+}")

    assert reached(root, "GET", "/pets/mine") == "GET /pets/mine"
    assert reached(root, "GET", "/pets/7") == "GET /pets/{id}"
    assert reached(root, "GET", "/pets/7/toys") == "GET /{proxy+}"
    assert reached(root, "GET", "/elsewhere") == "GET /{proxy+}"


def test_variable_binds_its_part_raw():
    root = tree("GET /pets/{id}/toys/{toy}")

    assert parameters(root, "GET", "/pets/a%2Fb/toys/ball") == {"id": "a%2Fb", "toy": "ball"}


def test_concrete_verb_beats_any():
    root = tree("ANY /pets", "GET /pets")

    assert reached(root, "GET", "/pets") == "GET /pets"
    assert reached(root, "POST", "/pets") == "ANY /pets"


def test_greedy_sibling_catches_a_verb_the_literal_lacks():
    root = tree("POST /test", "ANY /{proxy+}")

    assert reached(root, "OPTIONS", "/test") == "ANY /{proxy+}"
    assert reached(root, "POST", "/test") == "POST /test"


def test_greedy_fallback_from_a_literal_branch_without_a_match():
    root = tree("GET /part1", "GET /part1/hardcoded-value", "GET /{param+}")

    assert reached(root, "GET", "/part1/random-value") == "GET /{param+}"
    assert parameters(root, "GET", "/part1/random-value") == {"param": "part1/random-value"}
    assert reached(root, "GET", "/part1/hardcoded-value") == "GET /part1/hardcoded-value"


def test_variable_branch_without_a_match_falls_back_to_a_greedy_ancestor():
    root = tree("GET /pets/{id}", "GET /{proxy+}")

    assert reached(root, "DELETE", "/pets/7") is None
    assert reached(root, "GET", "/pets/7/toys") == "GET /{proxy+}"


def test_any_covers_exactly_the_seven_verbs():
    root = tree("ANY /x")

    assert HTTP_METHODS == ("DELETE", "GET", "HEAD", "OPTIONS", "PATCH", "POST", "PUT")
    for method in HTTP_METHODS:
        assert reached(root, method, "/x") == "ANY /x", method
    for method in ("TRACE", "CONNECT", "PROPFIND", "LINK"):
        assert reached(root, method, "/x") is None, method


def test_no_route_for_the_method_is_no_match():
    root = tree("GET /pets")

    assert reached(root, "POST", "/pets") is None


# -- path shapes -----------------------------------------------------------------------------


def test_trailing_slash_is_ignored():
    root = tree("GET /", "GET /pets", "GET /pets/{id}")

    assert reached(root, "GET", "/pets/") == "GET /pets"
    assert parameters(root, "GET", "/pets/7/") == {"id": "7"}
    assert reached(root, "GET", "/") == "GET /"


def test_empty_segments_match_nothing():
    root = tree("GET /", "GET /a/b", "GET /a/{id}")

    assert reached(root, "GET", "/a//b") is None
    assert reached(root, "GET", "//a/b") is None
    assert reached(root, "GET", "/a//") is None
    assert reached(root, "GET", "//") is None


def test_greedy_parameter_has_no_trailing_slash():
    root = tree("GET /files/{path+}")

    assert parameters(root, "GET", "/files/a/b/c/") == {"path": "a/b/c"}
    assert parameters(root, "GET", "/files/a") == {"path": "a"}


def test_greedy_needs_at_least_one_part():
    root = tree("GET /files/{path+}")

    assert reached(root, "GET", "/files") is None
    assert reached(root, "GET", "/files/") is None


def test_literal_only_match_has_no_parameters():
    root = tree("GET /pets")

    found = match(root, "GET", "/pets")
    assert found is not None and dict(found.path_parameters) == {}


# -- put and remove --------------------------------------------------------------------------


def test_a_second_variable_sibling_is_refused():
    root = tree("GET /pets/{id}")

    with pytest.raises(BadRequestError) as refused:
        add(root, "GET /pets/{name}")
    assert str(refused.value) == (
        "A sibling ({id}) of this resource already has a variable path part -- only one is "
        "allowed (route 'GET /pets/{name}' beside 'GET /pets/{id}')"
    )


def test_a_greedy_beside_a_variable_is_refused():
    root = tree("GET /{id}")

    with pytest.raises(BadRequestError):
        add(root, "GET /{proxy+}")


def test_the_same_variable_part_takes_more_methods():
    root = tree("GET /pets/{id}", "DELETE /pets/{id}", "GET /pets/{id}/toys")

    assert reached(root, "DELETE", "/pets/7") == "DELETE /pets/{id}"
    assert reached(root, "GET", "/pets/7/toys") == "GET /pets/{id}/toys"


def test_remove_takes_away_only_that_method():
    root = tree("GET /pets", "POST /pets")

    root = remove(root, ["pets"], "POST")

    assert reached(root, "POST", "/pets") is None
    assert reached(root, "GET", "/pets") == "GET /pets"


def test_remove_prunes_resources_left_empty():
    root = tree("GET /a", "GET /a/b/c", "GET /a/{id}/d")

    root = remove(root, ["a", "b", "c"], "GET")
    assert root.literals["a"].literals == {}

    root = remove(root, ["a", "{id}", "d"], "GET")
    assert root.literals["a"].variable is None
    assert reached(root, "GET", "/a") == "GET /a"

    root = remove(root, ["a"], "GET")
    assert root.empty


def test_remove_of_a_missing_route_changes_nothing():
    root = tree("GET /pets")

    assert remove(root, ["dogs"], "GET") is root
    kept = remove(remove(root, ["pets", "{id}"], "GET"), ["pets"], "POST")
    assert reached(kept, "GET", "/pets") == "GET /pets"


def test_pruning_a_variable_frees_the_slot_for_another():
    root = remove(tree("GET /pets/{id}"), ["pets", "{id}"], "GET")

    root = add(root, "GET /pets/{name}")

    assert parameters(root, "GET", "/pets/rex") == {"name": "rex"}


# -- persistence -----------------------------------------------------------------------------


def test_put_leaves_the_old_tree_unchanged():
    old = tree("GET /pets", "GET /pets/{id}")

    new = add(old, "POST /pets/{id}")

    assert new is not old
    assert reached(new, "POST", "/pets/7") == "POST /pets/{id}"
    assert reached(old, "POST", "/pets/7") is None
    assert old.literals["pets"].variable is not None
    assert list(old.literals["pets"].variable.methods) == ["GET"]


def test_remove_leaves_the_old_tree_unchanged():
    old = tree("GET /pets", "GET /pets/{id}")

    new = remove(old, ["pets", "{id}"], "GET")

    assert reached(new, "GET", "/pets/7") is None
    assert reached(old, "GET", "/pets/7") == "GET /pets/{id}"


def test_put_shares_the_unchanged_subtrees():
    old = tree("GET /users", "GET /pets/mine", "GET /pets/{id}", "GET /pets/{id}/toys")

    new = add(old, "POST /pets/{id}")

    assert new.literals["users"] is old.literals["users"]
    assert new.literals["pets"] is not old.literals["pets"]
    assert new.literals["pets"].literals["mine"] is old.literals["pets"].literals["mine"]
    new_id, old_id = new.literals["pets"].variable, old.literals["pets"].variable
    assert new_id is not None and old_id is not None and new_id is not old_id
    assert new_id.literals["toys"] is old_id.literals["toys"]


def test_put_under_a_literal_shares_the_variable_sibling():
    old = tree("GET /pets/{id}", "GET /pets/mine")

    new = add(old, "POST /pets/mine")

    assert new.literals["pets"].variable is old.literals["pets"].variable


def test_remove_shares_the_unchanged_subtrees():
    old = tree("GET /users", "GET /pets/mine", "GET /pets/{id}")

    new = remove(old, ["pets", "{id}"], "GET")

    assert new.literals["users"] is old.literals["users"]
    assert new.literals["pets"].literals["mine"] is old.literals["pets"].literals["mine"]


# -- property --------------------------------------------------------------------------------

_SEGMENTS = st.sampled_from(["a", "b", "pets", "7", "x-y"])
_PATHS = st.lists(_SEGMENTS, max_size=3).map(lambda p: "/" + "/".join(p))


@given(routes=st.sets(_PATHS, max_size=8), probe=_PATHS)
def test_literal_routes_match_exactly_the_route_of_the_path(routes: set[str], probe: str):
    root = tree(*(f"GET {path}" for path in routes))

    for path in routes:
        assert reached(root, "GET", path) == f"GET {path}"
        assert parameters(root, "GET", path) == {}
    assert reached(root, "GET", probe) == (f"GET {probe}" if probe in routes else None)
