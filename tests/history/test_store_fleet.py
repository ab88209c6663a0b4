"""Store reads and writes a fleet scan needs: the baseline in one query, failures in one write."""

from __future__ import annotations

import pytest

from driftwatch.history import HistoryStore
from driftwatch.reference import parse_reference
from tests.history.helpers import debian, missing, observe


@pytest.fixture
def store(db_url: str) -> HistoryStore:
    if db_url.startswith("postgresql"):
        HistoryStore.upgrade(db_url)
    return HistoryStore.open(db_url)


def test_latest_digests_is_the_newest_top_digest_of_each_reference(store: HistoryStore) -> None:
    run = store.start_run("cron")
    first = observe("python:3.12-slim", 0, "b1", debian("bookworm"))
    later = observe("python:3.12-slim", 1, "b2", debian("trixie"))
    other = observe("debian:bookworm", 0, "d1", debian("bookworm"))
    store.record_many(run, [first, other])
    store.record_many(run, [later, missing("alpine:3.20", 1)])
    assert store.latest_digests() == {
        "docker.io/library/python:3.12-slim": later.digest,
        "docker.io/library/debian:bookworm": other.digest,
        "docker.io/library/alpine:3.20": None,
    }
    store.close()


def test_failures_are_recorded_together_and_are_never_drift(store: HistoryStore) -> None:
    run = store.start_run("ci")
    refs = [parse_reference(f"team/app{i}:1") for i in range(50)]
    store.record_failures(run, [(ref, "could not check: deadline") for ref in refs])
    store.record_failures(run, [])
    assert store.events() == []
    assert store.latest_digests() == {}
    assert all(store.latest(ref) is None for ref in refs[:3])
    store.close()
