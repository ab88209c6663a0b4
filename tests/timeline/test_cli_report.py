"""`driftwatch report` as a user runs it: files written, lock comparison, errors, exit codes."""

from __future__ import annotations

from pathlib import Path

import html5lib
import pytest

from driftwatch.history import HistoryStore
from driftwatch.lockfile import LockUse, entry_from_resolution, write_lock
from driftwatch.models import DriftKind
from tests.clirun import run_driftwatch
from tests.history.helpers import debian, observe

pytestmark = pytest.mark.slow  # each test replays a history and starts the CLI

REF = "python:3.11-slim"


def _history(url: str) -> None:
    """python:3.11-slim moved bullseye -> bookworm; node:20 was rebuilt once."""
    if url.startswith("postgresql"):
        HistoryStore.upgrade(url)
    store = HistoryStore.open(url)
    run = store.start_run("cron")
    store.record(run, observe(REF, 0, "b1", debian("bullseye")))
    store.record(run, observe(REF, 10, "b2", debian("bookworm")))
    store.record(run, observe("node:20", 0, "n1", debian("bookworm")))
    store.record(run, observe("node:20", 5, "n2", debian("bookworm")))
    store.finish_run(run, checked=2, drifts=3, errors=0)
    assert len(store.events(kind=DriftKind.OS_RELEASE)) == 2
    store.close()


def _repository(root: Path) -> None:
    """A repository whose lock still holds python:3.11-slim on bullseye."""
    (root / ".git").mkdir()
    (root / "Dockerfile").write_text("FROM python:3.11-slim\nRUN true\n")
    (root / "svc").mkdir()
    (root / "svc" / "Dockerfile").write_text("# syntax=docker/dockerfile:1\nFROM node:20 AS b\n")
    old = observe(REF, 0, "b1", debian("bullseye"))
    node = observe("node:20", 5, "n2", debian("bookworm"))
    write_lock(
        root / "driftwatch.lock",
        [
            entry_from_resolution(old, [LockUse("Dockerfile", REF)]),
            entry_from_resolution(node, [LockUse("svc/Dockerfile", "node:20")]),
        ],
    )


def test_html_and_markdown_with_the_lock(tmp_path: Path, db_url: str) -> None:
    _history(db_url)
    _repository(tmp_path)
    done = run_driftwatch(
        tmp_path, "report", "--db", db_url, "--html", "out.html", "--format", "markdown"
    )
    assert done.returncode == 0, done.stderr
    assert "out.html: 2 reference(s)" in done.stderr
    rows = {line.split(" | ")[0]: line for line in done.stdout.splitlines() if "`" in line}
    assert rows["| `python:3.11-slim`"].endswith("| 1 (1 release) | moved |")
    assert rows["| `node:20`"].endswith("| matches |")
    page = (tmp_path / "out.html").read_text()
    html5lib.HTMLParser(strict=True).parse(page)
    assert "<code>Dockerfile:1</code> <code>FROM python:3.11-slim</code>" in page
    assert "<code>svc/Dockerfile:2</code> <code>FROM node:20</code>" in page
    assert "linux/amd64 locked on bullseye, now bookworm" in page
    assert page.count('class="mark os-release"') == 2  # amd64 and arm64


def test_since_and_named_references(tmp_path: Path, sqlite_url: str) -> None:
    _history(sqlite_url)
    done = run_driftwatch(
        tmp_path, "report", "node:20", "--db", sqlite_url, "--since", "2024-01-03",
        "--format", "markdown", "--output", "o.md",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    text = (tmp_path / "o.md").read_text()
    assert "`node:20`" in text and "python" not in text and "2024-01-03 to" in text
    assert "| lock |" not in text  # no lock file in this folder


def test_mistakes_are_one_line_and_exit_2(tmp_path: Path, sqlite_url: str) -> None:
    _history(sqlite_url)
    cases = [
        (["report", "--db", sqlite_url], "--html FILE"),
        (["report", "--db", sqlite_url, "--format", "markdown", "nope:1"], "no history for"),
        (["report", "--db", sqlite_url, "--html", "x.html", "--since", "soon"], "--since"),
        (["report", "--db", sqlite_url, "--html", "no/such/dir/x.html"], "cannot write"),
        (["report", "--db", sqlite_url, "--html", "x.html", "--lockfile", "none"], "lock file"),
        (["report", "--db", sqlite_url, "--format", "markdown", "Bad::Ref"], "Bad::Ref"),
    ]
    for args, says in cases:
        done = run_driftwatch(tmp_path, *args)
        assert done.returncode == 2, (args, done.stderr)
        assert says in done.stderr and "Traceback" not in done.stderr
        assert len(done.stderr.strip().splitlines()) == 1, done.stderr


def test_an_empty_history_is_an_empty_report(tmp_path: Path, sqlite_url: str) -> None:
    done = run_driftwatch(tmp_path, "report", "--db", sqlite_url, "--format", "html")
    assert done.returncode == 0, done.stderr
    assert "nothing recorded yet" in done.stdout
    html5lib.HTMLParser(strict=True).parse(done.stdout)
