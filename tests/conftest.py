"""Fixtures shared by the test modules."""

from __future__ import annotations

import shutil
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

EXAMPLE = Path(__file__).resolve().parent.parent / "example_project"


def _petshop_modules() -> dict[str, object]:
    return {n: m for n, m in sys.modules.items() if n.split(".")[0] == "petshop"}


@pytest.fixture
def example_copy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A copy of the example project in tmp_path whose `petshop` package this test imports
    afresh: Python imports a name once per process, and the loader refuses a second one."""
    shutil.copytree(EXAMPLE / "petshop", tmp_path / "petshop")
    shutil.copy(EXAMPLE / "apistages.yaml", tmp_path / "apistages.yaml")
    monkeypatch.setattr(sys, "path", list(sys.path))
    saved = _petshop_modules()
    for name in saved:
        del sys.modules[name]
    yield tmp_path
    for name in _petshop_modules():
        del sys.modules[name]
    sys.modules.update(saved)  # type: ignore[arg-type]
