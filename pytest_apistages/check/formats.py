"""The renderings of `apistages check`'s findings: `text` for people, `json`, `github`
(workflow commands that annotate the file and line) and `sarif` (2.1.0, for code scanning).

The JSON document (`version` 1; a later version may add keys, never change these):

    {"version": 1,
     "config": "apistages.yaml",                  # the file checked, as given
     "findings": [{"rule": "stage-variable-undefined", "severity": "error",
                   "stage": "prod",               # null: concerns no one stage
                   "source": "apistages.yaml",    # the file the finding is in
                   "line": 12,                    # null when not known
                   "key": "api.routes.GET /pets", # the key path in `source`
                   "message": "...", "fix": "..."}],
     "summary": {"error": 1, "warning": 0, "note": 0}}

What a template declares that is not emulated (the config's notices, also named in the
pytest header) is a `note` finding with rule `not-emulated` in every format, so `--fail-on
note` fails on it; its file and line are read from the notice."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import quote

from .findings import SEVERITIES, Finding, Severity

NOT_EMULATED = "not-emulated"
JSON_VERSION = 1
SARIF_SCHEMA = (
    "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
)
_LOCATED = re.compile(r"^(?P<source>[^\s:][^:]*?)(?::(?P<line>\d+))?: (?P<rest>.+)$", re.S)
_COLOURS = {"error": "\033[31m", "warning": "\033[33m", "note": "\033[36m"}
_BOLD, _RESET = "\033[1m", "\033[0m"
ALL_STAGES = "all stages"


def notice_findings(notices: Iterable[str], source: str) -> list[Finding]:
    """The config's notices (`file:line: key: what is not emulated (fix)`) as `note` findings;
    a notice that names no file is placed in `source`."""
    found = []
    for notice in notices:
        match = _LOCATED.match(notice)
        if match:
            line = match.group("line")
            where, number, message = match["source"], int(line) if line else None, match["rest"]
        else:
            where, number, message = source, None, notice
        found.append(Finding(NOT_EMULATED, "note", None, where, number, "", message, ""))
    return found


def summary(findings: Iterable[Finding]) -> dict[Severity, int]:
    """How many findings of each severity, worst first."""
    counts: dict[Severity, int] = {s: 0 for s in reversed(SEVERITIES)}
    for finding in findings:
        counts[finding.severity] += 1
    return counts


def summary_phrase(findings: Iterable[Finding]) -> str:
    """`1 error, 2 warnings, 0 notes`."""
    return ", ".join(f"{n} {s}{'' if n == 1 else 's'}" for s, n in summary(findings).items())


# -- text --------------------------------------------------------------------------------------


def text(
    findings: Sequence[Finding],
    *,
    config: str,
    headline: str = "",
    stages: Mapping[str, str] | None = None,
    colour: bool = False,
) -> str:
    """Grouped by stage, `all stages` first: one `file:line: severity rule: message (fix)` line
    per finding, then a summary line. `stages` gives each stage's heading (its deployment and
    history), so a stage without findings is listed too."""
    lines = [headline] if headline else []
    groups: dict[str | None, list[Finding]] = {None: []}
    for name in stages or {}:
        groups[name] = []
    for finding in findings:
        groups.setdefault(finding.stage, []).append(finding)
    for stage, in_group in groups.items():
        if stage is None and not in_group:
            continue
        heading = ALL_STAGES if stage is None else f"stage {stage}"
        detail = (stages or {}).get(stage or "", "")
        lines.append(f"{heading}: {detail}" if detail else f"{heading}:")
        lines.extend(f"  {text_line(f, colour=colour)}" for f in in_group)
    lines.append(f"{config}: {'OK - no findings' if not findings else summary_phrase(findings)}")
    return "\n".join(lines) + "\n"


def text_line(finding: Finding, *, colour: bool = False) -> str:
    """`apistages.yaml:12: error stage-variable-undefined: message (fix)`."""
    where = f"{finding.source}:{finding.line}" if finding.line is not None else finding.source
    severity: str = finding.severity
    rule = finding.rule
    if colour:
        severity = f"{_COLOURS[finding.severity]}{severity}{_RESET}"
        rule = f"{_BOLD}{rule}{_RESET}"
    return f"{where}: {severity} {rule}: {_message(finding)}"


def _message(finding: Finding) -> str:
    return f"{finding.message} ({finding.fix})" if finding.fix else finding.message


def _staged(finding: Finding) -> str:
    """The message with its stage, for formats that show one finding on its own."""
    message = _message(finding)
    return f"stage {finding.stage}: {message}" if finding.stage is not None else message


# -- json --------------------------------------------------------------------------------------


def as_json(findings: Sequence[Finding], *, config: str) -> str:
    document = {
        "version": JSON_VERSION,
        "config": config,
        "findings": [f.as_dict() for f in findings],
        "summary": summary(findings),
    }
    return json.dumps(document, indent=2) + "\n"


# -- github ------------------------------------------------------------------------------------

_GITHUB_LEVELS: Mapping[str, str] = {"error": "error", "warning": "warning", "note": "notice"}


def github(findings: Sequence[Finding], *, config: str) -> str:
    """One workflow command per finding (`::error file=F,line=L,title=RULE::message (fix)`),
    then a plain summary line."""
    lines = []
    for finding in findings:
        properties = [f"file={_github_property(finding.source)}"]
        if finding.line is not None:
            properties.append(f"line={finding.line}")
        properties.append(f"title={_github_property(finding.rule)}")
        level = _GITHUB_LEVELS[finding.severity]
        lines.append(f"::{level} {','.join(properties)}::{_github_data(_staged(finding))}")
    lines.append(f"{config}: {'OK - no findings' if not findings else summary_phrase(findings)}")
    return "\n".join(lines) + "\n"


def _github_data(value: str) -> str:
    """A command's message, escaped as GitHub's toolkit escapes it."""
    return value.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _github_property(value: str) -> str:
    """A command's property value: also `:` and `,`, which would end it."""
    return _github_data(value).replace(":", "%3A").replace(",", "%2C")


