"""HistoryStore on a real SQLite file and a real PostgreSQL database."""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

import pytest

from driftwatch.aliases import Aliases
from driftwatch.errors import StoreError
from driftwatch.history import HistoryStore
from driftwatch.models import DriftKind, Observation, PlatformImage
from driftwatch.reference import parse_reference

from .helpers import AMD, ARM, INDEX, at, debian, digest, missing, observe

REF = "python:3.11-slim"


@pytest.fixture
def store(db_url: str) -> HistoryStore:
    if db_url.startswith("postgresql"):
        HistoryStore.upgrade(db_url)
    return HistoryStore.open(db_url)


def test_same_state_again_moves_last_seen_instead_of_adding_a_row(store: HistoryStore) -> None:
    run = store.start_run("cron")
    assert store.record(run, observe(REF, 0, "b1", debian("bullseye"))) == ()
    assert store.record(run, observe(REF, 1, "b1", debian("bullseye"))) == ()
    assert store.record(run, observe(REF, 1, "b1", debian("bullseye"))) == ()  # idempotent
    assert store.observation_count() == 1
    (entry_amd, entry_arm) = store.timeline(parse_reference(REF))
    assert {entry_amd.platform, entry_arm.platform} == {"linux/amd64", "linux/arm64/v8"}
    assert (entry_amd.first_seen, entry_amd.last_seen) == (at(0), at(1))
    assert store.events() == []


def test_os_release_change_is_recorded_once_with_both_sides(store: HistoryStore) -> None:
    run = store.start_run("ci")
    store.record(run, observe(REF, 0, "b1", debian("bullseye", "11.7")))
    drifts = store.record(run, observe(REF, 2, "b2", debian("bookworm", "12.0")))
    assert [(d.kind, d.platform) for d in drifts] == [
        (DriftKind.OS_RELEASE, "linux/amd64"),
        (DriftKind.OS_RELEASE, "linux/arm64/v8"),
    ]
    # the same observation recorded again (a retried run) adds nothing
    assert store.record(run, observe(REF, 2, "b2", debian("bookworm", "12.0"))) == ()
    events = store.events()
    assert len(events) == 2 and all(e.run_id == run for e in events)
    first = events[0].drift
    assert (
        first.old is not None and first.old.os is not None and first.old.os.codename == "bullseye"
    )
    assert (
        first.new is not None and first.new.os is not None and first.new.os.point_release == "12.0"
    )
    assert str(first.reference) == "docker.io/library/python:3.11-slim"
    store.finish_run(run, checked=1, drifts=2, errors=0)


def test_latest_round_trips_the_observation(store: HistoryStore) -> None:
    ref = parse_reference(REF)
    assert store.latest(ref) is None
    seen = observe(REF, 0, "b1", debian("bookworm", "12.5"))
    store.record(store.start_run("manual"), seen)
    assert store.latest(ref) == seen


def test_index_only_change_adds_an_observation_but_no_event(store: HistoryStore) -> None:
    run = store.start_run("cron")
    first = observe(REF, 0, "b1", debian("bookworm"))
    store.record(run, first)
    moved_index = Observation(first.reference, at(1), digest("other index"), INDEX, first.platforms)
    assert store.record(run, moved_index) == ()
    assert store.observation_count() == 2
    entries = store.timeline(first.reference, "linux/amd64")
    assert len(entries) == 1 and entries[0].last_seen == at(1)
    assert entries[0].index_digest == digest("other index")


def test_vanish_and_reappear_and_failures(store: HistoryStore) -> None:
    run = store.start_run("cron")
    store.record(run, observe(REF, 0, "b1", debian("bookworm")))
    store.record_failure(run, parse_reference(REF), "registry unreachable")
    assert [d.kind for d in store.record(run, missing(REF, 1))] == [DriftKind.TAG_VANISHED]
    assert store.record(run, missing(REF, 2)) == ()
    assert [d.kind for d in store.record(run, observe(REF, 3, "b1", debian("bookworm")))] == [
        DriftKind.TAG_REAPPEARED
    ]
    kinds = [e.drift.kind for e in store.events(kind=DriftKind.TAG_VANISHED)]
    assert kinds == [DriftKind.TAG_VANISHED]
    assert [e.drift.kind for e in store.events(since=at(2))] == [DriftKind.TAG_REAPPEARED]
    timeline = store.timeline(parse_reference(REF), "linux/amd64")
    assert [(e.platform, e.first_seen, e.last_seen) for e in timeline][1] == (None, at(1), at(2))


