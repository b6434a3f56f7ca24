"""The pytest plugin itself, driven through pytester: fixtures, the `stage` marker, options,
config discovery and errors, the report header, hooks, assertion messages and seeds."""

from __future__ import annotations

import importlib
import pkgutil
import re
import textwrap
from pathlib import Path

import pytest

import pytest_apistages

# pytester's in-process runs forget every module a run imported first, but a package that stays
# (`http`, `pytest_apistages`) keeps pointing at the forgotten submodule. Import the whole
# plugin (and so `requests`, `http.cookiejar`, ...) before any run, so no run is the first to
# load what the gateway imports lazily; otherwise later tests see two `http.cookiejar` modules
# ("ValueError: You can only merge into CookieJar").
for _module in pkgutil.walk_packages(pytest_apistages.__path__, "pytest_apistages."):
    importlib.import_module(_module.name)

HANDLERS = """
    import json


    def hello_v1(event, context):
        return _answer(event, context, "v1")


    def hello_latest(event, context):
        return _answer(event, context, "latest")


    def _answer(event, context, flavour):
        body = {"flavour": flavour, "stage": event["requestContext"]["stage"]}
        return {"statusCode": 200, "body": json.dumps(body)}
"""

CONFIG = """
    api:
      name: shop
      routes:
        GET /health: {{type: MOCK, status: 200, body: {{status: ok}}}}
        GET /hello:  {{type: AWS_PROXY, function: "hello:${{stageVariables.alias}}"}}
    functions:
      hello:
        handler: {module}:hello_latest
        versions: {{"1": {module}:hello_v1}}
        aliases: {{live: "1", next: $LATEST}}
    stages:
{stages}
"""

STAGE_VARIABLES = {"dev": "next", "prod": "live"}


def write_config(
    pytester: pytest.Pytester,
    stages: tuple[str, ...] = ("dev", "prod"),
    path: str = "apistages.yaml",
) -> Path:
    """An apistages.yaml with a MOCK route and an AWS_PROXY route whose handler module is
    written beside it, under a module name unique to this test (no sys.modules reuse)."""
    target = pytester.path / path
    target.parent.mkdir(parents=True, exist_ok=True)
    module = f"handlers_{pytester.path.name}"
    (target.parent / f"{module}.py").write_text(textwrap.dedent(HANDLERS))
    stage_lines = "\n".join(
        f"      {name}: {{variables: {{alias: {STAGE_VARIABLES.get(name, 'live')}}}}}"
        for name in stages
    )
    target.write_text(textwrap.dedent(CONFIG.format(module=module, stages=stage_lines)))
    return target


STAGE_TESTS = """
    import pytest

    from pytest_apistages import Gateway

    FLAVOUR = {"dev": "latest", "prod": "v1"}


    @pytest.mark.stage("dev", "prod")
    def test_every_stage(gateway, api, stage_name):
        assert isinstance(gateway, Gateway)
        assert api.gateway is gateway
        assert api.stage == stage_name
        assert api.get("/health").json() == {"status": "ok"}
        assert api.get("/hello").json() == {"flavour": FLAVOUR[stage_name], "stage": stage_name}


    @pytest.mark.stage("prod")
    def test_prod_only(api, stage_name):
        assert stage_name == "prod"
        assert api.get("/hello").json()["flavour"] == "v1"


    def test_gateway_alone(gateway):
        assert sorted(gateway.stages) == ["dev", "prod"]
"""


def test_fixtures_and_stage_marker_ids(pytester: pytest.Pytester) -> None:
    write_config(pytester)
    pytester.makepyfile(test_pt_stages=STAGE_TESTS)

    result = pytester.runpytest("-v")

    result.assert_outcomes(passed=4)
    result.stdout.fnmatch_lines(
        [
            "*test_pt_stages.py::test_every_stage[[]dev[]] PASSED*",
            "*test_pt_stages.py::test_every_stage[[]prod[]] PASSED*",
            "*test_pt_stages.py::test_prod_only[[]prod[]] PASSED*",
            "*test_pt_stages.py::test_gateway_alone PASSED*",
        ]
    )


