"""`pytest --apistages-check[=LEVEL]`: the findings `apistages check` gives for the config, as
test items ahead of the tests, so a CI run shows each as a failure with its fix. A finding
below LEVEL (default `error`) is a skipped item whose reason says it; a clean config is one
passing item."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from ..check.findings import SEVERITIES, Finding, Severity, at_least
from ..check.rules import run_checks
from ..gateway import Gateway
from ..sources.config import LoadedConfig


class ConfigFile(pytest.File):
    """The config file the check items belong to (their node id starts with its path)."""

    def collect(self) -> list[pytest.Item]:
        return []  # the items are made from the findings, not collected


class CheckFailed(Exception):
    """A finding at or above the level: its text is the whole report."""


class CheckItem(pytest.Item):
    """One finding (or, with none, the clean config)."""

    def __init__(
        self, *, finding: Finding | None, threshold: Severity, config_file: str, **kwargs: Any
    ) -> None:
        super().__init__(**kwargs)
        self.finding = finding
        self.threshold = threshold
        self.config_file = config_file

    def runtest(self) -> None:
        finding = self.finding
        if finding is None:
            return
        if at_least(finding.severity, self.threshold):
            raise CheckFailed(described(finding))
        pytest.skip(described(finding))

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None) -> Any:
        if isinstance(excinfo.value, CheckFailed):
            return str(excinfo.value)
        return super().repr_failure(excinfo)

    def reportinfo(self) -> tuple[Any, int | None, str]:
        finding = self.finding
        if finding is None:
            return self.config_file, None, f"apistages check of {self.config_file}: no findings"
        line = finding.line - 1 if finding.line is not None else None
        return finding.source, line, f"apistages check: {finding.rule}"


def described(finding: Finding) -> str:
    """`file:line: key: severity rule: message (fix)`, the finding in one line."""
    where = f"{finding.source}:{finding.line}" if finding.line is not None else finding.source
    stage = f" [stage {finding.stage}]" if finding.stage else ""
    text = f"{where}: {finding.key}: {finding.severity} {finding.rule}{stage}: {finding.message}"
    return f"{text} ({finding.fix})" if finding.fix else text


def check_items(
    session: pytest.Session, path: Path, loaded: LoadedConfig, threshold: str
) -> list[pytest.Item]:
    """The items for the findings of the config at `path`, in the order `apistages check`
    gives them."""
    if threshold not in SEVERITIES:
        raise pytest.UsageError(
            f"--apistages-check={threshold}: use one of {', '.join(reversed(SEVERITIES))}"
        )
    findings = run_checks(loaded, Gateway.from_config(loaded))
    parent = ConfigFile.from_parent(session, path=path)
    if not findings:
        return [
            CheckItem.from_parent(
                parent, name="apistages-check", finding=None, threshold=threshold,
                config_file=loaded.source,
            )
        ]  # fmt: skip
    return [
        CheckItem.from_parent(
            parent,
            name=f"apistages-check[{index}-{finding.rule}-{finding.stage or 'api'}]",
            finding=finding,
            threshold=threshold,
            config_file=loaded.source,
        )  # fmt: skip
        for index, finding in enumerate(findings, 1)
    ]
