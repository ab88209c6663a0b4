"""Shards of a watch list: stable, disjoint, covering; and the skip summary kinds."""

from __future__ import annotations

from pathlib import Path

import pytest

from driftwatch.errors import UsageError
from driftwatch.models import ResolveFailure
from driftwatch.reference import parse_reference
from driftwatch.usecases.fleet import Shard, skipped

REFS = [parse_reference(f"example.com/team{i % 7}/app{i}:v{i % 3}") for i in range(400)]


def test_shards_cover_the_list_once_and_are_balanced() -> None:
    shards = [Shard(i, 4).select(REFS) for i in range(1, 5)]
    assert sorted(str(r) for shard in shards for r in shard) == sorted(str(r) for r in REFS)
    assert all(70 <= len(shard) <= 130 for shard in shards), [len(s) for s in shards]
    assert all(shard == sorted(shard, key=str) for shard in shards)


def test_shard_choice_is_stable_and_ignores_list_order() -> None:
    # pinned: a change of the hash would silently re-deal every CI matrix
    ref = parse_reference("python:3.12-slim")
    assert [Shard(i, 3).owns(ref) for i in (1, 2, 3)].count(True) == 1
    assert Shard(1, 4).select(reversed(REFS)) == Shard(1, 4).select(REFS)
    assert Shard(1, 1).select(REFS + REFS) == sorted(set(REFS), key=str)
    owner = [i for i in (1, 2, 3) if Shard(i, 3).owns(ref)]
    assert owner == [_expected_owner(str(ref), 3)]


def _expected_owner(canonical: str, count: int) -> int:
    import hashlib

    digest = hashlib.sha256(canonical.encode()).digest()
    return int.from_bytes(digest[:8], "big") % count + 1


@pytest.mark.parametrize("text", ["0/2", "3/2", "1", "a/b", "1/0", "/2", "1/2/3", ""])
def test_bad_shards_are_usage_errors(text: str) -> None:
    with pytest.raises(UsageError, match="--shard"):
        Shard.parse(text)


def test_good_shards_parse() -> None:
    assert Shard.parse(" 2/5 ") == Shard(2, 5)


def test_skips_are_grouped_by_reason_and_real_failures_are_not_skips() -> None:
    ref = REFS[0]
    failures = [
        ResolveFailure(ref, "x: could not check: deadline", "DeadlineExceeded"),
        ResolveFailure(ref, "x: could not check: rate limit budget", "BudgetExhausted"),
        ResolveFailure(ref, "x: registry server error (503)", "Unreachable"),
    ]
    found = skipped(failures)
    assert {reason: len(items) for reason, items in found.items()} == {
        "deadline": 1,
        "rate limit budget": 1,
    }


def test_keep_pulls_is_read_from_the_config_and_checked(tmp_path: Path) -> None:
    from driftwatch.config import load_config
    from driftwatch.errors import ConfigError

    file = tmp_path / "driftwatch.toml"
    file.write_text("keep_pulls = 20\n")
    assert load_config(file).keep_pulls == 20
    file.write_text("keep_pulls = -1\n")
    with pytest.raises(ConfigError, match="keep_pulls"):
        load_config(file)