def test_each_test_gets_a_fresh_gateway(pytester: pytest.Pytester) -> None:
    write_config(pytester)
    pytester.makepyfile(
        """
        import pytest

        SEEN = []


        def _use(gateway, api):
            # Nothing an earlier test did is visible here...
            assert all(g is not gateway for g in SEEN)
            assert gateway.invocations() == []
            assert "GET /added" not in gateway.api.routes
            assert gateway.pending_changes("prod") == []
            assert len(gateway.stage("prod").history) == 1
            assert api.get("/added").status_code == 403
            # ...then change everything a test can change.
            SEEN.append(gateway)
            gateway.api.put_route("GET /added", {"type": "MOCK", "status": 201})
            gateway.deploy("prod")
            gateway.update_stage("prod", variables={"alias": "next"})
            assert api.get("/added").status_code == 201
            assert api.get("/hello").json()["flavour"] == "latest"


        @pytest.mark.stage("prod")
        def test_first(gateway, api):
            _use(gateway, api)


        @pytest.mark.stage("prod")
        def test_second(gateway, api):
            _use(gateway, api)


        @pytest.mark.stage("prod")
        def test_third(gateway, api):
            _use(gateway, api)
            assert len(SEEN) == 3
        """
    )

    result = pytester.runpytest()

    result.assert_outcomes(passed=3)


def test_single_stage_class_and_module_markers(pytester: pytest.Pytester) -> None:
    write_config(pytester)
    pytester.makepyfile(
        test_pt_module_marker="""
        import pytest

        pytestmark = pytest.mark.stage("dev", "prod")


        def test_module_level(api, stage_name):
            assert api.get("/hello").json()["stage"] == stage_name
        """,
        test_pt_class_marker="""
        import pytest


        @pytest.mark.stage("prod")
        class TestProd:
            def test_class_level(self, api, stage_name):
                assert stage_name == "prod"
                assert api.get("/hello").json() == {"flavour": "v1", "stage": "prod"}

            @pytest.mark.stage("dev")
            def test_closest_marker_wins(self, stage_name):
                assert stage_name == "dev"
        """,
    )

    result = pytester.runpytest("-v")

    result.assert_outcomes(passed=4)
    result.stdout.fnmatch_lines(
        [
            "*test_pt_class_marker.py::TestProd::test_class_level[[]prod[]] PASSED*",
            "*test_pt_class_marker.py::TestProd::test_closest_marker_wins[[]dev[]] PASSED*",
            "*test_pt_module_marker.py::test_module_level[[]dev[]] PASSED*",
            "*test_pt_module_marker.py::test_module_level[[]prod[]] PASSED*",
        ],
        consecutive=True,
    )


def test_unknown_stage_in_marker_is_a_clean_collection_error(pytester: pytest.Pytester) -> None:
    write_config(pytester)
    pytester.makepyfile(
        test_pt_typo="""
        import pytest


        @pytest.mark.stage("dev", "staging")
        def test_pt_typo(api):
            pass
        """,
        test_pt_close="""
        import pytest


        @pytest.mark.stage("prd")
        def test_pt_close(api):
            pass
        """,
    )

    result = pytester.runpytest()

    result.assert_outcomes(errors=2)
    assert result.ret == pytest.ExitCode.INTERRUPTED
    result.stdout.fnmatch_lines(
        [
            "*ERROR collecting test_pt_typo.py*",
            "test_pt_typo.py::test_pt_typo: @pytest.mark.stage('staging'): unknown stage; "
            "*apistages.yaml declares: dev, prod",
        ]
    )
    result.stdout.fnmatch_lines(
        [
            "test_pt_close.py::test_pt_close: @pytest.mark.stage('prd'): unknown stage (did you "
            "mean 'prod'?); *apistages.yaml declares: dev, prod",
        ]
    )
    result.stdout.no_fnmatch_line("*Traceback*")
    result.stdout.no_fnmatch_line("*plugin.py*")


def test_marker_without_names_is_a_collection_error(pytester: pytest.Pytester) -> None:
    write_config(pytester)
    pytester.makepyfile(
        test_pt_empty="""
        import pytest


        @pytest.mark.stage
        def test_pt_empty(api):
            pass
        """
    )

    result = pytester.runpytest()

    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(
        ["test_pt_empty.py::test_pt_empty: @pytest.mark.stage needs stage names, e.g. *"]
    )
    result.stdout.no_fnmatch_line("*Traceback*")


def test_api_without_marker_needs_one_when_there_are_several_stages(
    pytester: pytest.Pytester,
) -> None:
    write_config(pytester)
    pytester.makepyfile(
        test_pt_unmarked="""
        def test_pt_unmarked(api):
            pass
        """
    )

    result = pytester.runpytest()

    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(
        [
            "*ERROR at setup of test_pt_unmarked*",
            "test_pt_unmarked.py::test_pt_unmarked uses a stage but has no @pytest.mark.stage; "
            "add one, e.g. @pytest.mark.stage('dev') (*apistages.yaml declares: dev, prod)",
        ]
    )
    result.stdout.no_fnmatch_line("*def stage_name*")


