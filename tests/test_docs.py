"""The README's examples and the example project run as documented."""

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text()


def blocks(language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", README, flags=re.S)


def block(language: str, containing: str) -> str:
    """The README's block of `language` that holds `containing`."""
    return next(b for b in blocks(language) if containing in b)


def test_readme_opens_with_the_two_commands():
    commands = blocks("sh")[:2]
    assert commands == [
        "python3 -m pip install -e '.[test]' && python3 -m pytest example_project\n",
        "python3 -m pip install -e '.[test]' && python3 -m pytest -n 2\n",
    ]
    assert "python3 -m pytest -n 2" in (ROOT / ".ci" / "run").read_text()


def test_readme_tour_config_and_tests_pass(pytester: pytest.Pytester):
    shutil.copytree(ROOT / "example_project" / "petshop", pytester.path / "petshop")
    config, tour, canary = blocks("yaml")[0], blocks("python")[0], blocks("python")[1]
    pytester.makefile(".yaml", apistages=config)
    pytester.makepyfile(test_tour=tour, test_canary=canary)

    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")

    result.assert_outcomes(passed=7)
    result.stdout.fnmatch_lines(["*= apistages summary =*", "stage  requests  canary configured*"])


def test_readme_stage_settings_example_passes(pytester: pytest.Pytester):
    for name in ("apistages.yaml", "pytest.ini"):
        shutil.copy(ROOT / "example_project" / name, pytester.path / name)
    shutil.copytree(ROOT / "example_project" / "petshop", pytester.path / "petshop")
    pytester.makepyfile(test_settings=block("python", "assert_throttled"))

    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")

    result.assert_outcomes(passed=1)


def test_readme_stage_settings_config_loads():
    import yaml

    from pytest_apistages import Gateway

    data = yaml.safe_load(block("yaml", "method_settings"))
    data["api"] = {"routes": {"GET /pets": {"type": "MOCK"}, "POST /orders": {"type": "MOCK"}}}
    gw = Gateway.from_dict(data)

    settings = gw.stage("prod").settings
    assert settings.for_route("POST /orders").throttling_burst == 10
    assert not settings.for_route("GET /pets").caching_enabled
    assert gw.usage_plans.get("gold").quota.limit == 1000


def test_readme_source_config_loads(example_copy):
    """The tour's `source:` config, beside the example's SAM template: the template's API
    with the config's versions, backends and one stage variable over the template's."""
    from pytest_apistages import Gateway

    shutil.copy(ROOT / "example_project" / "template.yaml", example_copy / "template.yaml")
    (example_copy / "sam.yaml").write_text(block("yaml", "source: template.yaml"))

    gw = Gateway.from_file(example_copy / "sam.yaml")

    assert dict(gw.stage("prod").variables) == {
        "petsAlias": "next",
        "inventoryHost": "inventory.internal",
    }
    assert list(gw.functions.versions("pets")) == ["1", "2"]
    assert gw.client("prod").get("/pets").invocation.version == "2"
    assert gw.client("prod").get("/inventory/stock/dog-food").status_code == 200


def test_readme_template_error_example_is_a_real_message(example_copy):
    from pytest_apistages import ConfigError, Gateway

    template = (ROOT / "example_project" / "template.yaml").read_text()
    default = "    Type: String\n    Default: prod\n"
    without_default = template.replace(default, "    Type: String\n")
    assert without_default != template
    (example_copy / "template.yaml").write_text(without_default)

    with pytest.raises(ConfigError) as error:
        Gateway.from_file(example_copy / "template.yaml")

    shown = block("text", "ProdStageName").strip()
    assert str(error.value).replace(str(example_copy / "template.yaml"), "template.yaml") == shown


def test_readme_check_example_is_what_the_command_prints(tmp_path):
    config = block("yaml", "stageVariables.hots")
    (tmp_path / "apistages.yaml").write_text(config)
    script = shutil.which("apistages")
    assert script is not None, "the apistages console script is not installed"

    result = subprocess.run(
        [script, "check"], cwd=tmp_path, capture_output=True, text=True, timeout=120
    )

    assert result.returncode == 1, result.stderr
    assert result.stdout == block("text", "error stage-variable-undefined")


def test_readme_python_example_runs():
    code = blocks("python")[2]
    namespace = {
        "requests": pytest.importorskip("requests"),
        "handler": lambda event, context: {"statusCode": 200, "body": '{"id": 1}'},
    }
    exec(compile(code, "README.md", "exec"), namespace)

    gw = namespace["gw"]
    assert [r.status for r in gw.invocations()] == [200, 200, 200]


def test_readme_error_examples_are_real_messages(example_copy):
    from pytest_apistages import ConfigError
    from pytest_apistages.sources.load import load_file

    path = example_copy / "apistages.yaml"
    source = path.read_text()
    shown = [line for line in block("text", "octobr").splitlines() if line]
    mistakes = [
        source.replace("history: [october]", "history: [octobr]"),
        source.replace(
            "handler: petshop.handlers:list_pets_v2", "handler: petshop.handlers:list_pet"
        ),
        source.replace("variables: {petsAlias: live", "variables: {pets-alias: live"),
    ]
    for text, expected in zip(mistakes, shown, strict=True):
        path.write_text(text)
        with pytest.raises(ConfigError) as error:
            load_file(path)
        message = str(error.value).replace(str(path), "apistages.yaml")
        assert message == expected


SAM_VARIANT = ["--apistages-config", "apistages-sam.yaml"]


@pytest.mark.parametrize(
    "extra", [[], ["-n", "2"], SAM_VARIANT], ids=["serial", "xdist", "sam-template"]
)
def test_example_project_passes(extra):
    """The example's tests pass, on its apistages.yaml and on the SAM template variant of the
    same API (with the same summary: the same requests, seeded alike, give the same table)."""
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *extra],
        cwd=ROOT / "example_project",
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert re.search(r"\b37 passed\b", result.stdout), result.stdout
    # The summary table the README shows is this run's (seeded, the same under xdist).
    table = blocks("console")[0].splitlines()[1:]
    assert all(line in result.stdout.splitlines() for line in table), result.stdout


