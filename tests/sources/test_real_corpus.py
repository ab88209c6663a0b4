"""Files from real public projects (tests/assets/real/<owner>+<repo>/, provenance.json beside each).

Each project's expected.json was written by reading its files: every base image at its line, no
stage reported as an image, automatic platform args never an error.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from driftwatch.config import Config
from driftwatch.lint import lint
from driftwatch.sources import Inventory, find_image_uses
from driftwatch.sources.devcontainer import is_devcontainer_path
from driftwatch.sources.discovery import is_compose_name, is_dockerfile_name

REAL = Path(__file__).resolve().parent.parent / "assets" / "real"
PROJECTS = sorted(p for p in REAL.iterdir() if p.is_dir())
_STAGE = re.compile(r"^\s*FROM\s.*\sAS\s+(\S+)", re.IGNORECASE | re.MULTILINE)


def inventory(project: Path) -> Inventory:
    return find_image_uses([project], Config(), environ={}, root=project)


def provenance() -> dict[Path, dict[str, object]]:
    """Every copied file and the provenance entry that names its repository, path and commit."""
    found = {}
    for record in REAL.rglob("provenance.json"):
        data = json.loads(record.read_text())
        for name, path in data["files"].items():
            found[record.parent / name] = {**data, "path": path}
    return found


def test_corpus_is_big_enough_and_every_file_has_its_provenance() -> None:
    files = [
        p
        for p in REAL.rglob("*")
        if p.is_file() and p.name not in ("provenance.json", "expected.json")
    ]
    known = provenance()
    assert set(files) == set(known)
    for entry in known.values():
        assert str(entry["repository"]).startswith("https://github.com/")
        assert re.fullmatch(r"[0-9a-f]{40}", str(entry["commit"]))
    assert sum(is_dockerfile_name(p.name) for p in files) >= 40
    assert sum(is_compose_name(p.name) for p in files) >= 10
    definitions = [p for p in files if is_devcontainer_path(p.relative_to(REAL).as_posix())]
    assert len({p.relative_to(REAL).parts[0] for p in definitions}) >= 8  # distinct projects


@pytest.mark.parametrize("project", PROJECTS, ids=lambda p: p.name)
def test_every_dev_container_definition_is_read(project: Path) -> None:
    found = inventory(project)
    rels = [p.relative_to(project).as_posix() for p in project.rglob("*") if p.is_file()]
    definitions = {rel for rel in rels if is_devcontainer_path(rel)}
    assert definitions <= set(found.files)
    assert not [p for p in found.problems if p.file in definitions and "invalid JSON" in p.reason]


@pytest.mark.parametrize("project", PROJECTS, ids=lambda p: p.name)
def test_every_expected_reference_at_its_line(project: Path) -> None:
    expected = json.loads((project / "expected.json").read_text())
    found = inventory(project)
    got = [
        [u.file, u.line, u.column, u.kind.value, str(u.reference) if u.reference else None]
        for u in found.uses
    ]
    assert got == expected["uses"]
    assert [[p.file, p.line, p.reason] for p in found.problems] == expected["problems"]


@pytest.mark.parametrize("project", PROJECTS, ids=lambda p: p.name)
def test_no_stage_is_reported_as_an_image(project: Path) -> None:
    for use in inventory(project).uses:
        if use.kind.value == "compose" or use.reference is None:
            continue
        text = (project / use.file).read_text()
        before = "\n".join(text.split("\n")[: use.line - 1])  # stages defined above the use
        stages = {s.lower() for s in _STAGE.findall(before)}
        name = str(use.reference).removeprefix("docker.io/library/").split(":")[0]
        assert name not in stages, use


@pytest.mark.parametrize("project", PROJECTS, ids=lambda p: p.name)
def test_automatic_platform_args_are_never_an_error(project: Path) -> None:
    found = inventory(project)
    errors = [f for f in lint(found) if f.rule_id == "DW004" and f.severity == "error"]
    for finding in errors:
        text = (project / finding.file).read_text().split("\n")[finding.line - 1]
        assert not re.search(r"(TARGET|BUILD)(PLATFORM|OS|ARCH|VARIANT)", text), finding