def test_api_without_marker_uses_the_only_stage(pytester: pytest.Pytester) -> None:
    write_config(pytester, stages=("prod",))
    pytester.makepyfile(
        test_pt_unmarked="""
        def test_pt_unmarked(api, stage_name):
            assert stage_name == "prod"
            assert api.get("/hello").json() == {"flavour": "v1", "stage": "prod"}
        """
    )

    result = pytester.runpytest("-v")

    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["*test_pt_unmarked.py::test_pt_unmarked PASSED*"])


@pytest.mark.parametrize(
    "args",
    [
        ("--strict-markers",),
        ("-p", "no:cacheprovider"),
        ("--strict-markers", "-p", "no:cacheprovider"),
    ],
    ids=["strict-markers", "no-cacheprovider", "both"],
)
def test_runs_under_common_options(pytester: pytest.Pytester, args: tuple[str, ...]) -> None:
    write_config(pytester)
    pytester.makepyfile(test_pt_stages=STAGE_TESTS)

    result = pytester.runpytest(*args)

    result.assert_outcomes(passed=4)
    assert result.ret == pytest.ExitCode.OK


def test_marker_is_registered(pytester: pytest.Pytester) -> None:
    result = pytester.runpytest("--markers")

    result.stdout.fnmatch_lines(["@pytest.mark.stage(*names): run the test once per *stage*"])


def test_running_twice_gives_the_same_result(pytester: pytest.Pytester) -> None:
    write_config(pytester)
    pytester.makepyfile(test_pt_stages=STAGE_TESTS)

    first = pytester.runpytest("-v")
    second = pytester.runpytest("-v")

    first.assert_outcomes(passed=4)
    second.assert_outcomes(passed=4)
    assert _test_lines(first) == _test_lines(second)


def _test_lines(result: pytest.RunResult) -> list[str]:
    return [re.sub(r"\s+\[\s*\d+%\]$", "", line) for line in result.outlines if "::" in line]


REQUEST_ID_TESTS = """
    from pathlib import Path

    import pytest

    OUT = Path(__file__).with_name("request_ids.txt")


    @pytest.mark.stage("dev", "prod")
    def test_request_ids(api, stage_name):
        ids = [api.get("/hello").headers["x-amzn-RequestId"] for _ in range(2)]
        with OUT.open("a") as out:
            out.write(f"{stage_name} {ids[0]} {ids[1]}\\n")
"""


def _request_ids(pytester: pytest.Pytester) -> dict[str, tuple[str, str]]:
    """Each stage's two request ids, as the last run wrote them (and forget them)."""
    path = pytester.path / "request_ids.txt"
    lines = path.read_text().splitlines()
    path.unlink()
    ids = {}
    for line in lines:
        stage, first, second = line.split()
        ids[stage] = (first, second)
    return ids


def test_xdist_gives_the_same_outcomes_and_request_ids(pytester: pytest.Pytester) -> None:
    write_config(pytester)
    pytester.makepyfile(test_pt_stages=STAGE_TESTS, test_pt_ids=REQUEST_ID_TESTS)

    serial = pytester.runpytest("-p", "no:cacheprovider")
    serial_ids = _request_ids(pytester)
    distributed = pytester.runpytest_subprocess("-n", "2", "-p", "no:cacheprovider")

    serial.assert_outcomes(passed=6)
    distributed.assert_outcomes(passed=6)
    distributed.stdout.fnmatch_lines(["*2 workers*"])
    assert _request_ids(pytester) == serial_ids


def test_apistages_stage_option_deselects_other_stages(pytester: pytest.Pytester) -> None:
    write_config(pytester)
    pytester.makepyfile(
        test_pt_stages=STAGE_TESTS,
        test_pt_marked_gateway="""
        import pytest


        @pytest.mark.stage("dev")
        def test_dev_gateway(gateway):
            pass


        @pytest.mark.stage("dev", "prod")
        def test_any_gateway(gateway):
            pass
        """,
    )

    result = pytester.runpytest("-v", "--apistages-stage", "prod")

    result.assert_outcomes(passed=4, deselected=3)
    result.stdout.fnmatch_lines(
        [
            "*test_pt_marked_gateway.py::test_any_gateway[[]prod[]] PASSED*",
            "*test_pt_stages.py::test_every_stage[[]prod[]] PASSED*",
            "*test_pt_stages.py::test_prod_only[[]prod[]] PASSED*",
            "*test_pt_stages.py::test_gateway_alone PASSED*",
        ]
    )
    result.stdout.no_fnmatch_line("*[[]dev[]]*")
    result.stdout.no_fnmatch_line("*test_dev_gateway*")


