"""The installed `apistages` console script: every check format and exit code, routes, diff,
serve, --version and each command's --help."""

from __future__ import annotations

import json
import os
import queue
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from importlib import metadata
from pathlib import Path

import pytest
import requests

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = shutil.which("apistages")

NOT_INSTALLED = "the apistages console script is not installed (pip install -e . --no-deps)"

HANDLERS = """
def items(event, context):
    return {"statusCode": 200, "body": '["ball"]'}
"""
SHOP = """
api:
  name: shop
  routes:
    GET /health: {type: MOCK, status: 200, body: {status: ok}}
    GET /items: {type: AWS_PROXY, function: "items:${stageVariables.alias}"}
    GET /stock/{item}: {type: HTTP_PROXY, uri: "https://${stageVariables.host}/stock/{item}"}
    POST /items: {type: AWS_PROXY, function: items, apiKeyRequired: true}
functions:
  items:
    handler: shop_handlers:items
    versions: {"1": shop_handlers:items, "2": shop_handlers:items}
    aliases: {live: "1", next: "2", shifting: {version: "1", weights: {"2": 0.25}}}
deployments:
  old:
    routes:
      GET /health: {type: MOCK, status: 200, body: {status: old}}
      GET /gone: {type: MOCK, status: 200}
stages:
  prod:
    history: [old]
    variables: {alias: live, host: stock.internal}
    throttling: {rate: 50, burst: 20}
    caching: {enabled: true, ttl: 60}
    canary: {percent: 10, variables: {alias: shifting}}
  dev:
    deployment: old
    variables: {alias: next, host: stock-dev.internal}
"""
CLEAN = """
api:
  name: clean
  routes:
    GET /health: {type: MOCK, status: 200, body: {status: ok}}
stages:
  prod: {}
"""
UNDEFINED_VARIABLE = """
api:
  name: typo
  routes:
    GET /items: {type: AWS_PROXY, function: "items:${stageVariables.alias}"}
functions:
  items: {handler: shop_handlers:items, versions: {"1": shop_handlers:items}, aliases: {live: "1"}}
stages:
  prod: {variables: {alais: live}}
"""


def apistages(*args: str, cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
    assert SCRIPT is not None, NOT_INSTALLED
    environment = {k: v for k, v in os.environ.items() if k != "NO_COLOR"} | env
    return subprocess.run(
        [SCRIPT, *args], cwd=cwd, capture_output=True, text=True, timeout=120, env=environment
    )


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "shop_handlers.py").write_text(HANDLERS)
    (tmp_path / "apistages.yaml").write_text(SHOP)
    (tmp_path / "clean.yaml").write_text(CLEAN)
    (tmp_path / "typo.yaml").write_text(UNDEFINED_VARIABLE)
    return tmp_path


def no_traceback(result: subprocess.CompletedProcess[str]) -> None:
    assert "Traceback" not in result.stdout + result.stderr


# -- version and help ----------------------------------------------------------------------------


def test_version(project):
    result = apistages("--version", cwd=project)

    assert result.returncode == 0
    assert result.stdout.strip() == f"apistages {metadata.version('pytest-apistages')}"


@pytest.mark.parametrize(
    ("command", "texts"),
    [
        ("check", ["CONFIG", "--format {text,json,github,sarif}", "--fail-on {error,warning,note}",
                   "--stage S", "default: text", "default: error", "exit codes"]),
        ("routes", ["CONFIG", "--stage S", "--format {text,json}", "default: text"]),
        ("diff", ["CONFIG", "--stage S", "--from DEPLOYMENT", "--to DEPLOYMENT", "exit codes"]),
        ("serve", ["CONFIG", "--host HOST", "--port PORT", "default: 127.0.0.1",
                   "default: 8080", "0 picks a free port", "exit codes"]),
        ("export", ["CONFIG", "--stage STAGE", "--output FILE", "default: yaml"]),
    ],
)  # fmt: skip
def test_each_command_documents_its_arguments_and_defaults(project, command, texts):
    result = apistages(command, "--help", cwd=project, COLUMNS="200")

    assert result.returncode == 0
    out = " ".join(result.stdout.split())
    for text in texts:
        assert text in out, text
    assert "default: apistages.yaml" in out and "apistages_config" in out


