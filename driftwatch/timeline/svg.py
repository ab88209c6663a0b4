"""Draw one reference's timeline as inline SVG: release bands, digest ticks, event marks.

Time runs left to right on a shared scale, so every reference lines up with the others. Ticks
that would land in the same unit column are drawn as one (thicker) tick: a history of years of
nightly rebuilds stays a few kilobytes.
"""

from __future__ import annotations

from bisect import bisect_left
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timezone
from html import escape

from driftwatch.models import DriftKind
from driftwatch.timeline.model import Band, Mark, PlatformRow, ReferenceReport, Release
from driftwatch.timeline.palette import css_class

__all__ = ["WIDTH", "Scale", "mark_text", "timeline_svg"]

WIDTH = 1000  # viewBox units
LABEL = 118  # platform names on the left
RIGHT = 8
AXIS = 18  # year/month labels on top
ROW = 24  # one platform row: band, tick strip, gap
BAND = 15
TICK = 5
DENSE = 4  # this many neighbouring tick columns are drawn as one bar


@dataclass(frozen=True)
class Scale:
    """Maps moments of the report's period to x positions in viewBox units."""

    start: datetime
    end: datetime

    def x(self, moment: datetime) -> float:
        """The x position of `moment`, clamped to the plot."""
        span = (self.end - self.start).total_seconds() or 1.0
        share = (moment - self.start).total_seconds() / span
        return LABEL + max(0.0, min(1.0, share)) * (WIDTH - LABEL - RIGHT)


def timeline_svg(reference: ReferenceReport, scale: Scale, title_id: str) -> str:
    """The `<svg>` of one reference; `title_id` names the heading that labels it."""
    rows = reference.rows
    height = AXIS + ROW * max(1, len(rows)) + 2
    parts = [
        f'<svg class="timeline" viewBox="0 0 {WIDTH} {height}" role="group" '
        f'aria-labelledby="{title_id}">',
        _axis(scale, height),
    ]
    for index, row in enumerate(rows):
        parts.append(_row(row, scale, AXIS + index * ROW))
    if not rows:
        parts.append(f'<text class="empty" x="{LABEL}" y="{AXIS + 14}">no platform recorded</text>')
    parts += [_gap(band, scale, height) for band in reference.gaps]
    parts += [_mark(reference, mark, scale, rows) for mark in reference.marks]
    parts.append("</svg>")
    return "".join(parts)


def _axis(scale: Scale, height: int) -> str:
    """Month or quarter grid lines and year labels (month labels on short periods)."""
    months = list(_months(scale.start, scale.end))
    step = 1 if len(months) <= 40 else 3
    lines, labels = [], []
    for moment in months:
        x = _fmt(scale.x(moment))
        if moment.month == 1:
            lines.append(f"M{x} 12V{height}")
            labels.append(f'<text class="year" x="{x}" y="10">{moment.year}</text>')
        elif (moment.month - 1) % step == 0:
            lines.append(f"M{x} {AXIS}V{height}")
            if len(months) <= 18:
                name = moment.strftime("%b")
                labels.append(f'<text class="month" x="{x}" y="10">{name}</text>')
    start_label = scale.start.strftime("%Y-%m-%d")
    labels.append(f'<text class="edge" x="{LABEL - 4}" y="10">{start_label}</text>')
    grid = f'<path class="grid" d="{"".join(lines)}"/>' if lines else ""
    return f'<g aria-hidden="true">{grid}{"".join(labels)}</g>'


def _months(start: datetime, end: datetime) -> Iterator[datetime]:
    """First instants of each month after `start` up to `end`."""
    year, month = start.year, start.month
    while True:
        month += 1
        if month == 13:
            year, month = year + 1, 1
        moment = datetime(year, month, 1, tzinfo=timezone.utc)
        if moment > end:
            return
        yield moment