def test_apistages_stage_option_is_repeatable(pytester: pytest.Pytester) -> None:
    write_config(pytester, stages=("dev", "test", "prod"))
    pytester.makepyfile(
        """
        import pytest


        @pytest.mark.stage("dev", "test", "prod")
        def test_stage(api, stage_name):
            assert api.get("/hello").json()["stage"] == stage_name
        """
    )

    result = pytester.runpytest("-v", "--apistages-stage", "dev", "--apistages-stage", "prod")

    result.assert_outcomes(passed=2, deselected=1)
    result.stdout.no_fnmatch_line("*[[]test[]]*")


def test_unmarked_api_test_uses_the_selected_stage(pytester: pytest.Pytester) -> None:
    write_config(pytester)
    pytester.makepyfile(
        test_pt_unmarked="""
        def test_pt_unmarked(api, stage_name):
            assert stage_name == "prod"
            assert api.get("/hello").json()["stage"] == "prod"
        """
    )

    result = pytester.runpytest("--apistages-stage", "prod")

    result.assert_outcomes(passed=1)


def test_unknown_apistages_stage_is_a_usage_error(pytester: pytest.Pytester) -> None:
    write_config(pytester)
    pytester.makepyfile(test_pt_stages=STAGE_TESTS)

    result = pytester.runpytest("--apistages-stage", "staging")

    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(
        ["ERROR: --apistages-stage staging: unknown stage; *apistages.yaml declares: dev, prod"]
    )
    assert "Traceback" not in result.stderr.str() + result.stdout.str()


def test_config_option_path(pytester: pytest.Pytester) -> None:
    config = write_config(pytester, stages=("qa",), path="conf/shop.yaml")
    pytester.makepyfile(
        test_pt_qa="""
        def test_pt_qa(api, stage_name):
            assert stage_name == "qa"
            assert api.get("/health").status_code == 200
        """
    )

    result = pytester.runpytest("--apistages-config", "conf/shop.yaml")

    result.assert_outcomes(passed=1)
    assert config.exists()
    result.stdout.fnmatch_lines(["apistages: conf/shop.yaml (api shop, stages qa), seed 0"])


def test_config_option_wins_over_ini_and_default(pytester: pytest.Pytester) -> None:
    write_config(pytester, stages=("dev",))
    write_config(pytester, stages=("ini",), path="from_ini.yaml")
    write_config(pytester, stages=("option",), path="from_option.yaml")
    pytester.makeini("[pytest]\napistages_config = from_ini.yaml\n")
    pytester.makepyfile("def test_stage(stage_name):\n    assert stage_name == 'option'\n")

    result = pytester.runpytest("--apistages-config", "from_option.yaml")

    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["apistages: *from_option.yaml (api shop, stages option), seed 0"])


def test_ini_option_is_relative_to_the_ini_file(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_config(pytester, stages=("dev",))
    write_config(pytester, stages=("staging",), path="deploy/staging.yaml")
    pytester.makeini("[pytest]\napistages_config = deploy/staging.yaml\n")
    pytester.makepyfile(
        test_pt_ini="""
        def test_pt_ini(api, stage_name):
            assert stage_name == "staging"
            assert api.get("/health").status_code == 200
        """
    )
    monkeypatch.chdir(pytester.mkdir("elsewhere"))

    result = pytester.runpytest(str(pytester.path))

    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["apistages: *staging.yaml (api shop, stages staging), seed 0"])


def test_default_config_is_apistages_yaml_in_the_rootdir(pytester: pytest.Pytester) -> None:
    config = write_config(pytester)
    pytester.makeini("[pytest]\ntestpaths = tests\n")
    tests = pytester.mkdir("tests")
    (tests / "test_pt_default.py").write_text(
        "def test_pt_default(gateway):\n    assert sorted(gateway.stages) == ['dev', 'prod']\n"
    )

    result = pytester.runpytest(str(tests))

    result.assert_outcomes(passed=1)
    assert config.exists()
    result.stdout.fnmatch_lines(["apistages: apistages.yaml (api shop, stages dev, prod), seed 0"])


