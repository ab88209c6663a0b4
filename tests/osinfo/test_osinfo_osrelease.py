"""os-release parsing, point releases, release lines and the Debian/Ubuntu tables."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from driftwatch.drift import os_change
from driftwatch.models import DriftKind, OsRelease
from driftwatch.osinfo.osrelease import parse_os_release, release_from_files, release_line
from driftwatch.releases import (
    DEBIAN_TABLE_CHECKED,
    debian_suite,
    ubuntu_by_codename,
    ubuntu_by_version,
)


def at(day: str) -> datetime:
    return datetime.fromisoformat(day).replace(tzinfo=timezone.utc)


def test_parse_quotes_comments_and_junk() -> None:
    text = "# c\nNAME=\"Debian GNU/Linux\"\nID=debian\nVERSION='12 (bookworm)'\nbad line\nlower=x\nEMPTY=\n"
    assert parse_os_release(text) == {
        "NAME": "Debian GNU/Linux",
        "ID": "debian",
        "VERSION": "12 (bookworm)",
        "EMPTY": "",
    }


def test_unbalanced_quote_is_kept_not_fatal() -> None:
    assert parse_os_release('PRETTY_NAME="Broken\n')["PRETTY_NAME"] == "Broken"


def test_debian_point_release_from_debian_version() -> None:
    text = 'ID=debian\nVERSION_ID="12"\nVERSION_CODENAME=bookworm\n'
    release = release_from_files(text, "x", {"etc/debian_version": "12.5\n"})
    assert (release.point_release, release.describe()) == ("12.5", "Debian 12 (bookworm)")
    assert (
        release_from_files(text, "x", {"etc/debian_version": "bookworm/sid"}).point_release is None
    )


def test_distroless_codename_from_version_parentheses() -> None:
    text = 'PRETTY_NAME="Distroless"\nID=debian\nVERSION_ID="12"\nVERSION="Debian GNU/Linux 12 (bookworm)"\n'
    assert release_from_files(text, "x").codename == "bookworm"


def test_wolfi_is_rolling() -> None:
    release = release_from_files('ID=wolfi\nVERSION_ID="20230201"\n', "x")
    assert (release.version_id, release.point_release, release_line(release)) == (
        "rolling",
        "20230201",
        "wolfi rolling",
    )


@pytest.mark.parametrize(
    "text",
    [
        # Chainguard images are Wolfi-based and say ID=chainguard (OSV's "Chainguard" ecosystem;
        # a test table of Go OS-release parsing in the public corpus has this exact text)
        'ID=chainguard\nNAME="Chainguard"\nVERSION_ID="20230214"\n',
        # openSUSE Tumbleweed: a snapshot date, rebuilt daily (os-release of opensuse/tumbleweed)
        'NAME="openSUSE Tumbleweed"\nID="opensuse-tumbleweed"\nVERSION_ID="20240612"\n',
    ],
)
def test_a_date_as_version_id_is_a_rolling_snapshot_not_a_release(text: str) -> None:
    """Each rebuild carries a new date: read as a release, every rebuild would be an OS move."""
    release = release_from_files(text, "x")
    assert release.version_id == "rolling" and release.point_release in text
    assert release_line(release) == f"{release.id} rolling"


@pytest.mark.parametrize(
    ("release", "line"),
    [
        (OsRelease("debian", "12", "bookworm"), "debian bookworm"),
        (OsRelease("debian", None, "forky"), "debian forky"),
        (OsRelease("alpine", "3.19.1"), "alpine 3.19"),
        (OsRelease("rhel", "9.4"), "rhel 9"),
        (OsRelease("ubuntu", "24.04", "noble"), "ubuntu noble"),
        (OsRelease("amzn", "2023"), "amzn 2023"),
        (OsRelease(None), None),
    ],
)
def test_release_line(release: OsRelease, line: str | None) -> None:
    assert release_line(release) == line


@pytest.mark.parametrize(
    ("suite", "day", "expected"),
    [
        ("stable", "2019-07-05", ("9", "stretch")),
        ("stable", "2019-07-06", ("10", "buster")),
        ("stable", "2023-06-09", ("11", "bullseye")),
        ("stable", "2023-06-10", ("12", "bookworm")),
        ("stable", "2025-08-08", ("12", "bookworm")),
        ("stable", "2025-08-09", ("13", "trixie")),
        ("oldstable", "2025-09-01", ("12", "bookworm")),
        ("oldoldstable", "2025-09-01", ("11", "bullseye")),
        ("testing", "2025-06-10", (None, "trixie")),
        ("testing", "2025-09-01", (None, "forky")),
        ("unstable", "2025-09-01", (None, "sid")),
        ("bookworm", "2022-01-01", (None, "bookworm")),  # not yet released then
        ("bookworm", "2024-01-01", ("12", "bookworm")),
        ("nonsense", "2024-01-01", None),
    ],
)
def test_debian_suites_by_date(
    suite: str, day: str, expected: tuple[str | None, str] | None
) -> None:
    assert debian_suite(suite, at(day)) == expected


def test_alias_without_a_date_is_not_guessed() -> None:
    assert debian_suite("stable", None) is None


def test_alias_after_the_day_the_table_was_checked_is_not_believed() -> None:
    later = datetime.combine(DEBIAN_TABLE_CHECKED, datetime.min.time(), timezone.utc)
    assert debian_suite("stable", later) == ("13", "trixie")
    for suite in ("stable", "oldstable", "testing"):
        assert debian_suite(suite, later + timedelta(days=1)) is None
        assert debian_suite(suite, at("2027-09-01")) is None  # forky may be stable by then
    assert debian_suite("trixie", at("2027-09-01")) == ("13", "trixie")  # a codename is a fact


def test_ubuntu_tables() -> None:
    assert ubuntu_by_codename("Noble") == "24.04"
    assert ubuntu_by_version("22.04.4") == "jammy"
    assert ubuntu_by_version("99.04") is None


@pytest.mark.parametrize(
    ("old", "new"),
    [
        # alpine:edge os-release as recorded in abcdesktopio's image docs and on Alpine boards;
        # quay/clair's alpine detector test uses the same shape (`3.14.0_alpha20210212`)
        ("3.18_alpha20230329", "3.18_alpha20230410"),
        ("3.21.0_alpha20240807", "3.21.0_alpha20241010"),
    ],
)
def test_alpine_edge_is_one_release_whatever_its_snapshot(old: str, new: str) -> None:
    """Alpine edge is rolling: each snapshot carries a dated `_alpha` VERSION_ID. Read as a
    release, every rebuild of an edge image would be an OS release move."""

    def edge(version: str) -> OsRelease:
        text = f'NAME="Alpine Linux"\nID=alpine\nVERSION_ID={version}\nPRETTY_NAME="Alpine Linux edge"\n'
        return release_from_files(text, "x", {"etc/alpine-release": f"{version}\n"})

    before, after = edge(old), edge(new)
    assert before.codename == "edge" and release_line(before) == "alpine edge"
    assert os_change(before, after) is DriftKind.OS_POINT_RELEASE
