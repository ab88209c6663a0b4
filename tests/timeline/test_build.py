"""The report model from the replayed real tag history, and from small hand-made histories."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import date, datetime, timezone
from pathlib import Path

import pytest

from driftwatch.history import HistoryStore, ReferenceHistory
from driftwatch.lockfile import LockEntry, LockFile, LockUse
from driftwatch.models import BaseImageUse, DriftKind, OsRelease, UseKind
from driftwatch.reference import parse_reference
from driftwatch.releases import end_of_life, shipped_releases
from driftwatch.timeline.build import build_report, release_of
from tests.history.helpers import AMD, at, debian, observe
from tests.tag_history import expected_release_moves, history_rows
from tests.timeline.replay import replay

pytestmark = pytest.mark.slow  # replays three years of tag history once per module

NOW = datetime(2026, 12, 1, tzinfo=timezone.utc)


@pytest.fixture(scope="module")
def replayed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[HistoryStore]:
    store = HistoryStore.open(f"sqlite:///{tmp_path_factory.mktemp('replay') / 'h.db'}")
    replay(store)
    yield store
    store.close()


@pytest.fixture(scope="module")
def histories(replayed: HistoryStore) -> list[ReferenceHistory]:
    return replayed.histories(replayed.watched())


def test_bulk_histories_equal_the_per_reference_timeline(
    replayed: HistoryStore, histories: list[ReferenceHistory]
) -> None:
    assert len(histories) == 23
    for history in histories:
        bare = [replace(e, events=()) for e in replayed.timeline(history.reference)]
        assert list(history.entries) == bare
    events = [e for h in histories for e in h.events]
    everything = replayed.events()
    assert sorted(e.id for e in events) == sorted(
        e.id for e in everything if e.drift.kind is not DriftKind.DIGEST
    )
    changes = {(str(h.reference), t) for h in histories for t in h.changes}
    assert changes == {(str(e.drift.reference), e.drift.detected_at) for e in everything}


def test_the_model_holds_one_release_mark_per_release_move(
    histories: list[ReferenceHistory],
) -> None:
    report = build_report(histories, now=NOW, source="test")
    marks = {
        (ref.name, f"{m.at:%Y-%m-%dT%H:%M:%SZ}", m.old_release.label, m.new_release.label)
        for ref in report.references
        for m in ref.marks
        if m.kind is DriftKind.OS_RELEASE and m.old_release and m.new_release
    }
    assert marks == expected_release_moves(history_rows())
    assert sum(ref.release_moves for ref in report.references) == 31
    assert [r.key for r in report.releases] == [
        "buster",
        "bullseye",
        "bookworm",
        "trixie",
        "unknown",
    ]


def test_python_3_12_slim_bands_and_overview(histories: list[ReferenceHistory]) -> None:
    report = build_report(histories, now=NOW, source="test")
    [ref] = [r for r in report.references if r.name == "python:3.12-slim"]
    [row] = ref.rows
    assert [(b.release.key if b.release else None) for b in row.bands] == ["bookworm", "trixie"]
    switch = datetime(2025, 8, 11, 23, 47, 10, tzinfo=timezone.utc)
    assert row.bands[0].end == row.bands[1].start == switch
    assert row.current is not None and row.current.key == "trixie"
    assert ref.eol == date(2030, 6, 30)
    assert ref.last_move == datetime(2026, 8, 13, 19, 26, 54, tzinfo=timezone.utc)
    assert ref.days_since_move == (NOW - ref.last_move).days
    rows = [r for r in history_rows() if f"{r['image']}:{r['tag']}" == "python:3.12-slim"]
    assert len(row.ticks) == len(rows)  # every re-pointing is a new digest
    assert ref.moves == len(rows) - 1 and ref.release_moves == 1


def test_since_clips_the_period(histories: list[ReferenceHistory]) -> None:
    since = datetime(2025, 1, 1, tzinfo=timezone.utc)
    report = build_report(histories, now=NOW, since=since, source="test")
    assert report.start == since
    for ref in report.references:
        for row in ref.rows:
            assert all(band.start >= since for band in row.bands)
            assert all(tick.at >= since for tick in row.ticks)
        assert all(mark.at >= since for mark in ref.marks)
    assert sum(ref.release_moves for ref in report.references) == 15  # bookworm -> trixie


def test_alias_builds_are_an_undetermined_release(histories: list[ReferenceHistory]) -> None:
    report = build_report(histories, now=NOW, source="test")
    [ref] = [r for r in report.references if r.name == "debian:stable"]
    assert ref.rows[0].current is not None and ref.rows[0].current.key == "unknown"
    assert ref.eol is None


def test_end_of_life_table_has_a_source_per_entry() -> None:
    assert all(entry.source and entry.checked for entry in shipped_releases())
    bookworm = end_of_life("debian", "bookworm")
    assert bookworm is not None and bookworm.eol == date(2028, 6, 30)
    assert end_of_life("debian", None) is None and end_of_life("alpine", "x") is None
    assert release_of(debian("bullseye")).eol == date(2026, 8, 31)
    distroless = release_of(OsRelease("debian", "12"))  # no codename in its os-release
    assert distroless.key == "bookworm" and distroless.eol == date(2028, 6, 30)
    alpine = release_of(OsRelease("alpine", "3.20.3"))
    assert (alpine.key, alpine.label, alpine.eol) == (
        "alpine-3.20",
        "alpine 3.20",
        date(2026, 4, 1),
    )
    assert release_of(OsRelease("alpine", "3.14.1")).eol is None  # not in the calendar
    assert release_of(OsRelease("ubuntu", "24.04")).key == "noble"


def _store(tmp_path: Path) -> HistoryStore:
    return HistoryStore.open(f"sqlite:///{tmp_path / 'h.db'}")


def test_platforms_gaps_and_lock_state(tmp_path: Path) -> None:
    store = _store(tmp_path)
    ref = parse_reference("python:3.12-slim")
    run = store.start_run("manual")
    store.record(run, observe(ref, 0, "a", debian("bookworm")))
    store.record(run, observe(ref, 5, "b", debian("trixie"), platforms=(AMD,)))
    locked = observe(ref, 0, "a", debian("bookworm"))
    entry = LockEntry(ref, locked.digest or "", "", locked.platforms, (LockUse("Dockerfile", "x"),))
    use = BaseImageUse("Dockerfile", 3, 6, "python:3.12-slim", UseKind.FROM, ref)
    report = build_report(
        store.histories([ref]),
        now=at(10),
        source="t",
        lock=LockFile({ref: entry}),
        lockfile="driftwatch.lock",
        uses={ref: (use,)},
    )
    [one] = report.references
    assert [row.platform for row in one.rows] == ["linux/amd64", "linux/arm64/v8"]
    amd, arm = one.rows
    assert amd.current is not None and amd.current.key == "trixie"
    assert arm.current is None  # no longer served
    assert arm.bands[-1].release is None
    kinds = sorted(m.kind.value for m in one.marks)
    assert kinds == ["os-release", "platform-removed"]
    assert one.lock is not None and one.lock.status == "moved"
    assert "linux/amd64 locked on bookworm, now trixie" in one.lock.detail
    assert [(u.file, u.line) for u in one.uses] == [("Dockerfile", 3)]
    store.record(run, observe(ref, 6, "c", debian("trixie"), platforms=(AMD,)))
    latest = store.latest(ref)
    assert latest is not None and latest.digest is not None
    entry = LockEntry(ref, latest.digest, "", latest.platforms, ())
    again = build_report(store.histories([ref]), now=at(10), lock=LockFile({ref: entry}))
    assert again.references[0].lock is not None
    assert again.references[0].lock.status == "matches"
    store.close()


def test_a_vanished_tag_is_a_gap(tmp_path: Path) -> None:
    store = _store(tmp_path)
    ref = parse_reference("gone:1")
    run = store.start_run("manual")
    store.record(run, observe(ref, 0, "a", debian("bookworm")))
    from driftwatch.models import Observation

    store.record(run, Observation(ref, at(3), None))
    store.record(run, observe(ref, 6, "a2", debian("bookworm")))
    report = build_report(store.histories([ref]), now=at(7))
    [one] = report.references
    assert [(g.start, g.end) for g in one.gaps] == [(at(3), at(6))]
    assert {m.kind for m in one.marks} >= {DriftKind.TAG_VANISHED, DriftKind.TAG_REAPPEARED}
    assert one.lock is None
    store.close()


def test_more_references_than_one_query_chunk(tmp_path: Path) -> None:
    store = _store(tmp_path)
    run = store.start_run("manual")
    refs = [parse_reference(f"many/image{n:04d}:1") for n in range(701)]
    store.record_many(run, [observe(ref, 0, "a", debian("bookworm")) for ref in refs])
    store.record_many(run, [observe(ref, 1, "b", debian("trixie")) for ref in refs[::2]])
    wanted = list(reversed(refs)) + [parse_reference("never:seen")]
    histories = store.histories(wanted)
    assert [h.reference for h in histories] == list(reversed(refs))
    moved = sum(1 for h in histories if h.changes)
    assert moved == 351 and all(len(h.entries) == 2 * (1 + len(h.changes)) for h in histories)
    assert len(store.watched()) == 701
    store.close()


def test_the_lock_state_never_guesses(tmp_path: Path) -> None:
    from driftwatch.models import Observation

    store = _store(tmp_path)
    run = store.start_run("manual")
    gone, failed, rebuilt = (parse_reference(n) for n in ("gone:1", "failed:1", "rebuilt:1"))
    store.record(run, observe(gone, 0, "a", debian("bookworm")))
    store.record(run, Observation(gone, at(2), None))
    store.record_failure(run, failed, "registry down")
    store.record(run, observe(rebuilt, 0, "a", None))  # OS unknown when it was seen
    store.record(run, observe(rebuilt, 3, "b", debian("bookworm")))
    locked = observe(rebuilt, 0, "a", None)
    lock = LockFile(
        {
            gone: LockEntry(gone, "sha256:" + "1" * 64, "", (), ()),
            failed: LockEntry(failed, "sha256:" + "2" * 64, "", (), ()),
            rebuilt: LockEntry(rebuilt, locked.digest or "", "", locked.platforms, ()),
        }
    )
    report = build_report(store.histories([gone, failed, rebuilt]), now=at(5), lock=lock)
    states = {ref.name: ref.lock for ref in report.references}
    assert states["gone:1"] is not None and states["gone:1"].status == "moved"
    assert states["gone:1"].detail == "the tag was missing when last checked"
    assert states["failed:1"] is not None and states["failed:1"].status == "unchecked"
    assert states["rebuilt:1"] is not None
    assert states["rebuilt:1"].detail == "the digest moved since the lock"  # no OS claim
    store.close()