def test_without_a_config_the_gateway_is_empty(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        test_pt_empty="""
        from pytest_apistages import Gateway


        def test_pt_empty(gateway):
            assert isinstance(gateway, Gateway)
            assert gateway.stages == {}
            assert gateway.api.routes == {}
            assert gateway.deployments == []
            gateway.api.put_route("GET /ping", {"type": "MOCK", "status": 204})
            gateway.deploy("local")
            assert gateway.client("local").get("/ping").status_code == 204


        def test_api_needs_a_config(api):
            pass
        """
    )

    result = pytester.runpytest()

    result.assert_outcomes(passed=1, errors=1)
    result.stdout.fnmatch_lines(
        [
            "apistages: no config file, seed 0",
            "*test_pt_empty.py::test_api_needs_a_config uses a stage but has no "
            "@pytest.mark.stage; add one, e.g. @pytest.mark.stage('dev') (no config file was "
            "found (looked for --apistages-config, ini apistages_config, apistages.yaml in the "
            "rootdir))",
        ]
    )


def test_stage_marker_without_a_config_is_a_collection_error(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        test_pt_marked="""
        import pytest


        @pytest.mark.stage("dev")
        def test_pt_marked(api):
            pass
        """
    )

    result = pytester.runpytest()

    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(
        [
            "test_pt_marked.py::test_pt_marked: @pytest.mark.stage('dev'): unknown stage; "
            "no config file was found (looked for --apistages-config, ini apistages_config, "
            "apistages.yaml in the rootdir)",
        ]
    )


BAD_TYPE = """
    api:
      routes:
        GET /hello: {type: LAMBDA, function: hello}
    stages:
      prod: {}
"""


@pytest.mark.parametrize(
    ("args", "ini", "message"),
    [
        (
            (),
            "",
            "ERROR: pytest-apistages: apistages.yaml: api.routes.GET /hello.type: "
            "unknown integration type 'LAMBDA' (use one of *)",
        ),
        (
            ("--apistages-config", "missing.yaml"),
            "",
            "ERROR: pytest-apistages: --apistages-config missing.yaml: file not found (the "
            "path is relative to where pytest runs: *)",
        ),
        (
            (),
            "[pytest]\napistages_config = conf/missing.yaml\n",
            "ERROR: pytest-apistages: ini apistages_config = conf/missing.yaml: file not found "
            "(the path is relative to the ini file's folder: *)",
        ),
    ],
    ids=["bad-key", "missing-option-file", "missing-ini-file"],
)
def test_config_error_is_one_clean_usage_error(
    pytester: pytest.Pytester, args: tuple[str, ...], ini: str, message: str
) -> None:
    pytester.makefile(".yaml", apistages=textwrap.dedent(BAD_TYPE))
    if ini:
        pytester.makeini(ini)
    pytester.makepyfile(test_pt_never="def test_never_runs(gateway):\n    raise AssertionError\n")

    result = pytester.runpytest(*args)

    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines([message])
    if ini:  # the folder the ini path is relative to, not the missing file's folder
        assert result.stderr.str().rstrip().endswith(f"folder: {pytester.path})")
    errors = [line for line in result.errlines + result.outlines if line.startswith("ERROR")]
    assert len(errors) == 1, errors
    output = result.stdout.str() + result.stderr.str()
    assert "Traceback" not in output
    assert "test_never_runs" not in output


def test_help_works_while_the_config_is_broken(pytester: pytest.Pytester) -> None:
    pytester.makefile(".yaml", apistages=textwrap.dedent(BAD_TYPE))
    pytester.makeini("[pytest]\napistages_seed = lots\n")

    result = pytester.runpytest("--help")

    assert result.ret == pytest.ExitCode.OK
    result.stdout.fnmatch_lines(
        [
            "API Gateway stages (pytest-apistages):",
            "  --apistages-config=PATH",
            "  --apistages-stage=NAME",
            "  --apistages-seed=N*",
            "*apistages_config (string):*",
        ]
    )
    assert "ERROR" not in result.stderr.str()


