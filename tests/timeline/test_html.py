"""The HTML page: valid HTML5 (html5lib, strict), self-contained, escaped, with its CSP intact."""

from __future__ import annotations

import base64
import hashlib
import re
from datetime import datetime, timezone
from pathlib import Path

import html5lib
import pytest

from driftwatch.history import HistoryStore
from driftwatch.timeline.build import build_report
from driftwatch.timeline.html import render_html
from driftwatch.timeline.markdown import render_markdown
from driftwatch.timeline.model import Report
from tests.timeline.replay import replay

pytestmark = pytest.mark.slow  # replays three years of tag history once per module

NOW = datetime(2026, 12, 1, tzinfo=timezone.utc)


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> Report:
    store = HistoryStore.open(f"sqlite:///{tmp_path_factory.mktemp('html') / 'h.db'}")
    replay(store)
    model = build_report(store.histories(store.watched()), now=NOW, source=store.url)
    store.close()
    return model


def _parse_strict(page: str) -> None:
    parser = html5lib.HTMLParser(strict=True, namespaceHTMLElements=False)
    parser.parse(page)  # raises html5lib.html5parser.ParseError on the first error


def test_the_page_is_valid_html5(report: Report) -> None:
    _parse_strict(render_html(report, version="1.0"))


def test_a_broken_page_would_fail_the_validity_check() -> None:
    with pytest.raises(html5lib.html5parser.ParseError):
        _parse_strict("<!DOCTYPE html><html><body><p><b>x</p></body></html>")


def test_the_page_names_nothing_outside_itself(report: Report) -> None:
    page = render_html(report)
    assert not re.search(r"""(src|href)=["'](?!#)""", page)
    assert "http://" not in page and "https://" not in page.split("<footer>")[0]
    assert "@import" not in page and "url(" not in page.replace("url(#hatch)", "")


def test_the_csp_allows_exactly_the_inline_style_and_script(report: Report) -> None:
    page = render_html(report)
    policy = re.search(r'http-equiv="Content-Security-Policy" content="([^"]+)"', page)
    assert policy is not None and "default-src 'none'" in policy.group(1)
    for tag in ("style", "script"):
        body = re.search(rf"<{tag}>(.*?)</{tag}>", page, re.S)
        assert body is not None
        digest = base64.b64encode(hashlib.sha256(body.group(1).encode()).digest()).decode()
        assert f"'sha256-{digest}'" in policy.group(1)


def test_every_mark_is_focusable_and_named(report: Report) -> None:
    page = render_html(report)
    marks = re.findall(r'<g class="mark ([a-z-]+)"([^>]*)>', page)
    assert sum(kind == "os-release" for kind, _ in marks) == 31
    assert all('tabindex="0"' in attrs and 'aria-label="' in attrs for _, attrs in marks)


def test_names_are_escaped(report: Report) -> None:
    from dataclasses import replace

    from driftwatch.timeline.model import Release

    evil = Release("x<y", "<b>", '"><script>', None)
    [first, *rest] = report.references
    row = replace(first.rows[0], current=evil)
    page = render_html(replace(report, references=(replace(first, rows=(row,)), *rest)))
    assert "<b>" not in page and '"><script>' not in page
    _parse_strict(page)


def test_the_file_stays_small(report: Report, tmp_path: Path) -> None:
    path = tmp_path / "report.html"
    path.write_text(render_html(report), encoding="utf-8")
    assert path.stat().st_size < 200_000  # 23 tags over four years


def test_markdown_overview(report: Report) -> None:
    text = render_markdown(report)
    lines = text.splitlines()
    table = [line for line in lines if line.startswith("| ")]
    assert len(table) == 2 + 23  # header, separator, one row per reference
    [row] = [line for line in table if "`python:3.12-slim`" in line]
    assert "trixie (linux/amd64)" in row and "2030-06-30" in row and "28 (1 release)" in row
    [old] = [line for line in table if "`debian:bookworm-slim`" in line]
    assert "2028-06-30" in old
