"""End of life from the OS DETECTED in real registry images (buster, bullseye, bookworm and a
release the calendar does not know): scan's os-eol events once per threshold, check's notice and
lint's DW005, each judged from a fixed day."""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from datetime import date
from pathlib import Path

import pytest

from driftwatch.config import Config, RegistrySettings
from driftwatch.eol import Calendar
from driftwatch.history import HistoryStore
from driftwatch.lint import EolCheck, lint
from driftwatch.lockfile import read_lock
from driftwatch.models import Drift, DriftKind, Level
from driftwatch.notify import Destination
from driftwatch.notify.message import route
from driftwatch.reference import ImageReference, parse_reference
from driftwatch.sources import find_image_uses
from driftwatch.usecases.scan import run_scan
from tests.e2e.scanning import run_cli, unique_repo, write_project
from tests.receivers import HttpReceiver
from tests.testbed.distros import app_files, debian_index, debian_testing_files
from tests.testbed.images import build_image
from tests.testbed.registry import RegistryServer, push_image, push_index

TODAY = date(2026, 12, 6)
RELEASES = ("buster", "bullseye", "bookworm")


@pytest.fixture
def store(tmp_path: Path) -> Iterator[HistoryStore]:
    opened = HistoryStore.open(f"sqlite:///{tmp_path / 'eol.db'}")
    yield opened
    opened.close()


def _push_all(registry: RegistryServer, repo: str, seed: str = "1") -> None:
    for codename in RELEASES:
        push_index(registry, f"library/{repo}", codename, debian_index(codename, seed=seed))
    testing = build_image([debian_testing_files("forky"), app_files(seed)])
    push_image(registry, f"library/{repo}", "forky", testing)


def _refs(repo: str) -> list[ImageReference]:
    return [parse_reference(f"{repo}:{tag}") for tag in (*RELEASES, "forky")]


def _eol(result_drifts: Mapping[ImageReference, tuple[Drift, ...]]) -> dict[str, str]:
    """Tag -> codename of the os-eol news a scan found."""
    return {
        ref.tag or "": drift.new.os.codename or ""
        for ref, drifts in result_drifts.items()
        for drift in drifts
        if drift.kind is DriftKind.OS_EOL and drift.new is not None and drift.new.os is not None
    }


def test_scan_tells_each_release_once_per_threshold(
    registry: RegistryServer, store: HistoryStore
) -> None:
    repo = unique_repo("eol")
    _push_all(registry, repo)
    config = Config(registries={"docker.io": RegistrySettings(endpoint=registry.url)})
    refs = _refs(repo)

    def scan(day: date) -> dict[str, str]:
        result = run_scan(refs, {}, config, store, trigger="cron", today=day)
        assert result.failures == ()
        assert all(d.kind.moves for d in result.failing("digest"))  # news, never a failure
        return _eol(result.drifts)

    assert scan(TODAY) == {"buster": "buster", "bullseye": "bullseye"}  # forky: not in calendar
    assert scan(TODAY) == {}  # the nightly scan does not re-alert
    assert scan(date(2028, 4, 15)) == {"bookworm": "bookworm"}  # 76 days before 2028-06-30
    assert scan(date(2028, 4, 16)) == {}
    assert scan(date(2028, 7, 1)) == {"bookworm": "bookworm"}  # unchanged image, now ended
    assert scan(date(2028, 7, 2)) == {}
    for codename in RELEASES:  # rebuilt on the same releases: no news again
        push_index(registry, f"library/{repo}", codename, debian_index(codename, seed="2"))
    assert scan(date(2028, 7, 3)) == {}

    stored = store.events(kind=DriftKind.OS_EOL)
    told = sorted(
        (e.drift.new.os.codename or "", e.drift.eol_state or "")
        for e in stored
        if e.drift.new and e.drift.new.os
    )
    assert told == [
        ("bookworm", "ended"),
        ("bookworm", "ending"),
        ("bullseye", "ended"),
        ("buster", "ended"),
    ]
    news = stored[0].drift
    assert news.route == "eol"
    assert route([news], [], Destination.from_url("json://localhost/", ["eol"]))[0] == [news]
    assert route([news], [], Destination.from_url("json://localhost/", ["release"]))[0] == []


