"""The renderings of apistages check's findings, from hand-made findings (independent of the
rules that make them)."""

from __future__ import annotations

import json

from pytest_apistages.check import formats
from pytest_apistages.check.findings import Finding

UNDEFINED = Finding(
    "stage-variable-undefined", "error", "prod", "apistages.yaml", 12, "api.routes.GET /pets",
    "GET /pets uses ${stageVariables.petAlias}, which stage prod does not define",
    "define it, or did you mean petsAlias?",
)  # fmt: skip
UNUSED = Finding(
    "stage-variable-unused", "warning", "dev", "apistages.yaml", None, "stages.dev.variables.x",
    "variable x is used by no route", "",
)  # fmt: skip
GLOBAL = Finding(
    "policy-unknown", "note", None, "template.yaml", 3, "Resources.Api",
    "100% of one, 50%, two: three\nlines\r", "fix: it, now",
)  # fmt: skip
FINDINGS = [UNDEFINED, UNUSED, GLOBAL]


def test_text_groups_by_stage_with_all_stages_first_and_a_summary():
    out = formats.text(
        FINDINGS, config="apistages.yaml", headline="apistages.yaml: api petshop",
        stages={"dev": "deployment d1", "prod": "deployment d2"},
    )  # fmt: skip

    assert out == (
        "apistages.yaml: api petshop\n"
        "all stages:\n"
        "  template.yaml:3: note policy-unknown: 100% of one, 50%, two: three\nlines\r "
        "(fix: it, now)\n"
        "stage dev: deployment d1\n"
        "  apistages.yaml: warning stage-variable-unused: variable x is used by no route\n"
        "stage prod: deployment d2\n"
        "  apistages.yaml:12: error stage-variable-undefined: GET /pets uses "
        "${stageVariables.petAlias}, which stage prod does not define (define it, or did you "
        "mean petsAlias?)\n"
        "apistages.yaml: 1 error, 1 warning, 1 note\n"
    )


def test_text_lists_a_stage_without_findings_and_says_ok_when_clean():
    out = formats.text([], config="c.yaml", stages={"prod": "deployment d"})

    assert out == "stage prod: deployment d\nc.yaml: OK - no findings\n"


def test_text_colours_only_when_asked():
    plain = formats.text_line(UNDEFINED)
    coloured = formats.text_line(UNDEFINED, colour=True)

    assert "\033[" not in plain
    assert "\033[31merror\033[0m" in coloured
    assert "\033[1mstage-variable-undefined\033[0m" in coloured


def test_json_document_has_the_documented_schema():
    document = json.loads(formats.as_json(FINDINGS, config="apistages.yaml"))

    assert document == {
        "version": 1,
        "config": "apistages.yaml",
        "findings": [
            {
                "rule": "stage-variable-undefined", "severity": "error", "stage": "prod",
                "source": "apistages.yaml", "line": 12, "key": "api.routes.GET /pets",
                "message": UNDEFINED.message, "fix": UNDEFINED.fix,
            },
            UNUSED.as_dict(),
            GLOBAL.as_dict(),
        ],
        "summary": {"error": 1, "warning": 1, "note": 1},
    }  # fmt: skip
    assert document["findings"][1]["line"] is None and document["findings"][2]["stage"] is None


def test_github_annotations_escape_data_and_properties():
    lines = formats.github(FINDINGS, config="apistages.yaml").splitlines()

    assert lines == [
        "::error file=apistages.yaml,line=12,title=stage-variable-undefined::stage prod: GET "
        "/pets uses ${stageVariables.petAlias}, which stage prod does not define (define it, or "
        "did you mean petsAlias?)",
        "::warning file=apistages.yaml,title=stage-variable-unused::stage dev: variable x is "
        "used by no route",
        "::notice file=template.yaml,line=3,title=policy-unknown::100%25 of one, 50%25, two: "
        "three%0Alines%0D (fix: it, now)",
        "apistages.yaml: 1 error, 1 warning, 1 note",
    ]


def test_github_property_escapes_colon_and_comma():
    finding = Finding("r", "error", None, "a,b:c%.yaml", 1, "", "m", "")

    assert formats.github([finding], config="x").splitlines()[0] == (
        "::error file=a%2Cb%3Ac%25.yaml,line=1,title=r::m"
    )


def test_sarif_has_one_rule_per_id_and_located_results():
    twice = [*FINDINGS, Finding("stage-variable-undefined", "warning", "dev", "sub dir/a.yaml",
                                4, "k", "again", "")]  # fmt: skip
    log = json.loads(formats.sarif(twice, tool_version="1.2.3"))

    assert log["version"] == "2.1.0" and log["$schema"].endswith("sarif-schema-2.1.0.json")
    (run,) = log["runs"]
    driver = run["tool"]["driver"]
    assert (driver["name"], driver["version"]) == ("apistages", "1.2.3")
    assert [r["id"] for r in driver["rules"]] == [
        "stage-variable-undefined", "stage-variable-unused", "policy-unknown",
    ]  # fmt: skip
    assert driver["rules"][0]["defaultConfiguration"] == {"level": "error"}
    first, unlocated, note, again = run["results"]
    assert first["ruleId"] == "stage-variable-undefined" and first["ruleIndex"] == 0
    assert first["level"] == "error"
    assert first["message"]["text"].startswith("stage prod: GET /pets uses")
    assert first["message"]["text"].endswith("(define it, or did you mean petsAlias?)")
    physical = first["locations"][0]["physicalLocation"]
    assert physical == {"artifactLocation": {"uri": "apistages.yaml"}, "region": {"startLine": 12}}
    assert first["locations"][0]["logicalLocations"][0]["fullyQualifiedName"] == (
        "api.routes.GET /pets"
    )
    assert first["properties"] == {"stage": "prod", "fix": UNDEFINED.fix}
    assert "region" not in unlocated["locations"][0]["physicalLocation"]
    assert note["level"] == "note" and note["ruleIndex"] == 2
    assert again["ruleIndex"] == 0
    assert again["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == (
        "sub%20dir/a.yaml"
    )


def test_sarif_without_findings_is_a_valid_empty_run():
    log = json.loads(formats.sarif([], tool_version="0"))

    assert log["runs"][0]["results"] == [] and log["runs"][0]["tool"]["driver"]["rules"] == []


def test_notices_become_located_not_emulated_notes():
    notices = [
        "template.yaml:27: Resources.Api.Properties.Auth: authorizers are not emulated "
        "(requests are let through)",
        "openapi.json: paths./pets.get: a request validator is not emulated",
        "something with no file",
    ]

    found = formats.notice_findings(notices, "apistages.yaml")

    assert [(f.rule, f.severity, f.stage) for f in found] == [("not-emulated", "note", None)] * 3
    assert [(f.source, f.line) for f in found] == [
        ("template.yaml", 27), ("openapi.json", None), ("apistages.yaml", None),
    ]  # fmt: skip
    assert found[0].message == (
        "Resources.Api.Properties.Auth: authorizers are not emulated (requests are let through)"
    )
    assert found[2].message == "something with no file"


def test_summary_counts_worst_first():
    assert formats.summary([UNUSED, UNUSED]) == {"error": 0, "warning": 2, "note": 0}
    assert formats.summary_phrase([UNUSED, UNUSED]) == "0 errors, 2 warnings, 0 notes"
