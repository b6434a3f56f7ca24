"""The pytest plugin: options, the `stage` marker, the `gateway`/`api`/`stage_name` fixtures,
hooks and the report header. A thin layer over `Gateway` and `LoadedConfig`."""

from __future__ import annotations

import hashlib
import inspect
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

pytest.register_assert_rewrite("pytest_apistages.assertions")

from ..clients import StageClient  # noqa: E402
from ..errors import ApiStagesError, ConfigError, did_you_mean  # noqa: E402
from ..gateway import Gateway  # noqa: E402
from ..live import STAGE_PLACEHOLDER, LiveStageClient, check_base_url, skip_live  # noqa: E402
from ..observe.records import DEFAULT_MAX_RECORDS, MAX_RECORDS_LIMIT  # noqa: E402
from ..sources.config import LoadedConfig  # noqa: E402
from ..sources.load import load_file  # noqa: E402
from . import hookspecs  # noqa: E402
from .checks import check_items  # noqa: E402
from .summary import RunSummary  # noqa: E402

DEFAULT_CONFIG = "apistages.yaml"
CONFIG_KEY = pytest.StashKey[LoadedConfig | None]()
SEED_KEY = pytest.StashKey[int]()
MAX_RECORDS_KEY = pytest.StashKey[int | None]()
BASE_URL_KEY = pytest.StashKey[str | None]()
SUMMARY_KEY = pytest.StashKey[RunSummary]()
_WORKER_OUTPUT = "apistages_summary"


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("apistages", "API Gateway stages (pytest-apistages)")
    group.addoption(
        "--apistages-config",
        metavar="PATH",
        help=f"the gateway config file (default: ini apistages_config, else {DEFAULT_CONFIG} "
        f"in the rootdir)",
    )
    group.addoption(
        "--apistages-stage",
        action="append",
        default=[],
        metavar="NAME",
        help="run only the stage-marked tests of this stage (repeatable)",
    )
    group.addoption(
        "--apistages-seed",
        type=int,
        default=None,
        metavar="N",
        help="run seed; each test's gateway seed derives from it and the test id (default 0)",
    )
    group.addoption(
        "--apistages-base-url",
        metavar="URL",
        help="send the `api` fixture's requests over HTTP to this deployed API (the stage is "
        "appended, or fills {stage}); tests that need the in-process gateway skip",
    )
    group.addoption(
        "--apistages-check",
        nargs="?",
        const="error",
        default=None,
        metavar="LEVEL",
        help="run `apistages check` on the config first, a test item per finding; findings at "
        "or above LEVEL (error, warning or note; default error) fail",
    )
    parser.addini("apistages_config", f"gateway config file (default: {DEFAULT_CONFIG})")
    parser.addini("apistages_seed", "run seed for gateway randomness (default 0)", default="0")
    parser.addini(
        "apistages_max_records",
        f"invocation records (and their log lines) each gateway keeps (default: the config's "
        f"max_records, else {DEFAULT_MAX_RECORDS})",
    )


