"""The pure part of the alias lookup: parsing tags, the line of a tag, ordering, the choice."""

from __future__ import annotations

import pytest

from driftwatch.aliases import candidates, choose, parse_tag, release_token, same_line
from driftwatch.models import OsRelease

TAGS = [
    "3.12-slim",
    "3.12-slim-bookworm",
    "3.12.7-slim-bookworm",
    "3.12.7-slim",
    "3.12.10-slim",
    "3.12.9-slim-bookworm",
    "3.13-slim",
    "3.13-slim-bookworm",
    "3.120-slim",
    "3.12-bookworm",
    "3.12-alpine3.20",
    "3.12.7-alpine3.19",
    "3.13.0rc1-slim",
    "latest",
    "slim",
]


@pytest.mark.parametrize(
    ("tag", "version", "variant", "release"),
    [
        ("3.12.7-slim-bookworm", "3.12.7", {"slim"}, "bookworm"),
        ("20-bookworm-slim", "20", {"slim"}, "bookworm"),
        ("3.12-alpine3.20", "3.12", {"alpine"}, "alpine3.20"),
        ("3.12-alpine", "3.12", {"alpine"}, None),
        ("3.13.0rc1-slim", "3.13.0rc1", {"slim"}, None),
        ("latest", None, set(), None),
        ("bookworm-slim", None, {"slim"}, "bookworm"),
        ("21-jre-noble", "21", {"jre"}, "noble"),
    ],
)
def test_parse_tag(tag: str, version: str | None, variant: set[str], release: str | None) -> None:
    parts = parse_tag(tag)
    assert (parts.version, set(parts.variant), parts.release) == (version, variant, release)


def test_same_line_keeps_version_prefix_and_variant() -> None:
    line = parse_tag("3.12-slim")
    assert same_line(line, parse_tag("3.12.7-slim-bookworm"))
    assert not same_line(line, parse_tag("3.13-slim"))
    assert not same_line(line, parse_tag("3.120-slim"))
    assert not same_line(line, parse_tag("3.12-bookworm"))  # not slim
    assert not same_line(parse_tag("3.12-slim-bookworm"), parse_tag("3.12.7-slim-trixie"))


def test_candidates_newest_and_most_specific_first() -> None:
    assert candidates("3.12-slim", TAGS, 50) == [
        "3.12.10-slim",
        "3.12.9-slim-bookworm",
        "3.12.7-slim-bookworm",
        "3.12.7-slim",
        "3.12-slim-bookworm",
        "3.12-slim",
    ]
    assert candidates("3.12-slim", TAGS, 2) == ["3.12.10-slim", "3.12.9-slim-bookworm"]
    assert candidates("3.12-alpine", TAGS, 50) == ["3.12.7-alpine3.19", "3.12-alpine3.20"]
    assert "3.13.0rc1-slim" in candidates("slim", TAGS, 50)


def test_choose_stay_and_exact() -> None:
    shared = ["3.12.7-slim-bookworm", "3.12.7-slim", "3.12-slim-bookworm"]
    assert choose("3.12-slim", shared, TAGS, "bookworm") == (
        "3.12-slim-bookworm",
        "3.12.7-slim-bookworm",
    )
    # rebuilt since: no release tag shares the old digest; the release's tag is still listed
    assert choose("3.12-slim", ["3.12.7-slim"], TAGS, "bookworm") == (
        "3.12-slim-bookworm",
        "3.12.7-slim",
    )
    assert choose("3.12-slim", [], TAGS, "trixie") == (None, None)
    assert choose("3.12-slim", ["3.12-slim"], TAGS, None) == (None, None)


def test_choose_node_and_alpine_spellings() -> None:
    node = ["20.11.1-bookworm-slim", "20-bookworm-slim", "20-slim", "20.11.1-slim"]
    assert choose("20-slim", node, node, "bookworm") == (
        "20-bookworm-slim",
        "20.11.1-bookworm-slim",
    )
    alpine = ["3.12.7-alpine3.19", "3.12-alpine3.19"]
    assert choose("3.12-alpine", alpine, TAGS, "alpine3.19") == (
        "3.12-alpine3.19",
        "3.12.7-alpine3.19",
    )


def test_release_token() -> None:
    assert release_token(OsRelease("debian", "12", "bookworm")) == "bookworm"
    assert release_token(OsRelease("alpine", "3.20.3")) == "alpine3.20"
    assert release_token(OsRelease("rhel", "9.4")) is None
    assert release_token(None) is None
