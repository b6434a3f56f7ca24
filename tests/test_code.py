"""Handlers from the code a config or template names: `CodeUri` folders where every function has
its own `app.py` and `utils.py`, inline code, and the located errors for each mistake."""

from __future__ import annotations

import os
import sys
import textwrap
import traceback
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from pytest_apistages import ConfigError
from pytest_apistages.sources.code import (
    handler_from_folder,
    handler_from_inline,
    import_handler,
)
from pytest_apistages.sources.nodes import Node

WHERE = "template.yaml: Resources.Fn.Properties"
NAMES = ("app", "utils", "pkg", "sub", "helpers")


@pytest.fixture(autouse=True)
def no_folder_modules() -> Iterator[None]:
    """The names every SAM folder uses are left free in sys.modules by each test."""
    yield
    leaked = [n for n in sys.modules if n.partition(".")[0] in NAMES]
    for name in leaked:
        del sys.modules[name]
    assert leaked == []


def node() -> Node:
    return Node({}, "template.yaml", "Resources.Fn.Properties")


def write(folder: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text(textwrap.dedent(text))
    return folder


def sam_function(folder: Path, answer: str) -> Path:
    """The layout `sam init` gives every function: app.py importing its own utils.py."""
    return write(
        folder,
        {
            "app.py": """\
                import utils

                def lambda_handler(event, context):
                    return {"statusCode": 200, "body": utils.answer()}
            """,
            "utils.py": f"def answer():\n    return {answer!r}\n",
        },
    )


def body(handler: Any) -> Any:
    return handler({}, None)["body"]


def error(call: Any, *args: Any, **kwargs: Any) -> ConfigError:
    with pytest.raises(ConfigError) as raised:
        call(*args, **kwargs)
    return raised.value


# --- CodeUri folders -----------------------------------------------------------------------


def test_two_functions_with_the_same_file_names_each_run_their_own(tmp_path: Path) -> None:
    hello = sam_function(tmp_path / "src" / "hello", "hello")
    asset = sam_function(tmp_path / "cdk.out" / "asset.1a2b3c4d5e", "from the CDK asset")

    first = handler_from_folder(node(), hello, "app.lambda_handler")
    second = handler_from_folder(node(), asset, "app.lambda_handler")

    assert (body(first), body(second)) == ("hello", "from the CDK asset")
    assert first.__module__ == second.__module__ == "app"  # logger names are Lambda's
    assert str(hello.resolve()) not in sys.path


def test_the_same_handler_again_is_the_same_function_imported_once(tmp_path: Path) -> None:
    folder = write(
        tmp_path / "src",
        {
            "pkg/__init__.py": "",
            "pkg/handlers.py": """\
                from pathlib import Path
                with open(Path(__file__).parent.parent / "imports.log", "a") as log:
                    log.write("imported\\n")

                def main(event, context):
                    return {"body": "main"}
            """,
        },
    )

    dotted = handler_from_folder(node(), folder, "pkg.handlers.main")
    slashed = handler_from_folder(node(), tmp_path / "src" / ".", "pkg/handlers.main")

    assert dotted is slashed
    assert body(dotted) == "main"
    assert (folder / "imports.log").read_text() == "imported\n"


def test_a_package_is_one_module_by_relative_and_absolute_import(tmp_path: Path) -> None:
    """As on Lambda: `from . import helpers` and `from pkg import helpers` are the same module,
    and the package's __init__ runs once."""
    folder = write(
        tmp_path / "src",
        {
            "pkg/__init__.py": "RUNS = []\nRUNS.append(1)\n",
            "pkg/helpers.py": "VALUE = 'helped'\n",
            "pkg/handlers.py": """\
                from . import helpers
                from pkg import helpers as absolute
                import pkg

                def main(event, context):
                    return {"body": [helpers.VALUE, helpers is absolute, pkg.RUNS]}
            """,
        },
    )

    assert body(handler_from_folder(node(), folder, "pkg/handlers.main")) == ["helped", True, [1]]


def test_a_handler_in_folders_without_init_files(tmp_path: Path) -> None:
    folder = write(
        tmp_path / "fn", {"sub/dir/app.py": "def handler(e, c):\n    return {'body': 1}\n"}
    )

    assert body(handler_from_folder(node(), folder, "sub/dir/app.handler")) == 1
    assert body(handler_from_folder(node(), folder, "sub.dir.app.handler")) == 1


def test_a_code_folder_outside_the_templates_folder(tmp_path: Path) -> None:
    template_dir = tmp_path / "infra"
    template_dir.mkdir()
    sam_function(tmp_path / "shared_code", "shared")

    handler = handler_from_folder(node(), template_dir / "../shared_code", "app.lambda_handler")

    assert body(handler) == "shared"


def test_a_same_named_module_of_the_project_is_set_aside_and_restored(tmp_path: Path) -> None:
    """A `utils` the tests imported themselves (or another folder's) never shadows the
    folder's own, and is back in sys.modules afterwards."""
    project = write(tmp_path / "project", {"utils.py": "def answer():\n    return 'project'\n"})
    sys.path.insert(0, str(project))
    try:
        import utils

        handler = handler_from_folder(
            node(), sam_function(tmp_path / "fn", "fn"), "app.lambda_handler"
        )

        assert body(handler) == "fn"
        assert sys.modules["utils"] is utils
    finally:
        sys.path.remove(str(project))
        del sys.modules["utils"]


def test_installed_libraries_are_shared(tmp_path: Path) -> None:
    folder = write(
        tmp_path / "fn", {"app.py": "import yaml\n\ndef handler(e, c):\n    return yaml\n"}
    )

    assert handler_from_folder(node(), folder, "app.handler")({}, None) is yaml
    assert sys.modules["yaml"] is yaml


def test_environment_is_set_only_while_the_module_is_imported(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("TABLE", raising=False)
    monkeypatch.setenv("STAGE", "outer")
    folder = write(
        tmp_path / "fn",
        {
            "app.py": """\
                import os
                TABLE, STAGE = os.environ["TABLE"], os.environ["STAGE"]

                def handler(event, context):
                    return {"body": [TABLE, STAGE, os.environ.get("TABLE")]}
            """
        },
    )

    pets = handler_from_folder(node(), folder, "app.handler", {"TABLE": "pets", "STAGE": "inner"})
    toys = handler_from_folder(node(), folder, "app.handler", {"TABLE": "toys", "STAGE": "inner"})

    assert body(pets) == ["pets", "inner", None]
    assert body(toys) == ["toys", "inner", None]
    assert "TABLE" not in os.environ and os.environ["STAGE"] == "outer"


def test_a_sibling_imported_when_called_is_not_found(tmp_path: Path) -> None:
    """The documented edge: the folder is on sys.path only while the module is imported."""
    sibling = f"lazy_{uuid.uuid4().hex}"
    folder = write(
        tmp_path / "fn",
        {
            "app.py": f"def handler(e, c):\n    import {sibling}\n",
            f"{sibling}.py": "",
        },
    )
    handler = handler_from_folder(node(), folder, "app.handler")

    with pytest.raises(ModuleNotFoundError):
        handler({}, None)


def test_a_failed_import_is_not_remembered(tmp_path: Path) -> None:
    folder = write(tmp_path / "fn", {"app.py": "import utils\n", "utils.py": "raise KeyError(1)\n"})
    error(handler_from_folder, node(), folder, "app.handler")
    write(folder, {"app.py": "def handler(e, c):\n    return {'body': 'fixed'}\n", "utils.py": ""})

    assert body(handler_from_folder(node(), folder, "app.handler")) == "fixed"


# --- CodeUri errors ------------------------------------------------------------------------


def test_a_missing_folder(tmp_path: Path) -> None:
    folder = tmp_path / "src" / "hello"

    assert str(error(handler_from_folder, node(), folder, "app.lambda_handler")) == (
        f"{WHERE}: CodeUri folder {folder} does not exist (CodeUri paths are relative to the "
        "template's folder)"
    )


def test_a_file_as_the_folder(tmp_path: Path) -> None:
    package = tmp_path / "hello.zip"
    package.write_bytes(b"PK")

    assert str(error(handler_from_folder, node(), package, "app.lambda_handler")) == (
        f"{WHERE}: CodeUri {package} is a file, not a folder (point CodeUri at the folder holding "
        "the code (unpack a .zip package first))"
    )


@pytest.mark.parametrize("handler", ["app", "app:lambda_handler", "app.", "app.lambda handler"])
def test_a_handler_not_in_module_function_form(tmp_path: Path, handler: str) -> None:
    folder = sam_function(tmp_path / "fn", "fn")

    assert str(error(handler_from_folder, node(), folder, handler)) == (
        f"{WHERE}: Handler {handler!r} is not in module.function form (write the module's path "
        "in the code folder without .py, a dot, then the function: app.lambda_handler, or "
        "pkg/handlers.main)"
    )


def test_a_module_not_in_the_folder_suggests_one(tmp_path: Path) -> None:
    folder = sam_function(tmp_path / "fn", "fn")

    assert str(error(handler_from_folder, node(), folder, "ap.lambda_handler")) == (
        f"{WHERE}: no module ap.py in CodeUri folder {folder} (did you mean "
        "'app.lambda_handler'? the folder's Python files: app.py, utils.py)"
    )


def test_a_module_not_in_the_folder_suggests_one_as_written(tmp_path: Path) -> None:
    folder = write(
        tmp_path / "src",
        {"main.py": "", "pkg/__init__.py": "", "pkg/handlers.py": "", "pkg/__pycache__/x.py": ""},
    )

    assert str(error(handler_from_folder, node(), folder, "pkg/handler.main")) == (
        f"{WHERE}: no module pkg/handler.py in CodeUri folder {folder} (did you mean "
        "'pkg/handlers.main'? the folder's Python files: main.py, pkg/__init__.py, "
        "pkg/handlers.py)"
    )


def test_a_folder_without_python_files(tmp_path: Path) -> None:
    folder = write(tmp_path / "fn", {"index.js": ""})

    assert str(error(handler_from_folder, node(), folder, "app.handler")) == (
        f"{WHERE}: no module app.py in CodeUri folder {folder} (the folder holds no .py files: "
        "is CodeUri the folder of this function's code?)"
    )


def test_a_module_raising_on_import(tmp_path: Path) -> None:
    folder = write(
        tmp_path / "fn", {"app.py": "import os\nraise RuntimeError('no table configured')\n"}
    )

    failed = error(handler_from_folder, node(), folder, "app.handler")

    assert str(failed) == (
        f"{WHERE}: importing 'app' failed: RuntimeError: no table configured at "
        f"{folder.resolve() / 'app.py'}:2 (raise RuntimeError('no table configured'))"
    )
    assert failed.detail.startswith("Traceback (most recent call last):")


def test_a_sibling_raising_on_import_is_named(tmp_path: Path) -> None:
    folder = write(tmp_path / "fn", {"app.py": "import utils\n", "utils.py": "\n1 / 0\n"})

    assert str(error(handler_from_folder, node(), folder, "app.handler")) == (
        f"{WHERE}: importing 'app' failed: ZeroDivisionError: division by zero at "
        f"{folder.resolve() / 'utils.py'}:2 (1 / 0)"
    )


def test_a_dependency_not_installed(tmp_path: Path) -> None:
    folder = write(tmp_path / "fn", {"app.py": "import not_installed_here\n"})

    assert str(error(handler_from_folder, node(), folder, "app.handler")) == (
        f"{WHERE}: importing 'app' failed: ModuleNotFoundError: No module named "
        f"'not_installed_here' at {folder.resolve() / 'app.py'}:1 (import not_installed_here) "
        "(install 'not_installed_here' where the tests run, or add it to the CodeUri folder: "
        "Lambda imports from the function's package and its layers)"
    )


def test_a_syntax_error(tmp_path: Path) -> None:
    folder = write(tmp_path / "fn", {"app.py": "x = 1\nreturn x\n"})

    assert str(error(handler_from_folder, node(), folder, "app.handler")) == (
        f"{WHERE}: importing 'app' failed: SyntaxError: 'return' outside function (app.py, "
        f"line 2) at {folder.resolve() / 'app.py'}:2"
    )


def test_a_missing_function_suggests_one(tmp_path: Path) -> None:
    folder = sam_function(tmp_path / "fn", "fn")

    assert str(error(handler_from_folder, node(), folder, "app.lambda_handlr")) == (
        f"{WHERE}: 'app' has no attribute 'lambda_handlr' (did you mean 'lambda_handler'?)"
    )


def test_a_handler_that_is_not_a_function(tmp_path: Path) -> None:
    folder = write(tmp_path / "fn", {"app.py": "lambda_handler = 42\n"})

    assert str(error(handler_from_folder, node(), folder, "app.lambda_handler")) == (
        f"{WHERE}: app.lambda_handler is not callable (int) (point Handler at a function)"
    )


# --- inline code ---------------------------------------------------------------------------

INLINE = """\
import os
from dataclasses import dataclass


@dataclass
class Answer:
    body: str


TABLE = os.environ.get("TABLE", "none")


def handler(event, context):
    if event.get("fail"):
        raise ValueError("boom")
    return {"statusCode": 200, "body": Answer(TABLE).body}
"""


def test_inline_code(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TABLE", raising=False)
    handler = handler_from_inline(node(), INLINE, "index.handler", "Pets", {"TABLE": "pets"})

    assert body(handler) == "pets"
    assert (
        handler_from_inline(node(), INLINE, "index.handler", "Pets", {"TABLE": "pets"}) is handler
    )
    assert handler_from_inline(node(), INLINE, "index.handler", "Pets") is not handler
    assert "TABLE" not in os.environ


def test_inline_code_tracebacks_show_its_lines() -> None:
    handler = handler_from_inline(node(), INLINE, "index.handler", "Pets Function")

    with pytest.raises(ValueError) as raised:
        handler({"fail": True}, None)

    last = traceback.extract_tb(raised.value.__traceback__)[-1]
    assert (last.filename, last.lineno, last.line) == (
        "<inline code of Pets Function>",
        15,
        'raise ValueError("boom")',
    )


def test_inline_code_names_the_module_index() -> None:
    assert str(error(handler_from_inline, node(), INLINE, "app.handler", "Pets")) == (
        f"{WHERE}: Handler 'app.handler' names module 'app', but inline code is saved as "
        "index.py (write Handler: index.handler)"
    )


def test_inline_code_with_a_syntax_error() -> None:
    failed = error(handler_from_inline, node(), "x = 1\nreturn x\n", "index.handler", "Pets")

    assert str(failed) == (
        f"{WHERE}: importing 'index' failed: SyntaxError: 'return' outside function (<inline "
        "code of Pets>, line 2) at <inline code of Pets>:2"
    )


def test_inline_code_raising_when_run() -> None:
    code = "import os\nraise RuntimeError('boom')\n"

    assert str(error(handler_from_inline, node(), code, "index.handler", "Pets")) == (
        f"{WHERE}: importing 'index' failed: RuntimeError: boom at <inline code of Pets>:2 "
        "(raise RuntimeError('boom'))"
    )


def test_inline_code_without_the_function() -> None:
    assert str(error(handler_from_inline, node(), INLINE, "index.handle", "Pets")) == (
        f"{WHERE}: 'index' has no attribute 'handle' (did you mean 'handler'?)"
    )


# --- package.module:attribute from a config's folder -----------------------------------------


def test_import_handler_from_the_configs_folder(tmp_path: Path) -> None:
    name = f"handlers_{uuid.uuid4().hex}"
    write(tmp_path, {f"{name}.py": "def get(event, context):\n    return {'body': 'ok'}\n"})
    spec = Node(f"{name}:get", "apistages.yaml", "functions.pets.handler")
    try:
        assert body(import_handler(spec, tmp_path, "handler")) == "ok"
        missing = Node(f"{name}:got", "apistages.yaml", "functions.pets.handler")
        assert str(error(import_handler, missing, tmp_path, "handler")) == (
            f"apistages.yaml: functions.pets.handler: '{name}' has no attribute 'got' (did you "
            "mean 'get'?)"
        )
    finally:
        sys.modules.pop(name, None)
        sys.path.remove(str(tmp_path.resolve()))
