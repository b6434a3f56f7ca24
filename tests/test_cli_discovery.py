"""Which config `apistages` uses when none is named: pytest's ini file, as pytest finds it."""

from __future__ import annotations

from pathlib import Path

import pytest

from pytest_apistages.check.discovery import DiscoveryError, config_location, discover, find_ini


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    (tmp_path / "project" / "sub").mkdir(parents=True)
    return tmp_path / "project"


@pytest.mark.parametrize(
    ("name", "text"),
    [
        ("pytest.ini", "[pytest]\napistages_config = api/template.yaml\n"),
        ("pyproject.toml", '[tool.pytest.ini_options]\napistages_config = "api/template.yaml"\n'),
        ("tox.ini", "[tox]\n[pytest]\napistages_config = api/template.yaml\n"),
        ("setup.cfg", "[metadata]\n[tool:pytest]\napistages_config = api/template.yaml\n"),
    ],
)
def test_the_ini_key_is_found_upwards_and_relative_to_the_ini_file(tree, name, text):
    (tree / name).write_text(text)

    found = discover(tree / "sub")

    assert found.path == tree / "api" / "template.yaml"
    assert found.origin == f"apistages_config = api/template.yaml in {name}"


def test_without_the_key_the_config_is_apistages_yaml_in_the_rootdir(tree):
    (tree / "pytest.ini").write_text("[pytest]\ntestpaths = tests\n")
    (tree / "apistages.yaml").write_text("api: {}\n")

    found = discover(tree / "sub")

    assert found.path == tree / "apistages.yaml"
    assert "rootdir (pytest.ini's folder)" in found.origin


def test_an_empty_pytest_ini_is_pytests_ini_file(tree):
    (tree / "pytest.ini").write_text("")
    (tree / "sub" / "tox.ini").write_text("[tox]\n")  # no [pytest]: not an ini file for pytest

    ini = find_ini(tree / "sub")

    assert ini is not None and (ini.path, ini.config) == (tree / "pytest.ini", None)


def test_pytest_ini_wins_over_pyproject_in_the_same_folder(tree):
    (tree / "pytest.ini").write_text("[pytest]\napistages_config = a.yaml\n")
    (tree / "pyproject.toml").write_text('[tool.pytest.ini_options]\napistages_config = "b.yaml"\n')

    assert discover(tree).path == tree / "a.yaml"


def test_a_pyproject_without_pytest_settings_does_not_stop_the_search(tree):
    (tree / "pytest.ini").write_text("[pytest]\napistages_config = a.yaml\n")
    (tree / "sub" / "pyproject.toml").write_text("[project]\nname = 'x'\n")

    assert discover(tree / "sub").path == tree / "a.yaml"


def test_a_lone_pyproject_is_the_rootdir(tree):
    (tree / "pyproject.toml").write_text("[project]\nname = 'x'\n")
    (tree / "apistages.yaml").write_text("api: {}\n")

    assert discover(tree / "sub").path == tree / "apistages.yaml"


def test_the_current_folder_when_the_rootdir_has_no_config(tree):
    (tree / "pytest.ini").write_text("[pytest]\n")
    (tree / "sub" / "apistages.yaml").write_text("api: {}\n")

    found = discover(tree / "sub")

    assert found.path == tree / "sub" / "apistages.yaml"
    assert found.origin == "apistages.yaml in the current folder"


def test_no_ini_file_at_all_means_the_current_folder(tmp_path):
    found = config_location(ini_value=None, ini_file=None, rootdir=tmp_path, start=tmp_path)

    assert found.path == tmp_path / "apistages.yaml"
    assert found.origin == "apistages.yaml in the current folder"


def test_a_broken_pyproject_is_one_message(tree):
    (tree / "pyproject.toml").write_text("[tool.pytest.ini_options\n")

    with pytest.raises(DiscoveryError, match=r"pyproject.toml: cannot read it as TOML: "):
        discover(tree)
