"""`HistoryStore.latest_facts`: the platforms and OS a repeated scan reuses, in one read."""

from __future__ import annotations

from driftwatch.history import HistoryStore, queries
from driftwatch.models import OsRelease
from driftwatch.reference import parse_reference

from .helpers import debian, missing, observe


def test_latest_os_maps_the_latest_platform_digests_to_their_settled_os(db_url: str) -> None:
    if db_url.startswith("postgresql"):
        HistoryStore.upgrade(db_url)
    store = HistoryStore.open(db_url)
    run = store.start_run("cron")
    old = observe("python:3.11-slim", 0, "a", debian("bullseye"))
    new = observe("python:3.11-slim", 1, "b", debian("bookworm"))
    unsettled = OsRelease("debian", source="layers", undetermined="no VERSION_ID")
    vague = observe("python:3.12-slim", 0, "c", unsettled)
    unknown = observe("node:20", 0, "d", None)
    for observation in (old, new, vague, unknown):
        store.record(run, observation)
    store.record(run, missing("ruby:3", 0))

    names = ("python:3.11-slim", "python:3.12-slim", "node:20", "ruby:3", "never:seen")
    facts = store.latest_facts([parse_reference(name) for name in names])
    found = facts.os

    assert found == {image.digest: image.os for image in new.platforms}
    assert {os.codename for os in found.values()} == {"bookworm"}
    assert all(image.digest not in found for image in old.platforms + vague.platforms)
    latest = new.platforms + vague.platforms + unknown.platforms
    assert {d: str(p) for d, p in facts.platforms.items()} == {
        image.digest: str(image.platform) for image in latest if image.platform
    }  # the latest observation's platforms, settled OS or not; none of an older one
    assert store.latest_facts([]) == queries.LatestFacts()
    store.close()