def test_the_top_level_help_lists_the_commands(project):
    result = apistages("--help", cwd=project)

    assert result.returncode == 0
    for command in ("check", "routes", "diff", "serve", "export"):
        assert command in result.stdout


# -- check ---------------------------------------------------------------------------------------


def test_check_of_a_clean_config_exits_0_with_a_summary(project):
    result = apistages("check", "clean.yaml", cwd=project)

    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.splitlines() == [
        result.stdout.splitlines()[0],
        result.stdout.splitlines()[1],
        "clean.yaml: OK - no findings",
    ]
    assert re.match(r"clean\.yaml: api clean \(\w+\), 1 route, 1 deployment$",
                    result.stdout.splitlines()[0])  # fmt: skip
    assert result.stdout.splitlines()[1].startswith("stage prod: deployment ")


@pytest.mark.parametrize("fmt", ["text", "json", "github", "sarif"])
def test_every_format_of_a_clean_config(project, fmt):
    result = apistages("check", "clean.yaml", "--format", fmt, cwd=project)

    assert result.returncode == 0 and result.stderr == ""
    if fmt == "json":
        assert json.loads(result.stdout) == {
            "version": 1, "config": "clean.yaml", "findings": [],
            "summary": {"error": 0, "warning": 0, "note": 0},
        }  # fmt: skip
    elif fmt == "sarif":
        log = json.loads(result.stdout)
        assert log["version"] == "2.1.0" and log["runs"][0]["results"] == []
        assert log["runs"][0]["tool"]["driver"]["version"] == metadata.version("pytest-apistages")
    else:
        assert result.stdout.endswith("clean.yaml: OK - no findings\n")
        assert "::" not in result.stdout


def test_a_real_finding_in_every_format_and_exit_1(project):
    """The stage defines `alais` where the route reads `alias` (the rules' own finding)."""
    text = apistages("check", "typo.yaml", cwd=project)
    document = json.loads(apistages("check", "typo.yaml", "--format", "json", cwd=project).stdout)
    github = apistages("check", "typo.yaml", "--format", "github", cwd=project)
    log = json.loads(apistages("check", "typo.yaml", "--format", "sarif", cwd=project).stdout)

    assert text.returncode == 1, text.stdout + text.stderr
    errors = [f for f in document["findings"] if f["severity"] == "error"]
    assert errors and errors[0]["stage"] == "prod" and errors[0]["source"] == "typo.yaml"
    assert "alias" in errors[0]["message"] and errors[0]["line"] == 5
    assert document["summary"]["error"] == len(errors)
    assert f"typo.yaml:5: error {errors[0]['rule']}: " in text.stdout
    assert "stage prod:" in text.stdout
    assert github.returncode == 1
    assert github.stdout.startswith(f"::error file=typo.yaml,line=5,title={errors[0]['rule']}::")
    results = log["runs"][0]["results"]
    assert results[0]["ruleId"] == errors[0]["rule"] and results[0]["level"] == "error"
    assert results[0]["locations"][0]["physicalLocation"]["region"] == {"startLine": 5}
    rule_ids = [r["id"] for r in log["runs"][0]["tool"]["driver"]["rules"]]
    assert rule_ids == list(dict.fromkeys(r["ruleId"] for r in results))


OPENAPI_WITH_A_VALIDATOR = """
openapi: 3.0.1
info: {title: notes, version: "1"}
x-amazon-apigateway-request-validators:
  all: {validateRequestBody: true}
paths:
  /health:
    get:
      x-amazon-apigateway-integration:
        type: mock
        requestTemplates: {application/json: '{"statusCode": 200}'}
        responses: {default: {statusCode: "200"}}
"""