def test_seed_option_and_header(pytester: pytest.Pytester) -> None:
    write_config(pytester)
    pytester.makepyfile(test_pt_ids=REQUEST_ID_TESTS)

    default = pytester.runpytest()
    default_ids = _request_ids(pytester)
    seeded = pytester.runpytest("--apistages-seed", "42")
    seeded_ids = _request_ids(pytester)
    again = pytester.runpytest("--apistages-seed", "42")
    again_ids = _request_ids(pytester)

    default.stdout.fnmatch_lines(["apistages: *, seed 0"])
    seeded.stdout.fnmatch_lines(["apistages: *, seed 42"])
    for result in (default, seeded, again):
        result.assert_outcomes(passed=2)
    assert seeded_ids == again_ids
    assert seeded_ids != default_ids
    # Within one run, every request and every test gets its own id.
    all_ids = [i for pair in seeded_ids.values() for i in pair]
    assert len(set(all_ids)) == 4


def test_ini_seed(pytester: pytest.Pytester) -> None:
    write_config(pytester)
    ini = pytester.makeini("[pytest]\napistages_seed = 7\n")
    pytester.makepyfile(test_pt_ids=REQUEST_ID_TESTS)

    from_ini = pytester.runpytest()
    ini_ids = _request_ids(pytester)
    overridden = pytester.runpytest("--apistages-seed", "8")
    _request_ids(pytester)
    ini.unlink()
    from_option = pytester.runpytest("--apistages-seed", "7")
    option_ids = _request_ids(pytester)

    from_ini.stdout.fnmatch_lines(["apistages: *, seed 7"])
    overridden.stdout.fnmatch_lines(["apistages: *, seed 8"])
    from_option.stdout.fnmatch_lines(["apistages: *, seed 7"])
    assert ini_ids == option_ids


def test_bad_ini_seed_is_a_usage_error(pytester: pytest.Pytester) -> None:
    write_config(pytester)
    pytester.makeini("[pytest]\napistages_seed = lots\n")
    pytester.makepyfile(test_pt_never="def test_never_runs():\n    pass\n")

    result = pytester.runpytest()

    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["ERROR: ini apistages_seed: expected an integer, got 'lots'"])


HOOK_CONFTEST = """
    import pytest

    CALLS = {"configure": 0, "invocations": []}


    def pytest_apistages_configure(gateway):
        CALLS["configure"] += 1
        gateway.functions.register(
            "extra", lambda event, context: {"statusCode": 200, "body": "from conftest"}
        )
        gateway.api.put_route("GET /extra", "extra")
        gateway.deploy("prod", description="conftest")


    def pytest_apistages_invocation(record):
        CALLS["invocations"].append(record)


    @pytest.fixture
    def hook_calls():
        return CALLS


    def pytest_terminal_summary(terminalreporter):
        routes = [(r.stage, r.route, r.status) for r in CALLS["invocations"]]
        terminalreporter.write_line(f"hooks: configure={CALLS['configure']} invocations={routes}")
"""


def test_hooks_configure_and_invocation(pytester: pytest.Pytester) -> None:
    write_config(pytester)
    pytester.makeconftest(HOOK_CONFTEST)
    pytester.makepyfile(
        test_pt_hooks="""
        import pytest
        from pytest_apistages import Invocation


        @pytest.mark.stage("prod")
        def test_configured(gateway, api, hook_calls):
            assert hook_calls["configure"] == 1
            assert gateway.stage("prod").history[-1] != gateway.stage("dev").deployment_id
            assert api.get("/extra").text == "from conftest"
            assert api.get("/nowhere").status_code == 403
            records = hook_calls["invocations"]
            assert all(isinstance(r, Invocation) for r in records)
            assert records == gateway.invocations()


        @pytest.mark.stage("dev")
        def test_dev_untouched(api, hook_calls):
            assert hook_calls["configure"] == 2
            assert api.get("/extra").status_code == 403


        def test_no_gateway_no_hook(hook_calls):
            assert hook_calls["configure"] == 2
        """
    )

    result = pytester.runpytest()

    result.assert_outcomes(passed=3)
    result.stdout.fnmatch_lines(
        [
            "hooks: configure=2 invocations=[('prod', 'GET /extra', 200), "
            "('prod', None, 403), ('dev', None, 403)]"
        ]
    )


def test_conftest_hooks_apply_to_their_directory_only(pytester: pytest.Pytester) -> None:
    write_config(pytester)
    with_hook = pytester.mkpydir("with_hook")
    (with_hook / "conftest.py").write_text(textwrap.dedent(HOOK_CONFTEST))
    (with_hook / "test_pt_with.py").write_text(
        textwrap.dedent(
            """
            import pytest


            @pytest.mark.stage("prod")
            def test_pt_with(api):
                assert api.get("/extra").text == "from conftest"
            """
        )
    )
    without = pytester.mkpydir("without_hook")
    (without / "test_pt_without.py").write_text(
        textwrap.dedent(
            """
            import pytest


            @pytest.mark.stage("prod")
            def test_pt_without(api):
                assert api.get("/extra").status_code == 403
            """
        )
    )

    result = pytester.runpytest()

    result.assert_outcomes(passed=2)
    result.stdout.fnmatch_lines(["hooks: configure=1 invocations=[('prod', 'GET /extra', 200)]"])