# -- sarif -------------------------------------------------------------------------------------

_SARIF_LEVELS: Mapping[str, str] = {"error": "error", "warning": "warning", "note": "note"}


def sarif(findings: Sequence[Finding], *, tool_version: str) -> str:
    """A SARIF 2.1.0 log with one run: a rule per rule id, a result per finding."""
    rule_ids = list(dict.fromkeys(f.rule for f in findings))
    rules = [_sarif_rule(rule, [f for f in findings if f.rule == rule]) for rule in rule_ids]
    run = {
        "tool": {"driver": {"name": "apistages", "version": tool_version, "rules": rules}},
        "columnKind": "unicodeCodePoints",
        "results": [_sarif_result(f, rule_ids.index(f.rule)) for f in findings],
    }
    document = {"$schema": SARIF_SCHEMA, "version": "2.1.0", "runs": [run]}
    return json.dumps(document, indent=2) + "\n"


def _sarif_rule(rule: str, findings: Sequence[Finding]) -> dict[str, Any]:
    worst = max((f.severity for f in findings), key=SEVERITIES.index)
    return {
        "id": rule,
        "name": "".join(part.capitalize() for part in rule.split("-")),
        "shortDescription": {"text": rule.replace("-", " ").capitalize()},
        "defaultConfiguration": {"level": _SARIF_LEVELS[worst]},
    }


def _sarif_result(finding: Finding, rule_index: int) -> dict[str, Any]:
    physical: dict[str, Any] = {"artifactLocation": {"uri": _uri(finding.source)}}
    if finding.line is not None:
        physical["region"] = {"startLine": finding.line}
    location: dict[str, Any] = {"physicalLocation": physical}
    if finding.key:
        location["logicalLocations"] = [{"fullyQualifiedName": finding.key, "kind": "member"}]
    properties: dict[str, Any] = {"fix": finding.fix} if finding.fix else {}
    if finding.stage is not None:
        properties["stage"] = finding.stage
    result: dict[str, Any] = {
        "ruleId": finding.rule,
        "ruleIndex": rule_index,
        "level": _SARIF_LEVELS[finding.severity],
        "message": {"text": _staged(finding)},
        "locations": [location],
    }
    if properties:
        result["properties"] = properties
    return result


def _uri(source: str) -> str:
    """A relative path as a relative URI reference (code scanning resolves it against the
    checkout), an absolute one as a file URI."""
    path = Path(source)
    if path.is_absolute():
        return path.as_uri()
    return "/".join(quote(part, safe="") for part in path.as_posix().split("/"))