def test_platform_removed_shows_in_timeline(store: HistoryStore) -> None:
    run = store.start_run("cron")
    store.record(run, observe(REF, 0, "b1", debian("bookworm"), (AMD, ARM)))
    drifts = store.record(run, observe(REF, 1, "b1", debian("bookworm"), (AMD,)))
    assert [(d.kind, d.platform) for d in drifts] == [
        (DriftKind.PLATFORM_REMOVED, "linux/arm64/v8")
    ]
    arm = store.timeline(parse_reference(REF), "linux/arm64/v8")
    assert [(e.digest is None, [x.drift.kind for x in e.events]) for e in arm] == [
        (False, []),
        (True, [DriftKind.PLATFORM_REMOVED]),
    ]


def test_os_cache_is_content_addressed(store: HistoryStore) -> None:
    key = digest("config")
    assert store.known_os(key) is None
    store.remember_os(key, debian("bookworm", "12.5"))
    store.remember_os(key, debian("trixie"))  # first answer wins
    assert store.known_os(key) == debian("bookworm", "12.5")


def test_outbox_claims_are_exclusive_and_retry_with_backoff(store: HistoryStore) -> None:
    run = store.start_run("cron")
    store.record(run, observe(REF, 0, "b1", debian("bullseye")))
    store.record(run, observe(REF, 1, "b2", debian("bookworm")))
    ids = [e.id for e in store.events()]
    now = at(2)
    store.enqueue_deliveries(ids, ["slack:ab12", "mail:cd34"], now)
    store.enqueue_deliveries(ids, ["slack:ab12"], now)  # again: nothing new
    assert sorted(e.id for e in store.claim_deliveries("slack:ab12", now, "run-a")) == ids
    assert store.claim_deliveries("slack:ab12", now, "run-b") == []
    store.mark_delivered(ids[:1], "slack:ab12")
    store.mark_attempt_failed(ids[1:], "slack:ab12", "HTTP 500", now, 2, timedelta(minutes=1))
    assert store.claim_deliveries("slack:ab12", now, "run-b") == []  # backing off
    later = now + timedelta(minutes=2)
    assert [e.id for e in store.claim_deliveries("slack:ab12", later, "run-b")] == ids[1:]
    store.mark_attempt_failed(ids[1:], "slack:ab12", "HTTP 500", later, 2, timedelta(minutes=1))
    pending = {(p.destination, p.event.id): p for p in store.pending_deliveries()}
    assert pending[("slack:ab12", ids[1])].status == "failed"
    assert pending[("slack:ab12", ids[1])].attempts == 2
    assert ("slack:ab12", ids[0]) not in pending
    assert len([p for p in pending.values() if p.destination == "mail:cd34"]) == 2


def test_stale_claims_are_taken_over_after_the_lease(store: HistoryStore) -> None:
    run = store.start_run("cron")
    store.record(run, observe(REF, 0, "b1", debian("bullseye")))
    store.record(run, observe(REF, 1, "b2", debian("bookworm")))
    ids = [e.id for e in store.events()]
    store.enqueue_deliveries(ids, ["hook:1"], at(2))
    assert len(store.claim_deliveries("hook:1", at(2), "dead-run")) == 2
    assert store.claim_deliveries("hook:1", at(2) + timedelta(minutes=5), "next") == []
    assert len(store.claim_deliveries("hook:1", at(2) + timedelta(hours=1), "next")) == 2


def test_bad_trigger_is_refused(store: HistoryStore) -> None:
    with pytest.raises(StoreError, match="trigger 'hourly'"):
        store.start_run("hourly")


def test_single_manifest_without_platforms(store: HistoryStore) -> None:
    ref = parse_reference("ghcr.io/org/app:1")
    run = store.start_run("ci")
    single = Observation(ref, at(0), digest("m1"), "application/vnd.oci.image.manifest.v1+json")
    store.record(run, single)
    moved = Observation(ref, at(1), digest("m2"), "application/vnd.oci.image.manifest.v1+json")
    assert [(d.kind, d.platform) for d in store.record(run, moved)] == [
        (DriftKind.DIGEST, "unknown")
    ]
    assert store.latest(ref) == moved


