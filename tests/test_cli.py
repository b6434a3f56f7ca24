"""The apistages command, called in-process (the console script's own tests are in
test_cli_script.py)."""

import json
from pathlib import Path

from pytest_apistages.cli import main

EXAMPLE = Path(__file__).resolve().parent.parent / "example_project"


def test_check_summarises_a_valid_config(capsys):
    assert main(["check", str(EXAMPLE / "apistages.yaml")]) == 0

    out = capsys.readouterr().out
    assert f"{EXAMPLE / 'apistages.yaml'}: api petshop (" in out
    assert "8 routes, 2 deployments" in out
    assert "stage prod: deployment " in out
    assert "history october -> " in out
    assert out.splitlines()[-1].startswith(f"{EXAMPLE / 'apistages.yaml'}: ")


def test_routes_lists_each_stage_with_its_variables_substituted(capsys):
    assert main(["routes", str(EXAMPLE / "apistages.yaml")]) == 0

    out = capsys.readouterr().out
    assert "GET /inventory/{proxy+}" in out
    assert "HTTP_PROXY https://inventory.internal/v1/{proxy}" in out
    assert "HTTP_PROXY https://inventory-staging.internal/v1/{proxy}" in out
    assert "${stageVariables" not in out


def example_with(folder: Path, old: str, new: str) -> str:
    """The copied example project's config with one edit; returns its path."""
    path = folder / "apistages.yaml"
    source = path.read_text()
    assert old in source
    path.write_text(source.replace(old, new, 1))
    return str(path)


def test_check_reports_a_config_error_in_one_line(example_copy, capsys):
    assert main(["check", example_with(example_copy, "status: 200", "status: 999")]) == 2

    captured = capsys.readouterr()
    assert captured.err == (
        f"error: {example_copy / 'apistages.yaml'}: api.routes.GET /health.status: "
        f"must be 100-599, got 999\n"
    )
    assert captured.out == ""


def findings(capsys) -> list[dict]:
    return json.loads(capsys.readouterr().out)["findings"]


def test_check_warns_about_function_references_that_name_nothing(example_copy, capsys):
    path = example_with(example_copy, "function: pet-details", "function: pet-detail")

    assert main(["check", path, "--format", "json", "--fail-on", "warning"]) == 1

    found = [f for f in findings(capsys) if "pet-detail" in f["message"]]
    assert found, "no finding names the missing function"
    assert all(f["severity"] in ("warning", "error") for f in found)
    assert any("did you mean 'pet-details'?" in f["message"] + f["fix"] for f in found)


def test_check_warns_about_method_settings_for_routes_not_served(example_copy, capsys):
    path = example_with(example_copy, "POST /orders: {throttling", "POST /order: {throttling")

    assert main(["check", path, "--format", "json", "--fail-on", "warning"]) == 1

    found = [f for f in findings(capsys) if "'POST /order'" in f["message"]]
    assert found and {f["stage"] for f in found} == {"prod"}
    assert all(f["severity"] == "warning" and f["source"] == path for f in found)
    assert all(f["key"].startswith("stages.prod.method_settings") for f in found)


def test_check_warns_about_plan_throttles_for_routes_not_served(example_copy, capsys):
    path = example_with(
        example_copy,
        "stages: [dev, prod]",
        "stages: [dev, {stage: prod, throttle: {/pet/GET: {rateLimit: 1, burstLimit: 1}}}]",
    )

    assert main(["check", path, "--format", "json", "--fail-on", "warning"]) == 1

    found = [f for f in findings(capsys) if "usage plan partners" in f["message"]]
    assert found and all(f["severity"] == "warning" for f in found)
    assert any("names no route" in f["message"] for f in found)


def test_check_of_one_stage_leaves_the_others_out(example_copy, capsys):
    path = example_with(example_copy, "POST /orders: {throttling", "POST /order: {throttling")

    main(["check", path, "--format", "json", "--stage", "dev"])

    assert all(f["stage"] in (None, "dev") for f in findings(capsys))


class Terminal:
    def __init__(self, tty: bool) -> None:
        self.tty = tty

    def isatty(self) -> bool:
        return self.tty


def test_colour_only_on_a_terminal_and_never_with_no_color(monkeypatch):
    from pytest_apistages.cli import _colour

    monkeypatch.delenv("NO_COLOR", raising=False)
    assert _colour(Terminal(True)) and not _colour(Terminal(False))  # type: ignore[arg-type]
    monkeypatch.setenv("NO_COLOR", "1")
    assert not _colour(Terminal(True))  # type: ignore[arg-type]
