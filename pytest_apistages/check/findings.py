"""A finding of `apistages check`: what is wrong, where (stage, file, line, key path), how bad,
and the one-line fix; the data every output format (text, json, github, sarif) is made of."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, Literal

Severity = Literal["error", "warning", "note"]
SEVERITIES: tuple[Severity, ...] = ("note", "warning", "error")  # in rising order


@dataclass(frozen=True)
class Finding:
    """One finding. `rule` is a stable id (`stage-variable-undefined`); `stage` is None for
    what concerns no one stage; `source`, `line` and `key` locate it (a template's own file,
    line and key path when the config came from one)."""

    rule: str
    severity: Severity
    stage: str | None
    source: str
    line: int | None
    key: str
    message: str
    fix: str

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def at_least(severity: Severity, threshold: Severity) -> bool:
    """Whether `severity` is `threshold` or worse."""
    return SEVERITIES.index(severity) >= SEVERITIES.index(threshold)