def pytest_addhooks(pluginmanager: pytest.PytestPluginManager) -> None:
    pluginmanager.add_hookspecs(hookspecs)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "stage(*names): run the test once per API Gateway stage (ids [name]); binds the "
        "`api` and `stage_name` fixtures",
    )
    config.addinivalue_line(
        "markers",
        "canary(percent, variables=None, use_stage_cache=False): deploy the working API as a "
        "canary on the test's stage before the test",
    )
    config.stash[SUMMARY_KEY] = RunSummary()
    if config.getoption("help", False):
        return  # `pytest --help` works while the config file (or the ini seed) is broken
    config.stash[SEED_KEY] = _run_seed(config)
    config.stash[MAX_RECORDS_KEY] = _max_records(config)
    base_url = config.getoption("apistages_base_url")
    try:
        config.stash[BASE_URL_KEY] = check_base_url(base_url) if base_url is not None else None
    except ValueError as e:
        raise pytest.UsageError(str(e)) from None
    path = _config_path(config)
    loaded = None
    if path is not None and not path.is_file():
        raise pytest.UsageError(f"pytest-apistages: {_missing_config(config)}")
    if path is not None:
        try:
            loaded = load_file(path, shown_as=_relative(path, config.invocation_params.dir))
        except ConfigError as e:
            detail = ""
            if e.detail and (config.get_verbosity() > 0 or config.getoption("fulltrace", False)):
                detail = "\n" + e.detail.rstrip()
            raise pytest.UsageError(f"pytest-apistages: {e}{detail}") from None
    config.stash[CONFIG_KEY] = loaded
    _check_base_url_has_no_stage(config)
    unknown = [s for s in config.getoption("apistages_stage") if not _is_known(config, s)]
    if unknown:
        hint = did_you_mean(unknown[0], _stage_names(config))
        raise pytest.UsageError(
            f"--apistages-stage {unknown[0]}: unknown stage{hint}; {_known_stages_phrase(config)}"
        )


def pytest_report_header(config: pytest.Config) -> str | list[str] | None:
    loaded = config.stash.get(CONFIG_KEY, None)
    seed = config.stash.get(SEED_KEY, 0)
    base_url = config.stash.get(BASE_URL_KEY, None)
    if base_url is not None:
        return f"apistages: live API at {base_url} (tests needing the in-process gateway skip)"
    if loaded is None:
        return f"apistages: no config file, seed {seed}"
    header = (
        f"apistages: {loaded.source} (api {loaded.name}, stages {', '.join(loaded.stage_names)}), "
        f"seed {seed}"
    )
    return [header, *(f"apistages: note: {notice}" for notice in loaded.notices)]


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    marker = metafunc.definition.get_closest_marker("stage")
    if marker is None:
        return
    names = list(marker.args)
    where = metafunc.definition.nodeid
    if not names or not all(isinstance(n, str) for n in names):
        pytest.fail(
            f"{where}: @pytest.mark.stage needs stage names, e.g. "
            f"@pytest.mark.stage('dev', 'prod')",
            pytrace=False,
        )
    for name in names:
        if not _is_known(metafunc.config, name):
            pytest.fail(
                f"{where}: @pytest.mark.stage({name!r}): unknown stage"
                f"{did_you_mean(name, _stage_names(metafunc.config))}; "
                f"{_known_stages_phrase(metafunc.config)}",
                pytrace=False,
            )
    if "stage_name" not in metafunc.fixturenames:
        metafunc.fixturenames.append("stage_name")  # one run per stage even if unused
    metafunc.parametrize("stage_name", names, ids=names)


def pytest_collection_modifyitems(
    session: pytest.Session, config: pytest.Config, items: list[pytest.Item]
) -> None:
    level = config.getoption("apistages_check")
    loaded = config.stash.get(CONFIG_KEY, None)
    if level is not None:
        path = _config_path(config)
        if loaded is None or path is None:
            raise pytest.UsageError("--apistages-check: no config file to check")
        items[:0] = check_items(session, path, loaded, level)
    selected = config.getoption("apistages_stage")
    if not selected:
        return
    keep: list[pytest.Item] = []
    drop: list[pytest.Item] = []
    for item in items:
        callspec = getattr(item, "callspec", None)
        stage = callspec.params.get("stage_name") if callspec is not None else None
        (drop if stage is not None and stage not in selected else keep).append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep


