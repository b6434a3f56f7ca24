"""`pytest --apistages-check`: the config's findings as test items ahead of the tests."""

from __future__ import annotations

import pytest

CONFIG = """\
api:
  routes:
    GET /pets: {type: MOCK, status: 200, body: '${stageVariables.colour}'}
stages:
  dev: {variables: {colour: blue, spare: x}}
  prod: {variables: {color: red}}
"""
TEST = """\
import pytest

@pytest.mark.stage("dev")
def test_dev(api):
    assert api.get("/pets").status_code == 200
"""


@pytest.fixture
def project(pytester: pytest.Pytester) -> pytest.Pytester:
    pytester.makefile(".yaml", apistages=CONFIG)
    pytester.makepyfile(test_api=TEST)
    return pytester


def test_each_finding_is_an_item_and_an_error_fails_with_its_fix(project: pytest.Pytester):
    result = project.runpytest("--apistages-check", "-p", "no:cacheprovider", "-rfs")

    # prod lacks `colour` (an error; dev has it, so renaming the route's would break dev); dev's
    # `spare` and prod's `color` are unused (warnings).
    result.assert_outcomes(passed=1, failed=1, skipped=2)
    result.stdout.fnmatch_lines(
        [
            "apistages.yaml:3: api.routes.GET /pets.body: error stage-variable-undefined [stage "
            "prod]: GET /pets reads stage variable 'colour' in the body, which stage prod does "
            "not define (did you mean 'color'?) (defined: color) (define colour in the stage's "
            "variables, as stage dev does)",
            "SKIPPED * apistages.yaml:5: stages.dev.variables.spare: warning "
            "stage-variable-unused*",
        ],
        consecutive=False,
    )


def test_a_lower_level_fails_warnings_too(project: pytest.Pytester):
    result = project.runpytest("--apistages-check=warning", "-p", "no:cacheprovider")

    result.assert_outcomes(passed=1, failed=3)


def test_the_items_run_first_and_alike_under_xdist(project: pytest.Pytester):
    result = project.runpytest("--apistages-check", "-p", "no:cacheprovider", "-n", "2")

    result.assert_outcomes(passed=1, failed=1, skipped=2)


def test_a_clean_config_is_one_passing_item(pytester: pytest.Pytester):
    clean = CONFIG.replace("color", "colour").replace(", spare: x", "")
    pytester.makefile(".yaml", apistages=clean)
    pytester.makepyfile(test_api=TEST)

    result = pytester.runpytest("--apistages-check", "-p", "no:cacheprovider", "-v")

    result.assert_outcomes(passed=2)
    result.stdout.fnmatch_lines(["apistages.yaml::apistages-check PASSED*"])


def test_check_needs_a_config_and_a_known_level(pytester: pytest.Pytester):
    pytester.makepyfile(test_api="def test_x():\n    pass\n")
    result = pytester.runpytest("--apistages-check", "-p", "no:cacheprovider")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["ERROR: --apistages-check: no config file to check"])

    pytester.makefile(".yaml", apistages=CONFIG)
    result = pytester.runpytest("--apistages-check=severe", "-p", "no:cacheprovider")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(
        ["ERROR: --apistages-check=severe: use one of error, warning, note"]
    )
