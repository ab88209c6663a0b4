"""Walking a repository: file names, skipped folders, excludes, symlink loops, bad files."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from driftwatch.config import Config
from driftwatch.sources import find_image_uses
from driftwatch.sources.discovery import is_compose_name, is_dockerfile_name


@pytest.mark.parametrize(
    ("name", "dockerfile", "compose"),
    [
        ("Dockerfile", True, False),
        ("dockerfile", True, False),
        ("Containerfile", True, False),
        ("api.Dockerfile", True, False),
        ("api.dockerfile", True, False),
        ("Dockerfile.prod", True, False),
        ("Containerfile.arm64", True, False),
        ("Dockerfile.dockerignore", False, False),
        ("compose.yaml", False, True),
        ("compose.yml", False, True),
        ("compose.override.yaml", False, True),
        ("docker-compose.yml", False, True),
        ("docker-compose.prod.yaml", False, True),
        ("docker-compose.json", False, False),
        ("values.yaml", False, False),
        ("README.md", False, False),
    ],
)
def test_names(name: str, dockerfile: bool, compose: bool) -> None:
    assert is_dockerfile_name(name) is dockerfile
    assert is_compose_name(name) is compose


def make(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)


def test_walk_skips_vcs_venvs_node_modules_and_excludes(tmp_path: Path) -> None:
    make(
        tmp_path,
        {
            "Dockerfile": "FROM alpine:3.19\n",
            "svc/a/Dockerfile.prod": "FROM debian:bookworm\n",
            ".git/Dockerfile": "FROM git:1\n",
            "node_modules/x/Dockerfile": "FROM node:1\n",
            "env/pyvenv.cfg": "home = /usr\n",
            "env/Dockerfile": "FROM venv:1\n",
            "vendor/lib/Dockerfile": "FROM vendor:1\n",
            "svc/b/test.Dockerfile": "FROM test:1\n",
        },
    )
    config = Config(exclude=("vendor", "**/test.Dockerfile"))
    inventory = find_image_uses([tmp_path], config, environ={}, root=tmp_path)
    assert inventory.files == ("Dockerfile", "svc/a/Dockerfile.prod")
    assert [u.written for u in inventory.uses] == ["alpine:3.19", "debian:bookworm"]
    assert inventory.root == tmp_path.resolve()


def test_symlink_loops_and_broken_links_are_problems_not_errors(tmp_path: Path) -> None:
    make(tmp_path, {"a/Dockerfile": "FROM alpine:3.19\n"})
    os.symlink("..", tmp_path / "a" / "up")
    os.symlink("loop.Dockerfile", tmp_path / "loop.Dockerfile")
    os.symlink("missing", tmp_path / "Dockerfile")
    inventory = find_image_uses([tmp_path], Config(), environ={}, root=tmp_path)
    reasons = {p.file: p.reason for p in inventory.problems}
    assert "symlink loop" in reasons["a/up"]
    assert reasons["loop.Dockerfile"] == "symlink loop"
    assert "does not exist" in reasons["Dockerfile"]
    assert [u.file for u in inventory.uses] == ["a/Dockerfile"]


def test_explicit_files_and_build_args_precedence(tmp_path: Path) -> None:
    make(
        tmp_path,
        {
            "images.txt.Dockerfile": "ARG T=1\nFROM alpine:$T\n",
            "odd-name": "ARG T\nFROM debian:$T\n",
        },
    )
    config = Config(build_args={"T": "from-config"})
    inventory = find_image_uses(
        [tmp_path / "odd-name"], config, {"T": "bookworm"}, environ={}, root=tmp_path
    )
    assert [str(u.reference) for u in inventory.uses] == ["docker.io/library/debian:bookworm"]
    inventory = find_image_uses(
        [tmp_path / "images.txt.Dockerfile"], config, environ={}, root=tmp_path
    )
    assert str(inventory.uses[0].reference) == "docker.io/library/alpine:from-config"
    assert inventory.uses[0].written == "alpine:$T"


def test_compose_build_args_reach_the_dockerfile_once(tmp_path: Path) -> None:
    make(
        tmp_path,
        {
            "compose.yaml": "services:\n  a:\n    build:\n      context: app\n      args:\n        TAG: '3.19'\n",
            "app/Dockerfile": "ARG TAG\nFROM alpine:${TAG}\n",
        },
    )
    inventory = find_image_uses([tmp_path], Config(), environ={}, root=tmp_path)
    assert [(u.file, str(u.reference)) for u in inventory.uses] == [
        ("app/Dockerfile", "docker.io/library/alpine:3.19")
    ]


def test_default_root_is_the_working_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    make(tmp_path, {"deep/er/Dockerfile": "FROM alpine:3.19\n"})
    monkeypatch.chdir(tmp_path)
    inventory = find_image_uses([Path("deep/er")], Config(), environ={})
    assert inventory.uses[0].file == "deep/er/Dockerfile"
    inventory = find_image_uses([], Config(), environ={})
    assert inventory.files == ("deep/er/Dockerfile",)


def test_tabs_separate_arguments(tmp_path: Path) -> None:
    make(
        tmp_path,
        {"Dockerfile": "ARG\tTAG=3.19\tOTHER=x\nFROM\talpine:${TAG}\tAS\tbase\nFROM base\n"},
    )
    inventory = find_image_uses([tmp_path], Config(), environ={}, root=tmp_path)
    [use] = inventory.uses
    assert (use.line, use.column, use.stage) == (2, 6, "base")
    assert str(use.reference) == "docker.io/library/alpine:3.19"


def test_symlinks_out_of_the_repository_are_not_followed(tmp_path: Path) -> None:
    """The repository is the boundary: a link to `/` or to a sibling folder is a warning."""
    make(tmp_path, {"outside/Dockerfile": "FROM outside:1\n", "repo/Dockerfile": "FROM a:1\n"})
    repo = tmp_path / "repo"
    os.symlink("/", repo / "host")
    os.symlink(tmp_path / "outside", repo / "sibling")
    os.symlink(tmp_path / "outside" / "Dockerfile", repo / "linked.Dockerfile")
    make(repo, {"inner/Dockerfile": "FROM inner:1\n"})
    os.symlink(repo / "inner", repo / "alias")  # inside: still followed
    inventory = find_image_uses([repo], Config(), environ={}, root=repo)
    assert [u.written for u in inventory.uses] == ["a:1", "inner:1", "inner:1"]
    reasons = {p.file: p.reason for p in inventory.problems}
    assert reasons["host"] == "symlink to a folder outside the repository (/): skipped"
    assert "outside the repository" in reasons["sibling"]
    assert "symlink to a file outside the repository" in reasons["linked.Dockerfile"]


def test_pin_write_never_writes_outside_the_root(tmp_path: Path) -> None:
    """Even a file that resolves outside (reached some other way) is not rewritten."""
    from driftwatch.cli.pin import _rewrite
    from driftwatch.reference import parse_reference
    from driftwatch.sources import Inventory
    from driftwatch.usecases.pin import PinEdit

    make(tmp_path, {"outside/Dockerfile": "FROM alpine:3.20\n"})
    repo = tmp_path / "repo"
    repo.mkdir()
    os.symlink(tmp_path / "outside" / "Dockerfile", repo / "Dockerfile")
    digest = "sha256:" + "b" * 64
    edit = PinEdit(
        "Dockerfile", 1, 6, "alpine:3.20", f"alpine:3.20@{digest}", parse_reference("alpine:3.20")
    )
    _rewrite(Inventory((), (), repo), [edit], write=True, show_diff=False)
    assert (tmp_path / "outside" / "Dockerfile").read_text() == "FROM alpine:3.20\n"