@pytest.fixture
def gateway(request: pytest.FixtureRequest) -> Gateway:
    """A fresh Gateway for this test, built from the config file (empty without one)."""
    config = request.config
    if config.stash[BASE_URL_KEY] is not None:
        skip_live("the gateway fixture")
    loaded = config.stash[CONFIG_KEY]
    seed = _test_seed(config.stash[SEED_KEY], request.node.nodeid)
    max_records = config.stash[MAX_RECORDS_KEY]
    if loaded is not None:
        gw = Gateway.from_config(loaded, seed=seed, max_records=max_records)
    else:
        gw = Gateway(seed=seed, max_records=max_records or DEFAULT_MAX_RECORDS)
    gw.seed_origin = (
        f"derived from run seed {config.stash[SEED_KEY]} and the test id; "
        f"replay with --apistages-seed {config.stash[SEED_KEY]}"
    )
    # The test's own hook proxy: a conftest's hooks apply to the tests under its folder only.
    ihook = request.node.ihook
    ihook.pytest_apistages_configure(gateway=gw)
    gw.on_invocation(config.stash[SUMMARY_KEY].add)
    gw.on_invocation(lambda record: ihook.pytest_apistages_invocation(record=record))
    marker = request.node.get_closest_marker("canary")
    if marker is not None:
        _deploy_marked_canary(gw, marker, request)
    return gw


def _deploy_marked_canary(gw: Gateway, marker: pytest.Mark, request: pytest.FixtureRequest) -> None:
    """@pytest.mark.canary(percent=10, variables={...}): a canary of the working API."""
    stage = request.getfixturevalue("stage_name")
    try:
        settings = inspect.signature(_canary_settings).bind(*marker.args, **marker.kwargs)
    except TypeError as e:
        problem = f"{e} (use percent=, variables=, use_stage_cache=)"
    else:
        try:
            gw.deploy_canary(stage, description="@pytest.mark.canary", **settings.arguments)
            return
        except ApiStagesError as e:
            problem = str(e)
    # Outside the except blocks: the report shows one line, not a chain of tracebacks.
    pytest.fail(f"{request.node.nodeid}: @pytest.mark.canary: {problem}", pytrace=False)


def _canary_settings(
    percent: float, variables: dict[str, str] | None = None, use_stage_cache: bool = False
) -> None:
    """The signature @pytest.mark.canary accepts."""


def pytest_sessionfinish(session: pytest.Session) -> None:
    config = session.config
    if hasattr(config, "workeroutput"):  # an xdist worker: the controller prints the table
        config.workeroutput[_WORKER_OUTPUT] = config.stash[SUMMARY_KEY].to_dict()


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node: Any, error: Any) -> None:
    output = getattr(node, "workeroutput", {}).get(_WORKER_OUTPUT)
    if output:
        node.config.stash[SUMMARY_KEY].merge(output)


def pytest_terminal_summary(terminalreporter: Any, config: pytest.Config) -> None:
    summary = config.stash.get(SUMMARY_KEY, None)
    if summary is None or not summary.stages or hasattr(config, "workerinput"):
        return
    terminalreporter.write_sep("=", "apistages summary")
    for line in summary.lines():
        terminalreporter.write_line(line)


@pytest.fixture
def stage_name(request: pytest.FixtureRequest) -> str:
    """The test's stage: from @pytest.mark.stage, else the only stage there is."""
    config = request.config
    candidates = config.getoption("apistages_stage") or _stage_names(config)
    if len(candidates) == 1:
        return str(candidates[0])
    pytest.fail(
        f"{request.node.nodeid} uses a stage but has no @pytest.mark.stage; "
        f"add one, e.g. @pytest.mark.stage({candidates[0] if candidates else 'dev'!r}) "
        f"({_known_stages_phrase(config)})",
        pytrace=False,
    )


@pytest.fixture
def api(request: pytest.FixtureRequest, stage_name: str) -> Iterator[StageClient | LiveStageClient]:
    """A test client bound to the test's stage: `api.get("/pets")`; with
    `--apistages-base-url`, the same calls go over HTTP to the deployed API."""
    base_url = request.config.stash[BASE_URL_KEY]
    if base_url is None:
        yield request.getfixturevalue("gateway").client(stage_name)
        return
    if request.node.get_closest_marker("canary") is not None:
        skip_live("@pytest.mark.canary deploys to it")
    client = LiveStageClient(base_url, stage_name)
    yield client
    client.close()


