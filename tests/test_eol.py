"""The release table and the end-of-life calendar: lookups, arithmetic and a user's file."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from driftwatch.eol import Calendar, EolState, load_calendar
from driftwatch.errors import ConfigError
from driftwatch.models import OsRelease
from driftwatch.releases import (
    DEBIAN_TABLE_CHECKED,
    UBUNTU_CODENAMES,
    find_release,
    shipped_releases,
)

TODAY = date(2026, 12, 6)
CAL = Calendar.shipped()


def test_every_entry_has_a_source_and_a_check_date() -> None:
    assert all(r.source.startswith("https://") and r.checked for r in shipped_releases())
    assert all(
        r.security_end is None or r.eol is None or r.security_end < r.eol
        for r in shipped_releases()
    )
    assert date(2025, 12, 1) == DEBIAN_TABLE_CHECKED  # the hint horizon did not move


def test_the_table_knows_the_releases_lint_lacked() -> None:
    assert {"groovy", "hirsute", "impish"} <= set(UBUNTU_CODENAMES)


@pytest.mark.parametrize(
    ("os", "state", "days", "text"),
    [
        (
            OsRelease("debian", "10", "buster"),
            EolState.ENDED,
            -889,
            "buster ended 2024-06-30 (LTS)",
        ),
        (OsRelease("debian", "11", "bullseye"), EolState.ENDED, -97, "bullseye ended 2026-08-31"),
        (
            OsRelease("debian", "12", "bookworm"),
            EolState.SUPPORTED,
            572,
            "bookworm ends 2028-06-30",
        ),
        (OsRelease("debian", "12"), EolState.SUPPORTED, 572, "bookworm ends 2028-06-30 (LTS)"),
        (OsRelease("alpine", "3.21.3"), EolState.ENDED, -35, "alpine 3.21 ended 2026-11-01"),
        (OsRelease("alpine", "3.22.1"), EolState.SUPPORTED, 146, "alpine 3.22 ends 2027-05-01"),
        (OsRelease("rhel", "9.4"), EolState.SUPPORTED, 2003, "rhel 9 ends 2032-05-31"),
        (OsRelease("ubuntu", "24.04", "noble"), EolState.SUPPORTED, 907, "ESM until 2034-04-25"),
        (OsRelease("debian", None, "forky"), EolState.UNKNOWN, None, "forky: end of life unknown"),
        (OsRelease("wolfi", "20230201"), EolState.UNKNOWN, None, "Wolfi 20230201: end of"),
    ],
)
def test_status_from_a_fixed_day(
    os: OsRelease, state: EolState, days: int | None, text: str
) -> None:
    status = CAL.status(os, TODAY)
    assert (status.state, status.days_left) == (state, days)
    assert text in status.describe()


def test_the_warning_window_and_the_last_day() -> None:
    bookworm = OsRelease("debian", "12", "bookworm")
    assert CAL.status(bookworm, date(2028, 4, 1), 90).state is EolState.ENDING
    assert "in 90 days" in CAL.status(bookworm, date(2028, 4, 1), 90).describe()
    assert CAL.status(bookworm, date(2028, 3, 31), 90).state is EolState.SUPPORTED
    assert CAL.status(bookworm, date(2028, 6, 30), 90).state is EolState.ENDED
    assert CAL.status(bookworm, date(2028, 6, 29), 0).state is EolState.SUPPORTED


def test_a_user_calendar_extends_and_overrides(tmp_path: Path) -> None:
    path = tmp_path / "eol.toml"
    path.write_text(
        '[[releases]]\nos = "debian"\nversion = "14"\ncodename = "forky"\neol = 2032-06-30\n'
        'phase = "LTS"\nsource = "https://example.org/ours"\nchecked = 2026-12-01\n'
        '[[releases]]\nos = "alpine"\nversion = "3.21"\neol = 2027-01-01\n'
        'source = "https://example.org/ours"\nchecked = 2026-12-01\n',
        encoding="utf-8",
    )
    calendar = load_calendar(path)
    assert calendar.status(OsRelease("debian", None, "forky"), TODAY).state is EolState.SUPPORTED
    alpine = calendar.status(OsRelease("alpine", "3.21.0"), TODAY)
    assert (alpine.state, alpine.days_left) == (EolState.ENDING, 26)
    assert find_release("alpine", "3.21", None).eol == date(2026, 11, 1)  # shipped unchanged


def test_a_bad_calendar_is_a_config_error(tmp_path: Path) -> None:
    path = tmp_path / "eol.json"
    path.write_text(json.dumps({"releases": [{"os": "debian", "version": "9", "eol": "soon"}]}))
    with pytest.raises(ConfigError, match="eol"):
        load_calendar(path)
    with pytest.raises(ConfigError, match="cannot be read"):
        load_calendar(tmp_path / "missing.json")


def test_os_eol_news_reads_as_news_in_alerts_and_explanations() -> None:
    from datetime import datetime, timezone

    from driftwatch.eol import eol_drifts
    from driftwatch.models import Observation, Platform, PlatformImage
    from driftwatch.notify.message import compose
    from driftwatch.reference import parse_reference
    from driftwatch.usecases.explain import describe_drift

    ref = parse_reference("python:3.11-slim-bullseye")
    images = tuple(
        PlatformImage(
            Platform("linux", arch),
            f"sha256:{n * 64}",
            "m",
            os=OsRelease("debian", "11", "bullseye"),
        )
        for n, arch in (("a", "amd64"), ("b", "arm64"))
    )
    seen = Observation(
        ref, datetime(2026, 12, 6, tzinfo=timezone.utc), "sha256:" + "c" * 64, "i", images
    )
    [(drift, since)] = eol_drifts(seen, CAL, TODAY, 90)  # one per release, not per platform
    assert since == datetime(2026, 8, 31, tzinfo=timezone.utc) and drift.route == "eol"
    assert not eol_drifts(seen, CAL, date(2026, 1, 1), 90)  # 242 days before the end: quiet
    message = compose([drift], [], {}, markdown=False)
    assert message is not None
    assert message.title == "1 base image runs an OS release at or near its end of life"
    assert "bullseye ended 2026-08-31 (LTS)" in message.body
    assert (
        "Move to a supported release" in message.body and "Keep the old build" not in message.body
    )
    text = describe_drift(drift)
    assert "runs Debian 11 (bullseye): bullseye ended 2026-08-31 (LTS)." in text


def test_a_calendar_that_never_ends_is_refused_without_reading_it_all() -> None:
    """/dev/zero claims size 0 to stat(): only a capped read tells it is too large."""
    with pytest.raises(ConfigError, match="larger than 4 MiB"):
        load_calendar(Path("/dev/zero"))