def test_platform_image_without_os_round_trips(store: HistoryStore) -> None:
    ref = parse_reference("alpine:3")
    seen = Observation(ref, at(0), digest("i"), INDEX, (PlatformImage(AMD, digest("a"), "m", 123),))
    store.record(store.start_run("ci"), seen)
    assert store.latest(ref) == seen


def test_record_many_is_record_in_one_transaction(store: HistoryStore) -> None:
    run = store.start_run("cron")
    refs = ["a.test/x:1", "a.test/y:1"]
    assert store.record_many(run, [observe(r, 0, "b1", debian("bullseye")) for r in refs]) == [
        (),
        (),
    ]
    again = [
        observe(refs[0], 1, "b1", debian("bullseye")),
        observe(refs[1], 1, "b2", debian("bookworm")),
    ]
    result = store.record_many(run, again)
    assert result[0] == ()
    assert [d.kind for d in result[1]] == [DriftKind.OS_RELEASE, DriftKind.OS_RELEASE]
    assert store.observation_count() == 3
    assert len(store.events()) == 2


def test_record_many_in_bulk_says_and_stores_what_record_says_one_by_one(
    store: HistoryStore,
) -> None:
    """The unchanged references of a batch take the bulk path: the same drifts, timelines and
    latest observations as recording each alone, for unchanged, moved, OS-learned, stale and new
    references (two sets of names in one database, compared with the names swapped)."""

    def batches(host: str) -> list[list[Observation]]:
        refs = [f"{host}/r{n}:1" for n in range(5)]
        first = [observe(r, 0, "b1", None if "r2" in r else debian("bullseye")) for r in refs]
        second = [
            observe(refs[0], 2, "b1", debian("bullseye")),  # seen again
            observe(refs[1], 2, "b2", debian("bookworm")),  # moved
            observe(refs[2], 2, "b1", debian("bullseye")),  # its OS learned now
            observe(refs[3], 2, "b1", debian("bullseye")),  # seen again, then stale below
            observe(f"{host}/new:1", 2, "b1", debian("bullseye")),  # never seen
        ]
        stale = [observe(refs[3], 1, "b1", debian("bullseye")), observe(refs[4], 3, "b1", None)]
        return [first, second, stale]

    def history(host: str, bulk: bool) -> str:
        run = store.start_run("cron")
        said: list[object] = []
        given = batches(host)
        tokens: dict[str, str] = {}  # digests derive from the names: numbered in order instead
        for observation in (o for batch in given for o in batch):
            for made in (observation.digest, *(i.digest for i in observation.platforms)):
                tokens.setdefault(made or "", f"D{len(tokens)}")
        for batch in given:
            if bulk:
                said += store.record_many(run, batch)
            else:
                said += [store.record(run, observation) for observation in batch]
        names = [f"{host}/r{n}:1" for n in range(5)] + [f"{host}/new:1"]
        kept = [store.timeline(parse_reference(n)) for n in names]
        latest = [store.latest(parse_reference(n)) for n in names]
        touched = [_reference_last_seen(store, n) for n in names]
        text = (
            repr([said, kept, latest, touched])
            .replace(host, "HOST")
            .replace(f"run_id={run}", "RUN")
        )
        for made, token in tokens.items():
            text = text.replace(made, token)
        return re.sub(r"StoredDrift\(id=\d+", "StoredDrift(id=?", text)  # ids: one table

    assert history("bulk.test", bulk=True) == history("single.test", bulk=False)


def test_a_name_observed_twice_in_a_batch_is_recorded_in_order(store: HistoryStore) -> None:
    """`nginx` and `nginx:latest` are one name: the first sighting moved, the second is as stored.
    The move must be recorded, as one-by-one recording does (a bulk touch first would make the
    moved sighting look stale)."""
    run = store.start_run("cron")
    store.record(run, observe("nginx", 0, "b1", debian("bullseye")))
    moved = observe("nginx", 1, "b2", debian("bookworm"))
    same = observe("nginx:latest", 2, "b1", debian("bullseye"))
    said = store.record_many(run, [moved, same])
    assert {d.kind for d in said[0]} == {DriftKind.OS_RELEASE}


def _reference_last_seen(store: HistoryStore, name: str) -> object:
    """The reference row's own last_seen (no store method reads it back)."""
    from sqlalchemy import create_engine, select

    from driftwatch.history.tables import REFS

    engine = create_engine(store.url)
    try:
        with engine.connect() as conn:
            query = select(REFS.c.last_seen).where(REFS.c.canonical == str(parse_reference(name)))
            return conn.execute(query).scalar()
    finally:
        engine.dispose()