def test_what_is_not_emulated_is_a_located_note(tmp_path):
    (tmp_path / "openapi.yaml").write_text(OPENAPI_WITH_A_VALIDATOR.lstrip())

    text = apistages("check", "openapi.yaml", cwd=tmp_path)
    strict = apistages("check", "openapi.yaml", "--format", "json", "--fail-on", "note",
                       cwd=tmp_path)  # fmt: skip

    assert text.returncode == 0
    assert (
        "all stages:\n  openapi.yaml:3: note not-emulated: x-amazon-apigateway-request-"
        "validators: request validation is not emulated" in text.stdout
    )
    assert text.stdout.endswith("openapi.yaml: 0 errors, 0 warnings, 1 note\n")
    assert strict.returncode == 1
    (note,) = json.loads(strict.stdout)["findings"]
    assert (note["rule"], note["severity"], note["stage"], note["line"]) == (
        "not-emulated", "note", None, 3,
    )  # fmt: skip


def test_the_example_project_passes_apistages_check():
    for config in ([], ["apistages-sam.yaml"]):
        result = apistages("check", *config, cwd=ROOT / "example_project")

        assert result.returncode == 0, result.stdout + result.stderr
        assert result.stdout.endswith(": OK - no findings\n")


def test_fail_on_sets_the_threshold(project):
    path = project / "warn.yaml"
    setting = "prod:\n    method_settings:\n      GET /healthz: {throttling: {rate: 1, burst: 1}}"
    path.write_text(CLEAN.replace("prod: {}", setting))

    default = apistages("check", "warn.yaml", "--format", "json", cwd=project)
    strict = apistages("check", "warn.yaml", "--fail-on", "warning", cwd=project)
    notes = apistages("check", "warn.yaml", "--fail-on", "note", cwd=project)

    summary = json.loads(default.stdout)["summary"]
    assert summary["error"] == 0 and summary["warning"] >= 1
    assert default.returncode == 0
    assert strict.returncode == 1 and notes.returncode == 1
    assert "warning" in strict.stdout and "'GET /healthz'" in strict.stdout


def test_colour_only_on_a_terminal(project):
    piped = apistages("check", "typo.yaml", cwd=project)

    assert "\033[" not in piped.stdout


def test_check_finds_the_config_through_the_ini_file_from_a_subfolder(project):
    (project / "pytest.ini").write_text("[pytest]\napistages_config = typo.yaml\n")
    (project / "sub").mkdir()

    result = apistages("check", "--format", "json", cwd=project / "sub")

    assert json.loads(result.stdout)["config"] == "../typo.yaml" or (
        json.loads(result.stdout)["config"] == str(project / "typo.yaml")
    )
    assert result.returncode == 1


def test_check_defaults_to_apistages_yaml_here(project):
    result = apistages("check", "--format", "json", cwd=project)

    assert json.loads(result.stdout)["config"] == "apistages.yaml"
    assert result.returncode in (0, 1)


@pytest.mark.parametrize(
    ("files", "args", "error"),
    [
        ({}, ["missing.yaml"], "error: missing.yaml: file not found\n"),
        ({}, [], "error: apistages.yaml: file not found (looked for apistages.yaml in the current "
                 "folder); give the config file as CONFIG\n"),
        ({"pytest.ini": "[pytest]\napistages_config = api.yaml\n"}, [],
         "error: api.yaml: file not found (looked for apistages_config = api.yaml in "
         "pytest.ini); give the config file as CONFIG\n"),
        ({"bad.yaml": "api: [\n"}, ["bad.yaml"], "error: bad.yaml:"),
        ({"bad.yaml": "api:\n  name: x\n  routez: {}\n"}, ["bad.yaml"], "error: bad.yaml:"),
        ({"pyproject.toml": "[tool.pytest\n"}, [], "error: "),
    ],
)  # fmt: skip
def test_unusable_input_is_one_line_and_exit_2(tmp_path, files, args, error):
    for name, text in files.items():
        (tmp_path / name).write_text(text)

    result = apistages("check", *args, cwd=tmp_path)

    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr.startswith(error) and result.stderr.count("\n") == 1, result.stderr
    no_traceback(result)


