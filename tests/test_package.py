"""The release as built by `python -m build`: one version, a licence, twine-clean metadata, and the
right files in the wheel and the sdist. Installing the wheel with pipx is in tests/e2e."""

from __future__ import annotations

import email.parser
import importlib.metadata
import re
import subprocess
import sys
import tarfile
import zipfile
from typing import Any

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

import pytest
import yaml
from packaging.requirements import Requirement

import driftwatch
from tests.packaging import REPO, Dists

DATA_DIRS = ("tests/", "benchmarks/", "docs/", "scripts/", "examples/", "ci/", ".github/")


def _shipped_sources() -> set[str]:
    """Every file of the driftwatch package in this checkout (git-tracked or new), no bytecode."""
    listed = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard", "driftwatch"],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    return {name for name in listed if (REPO / name).is_file()}


def _metadata(text: str) -> email.message.Message:
    return email.parser.Parser().parsestr(text)


def test_the_version_is_written_in_one_place() -> None:
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    assert "version" not in project and "version" in project["dynamic"]
    assert re.fullmatch(r"\d+\.\d+\.\d+([ab]\d+|rc\d+)?", driftwatch.__version__)
    assert importlib.metadata.version("driftwatch") == driftwatch.__version__
    hits = subprocess.run(
        ["git", "grep", "-l", "-F", f'"{driftwatch.__version__}"', "--", "*.py", "*.toml", "*.cfg"],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=False,
    ).stdout.split()
    assert [hit for hit in hits if not hit.startswith("tests/")] == ["driftwatch/__init__.py"]


def test_license_is_the_full_apache_2_text() -> None:
    text = (REPO / "LICENSE").read_text()
    assert text.lstrip().startswith("Apache License")
    assert "Version 2.0, January 2004" in text and "END OF TERMS AND CONDITIONS" in text
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    assert project["license"] == "Apache-2.0" and project["license-files"] == ["LICENSE"]


def test_twine_check_passes(dists: Dists) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "twine", "check", "--strict", str(dists.sdist), str(dists.wheel)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.count("PASSED") == 2


def test_wheel_holds_the_package_its_data_and_licence_only(dists: Dists) -> None:
    version = driftwatch.__version__
    assert dists.wheel.name == f"driftwatch-{version}-py3-none-any.whl"
    with zipfile.ZipFile(dists.wheel) as wheel:
        names = set(wheel.namelist())
        info = f"driftwatch-{version}.dist-info"
        metadata = _metadata(wheel.read(f"{info}/METADATA").decode())
        entry_points = wheel.read(f"{info}/entry_points.txt").decode()
        licence = wheel.read(f"{info}/licenses/LICENSE").decode()
    assert _shipped_sources() <= names  # every module and data file (schemas, tables, py.typed)
    migrations = "driftwatch/history/migrations/"
    assert {f"{migrations}env.py", f"{migrations}versions/v0001_initial.py"} <= names  # Alembic
    outside = {n for n in names if not n.startswith(("driftwatch/", f"{info}/"))}
    assert not outside, outside
    assert not [n for n in names if n.startswith(DATA_DIRS) or "__pycache__" in n]
    assert metadata["Name"] == "driftwatch" and metadata["Version"] == version
    assert metadata["License-Expression"] == "Apache-2.0"
    assert metadata["Requires-Python"] == ">=3.10"
    assert "driftwatch = driftwatch.cli:main" in entry_points
    assert licence == (REPO / "LICENSE").read_text()
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    required = {str(Requirement(r)) for r in metadata.get_all("Requires-Dist") or []}
    assert {str(Requirement(d)) for d in project["dependencies"]} <= required


def test_sdist_builds_the_wheel_and_carries_licence_readme_changelog(
    dists: Dists,
) -> None:
    root = f"driftwatch-{driftwatch.__version__}/"
    with tarfile.open(dists.sdist) as sdist:
        names = {member.name.removeprefix(root) for member in sdist.getmembers() if member.isfile()}
    assert {"pyproject.toml", "LICENSE", "README.md", "CHANGELOG.md", "PKG-INFO"} <= names
    assert _shipped_sources() <= names
    assert not [n for n in names if n.startswith(DATA_DIRS)], "tests and benchmarks stay out"


def _release_workflow() -> dict[str, Any]:
    data = yaml.safe_load((REPO / ".github" / "workflows" / "release.yml").read_text())
    assert isinstance(data, dict)
    return data


def test_release_workflow_publishes_by_trusted_publishing_on_version_tags() -> None:
    workflow = _release_workflow()
    assert workflow[True] == {"push": {"tags": ["v*"]}}  # YAML 1.1 reads `on` as True
    assert workflow["permissions"] == {"contents": "read"}
    jobs = workflow["jobs"]
    assert jobs["test"]["uses"] == "./.github/workflows/ci.yml"
    assert jobs["build"]["needs"] == "test" and jobs["publish"]["needs"] == "build"
    assert "permissions" not in jobs["build"]  # only the publish job may mint an OIDC token
    assert jobs["publish"]["permissions"] == {"id-token": "write"}
    assert jobs["publish"]["environment"]["name"] == "pypi"
    [publish] = [
        s for s in jobs["publish"]["steps"] if "gh-action-pypi-publish" in s.get("uses", "")
    ]
    assert "with" not in publish  # no password or API token: trusted publishing
    assert "secrets." not in (REPO / ".github" / "workflows" / "release.yml").read_text()
    build = "\n".join(s.get("run", "") for s in jobs["build"]["steps"])
    assert "python -m build" in build and "twine check --strict" in build


@pytest.mark.parametrize(
    ("tag", "status"), [(f"v{driftwatch.__version__}", 0), ("v9.9.9", 1), ("9.9.9", 1)]
)
def test_release_refuses_a_tag_that_is_not_the_version(tag: str, status: int) -> None:
    [step] = [
        s
        for s in _release_workflow()["jobs"]["build"]["steps"]
        if s.get("name", "").startswith("The tag names the version")
    ]
    done = subprocess.run(
        ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", step["run"]],
        cwd=REPO,
        env={"PATH": "/usr/bin:/bin", "TAG": tag},
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == status, done.stdout + done.stderr
    if status:
        assert f"tag {tag} does not match driftwatch.__version__" in done.stdout