def _config_path(config: pytest.Config) -> Path | None:
    option = config.getoption("apistages_config")
    if option:
        return Path(config.invocation_params.dir, option)
    ini = config.getini("apistages_config")
    if ini:
        return Path(_ini_base(config), str(ini))
    default = config.rootpath / DEFAULT_CONFIG
    return default if default.is_file() else None


def _ini_base(config: pytest.Config) -> Path:
    return config.inipath.parent if config.inipath else config.rootpath


def _missing_config(config: pytest.Config) -> str:
    option = config.getoption("apistages_config")
    if option:
        return (
            f"--apistages-config {option}: file not found (the path is relative to where "
            f"pytest runs: {config.invocation_params.dir})"
        )
    where = "the ini file's folder" if config.inipath else "the rootdir"
    return (
        f"ini apistages_config = {config.getini('apistages_config')}: file not found (the "
        f"path is relative to {where}: {_ini_base(config)})"
    )


def _relative(path: Path, start: Path) -> str:
    """The path as the user would type it from where pytest runs."""
    try:
        return str(path.resolve().relative_to(start.resolve()))
    except ValueError:
        return str(path)


def _check_base_url_has_no_stage(config: pytest.Config) -> None:
    """`https://abc.execute-api.../prod` would send every request to `/prod/{stage}/...`."""
    base_url = config.stash[BASE_URL_KEY]
    if base_url is None or STAGE_PLACEHOLDER in base_url:
        return
    last = base_url.rsplit("/", 1)[-1]
    if "/" in base_url.split("://", 1)[-1] and last in _stage_names(config):
        raise pytest.UsageError(
            f"--apistages-base-url {base_url}: ends in stage {last!r}, and each test's stage is "
            f"appended to it; give the URL without the stage, or put {STAGE_PLACEHOLDER} where "
            f"the stage goes"
        )


def _is_known(config: pytest.Config, stage: str) -> bool:
    """Without a config file, a live API's stages are whatever the tests name."""
    live = config.stash.get(BASE_URL_KEY, None) is not None
    if live and config.stash.get(CONFIG_KEY, None) is None:
        return True
    return stage in _stage_names(config)


def _stage_names(config: pytest.Config) -> list[str]:
    loaded = config.stash.get(CONFIG_KEY, None)
    return loaded.stage_names if loaded is not None else []


def _known_stages_phrase(config: pytest.Config) -> str:
    loaded = config.stash.get(CONFIG_KEY, None)
    if loaded is None:
        return (
            f"no config file was found (looked for --apistages-config, ini apistages_config, "
            f"{DEFAULT_CONFIG} in the rootdir)"
        )
    return f"{loaded.source} declares: {', '.join(loaded.stage_names)}"


def _run_seed(config: pytest.Config) -> int:
    option = config.getoption("apistages_seed")
    if option is not None:
        return int(option)
    raw = str(config.getini("apistages_seed") or "0")
    try:
        return int(raw)
    except ValueError:
        raise pytest.UsageError(f"ini apistages_seed: expected an integer, got {raw!r}") from None


def _max_records(config: pytest.Config) -> int | None:
    raw = str(config.getini("apistages_max_records") or "").strip()
    if not raw:
        return None
    if not raw.isdigit() or not 1 <= int(raw) <= MAX_RECORDS_LIMIT:
        raise pytest.UsageError(
            f"ini apistages_max_records: expected a whole number from 1 to {MAX_RECORDS_LIMIT}, "
            f"got {raw!r}"
        )
    return int(raw)


def _test_seed(run_seed: int, nodeid: str) -> int:
    """Independent of test order and of how xdist distributes tests."""
    digest = hashlib.sha256(f"{run_seed}:{nodeid}".encode()).digest()
    return int.from_bytes(digest[:8], "big")