def test_bad_options_exit_2(project):
    for args in (["--format", "xml"], ["--fail-on", "fatal"], ["--nope"]):
        result = apistages("check", *args, cwd=project)
        assert result.returncode == 2 and result.stderr.startswith("usage: apistages")
        no_traceback(result)


def test_an_unknown_stage_is_exit_2_with_the_known_ones(project):
    result = apistages("check", "--stage", "prd", cwd=project)

    assert result.returncode == 2
    assert result.stderr == (
        "error: apistages.yaml has no stage 'prd' (did you mean 'prod'?) (stages: prod, dev)\n"
    )


# -- routes --------------------------------------------------------------------------------------


def test_routes_text_shows_final_targets_settings_and_the_canary(project):
    result = apistages("routes", "--stage", "prod", cwd=project)

    assert result.returncode == 0, result.stderr
    lines = [" ".join(line.split()) for line in result.stdout.splitlines()]
    assert lines[0].startswith("stage prod (deployment ")
    assert lines[0].endswith("variables alias=live, host=stock.internal")
    assert lines[1].startswith("canary: 10% to deployment ")
    assert lines[1].endswith(", overrides alias=shifting")
    assert lines[2:] == [
        "GET /health MOCK 200 throttle 50/s burst 20, cache 60s",
        "canary: MOCK 200",
        "GET /items AWS_PROXY items:live -> 1 throttle 50/s burst 20, cache 60s",
        "canary: AWS_PROXY items:shifting -> 1 (75%), 2 (25%)",
        "POST /items AWS_PROXY items -> $LATEST throttle 50/s burst 20, api key required",
        "canary: AWS_PROXY items -> $LATEST",
        "GET /stock/{item} HTTP_PROXY https://stock.internal/stock/{item} throttle 50/s burst 20, "
        "cache 60s",
        "canary: HTTP_PROXY https://stock.internal/stock/{item}",
    ]


def test_routes_of_every_stage_sorted_by_path_then_method(project):
    result = apistages("routes", cwd=project)

    assert result.returncode == 0
    dev = result.stdout.split("stage dev")[1]
    assert [line.split()[:2] for line in dev.splitlines()[1:]] == [
        ["GET", "/gone"], ["GET", "/health"],
    ]  # fmt: skip


def test_routes_json(project):
    result = apistages("routes", "--format", "json", cwd=project)

    assert result.returncode == 0
    document = json.loads(result.stdout)
    assert document["version"] == 1 and document["config"] == "apistages.yaml"
    prod, dev = document["stages"]
    assert (prod["stage"], dev["stage"]) == ("prod", "dev")
    assert prod["canary"]["percent"] == 10 and prod["canary"]["variables"] == {"alias": "shifting"}
    assert dev["canary"] is None and "canary" not in dev["routes"][0]
    items = next(r for r in prod["routes"] if r["route"] == "GET /items")
    assert items["integration"]["function"] == {
        "name": "items", "qualifier": "live", "alias": "live", "version": "1", "weights": {},
    }  # fmt: skip
    assert items["canary"]["function"]["weights"] == {"1": 0.75, "2": 0.25}
    assert items["settings"] == {
        "throttle": {"rate": 50, "burst": 20}, "cache": {"enabled": True, "ttl": 60},
        "api_key_required": False,
    }  # fmt: skip
    stock = next(r for r in prod["routes"] if r["route"] == "GET /stock/{item}")
    assert stock["integration"] == {
        "type": "HTTP_PROXY", "target": "https://stock.internal/stock/{item}",
    }  # fmt: skip


