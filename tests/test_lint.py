"""Lint rules DW001-DW004, the OS-release heuristic of DW002, suppression and config disabling."""

from __future__ import annotations

from pathlib import Path

import pytest

from driftwatch.config import Config
from driftwatch.errors import ConfigError
from driftwatch.lint import IndexBook, lint
from driftwatch.lint.tagnames import is_os_based, names_os_release
from driftwatch.reference import parse_reference
from driftwatch.sources import Inventory, find_image_uses

D = "sha256:" + "b" * 64


def scan(tmp_path: Path, text: str) -> Inventory:
    (tmp_path / "Dockerfile").write_text(text)
    return find_image_uses([tmp_path], Config(), environ={}, root=tmp_path)


@pytest.mark.parametrize(
    ("reference", "needs_release"),
    [
        ("python:3.12-slim", True),
        ("python:3.12.3-slim-bookworm", False),
        ("node:20-alpine", True),
        ("node:20.11.1-alpine3.19", False),
        ("golang:1.22", True),
        ("golang:1.22-bullseye", False),
        ("debian:stable-slim", True),
        ("debian:12.5-slim", False),
        ("debian:trixie", False),
        ("ubuntu:rolling", True),
        ("ubuntu:24.04", False),
        ("ubuntu:jammy-20240227", False),
        ("python:3.10-slim-impish", False),  # the old lint table lacked groovy/hirsute/impish
        ("node:14-groovy", False),
        ("ubuntu:hirsute", False),
        ("alpine:edge", True),
        ("alpine:3.19.1", False),
        ("eclipse-temurin:21-jre", True),
        ("eclipse-temurin:21-jre-noble", False),
        ("amazoncorretto:21-al2023", False),
        ("amazonlinux:2023", False),
        ("nvidia/cuda:12.4.1-runtime-ubuntu22.04", False),
        ("mcr.microsoft.com/dotnet/aspnet:8.0", True),
        ("mcr.microsoft.com/dotnet/aspnet:8.0-bookworm-slim", False),
        ("cgr.dev/chainguard/python:latest", True),
        ("cgr.dev/chainguard/wolfi-base:latest", False),
        ("registry.access.redhat.com/ubi9/python-311:1-66", False),
        ("gcr.io/distroless/static-debian12:nonroot", False),
        ("ghcr.io/org/app:1.0", False),  # not OS-based as far as driftwatch knows
        ("docker/dockerfile:1", False),
    ],
)
def test_dw002_heuristic(reference: str, needs_release: bool) -> None:
    ref = parse_reference(reference)
    assert (is_os_based(ref) and not names_os_release(ref)) is needs_release


def test_every_rule_fires_with_position_and_fix(tmp_path: Path) -> None:
    inventory = scan(tmp_path, "ARG X\nFROM nginx\nFROM python:3.12-slim\nFROM $X\n")
    found = {(f.rule_id, f.line, f.column, f.severity) for f in lint(inventory)}
    assert found == {
        ("DW001", 2, 6, "error"),  # DW002 stays quiet: DW001 already says "no tag"
        ("DW003", 2, 6, "warning"),
        ("DW002", 3, 6, "warning"),
        ("DW003", 3, 6, "warning"),
        ("DW004", 4, 6, "error"),
    }
    assert all(f.help for f in lint(inventory))
    dw004 = next(f for f in lint(inventory) if f.rule_id == "DW004")
    assert "ARG X has no default" in dw004.message
    assert "`ARG X` a default naming the image" in dw004.help  # the fix for this reference
    assert "--build-arg X=<image>" in dw004.help


def test_pinned_exact_image_is_clean(tmp_path: Path) -> None:
    assert lint(scan(tmp_path, f"FROM python:3.12.3-slim-bookworm@{D}\n")) == []


def test_inline_and_config_suppression(tmp_path: Path) -> None:
    inventory = scan(
        tmp_path,
        "# driftwatch: ignore=DW003\nFROM python:3.12.3-slim-bookworm\n\n"
        "# driftwatch: ignore=dw002, DW003\nFROM python:3.12\n"
        "# unrelated comment\n\nFROM node:20\n",
    )
    assert {(f.rule_id, f.line) for f in lint(inventory)} == {("DW002", 8), ("DW003", 8)}
    assert {(f.rule_id, f.line) for f in lint(inventory, ["dw003"])} == {("DW002", 8)}
    with pytest.raises(ConfigError, match="DW999"):
        lint(inventory, ["DW999"])


def test_blank_line_breaks_the_suppression_comment(tmp_path: Path) -> None:
    inventory = scan(tmp_path, "# driftwatch: ignore\n\nFROM alpine:3.19\n")
    assert [f.rule_id for f in lint(inventory)] == ["DW003"]


