"""The timeline drawing: ticks merged so that big histories stay small, marks placed and named."""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

import html5lib
import pytest

from driftwatch.models import DriftKind
from driftwatch.reference import parse_reference
from driftwatch.timeline.html import render_html
from driftwatch.timeline.model import (
    Band,
    Mark,
    PlatformRow,
    ReferenceReport,
    Release,
    Report,
    Tick,
)
from driftwatch.timeline.svg import Scale, timeline_svg

T0 = datetime(2023, 1, 1, tzinfo=timezone.utc)
BOOKWORM = Release("bookworm", "bookworm", "Debian 12 (bookworm)")
TRIXIE = Release("trixie", "trixie", "Debian 13 (trixie)")


def _reference(name: str, ticks: list[datetime], days: int, platforms: int = 2) -> ReferenceReport:
    end = T0 + timedelta(days=days)
    middle = T0 + timedelta(days=days // 2)
    bands = (Band(T0, middle, BOOKWORM), Band(middle, end, TRIXIE))
    rows = tuple(
        PlatformRow(p, bands, tuple(Tick(t, f"sha256:{i:064x}") for i, t in enumerate(ticks)),
                    TRIXIE, "sha256:" + "f" * 64)
        for p in ("linux/amd64", "linux/arm64/v8")[:platforms]
    )  # fmt: skip
    mark = Mark(DriftKind.OS_RELEASE, middle, "linux/amd64", "sha256:" + "a" * 64,
                "sha256:" + "b" * 64, BOOKWORM, TRIXIE)  # fmt: skip
    return ReferenceReport(parse_reference(name), T0, end, rows, (), (mark,), len(ticks), 1,
                           end, 1)  # fmt: skip


def _ticks_of(svg: str) -> dict[str, str]:
    return dict(re.findall(r'<path class="(tick[a-z ]*)" d="([^"]*)"', svg))


def test_ticks_in_one_column_merge_into_one_bold_tick() -> None:
    scale = Scale(T0, T0 + timedelta(days=1000))
    hours = [T0 + timedelta(days=100, minutes=m) for m in (1, 2, 3)]
    spread = [T0 + timedelta(days=d) for d in (300, 500, 700)]
    svg = timeline_svg(_reference("a:1", hours + spread, 1000, 1), scale, "t")
    paths = _ticks_of(svg)
    assert paths["tick many"].count("M") == 1  # three digests within hours: one bold tick
    assert paths["tick"].count("M") == 3
    assert "tick dense" not in paths


def test_daily_rebuilds_become_one_bar() -> None:
    scale = Scale(T0, T0 + timedelta(days=1095))
    daily = [T0 + timedelta(days=d) for d in range(1095)]
    svg = timeline_svg(_reference("a:1", daily, 1095, 1), scale, "t")
    paths = _ticks_of(svg)
    assert paths["tick dense"].count("M") == 1 and "tick" not in paths
    assert 'aria-label="linux/amd64: 1095 digests;' in svg


@pytest.mark.slow
def test_200_references_rebuilt_daily_for_three_years_stay_under_2_mb() -> None:
    days = 3 * 365
    daily = [T0 + timedelta(days=d, hours=3) for d in range(days)]
    references = tuple(_reference(f"bench/image{n:03d}:1", daily, days) for n in range(200))
    report = Report(T0, T0, T0 + timedelta(days=days), None, references, (BOOKWORM, TRIXIE), "x")
    page = render_html(report)
    assert len(page.encode()) < 2_000_000
    assert page.count('class="mark os-release"') == 200
    html5lib.HTMLParser(strict=True).parse(page)


def test_a_point_release_mark_names_both_point_releases() -> None:
    from driftwatch.timeline.svg import mark_text

    mark = Mark(DriftKind.OS_POINT_RELEASE, T0, "linux/amd64", "sha256:" + "1" * 64,
                "sha256:" + "2" * 64, BOOKWORM, BOOKWORM, "12.5", "12.6")  # fmt: skip
    lines = mark_text("python:3.12-slim", mark)
    assert lines == [
        "os-point-release: python:3.12-slim (linux/amd64), 2023-01-01 00:00 UTC",
        "Debian 12 (bookworm), 12.5 -> Debian 12 (bookworm), 12.6",
        "sha256:111111111111 -> sha256:222222222222",
    ]


def test_bands_tell_their_release_dates_and_digests() -> None:
    scale = Scale(T0, T0 + timedelta(days=100))
    ticks = [T0 + timedelta(days=d) for d in (0, 10, 60, 70, 80)]
    svg = timeline_svg(_reference("a:1", ticks, 100, 1), scale, "t")
    tips = re.findall(r'<rect class="band [^"]*"[^>]*data-tip="([^"]*)"', svg)
    assert tips == [
        "Debian 12 (bookworm)\n2023-01-01 to 2023-02-20, 2 new digests",
        "Debian 13 (trixie)\n2023-02-20 to 2023-04-11, 3 new digests",
    ]