def test_routes_name_an_undefined_variable_and_a_missing_alias(project):
    (project / "typo2.yaml").write_text(
        UNDEFINED_VARIABLE.replace(
            "prod: {variables: {alais: live}}",
            "prod: {variables: {alais: live}}\n  dev: {variables: {alias: nxt}}",
        )  # fmt: skip
    )

    result = apistages("routes", "typo2.yaml", cwd=project)

    assert result.returncode == 0
    out = " ".join(result.stdout.split())
    assert "AWS_PROXY items:${stageVariables.alias} (undefined stage variable: alias)" in out
    assert (
        "AWS_PROXY items:nxt (items has no version or alias 'nxt' (versions and aliases: 1, "
        "live))" in out
    )


def test_routes_of_an_unknown_stage_is_exit_2(project):
    result = apistages("routes", "--stage", "qa", cwd=project)

    assert result.returncode == 2
    assert result.stderr == "error: apistages.yaml has no stage 'qa' (stages: prod, dev)\n"


# -- diff ----------------------------------------------------------------------------------------


def test_diff_of_a_stage_serving_the_working_definition_is_exit_0(project):
    result = apistages("diff", "--stage", "prod", cwd=project)

    assert result.returncode == 0
    assert re.fullmatch(
        r"stage prod serves deployment \w+, the same as the working definition: no changes\n",
        result.stdout,
    )


def test_diff_of_a_stage_behind_lists_what_a_deploy_changes_exit_1(project):
    result = apistages("diff", "--stage", "dev", cwd=project)

    assert result.returncode == 1
    assert result.stdout.splitlines() == [
        "stage dev serves deployment old; deploying the working definition would make 5 changes:",
        "  GET /gone: deleted, still served",
        '  GET /health: integration changed (body: \'{"status": "old"}\' -> \'{"status": "ok"}\')',
        "  GET /items: added, not deployed",
        "  POST /items: added, not deployed",
        "  GET /stock/{item}: added, not deployed",
    ]


def test_diff_between_deployments(project):
    changed = apistages("diff", "--from", "old", "--to", "current", cwd=project)
    same = apistages("diff", "--from", "old", "--to", "old", cwd=project)

    assert changed.returncode == 1
    assert changed.stdout.splitlines()[:3] == [
        "deployment old -> current: 5 changes:",
        "  GET /gone: deleted",
        '  GET /health: integration changed (body: \'{"status": "old"}\' -> \'{"status": "ok"}\')',
    ]
    assert "  GET /items: added" in changed.stdout.splitlines()
    assert same.returncode == 0 and same.stdout == "deployment old -> old: no changes\n"


@pytest.mark.parametrize(
    ("args", "error"),
    [
        (["--stage", "qa"], "error: apistages.yaml has no stage 'qa' (stages: prod, dev)\n"),
        (["--from", "olf", "--to", "current"], "error: apistages.yaml has no deployment 'olf' "
                                               "(did you mean 'old'?) (deployments: old, "),
    ],
)  # fmt: skip
def test_diff_of_an_unknown_stage_or_deployment_is_exit_2(project, args, error):
    result = apistages("diff", *args, cwd=project)

    assert result.returncode == 2
    assert result.stderr.startswith(error) and result.stderr.count("\n") == 1
    assert result.stderr.endswith(", current)\n") or "stage" in error


@pytest.mark.parametrize("args", [[], ["--from", "old"], ["--stage", "prod", "--to", "old"]])
def test_diff_needs_a_stage_or_two_deployments(project, args):
    result = apistages("diff", *args, cwd=project)

    assert result.returncode == 2
    assert "give --stage S, or --from DEPLOYMENT and --to DEPLOYMENT" in result.stderr
    no_traceback(result)


# -- serve ---------------------------------------------------------------------------------------


