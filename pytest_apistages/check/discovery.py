"""Which config file a run uses when none is named, found as the pytest plugin finds it.

pytest's ini file is looked for from a folder upwards, as pytest does (in each folder:
`pytest.toml`, `.pytest.toml`, `pytest.ini`, `.pytest.ini`, `pyproject.toml` with
`[tool.pytest.ini_options]` or `[tool.pytest]`, `tox.ini` with `[pytest]`, `setup.cfg` with
`[tool:pytest]`). Its `apistages_config` is relative to the ini file's folder; without one
the config is `apistages.yaml` in the rootdir (the ini file's folder), else in the folder the
search started from. `config_location` is the rule itself, for callers (the plugin) that
already know the ini file and rootdir."""

from __future__ import annotations

import configparser
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

DEFAULT_CONFIG = "apistages.yaml"
INI_KEY = "apistages_config"
_INI_NAMES = (
    "pytest.toml", ".pytest.toml", "pytest.ini", ".pytest.ini", "pyproject.toml", "tox.ini",
    "setup.cfg",
)  # fmt: skip


class DiscoveryError(Exception):
    """An ini file that cannot be read; the message names it."""


@dataclass(frozen=True)
class IniFile:
    """pytest's ini file and its `apistages_config` value (None when it has none)."""

    path: Path
    config: str | None


@dataclass(frozen=True)
class Discovered:
    """The config file to use and how it was found, worded for messages."""

    path: Path
    origin: str


def discover(start: Path) -> Discovered:
    """The config a run from `start` uses (the file may not exist: the caller says so)."""
    ini = find_ini(start)
    return config_location(
        ini_value=ini.config if ini else None,
        ini_file=ini.path if ini else None,
        rootdir=ini.path.parent if ini else start,
        start=start,
    )


def config_location(
    *, ini_value: str | None, ini_file: Path | None, rootdir: Path, start: Path | None = None
) -> Discovered:
    """The rule: the ini's `apistages_config` (relative to the ini file's folder, else the
    rootdir), else `apistages.yaml` in the rootdir, else in `start` when it has one."""
    if ini_value:
        base = ini_file.parent if ini_file is not None else rootdir
        shown = ini_file.name if ini_file is not None else "the ini file"
        return Discovered(base / ini_value, f"{INI_KEY} = {ini_value} in {shown}")
    default = rootdir / DEFAULT_CONFIG
    if not default.is_file() and start is not None and (start / DEFAULT_CONFIG).is_file():
        return Discovered(start / DEFAULT_CONFIG, f"{DEFAULT_CONFIG} in the current folder")
    where = f"the rootdir ({ini_file.name}'s folder)" if ini_file else "the current folder"
    return Discovered(default, f"{DEFAULT_CONFIG} in {where}")


def find_ini(start: Path) -> IniFile | None:
    """pytest's ini file for a run from `start`: the first folder upwards holding one with a
    pytest section (a `pytest.ini` counts even when empty); else the first `pyproject.toml`,
    which pytest then takes as its ini file with no settings."""
    start = start.resolve()
    first_pyproject = None
    for folder in (start, *start.parents):
        for name in _INI_NAMES:
            path = folder / name
            if not path.is_file():
                continue
            if name == "pyproject.toml" and first_pyproject is None:
                first_pyproject = path
            section = _pytest_section(path)
            if section is not None:
                value = section.get(INI_KEY)
                return IniFile(path, str(value).strip() if value is not None else None)
    return IniFile(first_pyproject, None) if first_pyproject is not None else None


def _pytest_section(path: Path) -> dict[str, Any] | None:
    """The file's pytest settings, or None when it holds none for pytest."""
    if path.suffix == ".toml":
        data = _toml(path)
        if path.name in ("pytest.toml", ".pytest.toml"):
            return dict(data.get("pytest", {}))
        tool = data.get("tool", {}).get("pytest")
        if not isinstance(tool, dict):
            return None
        ini_options = tool.get("ini_options")
        if isinstance(ini_options, dict):
            return dict(ini_options)
        return {k: v for k, v in tool.items() if k != "ini_options"} or None
    parser = configparser.ConfigParser(interpolation=None, strict=False)
    try:
        parser.read(path, encoding="utf-8")
    except (configparser.Error, UnicodeDecodeError) as e:
        raise DiscoveryError(f"{path}: cannot read it as an ini file: {_first_line(e)}") from None
    section = "tool:pytest" if path.name == "setup.cfg" else "pytest"
    if parser.has_section(section):
        return dict(parser.items(section))
    return {} if path.name in ("pytest.ini", ".pytest.ini") else None


def _toml(path: Path) -> dict[str, Any]:
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - pytest itself needs tomli there
        import tomli as tomllib
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, OSError, UnicodeDecodeError) as e:
        raise DiscoveryError(f"{path}: cannot read it as TOML: {_first_line(e)}") from None


def _first_line(error: Exception) -> str:
    return str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