def test_an_unchanged_image_hears_once_that_its_release_ends_and_once_that_it_ended(
    registry: RegistryServer, db_url: str
) -> None:
    """The nightly cron on an unchanged `3.11-slim-bullseye`: one alert when bullseye's window
    opens, one when it has ended, none on the nights between or after (SQLite and PostgreSQL)."""
    repo = unique_repo("eol")
    push_index(registry, f"library/{repo}", "3.11-slim-bullseye", debian_index("bullseye"))
    refs = [parse_reference(f"{repo}:3.11-slim-bullseye")]
    config = Config(registries={"docker.io": RegistrySettings(endpoint=registry.url)})
    HistoryStore.upgrade(db_url)
    store = HistoryStore.open(db_url)
    sent = []
    with HttpReceiver() as hook:  # apprise waits for the answer: a post is in before run_scan ends
        eol_only = Destination.from_url(hook.url(), ["eol"])
        for day in (date(2026, 7, 1), date(2026, 7, 2), date(2026, 9, 1), date(2026, 9, 2)):
            run_scan(refs, {}, config, store, trigger="cron", today=day, destinations=[eol_only])
            sent.append(len(hook.posts))
    store.close()
    assert sent == [1, 1, 2, 2]
    ending, ended = (post.json["message"] for post in hook.posts)
    assert "bullseye ends 2026-08-31 (LTS)" in ending and "ended" not in ending
    assert "bullseye ended 2026-08-31 (LTS)" in ended


def test_lint_dw005_and_the_check_notice_read_the_detected_os(
    tmp_path: Path, registry: RegistryServer
) -> None:
    repo = unique_repo("eol")
    _push_all(registry, repo)
    project = write_project(tmp_path / "p", registry.url, [])
    lines = [f"FROM {repo}:{tag} AS {tag}" for tag in (*RELEASES, "forky")]
    (project / "Dockerfile").write_text("\n".join(lines) + "\n")
    done = run_cli(project, "lock", ".")
    assert done.returncode == 0, done.stderr
    lock = read_lock(project / "driftwatch.lock")
    inventory = find_image_uses([project], config=Config(path=project / "driftwatch.toml"))

    found = lint(inventory, ["DW003"], eol=EolCheck(lock, TODAY, Calendar.shipped(), 90))
    dw005 = {f.line: (f.severity, f.message) for f in found if f.rule_id == "DW005"}
    assert dw005[1][0] is Level.ERROR and "buster ended 2024-06-30 (LTS)" in dw005[1][1]
    assert dw005[2][0] is Level.ERROR and "bullseye ended 2026-08-31 (LTS)" in dw005[2][1]
    assert 3 not in dw005  # bookworm: 572 days left
    assert dw005[4][0] is Level.NOTE and "end of life unknown" in dw005[4][1]
    later = lint(inventory, ["DW003"], eol=EolCheck(lock, date(2028, 5, 1), warn_days=90))
    assert [f.severity for f in later if f.rule_id == "DW005" and f.line == 3] == [Level.WARNING]
    off = lint(inventory, ["DW005"], eol=EolCheck(lock, TODAY))
    assert not [f for f in off if f.rule_id == "DW005"]

    check = run_cli(project, "check", ".", "--format", "json")
    notices = [f for f in json.loads(check.stdout)["findings"] if f["rule_id"] == "os-eol"]
    assert check.returncode == 0, check.stdout + check.stderr  # a notice never fails check
    # bookworm, supported for 572 more days, is not annotated on every PR; forky is unknown
    expected = {1: "warning", 2: "warning", 4: "note"}
    assert {f["line"]: f["severity"] for f in notices} == expected
    assert any("bullseye ended 2026-08-31 (LTS)" in f["message"] for f in notices)
