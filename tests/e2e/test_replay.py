"""Replay four years of official-image re-pointings through the real registry and real OS detection.

tests/assets/official-images-tag-history.csv (described in official-images-tag-history.md): for each
row with a build directory a fresh image is pushed whose filesystem holds the Debian release the row
names; `(suite alias: ...)` rows name no release, so their image's os-release carries only
`ID=debian` (no VERSION_ID, no codename), as tests/history/test_replay.py records them; `(absent)`
rows push nothing (the tag stays pullable, the same digest is seen again). Rows sharing a timestamp
are one scan of a watch list, in time order. Exactly the 31 release moves the README counts must
come out as OS drift, every other re-pointing as a digest change only.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from driftwatch.config import Config, RegistrySettings
from driftwatch.history import HistoryStore
from driftwatch.models import DriftKind, Platform
from driftwatch.reference import ImageReference, parse_reference
from driftwatch.usecases.scan import run_scan
from tests.tag_history import Move, expected_release_moves, history_rows
from tests.testbed.distros import app_files, debian_image
from tests.testbed.images import Entry, Image, Symlink, build_image
from tests.testbed.registry import RegistryServer, push_image

ASSETS = Path(__file__).parent.parent / "assets"
AMD64 = Platform("linux", "amd64")


def alias_image(seed: str) -> Image:
    """A Debian image whose os-release names no release (built from a `stable` alias)."""
    text = b'PRETTY_NAME="Debian GNU/Linux"\nNAME="Debian GNU/Linux"\nID=debian\n'
    root: dict[str, Entry] = {
        "etc/os-release": Symlink("../usr/lib/os-release"),
        "usr/lib/os-release": text,
    }
    return build_image([root, app_files(seed)])


def row_image(row: dict[str, str], number: int) -> Image:
    """The fresh build a re-pointing stands for, on the release the row names."""
    suite = row["codename_from_directory"]
    if suite.startswith("(suite alias"):
        return alias_image(f"row {number}")
    return debian_image(suite, seed=f"row {number}")


@pytest.fixture
def replay_store(tmp_path: Path) -> Iterator[HistoryStore]:
    store = HistoryStore.open(f"sqlite:///{tmp_path / 'replay.db'}")
    yield store
    store.close()


def test_the_readme_travels_with_the_data() -> None:
    text = (ASSETS / "official-images-tag-history.md").read_text()
    assert "31 of the changes move a tag to another Debian release" in text
    assert len(expected_release_moves(history_rows())) == 31


def test_replay_through_the_registry_raises_exactly_the_31_release_moves(
    registry: RegistryServer, replay_store: HistoryStore
) -> None:
    rows = history_rows()
    namespace = f"replay{uuid.uuid4().hex[:8]}"
    config = Config(registries={"docker.io": RegistrySettings(endpoint=registry.url)})
    batches: dict[str, list[tuple[int, dict[str, str]]]] = defaultdict(list)
    for number, row in enumerate(rows):
        batches[row["oi_commit_date_utc"]].append((number, row))
    images = _push_all(registry, namespace, rows)

    found: set[Move] = set()
    seen: set[str] = set()
    for moment, batch in sorted(batches.items()):
        for number, row in batch:
            if number in images:  # re-point the tag: one manifest PUT
                repo = f"{namespace}/{row['image']}"
                registry.pusher.push_manifest(repo, row["tag"], images[number].manifest)
        refs = {_ref(namespace, row): row for _, row in batch}
        result = run_scan(list(refs), {}, config, replay_store, trigger="cron", platforms=[AMD64])
        assert result.failures == (), result.failures
        for ref, row in refs.items():
            name = f"{row['image']}:{row['tag']}"
            kinds = [d.kind for d in result.drifts[ref] if d.kind.moves]  # not os-eol news
            for drift in result.drifts[ref]:
                assert drift.kind is not DriftKind.OS_POINT_RELEASE, (row, drift)
                if drift.kind is DriftKind.OS_RELEASE:
                    assert drift.old and drift.old.os and drift.new and drift.new.os
                    found.add(
                        (name, moment, drift.old.os.codename or "", drift.new.os.codename or "")
                    )
            if name not in seen or row["directory"] == "(absent)":
                assert kinds == [], row
            elif DriftKind.OS_RELEASE not in kinds:
                assert kinds == [DriftKind.DIGEST], row
            seen.add(name)

    assert found == expected_release_moves(rows)
    assert len(replay_store.events(kind=DriftKind.OS_RELEASE)) == 31
    assert replay_store.events(kind=DriftKind.OS_POINT_RELEASE) == []
    assert replay_store.observation_count() == sum(r["directory"] != "(absent)" for r in rows)


def _ref(namespace: str, row: dict[str, str]) -> ImageReference:
    return parse_reference(f"{namespace}/{row['image']}:{row['tag']}")


def _push_all(
    registry: RegistryServer, namespace: str, rows: list[dict[str, str]]
) -> dict[int, Image]:
    """Push every row's image by digest up front (4 at once); tags are moved in time order later."""
    images = {
        number: row_image(row, number)
        for number, row in enumerate(rows)
        if row["directory"] != "(absent)"
    }

    def push(number: int) -> None:
        row = rows[number]
        push_image(registry, f"{namespace}/{row['image']}", None, images[number])

    with ThreadPoolExecutor(4) as pool:
        list(pool.map(push, images))
    return images