class Server:
    """`apistages serve` in a subprocess, its output read line by line in a thread."""

    def __init__(self, *args: str, cwd: Path) -> None:
        assert SCRIPT is not None, NOT_INSTALLED
        self.process = subprocess.Popen(
            [SCRIPT, "serve", *args], cwd=cwd, text=True, bufsize=1,
            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        )  # fmt: skip
        self.lines: queue.Queue[str | None] = queue.Queue()
        self.err: str | None = None  # its stderr, once it has stopped
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.put(line.rstrip("\n"))
        self.process.stdout.close()
        self.lines.put(None)

    def line(self, timeout: float = 60) -> str:
        line = self.lines.get(timeout=timeout)
        assert line is not None, f"the server ended: {self.stop()}"
        return line

    def stop(self) -> tuple[int, str]:
        """SIGINT, then its exit code and stderr. Stdout stays the reader thread's alone
        (`communicate` would read it too, and could take the last lines from it)."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
        self.process.wait(timeout=30)
        if self.err is None:
            assert self.process.stderr is not None
            with self.process.stderr as err:
                self.err = err.read()
        return self.process.returncode, self.err


@pytest.fixture
def served(project: Path) -> Iterator[tuple[Server, str]]:
    server = Server("--port", "0", cwd=project)
    try:
        headline = server.line()
        match = re.fullmatch(
            r"apistages\.yaml: serving api shop on (http://127\.0\.0\.1:\d+) \(Ctrl-C to stop\)",
            headline,
        )
        assert match, headline
        yield server, match.group(1)
    finally:
        if server.process.poll() is None:
            server.process.kill()
        server.stop()  # (reads and closes its stderr)


def test_serve_prints_base_urls_and_a_line_per_request_then_stops_on_ctrl_c(served):
    server, base_url = served
    assert not base_url.endswith(":0")
    assert [server.line(), server.line()] == [f"  prod: {base_url}/prod", f"  dev: {base_url}/dev"]

    response = requests.get(f"{base_url}/prod/items", timeout=30)
    missing = requests.get(f"{base_url}/dev/items", timeout=30)

    assert response.status_code == 200 and response.json() == ["ball"]
    assert missing.status_code == 403
    assert re.fullmatch(r"GET /items 200 \d+\.\dms prod( canary)?", server.line())
    assert re.fullmatch(r"GET /items 403 \d+\.\dms dev", server.line())
    returncode, err = server.stop()
    assert returncode == 0
    assert err == ""
    assert server.line() == "stopped"


def test_serve_stops_on_sigterm_too(served):
    server, _ = served
    server.process.send_signal(signal.SIGTERM)

    assert server.stop() == (0, "")


def test_serve_of_a_bad_config_is_one_line_exit_2(project):
    (project / "bad.yaml").write_text("api:\n  routez: {}\n")

    result = apistages("serve", "bad.yaml", "--port", "0", cwd=project)

    assert result.returncode == 2
    assert result.stderr.startswith("error: bad.yaml") and result.stderr.count("\n") == 1
    assert result.stdout == ""


def test_serve_on_a_port_in_use_is_one_line_exit_2(project):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]

        result = apistages("serve", "--port", str(port), cwd=project)

    assert result.returncode == 2
    assert result.stderr.startswith(f"error: cannot serve on 127.0.0.1:{port}: ")
    assert result.stderr.count("\n") == 1
    no_traceback(result)


def test_example_project_passes_in_remote_mode_against_apistages_serve():
    """The example's tests against `apistages serve` on a free port, as against a deployed API."""
    server = Server("example_project/apistages.yaml", "--port", "0", cwd=ROOT)
    try:
        base_url = server.line().split(" on ")[1].split()[0]
        result = subprocess.run(
            [sys.executable, "-m", "pytest", "example_project", "-q", "-rs",
             "-p", "no:cacheprovider", "--apistages-base-url", base_url],
            cwd=ROOT, capture_output=True, text=True, timeout=300,
        )  # fmt: skip
    finally:
        returncode, err = server.stop()
    assert result.returncode == 0, result.stdout + result.stderr
    assert re.search(r"\b13 passed, 24 skipped\b", result.stdout), result.stdout
    assert (returncode, err) == (0, "")