def test_assert_routes_to_failure_shows_request_expected_actual_and_routes(
    pytester: pytest.Pytester,
) -> None:
    write_config(pytester)
    pytester.makepyfile(
        test_pt_routing="""
        import pytest

        from pytest_apistages.assertions import assert_routes_to


        @pytest.mark.stage("prod")
        def test_pt_routing(api):
            assert_routes_to(api, "GET /hello", route="GET /hello", version="2", status=200)
        """
    )

    result = pytester.runpytest()

    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "E       AssertionError: GET /hello on stage 'prod' was not served as expected:",
            "E           version: expected '2', got '1'",
            "E           served by: GET /hello on stage prod: route GET /hello, deployment *, "
            "target hello:live, version 1, status 200",
            "E           routes in deployment *:",
            "E             GET /health -> MOCK 200",
            "E             GET /hello -> AWS_PROXY hello:${stageVariables.alias}",
            "E           stage variables: alias=live",
            "E       assert not {'version': ('2', '1')}",
        ],
        consecutive=True,
    )
    result.stdout.no_fnmatch_line("E           route: *")
    result.stdout.no_fnmatch_line("E           status: *")


def test_assert_no_pending_changes_failure_lists_the_changes(pytester: pytest.Pytester) -> None:
    write_config(pytester)
    pytester.makepyfile(
        test_pt_pending="""
        import pytest

        from pytest_apistages.assertions import assert_no_pending_changes


        @pytest.mark.stage("dev", "prod")
        def test_pt_pending(gateway, stage_name):
            gateway.api.put_route("GET /new", {"type": "MOCK", "status": 200})
            gateway.api.delete_route("GET /health")
            if stage_name == "dev":
                gateway.deploy("dev")
            assert_no_pending_changes(gateway, stage_name)
        """
    )

    result = pytester.runpytest()

    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(
        [
            "E       AssertionError: stage 'prod' (deployment *) does not serve the working API; "
            "2 undeployed change(s):",
            "E           - *GET /health*",
            "E           - *GET /new*",
            "E       assert not [[]*[]]",
        ],
        consecutive=True,
    )
    result.stdout.fnmatch_lines(["FAILED test_pt_pending.py::test_pt_pending[[]prod[]] - *"])


def test_marker_runs_once_per_stage_even_without_the_stage_fixture(
    pytester: pytest.Pytester,
) -> None:
    write_config(pytester)
    pytester.makepyfile(
        test_pt_gateway_only="""
        import pytest


        @pytest.mark.stage("dev", "prod")
        def test_uses_gateway_only(gateway):
            assert set(gateway.stages) == {"dev", "prod"}
        """
    )

    result = pytester.runpytest("-v")

    result.assert_outcomes(passed=2)
    result.stdout.fnmatch_lines(
        ["*test_uses_gateway_only[[]dev[]] PASSED*", "*test_uses_gateway_only[[]prod[]] PASSED*"]
    )


CANARY_TESTS = """
    import pytest

    from pytest_apistages.assertions import assert_canary_ratio


    @pytest.mark.stage("prod")
    @pytest.mark.canary(percent=20, variables={"alias": "next"})
    def test_marked_canary(gateway, api):
        canary = gateway.stage("prod").canary
        assert (canary.percent, dict(canary.variables)) == (20.0, {"alias": "next"})
        assert gateway.client("prod", canary=True).get("/hello").json()["flavour"] == "latest"
        assert_canary_ratio(gateway, "prod", "/hello", samples=500)


    @pytest.mark.stage("dev", "prod")
    def test_plain(api):
        assert api.get("/health").status_code == 200
"""


def test_canary_marker_and_the_run_summary(pytester: pytest.Pytester) -> None:
    write_config(pytester)
    pytester.makepyfile(test_pt_canary=CANARY_TESTS)

    result = pytester.runpytest()

    result.assert_outcomes(passed=3)
    result.stdout.fnmatch_lines(
        [
            "*= apistages summary =*",
            "stage  requests  canary configured  canary observed  4XX  5XX  throttled  cache hits",
            "dev           1                  -                -    0    0          0           0",
            "prod        502              20.0%  *% of 501    0    0          0           0",
        ]
    )


