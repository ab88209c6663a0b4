"""Every output format of driftwatch.report, checked against its consumer's rules."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest

from driftwatch.lint import RULES
from driftwatch.report import FORMATS, Finding, at_or_above, render
from driftwatch.report.github import (
    append_step_summary,
    escape_data,
    escape_property,
    write_outputs,
)

SCHEMA = Path(__file__).resolve().parent.parent / "assets" / "sarif-schema-2.1.0.json"

FINDINGS = [
    Finding(
        "svc/Dockerfile",
        3,
        6,
        "DW003",
        "warning",
        "Image is not pinned by digest",
        "`python:3.12` is not pinned by digest",
        "Run `driftwatch pin --write`.",
    ),
    Finding(
        "a dir/compose.yaml",
        10,
        12,
        "DW001",
        "error",
        "Image has no tag",
        "100% bad: a,b:c\nsecond line\r",
        "Write | the tag",
    ),
    Finding("x/Dockerfile", 1, 1, "DW900", "note", "Other rule", "from another command"),
]


def test_sarif_validates_against_the_official_schema() -> None:
    log = json.loads(render(FINDINGS, "sarif", rules=RULES, version="1.2.3"))
    jsonschema.validate(log, json.loads(SCHEMA.read_text()))
    run = log["runs"][0]
    assert log["version"] == "2.1.0" and log["$schema"].startswith("https://")
    ids = [rule["id"] for rule in run["tool"]["driver"]["rules"]]
    assert ids == ["DW001", "DW002", "DW003", "DW004", "DW005", "DW006", "DW900"]
    for rule in run["tool"]["driver"]["rules"]:
        assert (
            rule["shortDescription"]["text"]
            and rule["fullDescription"]["text"]
            and rule["help"]["text"]
        )
    first = run["results"][0]
    assert first["ruleId"] == "DW001" and first["level"] == "error"
    location = first["locations"][0]["physicalLocation"]
    assert location["artifactLocation"]["uri"] == "a%20dir/compose.yaml"
    assert location["region"] == {"startLine": 10, "startColumn": 12}
    assert ids[first["ruleIndex"]] == "DW001"


def test_sarif_schema_catches_a_broken_log() -> None:
    log = json.loads(render(FINDINGS, "sarif", rules=RULES))
    log["runs"][0]["results"][0]["level"] = "fatal"
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(log, json.loads(SCHEMA.read_text()))


def test_github_annotations_escape_data_and_properties() -> None:
    out = render(FINDINGS, "github").splitlines()
    assert out[0] == (
        "::error file=a dir/compose.yaml,line=10,col=12,title=DW001 Image has no tag::"
        "100%25 bad: a,b:c%0Asecond line%0D%0AWrite | the tag"
    )
    assert out[1].startswith("::warning file=svc/Dockerfile,line=3,col=6,title=DW003 ")
    assert out[2].startswith("::notice file=x/Dockerfile,line=1,col=1,")
    assert escape_property("a:b,c%\n") == "a%3Ab%2Cc%25%0A"
    assert escape_data("a:b,c") == "a:b,c"


def test_github_summary_and_outputs(tmp_path: Path) -> None:
    summary, output = tmp_path / "summary.md", tmp_path / "output"
    summary.write_text("earlier\n")
    append_step_summary(FINDINGS, summary, "driftwatch lint")
    text = summary.read_text()
    assert text.startswith("earlier\n### driftwatch lint\n") and "| DW001 |" in text
    write_outputs({"findings": "3", "list": "a\nb"}, output)
    lines = output.read_text().splitlines()
    assert lines[0] == "findings=3"
    delimiter = lines[1].split("<<", 1)[1]
    assert lines[1:] == [f"list<<{delimiter}", "a", "b", delimiter]


def test_markdown_escapes_pipes_and_newlines() -> None:
    table = render(FINDINGS, "markdown").splitlines()
    assert table[0] == "| Severity | Rule | Location | Message | Fix |"
    assert len(table) == 5
    assert "Write \\| the tag" in table[2] and "second line" in table[2]
    assert render([], "markdown") == "No findings.\n"


def test_gitlab_code_quality() -> None:
    issues = json.loads(render(FINDINGS, "gitlab"))
    first = issues[0]
    assert first["check_name"] == "DW001" and first["severity"] == "major"
    assert first["location"] == {"path": "a dir/compose.yaml", "lines": {"begin": 10}}
    assert len({issue["fingerprint"] for issue in issues}) == 3
    assert issues == json.loads(render(list(reversed(FINDINGS)), "gitlab"))  # stable


def test_json_and_text() -> None:
    document = json.loads(render(FINDINGS, "json", version="1.2.3", command="lint"))
    assert (document["tool"], document["version"], document["command"]) == (
        "driftwatch",
        "1.2.3",
        "lint",
    )
    records = document["findings"]
    assert records[0]["rule_id"] == "DW001" and records[0]["line"] == 10
    text = render(FINDINGS, "text")
    assert "a dir/compose.yaml:10:12: error DW001: 100% bad" in text
    assert text.rstrip().endswith("3 findings (1 error, 1 warning, 1 note)")


def test_unknown_format_and_severity() -> None:
    assert set(FORMATS) == {"text", "json", "github", "sarif", "markdown", "gitlab"}
    with pytest.raises(ValueError, match="unknown format"):
        render(FINDINGS, "xml")
    with pytest.raises(ValueError, match="severity"):
        Finding("f", 1, 1, "X", "fatal", "t", "m")
    assert [f.rule_id for f in at_or_above(FINDINGS, "warning")] == ["DW003", "DW001"]