def _row(row: PlatformRow, scale: Scale, top: int) -> str:
    """One platform: its name, release bands with labels, and the digest ticks below them."""
    label = _row_label(row)
    name = escape(row.platform)
    parts = [
        f'<g class="row" role="img" aria-label="{escape(label)}" data-platform="{name}">',
        f'<text class="platform" x="{LABEL - 6}" y="{top + 12}">{name}</text>',
        *(_band(band, scale, top, _digests_in(row, band)) for band in row.bands),
        _ticks(row, scale, top + BAND + 1),
        "</g>",
    ]
    return "".join(parts)


def _row_label(row: PlatformRow) -> str:
    """The accessible name of a row: the release stretches and the number of digests."""
    stretches = ", ".join(
        f"{band.release.name if band.release else 'not served'} "
        f"from {band.start:%Y-%m-%d} to {band.end:%Y-%m-%d}"
        for band in row.bands
    )
    count = len(row.ticks)
    return f"{row.platform}: {count} digest{'s' if count != 1 else ''}; {stretches}"


def _digests_in(row: PlatformRow, band: Band) -> int:
    """How many of the row's digests were first seen during the band."""
    times = [tick.at for tick in row.ticks]  # oldest first
    return bisect_left(times, band.end) - bisect_left(times, band.start)


def _band(band: Band, scale: Scale, top: int, digests: int) -> str:
    """A release band (or a hatched `not served` band) with its label when there is room;
    hovering it tells the release, the dates and how many digests it saw."""
    x0, x1 = scale.x(band.start), scale.x(band.end)
    width = max(x1 - x0, 0.6)
    release = band.release
    kind = f"band {css_class(release.key)}" if release else "band gone"
    name = release.name if release else "not served"
    tip = (
        f"{name}\n{band.start:%Y-%m-%d} to {band.end:%Y-%m-%d}, "
        f"{digests} new digest{'s' if digests != 1 else ''}"
    )
    data = (
        f' data-release="{escape(release.key if release else "none")}" '
        f'data-start="{_iso(band.start)}" '
        f'data-end="{_iso(band.end)}" data-tip="{escape(tip)}"'
    )
    rect = (
        f'<rect class="{kind}"{data} x="{_fmt(x0)}" y="{top}" width="{_fmt(width)}" '
        f'height="{BAND}"/>'
    )
    text = release.label if release else "not served"
    if width < len(text) * 6.2 + 14:
        return rect
    return f'{rect}<text class="blabel" x="{_fmt(x0 + 10)}" y="{top + 11}">{escape(text)}</text>'


def _ticks(row: PlatformRow, scale: Scale, top: int) -> str:
    """Digest ticks, at most one per unit column (bold when it stands for several digests);
    runs of DENSE or more neighbouring columns become one solid bar (daily rebuilds)."""
    columns = Counter(round(scale.x(tick.at)) for tick in row.ticks)
    single: list[str] = []
    many: list[str] = []
    bars: list[str] = []
    for run in _runs(sorted(columns)):
        if len(run) >= DENSE:
            bars.append(f"M{run[0]} {top}h{run[-1] - run[0] + 1}v{TICK}H{run[0]}z")
            continue
        for x in run:
            (many if columns[x] > 1 else single).append(f"M{x} {top}v{TICK}")
    paths = (("tick", single), ("tick many", many), ("tick dense", bars))
    return "".join(f'<path class="{css}" d="{"".join(d)}"/>' for css, d in paths if d)


def _runs(columns: list[int]) -> Iterator[list[int]]:
    """Sorted columns split into runs of neighbours (each one more than the last)."""
    run: list[int] = []
    for x in columns:
        if run and x != run[-1] + 1:
            yield run
            run = []
        run.append(x)
    if run:
        yield run


def _gap(band: Band, scale: Scale, height: int) -> str:
    """A span when the whole tag was missing, hatched across every row."""
    x0, x1 = scale.x(band.start), scale.x(band.end)
    return (
        f'<rect class="gap" data-start="{_iso(band.start)}" data-end="{_iso(band.end)}" '
        f'x="{_fmt(x0)}" y="{AXIS}" width="{_fmt(max(x1 - x0, 0.6))}" height="{height - AXIS}"/>'
    )