def test_run_summary_adds_up_across_xdist_workers(pytester: pytest.Pytester) -> None:
    write_config(pytester)
    pytester.makepyfile(test_pt_canary=CANARY_TESTS)
    serial = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    parallel = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-n", "2")

    parallel.assert_outcomes(passed=3)
    table = [line for line in serial.outlines if line.startswith(("stage ", "dev ", "prod "))]
    assert len(table) == 3
    parallel.stdout.fnmatch_lines(table)


@pytest.mark.parametrize(
    ("marker", "message"),
    [
        ("percent=150", "Canary percent must be from 0.0 to 100.0, got 150"),
        ("10, colour='red'", "got an unexpected keyword argument 'colour'"),
        ("", "missing a required argument: 'percent'"),
        (
            "10, variables=['a']",
            "Stage variables must be a mapping of names to values, got [[]'a'[]]",
        ),
    ],
)
def test_bad_canary_marker_is_a_clear_error(
    pytester: pytest.Pytester, marker: str, message: str
) -> None:
    write_config(pytester)
    pytester.makepyfile(
        test_pt_bad_canary=f"""
        import pytest


        @pytest.mark.stage("prod")
        @pytest.mark.canary({marker})
        def test_bad(api):
            pass
        """
    )

    result = pytester.runpytest()

    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines([f"*test_bad*@pytest.mark.canary: *{message}*"])
    assert "Traceback" not in result.stdout.str()
    assert "During handling of the above exception" not in result.stdout.str()


def test_canary_ratio_failure_names_the_seed_to_replay(pytester: pytest.Pytester) -> None:
    write_config(pytester)
    pytester.makepyfile(
        test_pt_ratio="""
        import pytest

        from pytest_apistages.assertions import assert_canary_ratio


        @pytest.mark.stage("prod")
        @pytest.mark.canary(percent=50)
        def test_meant_five_percent(gateway):
            assert_canary_ratio(gateway, "prod", "/health", expected=5)
        """
    )

    result = pytester.runpytest("--apistages-seed", "7")

    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "*canary share on stage 'prod' for GET /health: * of 2000 requests (*%) went to the "
            "canary, expected 5%",
            "*exact binomial test: p = * < alpha = 0.001",
            "*99.9% Wilson interval of the observed share: *% - *%",
            "*seed: * (derived from run seed 7 and the test id; replay with --apistages-seed 7)",
        ]
    )


def test_a_handler_module_that_raises_is_one_line_with_its_place_and_a_traceback_with_v(
    pytester: pytest.Pytester,
) -> None:
    pytester.makefile(
        ".yaml",
        apistages="api: {routes: {GET /a: fn}}\nfunctions: {fn: {handler: 'brokenmod:h'}}\n"
        "stages: {dev: {}}\n",
    )
    pytester.makepyfile(
        brokenmod="import os\n\n\ndef table():\n    return os.environ['NO_SUCH_TABLE']\n\n\n"
        "TABLE = table()\n",
        test_x="def test_x():\n    pass\n",
    )

    quiet = pytester.runpytest("-p", "no:cacheprovider")
    verbose = pytester.runpytest("-p", "no:cacheprovider", "-v")

    assert quiet.ret == pytest.ExitCode.USAGE_ERROR
    line = "*importing 'brokenmod' failed: KeyError: 'NO_SUCH_TABLE' at *brokenmod.py:5 *"
    quiet.stderr.fnmatch_lines([line])
    assert "Traceback" not in quiet.stderr.str()
    verbose.stderr.fnmatch_lines([line, "Traceback (most recent call last):", "*line 5, in table*"])


def test_a_refusal_through_the_python_api_shows_the_users_line(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        test_refused="""
        from pytest_apistages import Gateway

        def test_canary():
            gw = Gateway()
            gw.api.put_route("GET /a", {"type": "MOCK"})
            gw.deploy("prod")
            gw.deploy_canary("prod", percent=-5)  # the user line
        """
    )

    result = pytester.runpytest("-p", "no:cacheprovider")

    result.assert_outcomes(failed=1)
    output = result.stdout.str()
    assert 'gw.deploy_canary("prod", percent=-5)  # the user line' in output
    assert "BadRequestError: Canary percent must be from 0.0 to 100.0, got -5" in output
    assert "model.py" not in output and "gateway.py" not in output
