"""Hooks pytest-apistages calls, for conftests and other plugins."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pluggy

if TYPE_CHECKING:
    from ..gateway import Gateway
    from ..observe.records import Invocation

hookspec = pluggy.HookspecMarker("pytest")


@hookspec
def pytest_apistages_configure(gateway: Gateway) -> None:
    """Called with each gateway the `gateway` fixture builds, before the test uses it."""


@hookspec
def pytest_apistages_invocation(record: Invocation) -> None:
    """Called after each request a test's gateway served, with its invocation record."""
