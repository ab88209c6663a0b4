"""The corpus in tests/assets: every Dockerfile and compose case gives its expected inventory."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from driftwatch.cli.images import use_record
from driftwatch.config import Config
from driftwatch.lint import lint
from driftwatch.models import BaseImageUse
from driftwatch.sources import find_image_uses
from driftwatch.sources.inventory import in_place

ASSETS = Path(__file__).resolve().parent.parent / "assets"
DOCKERFILES = sorted((ASSETS / "dockerfiles").glob("*.expected.json"))
COMPOSE = sorted(p.parent for p in (ASSETS / "compose").glob("*/expected.json"))


def test_corpus_is_big_enough() -> None:
    assert len(DOCKERFILES) >= 40
    assert len(COMPOSE) >= 10


@pytest.mark.parametrize("expected_file", DOCKERFILES, ids=lambda p: p.name.split(".")[0])
def test_dockerfile_case(expected_file: Path) -> None:
    expected = json.loads(expected_file.read_text())
    path = ASSETS / "dockerfiles" / expected["path"]
    inventory = find_image_uses(
        [path], Config(), expected["build_args"], environ={}, root=path.parent
    )
    uses = [{k: v for k, v in use_record(u).items() if k != "file"} for u in inventory.uses]
    assert uses == expected["uses"]
    assert [[p.line, p.reason] for p in inventory.problems] == expected["problems"]
    assert [[f.line, f.column, f.rule_id] for f in lint(inventory)] == expected["lint"]


@pytest.mark.parametrize("case", COMPOSE, ids=lambda p: p.name)
def test_compose_case(case: Path) -> None:
    expected = json.loads((case / "expected.json").read_text())
    inventory = find_image_uses([case], Config(), environ=expected["environ"], root=case)
    assert [use_record(u) for u in inventory.uses] == expected["uses"]
    assert [[p.file, p.line, p.reason] for p in inventory.problems] == expected["problems"]
    assert [[f.file, f.line, f.column, f.rule_id] for f in lint(inventory)] == expected["lint"]


def _all_uses() -> list[tuple[Path, BaseImageUse]]:
    root = ASSETS
    inventory = find_image_uses(
        [ASSETS / "dockerfiles", ASSETS / "compose"], Config(), environ={}, root=root
    )
    return [(root / use.file, use) for use in inventory.uses]


def test_every_position_points_at_the_written_text() -> None:
    """line/column are 1-based and count characters of the original line (BOM excluded)."""
    checked = 0
    for path, use in _all_uses():
        if not use.written or not in_place(use):
            continue
        text = path.read_bytes().decode("utf-8", "surrogateescape").removeprefix("\ufeff")
        line = text.split("\n")[use.line - 1]
        start = use.column - 1
        assert line[start : start + len(use.written)] == use.written, (path, use)
        checked += 1
    assert checked > 80


def test_rules_of_the_issue_are_covered() -> None:
    """The corpus exercises every kind, every lint rule and every problem class."""
    uses = [use for _, use in _all_uses()]
    kinds = {use.kind.value for use in uses}
    assert kinds == {"from", "copy-from", "mount-from", "syntax", "compose"}
    rules = set()
    for expected_file in DOCKERFILES:
        rules |= {entry[2] for entry in json.loads(expected_file.read_text())["lint"]}
    assert rules == {"DW001", "DW002", "DW003", "DW004"}