def _locked_index() -> IndexBook:
    from driftwatch.lockfile import LockEntry
    from driftwatch.models import Platform, PlatformImage

    images = (
        PlatformImage(
            Platform("linux", "amd64"), AMD64, "application/vnd.oci.image.manifest.v1+json"
        ),
        PlatformImage(
            Platform("linux", "arm64", "v8"), ARM64, "application/vnd.oci.image.manifest.v1+json"
        ),
    )
    entry = LockEntry(
        parse_reference("python:3.12-slim-bookworm"),
        INDEX,
        "application/vnd.oci.image.index.v1+json",
        images,
        (),
    )
    single = LockEntry(
        parse_reference("alpine:3.19"),
        D,
        "application/vnd.oci.image.manifest.v1+json",
        (
            PlatformImage(
                Platform("linux", "amd64"), D, "application/vnd.oci.image.manifest.v1+json"
            ),
        ),
        (),
    )
    return IndexBook.from_lock([entry, single])


AMD64 = "sha256:" + "1" * 64
ARM64 = "sha256:" + "2" * 64
INDEX = "sha256:" + "3" * 64


def test_dw006_platform_digest_pinned_where_the_index_was_meant(tmp_path: Path) -> None:
    inventory = scan(
        tmp_path,
        f"FROM python:3.12-slim-bookworm@{ARM64} AS a\n"
        f"FROM python@{AMD64} AS b\n"  # no tag: the lock still knows whose platform it is
        f"FROM python:3.12-slim-bookworm@{INDEX} AS c\n"
        f"FROM alpine:3.19@{D}\n"  # a single-manifest tag: its digest is the image
        f"# driftwatch: ignore=DW006\nFROM python:3.12-slim-bookworm@{AMD64}\n",
    )
    found = [f for f in lint(inventory, indexes=_locked_index()) if f.rule_id == "DW006"]
    assert [(f.line, f.severity) for f in found] == [(1, "error"), (2, "error")]
    assert "pins the linux/arm64/v8 image of `python:3.12-slim-bookworm`" in found[0].message
    assert f"`python:3.12-slim-bookworm@{INDEX}`" in found[0].help
    assert f"`python@{INDEX}`" in found[1].help
    assert not [f for f in lint(inventory) if f.rule_id == "DW006"]  # no lock: nothing known
    assert not [f for f in lint(inventory, ["DW006"], _locked_index()) if f.rule_id == "DW006"]


def test_dw002_fix_names_a_locked_tag_at_the_same_digest(tmp_path: Path) -> None:
    from driftwatch.lockfile import LockEntry

    def entry(reference: str, digest: str) -> LockEntry:
        media = "application/vnd.oci.image.index.v1+json"
        return LockEntry(parse_reference(reference), digest, media, (), ())

    book = IndexBook.from_lock(
        [
            entry("python:3.12-slim", INDEX),
            entry("python:3.12.7-slim-bookworm", INDEX),
            entry("python:3.13-slim-bookworm", INDEX),  # another line: never suggested
            entry("node:20-slim", AMD64),
        ]
    )
    inventory = scan(
        tmp_path, f"FROM python:3.12-slim\nFROM python:3.12-slim@{INDEX}\nFROM node:20-slim\n"
    )
    found = {f.line: f.help for f in lint(inventory, indexes=book) if f.rule_id == "DW002"}
    assert found[1].startswith(
        "driftwatch.lock has `python:3.12.7-slim-bookworm` at the same digest: write that tag"
    )
    assert found[2].startswith("driftwatch.lock has `python:3.12.7-slim-bookworm`")
    assert (
        found[3]
        == "Add the release to the tag, e.g. `python:3.12-slim-bookworm`, `node:20-alpine3.19`."
    )
    assert "3.13" not in found[1] + found[2]
    assert all(
        f.help.startswith("Add the release") for f in lint(inventory) if f.rule_id == "DW002"
    )


def test_dw005_needs_a_lock_and_can_be_disabled(tmp_path: Path) -> None:
    from datetime import date

    from driftwatch.lint import EolCheck
    from driftwatch.lockfile import LockFile

    inventory = scan(tmp_path, "FROM python:3.12-slim-bookworm\n")
    assert not [f for f in lint(inventory) if f.rule_id == "DW005"]  # no lock: DW005 is off
    unlocked = lint(inventory, eol=EolCheck(LockFile({}), date(2026, 12, 6)))
    [note] = [f for f in unlocked if f.rule_id == "DW005"]
    assert note.severity == "note" and "not in the lock file" in note.message
    assert not [
        f
        for f in lint(inventory, ["dw005"], eol=EolCheck(LockFile({}), date(2026, 12, 6)))
        if f.rule_id == "DW005"
    ]


def test_dw005_an_entry_locked_without_platforms_is_unknown_not_supported(tmp_path: Path) -> None:
    from datetime import date

    from driftwatch.lint import EolCheck
    from driftwatch.lockfile import LockEntry, LockFile

    inventory = scan(tmp_path, "FROM python:3.12-slim-bookworm\n")
    media = "application/vnd.oci.image.index.v1+json"
    ref = parse_reference("python:3.12-slim-bookworm")
    lock = LockFile({ref: LockEntry(ref, INDEX, media, (), ())})
    [note] = [
        f for f in lint(inventory, eol=EolCheck(lock, date(2026, 12, 6))) if f.rule_id == "DW005"
    ]
    assert note.severity == "note" and "end of life is unknown" in note.message