def _mark(
    reference: ReferenceReport, mark: Mark, scale: Scale, rows: tuple[PlatformRow, ...]
) -> str:
    """A focusable event mark whose accessible name and tooltip tell the whole event."""
    platforms = [row.platform for row in rows]
    index = platforms.index(mark.platform) if mark.platform in platforms else None
    y = AXIS + (index if index is not None else 0) * ROW + BAND / 2
    x = _fmt(scale.x(mark.at))
    lines = mark_text(reference.name, mark)
    shape = _SHAPES.get(mark.kind, _SHAPES[DriftKind.DIGEST]).format(x=x, y=_fmt(y))
    title = escape("\n".join(lines))
    return (
        f'<g class="mark {mark.kind.value}" tabindex="0" role="img" '
        f'aria-label="{escape(", ".join(lines))}" data-kind="{mark.kind.value}" '
        f'data-at="{_iso(mark.at)}" data-tip="{title}"><title>{title}</title>{shape}</g>'
    )


_SHAPES = {
    DriftKind.OS_RELEASE: '<path class="shape" d="M{x} {y}m0 -8l8 8l-8 8l-8 -8z"/>',
    DriftKind.OS_POINT_RELEASE: '<circle class="shape" cx="{x}" cy="{y}" r="4.5"/>',
    DriftKind.PLATFORM_ADDED: '<path class="shape" d="M{x} {y}m0 -6l6 10h-12z"/>',
    DriftKind.PLATFORM_REMOVED: '<path class="shape" d="M{x} {y}m0 6l6 -10h-12z"/>',
    DriftKind.TAG_VANISHED: '<path class="shape" d="M{x} {y}m-5 -5h10v10h-10z"/>',
    DriftKind.TAG_REAPPEARED: '<path class="shape" d="M{x} {y}m-5 -5h10v10h-10z"/>',
    DriftKind.DIGEST: '<circle class="shape" cx="{x}" cy="{y}" r="3"/>',
    DriftKind.OS_EOL: '<path class="shape" d="M{x} {y}m-6 -6l12 12m0 -12l-12 12"/>',
}


def mark_text(name: str, mark: Mark) -> list[str]:
    """Lines telling an event: what, where and when; old -> new release; old -> new digest."""
    where = f"{name} ({mark.platform})" if mark.platform else name
    lines = [f"{mark.kind.value}: {where}, {mark.at:%Y-%m-%d %H:%M} UTC"]
    if mark.old_release or mark.new_release:
        old = _release_name(mark.old_release, mark.old_point)
        lines.append(f"{old} -> {_release_name(mark.new_release, mark.new_point)}")
    if mark.old_digest or mark.new_digest:
        lines.append(f"{_short(mark.old_digest)} -> {_short(mark.new_digest)}")
    return lines


def _release_name(release: Release | None, point: str | None) -> str:
    """`Debian 12 (bookworm)`, with `, 12.5` when the point release is known."""
    if release is None:
        return "none"
    return f"{release.name}, {point}" if point else release.name


def _short(digest: str | None) -> str:
    """`sha256:` and 12 hex digits, or `none`."""
    if not digest:
        return "none"
    algorithm, _, hexpart = digest.partition(":")
    return f"{algorithm}:{hexpart[:12]}"


def _iso(moment: datetime) -> str:
    """ISO 8601 UTC with a Z, seconds precision (data attributes, machine-readable)."""
    utc = moment.astimezone(timezone.utc).replace(microsecond=0)
    return utc.isoformat().replace("+00:00", "Z")


def _fmt(value: float) -> str:
    """A coordinate with at most one decimal and no trailing `.0`."""
    text = f"{value:.1f}"
    return text[:-2] if text.endswith(".0") else text
