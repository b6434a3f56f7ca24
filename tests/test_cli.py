"""The apistages command."""

from pathlib import Path

from pytest_apistages.cli import main

EXAMPLE = Path(__file__).resolve().parent.parent / "example_project"


def test_check_summarises_a_valid_config(capsys):
    assert main(["check", str(EXAMPLE / "apistages.yaml")]) == 0

    out = capsys.readouterr().out
    assert "OK - api petshop" in out
    assert "8 routes, 2 deployments" in out
    assert "stage prod: deployment" in out
    assert "history october -> " in out


def test_routes_lists_each_stage(capsys):
    assert main(["routes", str(EXAMPLE / "apistages.yaml")]) == 0

    out = capsys.readouterr().out
    assert "GET /inventory/{proxy+}" in out
    assert "HTTP_PROXY https://${stageVariables.inventoryHost}/v1/{proxy}" in out


def example_with(folder: Path, old: str, new: str) -> str:
    """The copied example project's config with one edit; returns its path."""
    path = folder / "apistages.yaml"
    source = path.read_text()
    assert old in source
    path.write_text(source.replace(old, new, 1))
    return str(path)


def test_check_reports_a_config_error_in_one_line(example_copy, capsys):
    assert main(["check", example_with(example_copy, "status: 200", "status: 999")]) == 1

    err = capsys.readouterr().err
    assert err == (
        f"error: {example_copy / 'apistages.yaml'}: api.routes.GET /health.status: "
        f"must be 100-599, got 999\n"
    )


def test_check_warns_about_function_references_that_name_nothing(example_copy, capsys):
    path = example_with(
        example_copy, "GET /pets/{id}:         pet-details", "GET /pets/{id}: pet-detail"
    )

    assert main(["check", path]) == 0

    out = capsys.readouterr().out
    assert "warning: deployment " in out
    assert (
        "GET /pets/{id}: Function not found: "
        "arn:aws:lambda:us-east-1:123456789012:function:pet-detail (did you mean "
        "'pet-details'?)" in out
    )


def test_check_warns_about_method_settings_for_routes_not_served(example_copy, capsys):
    path = example_with(example_copy, "POST /orders: {throttling", "POST /order: {throttling")

    assert main(["check", path]) == 0

    assert "warning: stage prod: method_settings 'POST /order' names no route it serves" in (
        capsys.readouterr().out
    )


def test_check_warns_about_plan_throttles_for_routes_not_served(example_copy, capsys):
    path = example_with(
        example_copy,
        "stages: [dev, prod]",
        "stages: [dev, {stage: prod, throttle: {/pet/GET: {rateLimit: 1, burstLimit: 1}}}]",
    )

    assert main(["check", path]) == 0

    assert (
        "warning: usage plan partners: stage prod: method throttle 'GET /pet' names no route "
        "it serves" in capsys.readouterr().out
    )


def test_version_through_the_installed_console_script() -> None:
    import shutil
    import subprocess
    from importlib import metadata

    script = shutil.which("apistages")
    assert script is not None, "the apistages console script is not installed"
    result = subprocess.run([script, "--version"], capture_output=True, text=True, timeout=60)

    assert result.returncode == 0
    assert result.stdout.strip() == f"apistages {metadata.version('pytest-apistages')}"
