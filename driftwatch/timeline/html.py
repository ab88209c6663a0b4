"""Render the report model as one self-contained HTML page (inline CSS, SVG and a small script).

The page names no URL outside itself, and its Content-Security-Policy lets it load nothing: it
can be opened from an artifact store, a mail attachment or a laptop with no network.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Iterable
from datetime import date
from html import escape

from driftwatch.timeline.model import ReferenceReport, Release, Report
from driftwatch.timeline.palette import colour, css_class
from driftwatch.timeline.static import SCRIPT, STYLE
from driftwatch.timeline.svg import Scale, mark_text, timeline_svg
from driftwatch.timeline.words import (
    eol_words,
    last_move_words,
    lock_words,
    moves_words,
    now_on,
)

__all__ = ["render_html"]


def render_html(report: Report, *, version: str = "") -> str:
    """The whole page as a string."""
    style = STYLE + _release_css(report.releases)
    csp = (
        f"default-src 'none'; style-src {_hash(style)}; script-src {_hash(SCRIPT)}; "
        "img-src 'none'; base-uri 'none'; form-action 'none'"
    )
    scale = Scale(report.start, report.end)
    body = [
        _header(report),
        "<main>\n",
        _legend(report),
        _overview(report),
        *(_section(index, ref, report, scale) for index, ref in enumerate(report.references)),
        "</main>\n",
        _footer(report, version),
    ]
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        f'<meta http-equiv="Content-Security-Policy" content="{csp}">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        '<meta name="color-scheme" content="light dark">\n'
        f"<title>driftwatch history report, {report.generated_at:%Y-%m-%d}</title>\n"
        f"<style>{style}</style>\n</head>\n<body>\n"
        f"{_defs()}\n"
        f"{''.join(body)}\n"
        '<div id="tip" class="tip" role="tooltip" hidden></div>\n'
        f"<script>{SCRIPT}</script>\n</body>\n</html>\n"
    )


def _hash(text: str) -> str:
    """The CSP source allowing exactly this inline text."""
    digest = base64.b64encode(hashlib.sha256(text.encode()).digest()).decode()
    return f"'sha256-{digest}'"


def _release_css(releases: Iterable[Release]) -> str:
    """One colour variable per release class."""
    return "".join(f".{css_class(r.key)}{{--c:{colour(r.key)}}}" for r in releases) + "\n"


def _defs() -> str:
    """The hatch pattern for spans with nothing served."""
    return (
        '<svg class="defs" aria-hidden="true" focusable="false"><defs>'
        '<pattern id="hatch" width="6" height="6" patternUnits="userSpaceOnUse" '
        'patternTransform="rotate(45)"><rect width="6" height="6" fill="transparent"/>'
        '<path d="M0 0v6" stroke="#8a8f98" stroke-width="2"/></pattern></defs></svg>'
    )


def _header(report: Report) -> str:
    period = f"{report.start:%Y-%m-%d} to {report.end:%Y-%m-%d}"
    count = len(report.references)
    lock = f" · lock file <code>{escape(report.lockfile)}</code>" if report.lockfile else ""
    return (
        "<header>\n<h1>driftwatch: base image history</h1>\n"
        f'<p class="meta">{count} reference{"s" if count != 1 else ""} · {period} · '
        f"generated {report.generated_at:%Y-%m-%d %H:%M} UTC from "
        f"<code>{escape(report.source)}</code>{lock}</p>\n</header>\n"
    )


def _legend(report: Report) -> str:
    items = [
        f'<li><span class="sw {css_class(r.key)}"></span>{escape(r.name)}{_eol_note(r)}</li>'
        for r in report.releases
    ]
    items += [
        '<li><span class="sw gone"></span>not served</li>',
        "<li>▮ ticks: a new digest (bold: several in a day; a bar: one every day)</li>",
        '<li><span class="bad">◆</span> OS release moved</li>',
        "<li>● point release · ▲▼ platform added/removed · ■ tag vanished/back</li>",
    ]
    return f'<ul class="legend" aria-label="Legend">{"".join(items)}</ul>\n'


def _eol_note(release: Release) -> str:
    return f" <small>(EOL {release.eol:%Y-%m-%d})</small>" if release.eol else ""


def _overview(report: Report) -> str:
    locked = report.lockfile is not None
    head = [
        ("Reference", "text"),
        ("Now on (per platform)", "text"),
        ("Last move", "num"),
        ("End of life", "num"),
        ("Moves in period", "num"),
    ] + ([("Lock", "text")] if locked else [])
    header = "".join(
        f'<th scope="col" data-type="{kind}"><button type="button">{name}</button></th>'
        for name, kind in head
    )
    rows = "".join(
        _overview_row(index, ref, report, locked) for index, ref in enumerate(report.references)
    )
    if not report.references:
        empty = "nothing recorded yet: run <code>driftwatch scan</code>"
        rows = f'<tr><td colspan="{len(head)}">{empty}</td></tr>'
    return (
        '<h2 id="overview-title">Overview</h2>\n'
        '<div class="scroll"><table id="overview" aria-labelledby="overview-title">'
        f"<thead><tr>{header}</tr></thead><tbody>{rows}</tbody></table></div>\n"
    )


def _overview_row(index: int, ref: ReferenceReport, report: Report, locked: bool) -> str:
    now = "".join(_now_line(release, platforms) for release, platforms in now_on(ref)) or "-"
    first_release = next((row.current.label for row in ref.rows if row.current), "")
    cells = [
        f'<td data-v="{escape(ref.name)}"><a href="#ref-{index}">{escape(ref.name)}</a></td>',
        f'<td data-v="{escape(first_release)}">{now}</td>',
        _last_move_cell(ref),
        _eol_cell(ref.eol, report.generated_at.date()),
        f'<td class="num" data-v="{ref.moves}">{escape(moves_words(ref))}</td>',
    ]
    if locked:
        cells.append(_lock_cell(ref))
    return f"<tr>{''.join(cells)}</tr>"


def _now_line(release: Release | None, platforms: list[str]) -> str:
    """`[swatch] bookworm linux/amd64, linux/arm64/v8`."""
    swatch = f'<span class="sw {css_class(release.key)}"></span>' if release else ""
    name = escape(release.label) if release else '<span class="sw gone"></span> not served'
    where = escape(", ".join(platforms))
    return f'<span class="now">{swatch} {name} <span class="plat">{where}</span></span>'


def _last_move_cell(ref: ReferenceReport) -> str:
    days = 999999 if ref.days_since_move is None else ref.days_since_move
    return f'<td class="num" data-v="{days}">{escape(last_move_words(ref))}</td>'


def _eol_cell(eol: date | None, today: date) -> str:
    text, level = eol_words(eol, today)
    left = 999999 if eol is None else (eol - today).days
    return f'<td class="num" data-v="{left}"><span class="{level}">{escape(text)}</span></td>'


def _lock_cell(ref: ReferenceReport) -> str:
    state = ref.lock
    if state is None:
        return '<td data-v="">-</td>'
    css = {"matches": "good", "moved": "bad", "unchecked": "soon"}.get(state.status, "")
    return f'<td data-v="{state.status}"><span class="{css}">{lock_words(state)}</span></td>'


def _section(index: int, ref: ReferenceReport, report: Report, scale: Scale) -> str:
    title_id = f"ref-{index}-title"
    since = f"watched {ref.first_seen:%Y-%m-%d} to {ref.last_seen:%Y-%m-%d}"
    return (
        f'<section class="ref" id="ref-{index}" aria-labelledby="{title_id}">'
        f'<header><h2 id="{title_id}">{escape(ref.name)}</h2>'
        f'<span class="meta mono">{escape(str(ref.reference))}</span>'
        f'<span class="meta">{since}</span></header>'
        f"{_uses(ref, report)}"
        f'<div class="scroll">{timeline_svg(ref, scale, title_id)}</div>'
        f"{_events(ref)}</section>\n"
    )


def _uses(ref: ReferenceReport, report: Report) -> str:
    """Where the repository names the reference, and whether the lock still matches."""
    if report.lockfile is None:
        return ""
    sites = ", ".join(
        f"<code>{escape(site.file)}{f':{site.line}' if site.line else ''}</code> "
        f"<code>{escape(_written(site.kind, site.written))}</code>"
        for site in ref.uses
    )
    state = ref.lock
    if not sites and (state is None or state.status == "not-locked"):
        return '<p class="meta uses">not used by this repository, not locked</p>'
    used = f"Used by {sites}" if sites else '<span class="meta">not used by this repository</span>'
    lock = ""
    if state is not None:
        css = {"matches": "good", "moved": "bad", "unchecked": "soon"}.get(state.status, "meta")
        lock = f' · lock: <span class="{css}">{escape(state.detail)}</span>'
    return f'<p class="uses">{used}{lock}</p>'


def _written(kind: str, written: str) -> str:
    """The use as the file says it: `FROM python:3.12-slim`, `COPY --from=...`, `image: ...`."""
    prefix = {"from": "FROM ", "copy-from": "COPY --from=", "mount-from": "RUN --mount=from="}
    if kind == "compose":
        return f"image: {written}"
    return prefix.get(kind, "") + written


def _events(ref: ReferenceReport) -> str:
    """The marks as a table: the timeline's text alternative, and what prints."""
    if not ref.marks:
        return ""
    rows = "".join(
        f"<tr><td>{mark.at:%Y-%m-%d %H:%M}</td><td>{mark.kind.value}</td>"
        f"<td>{escape(' · '.join(mark_text(ref.name, mark)[1:]))}</td></tr>"
        for mark in ref.marks
    )
    count = len(ref.marks)
    return (
        f"<details><summary>{count} event{'s' if count != 1 else ''} besides rebuilds</summary>"
        '<table><thead><tr><th scope="col">UTC</th><th scope="col">kind</th>'
        f'<th scope="col">change</th></tr></thead><tbody>{rows}</tbody></table></details>'
    )


def _footer(report: Report, version: str) -> str:
    sources = sorted({r.eol_source for r in report.releases if r.eol_source})
    eol = "".join(f"<li>{escape(source)}</li>" for source in sources)
    eol_text = f"<p>End-of-life dates:</p><ul>{eol}</ul>" if eol else ""
    made = f"driftwatch {escape(version)}" if version else "driftwatch"
    return f"<footer><p>Made by {made}.</p>{eol_text}</footer>\n"