SERVE_EXAMPLE = """
import sys
from pytest_apistages import Gateway

with Gateway.from_file("apistages.yaml").serve() as base_url:
    print(base_url, flush=True)
    sys.stdin.read()  # until the test closes our stdin
"""


def test_example_project_runs_against_a_live_url():
    """The README's `--apistages-base-url` run: the example gateway served over real HTTP in
    another process stands in for the deployed API."""
    folder = ROOT / "example_project"
    server = subprocess.Popen(
        [sys.executable, "-c", SERVE_EXAMPLE], cwd=folder, text=True,
        stdin=subprocess.PIPE, stdout=subprocess.PIPE,
    )  # fmt: skip
    try:
        assert server.stdout is not None
        base_url = server.stdout.readline().strip()
        result = subprocess.run(
            [sys.executable, "-m", "pytest", "-q", "-rs", "-p", "no:cacheprovider",
             "--apistages-base-url", base_url],
            cwd=folder, capture_output=True, text=True, timeout=300,
        )  # fmt: skip
    finally:
        server.communicate("", timeout=30)
    assert result.returncode == 0, result.stdout + result.stderr
    assert re.search(r"\b13 passed, 24 skipped\b", result.stdout), result.stdout
    assert "needs the in-process gateway (the gateway fixture)" in result.stdout


def test_readme_canary_analysis_example_passes(pytester: pytest.Pytester):
    block = next(b for b in blocks("python") if "def test_a_buggy_release" in b)
    pytester.makepyfile(test_canary_analysis=block)

    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")

    result.assert_outcomes(passed=3)