def test_an_os_learned_later_still_catches_the_next_release_change(store: HistoryStore) -> None:
    run = store.start_run("cron")
    store.record(run, observe(REF, 0, "b1", None))  # OS detection failed this time
    assert store.record(run, observe(REF, 1, "b1", debian("bullseye"))) == ()
    latest = store.latest(parse_reference(REF))
    assert latest is not None and {p.os for p in latest.platforms} == {debian("bullseye")}
    drifts = store.record(run, observe(REF, 2, "b2", debian("bookworm")))
    assert {d.kind for d in drifts} == {DriftKind.OS_RELEASE}


def test_unknown_os_is_filled_from_the_content_addressed_cache(store: HistoryStore) -> None:
    run = store.start_run("cron")
    first = observe(REF, 0, "b1", None)
    store.record(run, first)
    for image in first.platforms:
        store.remember_os(image.digest, debian("bullseye"))
    second = observe(REF, 1, "b2", None)
    for image in second.platforms:
        store.remember_os(image.digest, debian("bookworm"))
    drifts = store.record(run, second)
    assert {d.kind for d in drifts} == {DriftKind.OS_RELEASE}
    assert all(d.new and d.new.os == debian("bookworm") for d in drifts)


def test_a_stale_observation_recorded_late_changes_nothing(store: HistoryStore) -> None:
    run_a, run_b = store.start_run("ci"), store.start_run("ci")
    store.record(run_a, observe(REF, 0, "b1", debian("bullseye")))
    store.record(
        run_b, observe(REF, 5, "b2", debian("bookworm"))
    )  # run B looked later, wrote first
    assert store.record(run_a, observe(REF, 3, "b1", debian("bullseye"))) == ()
    assert len(store.events()) == 2
    assert len(store.events(run_id=run_b)) == 2 and store.events(run_id=run_a) == []
    latest = store.latest(parse_reference(REF))
    assert latest is not None and latest.observed_at == at(5)


def test_concurrent_claims_never_share_a_delivery(store: HistoryStore) -> None:
    from concurrent.futures import ThreadPoolExecutor

    run = store.start_run("cron")
    for day in range(6):
        store.record(run, observe(REF, day, f"b{day}", debian("bookworm", f"12.{day}")))
    ids = [e.id for e in store.events()]
    assert len(ids) == 10
    store.enqueue_deliveries(ids, ["hook:x"], at(10))

    def claim(n: int) -> list[int]:
        return [e.id for e in store.claim_deliveries("hook:x", at(10), f"claimer-{n}")]

    with ThreadPoolExecutor(8) as pool:
        claimed = [i for batch in pool.map(claim, range(8)) for i in batch]
    assert sorted(claimed) == sorted(ids)


def test_the_tags_found_for_a_move_are_kept_on_its_os_release_events(store: HistoryStore) -> None:
    """A claimed delivery brings back the tags the scan found, not only the drift (a retry by a
    later run says the same); other kinds, runs and references keep none."""
    ref = parse_reference(REF)
    other = parse_reference("python:3.12-slim")
    run = store.start_run("cron")
    store.record(run, observe(ref, 0, "b1", debian("bullseye")))
    store.record(run, observe(other, 0, "o1", debian("bullseye")))
    moved = store.start_run("cron")
    store.record(moved, observe(ref, 1, "b2", debian("bookworm")))
    store.record(moved, observe(other, 1, "o2", debian("bullseye")))  # a rebuild: digest events
    found = Aliases(
        digest("old"),
        ("3.11.9-slim-bullseye", "3.11-slim-bullseye"),
        "3.11-slim-bullseye",
        "3.11.9-slim-bullseye",
    )
    store.note_aliases(moved, {ref: found, other: found})
    store.enqueue_deliveries([e.id for e in store.events()], ["hook"])
    claimed = store.claim_deliveries("hook", datetime.now(timezone.utc), "me")
    kept = {(s.drift.reference, s.drift.kind): s.aliases for s in claimed}
    assert kept[(ref, DriftKind.OS_RELEASE)] == found
    assert kept[(other, DriftKind.DIGEST)] is None
    assert [s.aliases for s in store.events(run_id=moved) if s.drift.reference == ref] == [
        found
    ] * 2
