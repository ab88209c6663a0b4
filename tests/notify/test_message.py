"""Message content: one batched message, worst first, naming both releases, uses and the fix."""

from __future__ import annotations

from driftwatch.models import DriftKind
from driftwatch.notify import Destination, ImageUsage, compose, route
from driftwatch.reference import parse_reference

from .drifts import BOOKWORM, BOOKWORM_6, BULLSEYE, digest, drift

PY = parse_reference("python:3.11-slim")
NODE = parse_reference("node:20")
USAGES = {PY: [ImageUsage("services/api/Dockerfile", 3), ImageUsage("Dockerfile", 1)]}


def release(ref: str, platform: str = "linux/amd64", old: int = 1, new: int = 2):  # type: ignore[no-untyped-def]
    return drift(DriftKind.OS_RELEASE, ref, platform, (old, BULLSEYE), (new, BOOKWORM))


def test_nothing_to_say_is_no_message() -> None:
    assert compose([], [], {}, markdown=True) is None


def test_release_move_names_both_releases_uses_and_pinned_from_line() -> None:
    message = compose([release("python:3.11-slim")], [], USAGES, markdown=False)
    assert message is not None
    assert message.title == "1 base image moved to a new OS release"
    assert "linux/amd64: Debian 11 (bullseye) -> Debian 12 (bookworm)" in message.body
    assert f"FROM python:3.11-slim@{digest(1)}" in message.body
    assert "driftwatch lock" in message.body
    assert "Used in: Dockerfile:1, services/api/Dockerfile:3" in message.body
    assert "`" not in message.body and not message.markdown


def test_several_drifts_batch_into_one_message_worst_first() -> None:
    drifts = [
        drift(DriftKind.DIGEST, "redis:7", old=(5, BOOKWORM), new=(6, BOOKWORM)),
        release("python:3.11-slim", "linux/arm64/v8", 3, 4),
        drift(DriftKind.OS_POINT_RELEASE, "nginx:1", old=(7, BOOKWORM), new=(8, BOOKWORM_6)),
        release("python:3.11-slim"),
        release("node:20", old=9, new=10),
    ]
    message = compose(drifts, [], {}, markdown=True)
    assert message is not None and message.markdown
    assert message.title == "2 base images moved to a new OS release (+2 more changed)"
    order = [
        message.body.index(f"### {name}:")
        for name in ("node:20", "python:3.11-slim", "nginx:1", "redis:7")
    ]
    assert order == sorted(order)
    assert message.body.index("linux/amd64: Debian 11") < message.body.index(
        "linux/arm64/v8: Debian 11"
    )
    assert "linux/amd64: Debian 12 (bookworm) point release 12.5 -> 12.6" in message.body
    assert "rebuilt, same OS (Debian 12 (bookworm))" in message.body


def test_multi_platform_fix_uses_index_digest_when_known_else_one_line_per_platform() -> None:
    drifts = [release("python:3.11-slim"), release("python:3.11-slim", "linux/arm64/v8", 3, 4)]
    per_platform = compose(drifts, [], {}, markdown=True)
    assert per_platform is not None
    assert f"`FROM --platform=linux/amd64 python:3.11-slim@{digest(1)}`" in per_platform.body
    assert f"`FROM --platform=linux/arm64/v8 python:3.11-slim@{digest(3)}`" in per_platform.body
    pinned = compose(drifts, [], {}, markdown=True, pinned={PY: digest(99)})
    assert pinned is not None
    assert f"`FROM python:3.11-slim@{digest(99)}`" in pinned.body
    assert "--platform" not in pinned.body


def test_registry_failures_are_one_summary_section() -> None:
    failures = [(f"ghcr.io/org/app{i}:1", "registry unreachable after 3 tries") for i in range(25)]
    message = compose([release("python:3.11-slim")], failures, {}, markdown=False)
    assert message is not None
    assert message.title == "1 base image moved to a new OS release; could not check 25 images"
    assert message.body.count("Could not check 25 images") == 1
    assert message.body.count("registry unreachable") == 20
    assert "and 5 more" in message.body
    only = compose([], failures[:1], {}, markdown=False)
    assert only is not None and only.title == "Could not check 1 image"


def test_tag_level_and_platform_kinds_read_well() -> None:
    drifts = [
        drift(DriftKind.TAG_VANISHED, "node:20", None, old=(1, BOOKWORM), new=None),
        drift(DriftKind.PLATFORM_ADDED, "redis:7", "linux/riscv64", old=None, new=(2, BOOKWORM)),
    ]
    message = compose(drifts, [], {NODE: []}, markdown=False)
    assert message is not None
    assert "tag: the tag no longer exists in the registry" in message.body
    assert "linux/riscv64: new platform (Debian 12 (bookworm))" in message.body
    assert f"FROM node:20@{digest(1)}" in message.body
    assert "no file recorded" in message.body


def test_route_filters_by_severity_and_errors() -> None:
    drifts = [
        release("python:3.11-slim"),
        drift(DriftKind.OS_POINT_RELEASE, "nginx:1", old=(7, BOOKWORM), new=(8, BOOKWORM_6)),
        drift(DriftKind.DIGEST, "redis:7", old=(5, BOOKWORM), new=(6, BOOKWORM)),
    ]
    failures = [("ghcr.io/org/app:1", "timeout")]
    only_release = Destination.from_url("json://127.0.0.1:1/x", ["release"])
    assert route(drifts, failures, only_release) == ([drifts[0]], [])
    default = Destination.from_url("json://127.0.0.1:1/x")
    assert route(drifts, failures, default) == (drifts[:2], failures)
    digest_and_errors = Destination.from_url("json://127.0.0.1:1/x", ["digest", "error"])
    assert route(drifts, failures, digest_and_errors) == ([drifts[2]], failures)


def test_release_move_with_aliases_names_the_stay_and_exact_tags() -> None:
    from driftwatch.aliases import Aliases

    found = Aliases(
        digest(99), ("3.11.9-slim-bullseye",), "3.11-slim-bullseye", "3.11.9-slim-bullseye"
    )
    message = compose(
        [release("python:3.11-slim")],
        [],
        {},
        markdown=True,
        pinned={PY: digest(99)},
        aliases={PY: found},
    )
    assert message is not None
    assert "Stay on bullseye: `FROM python:3.11-slim-bullseye`" in message.body
    assert f"Keep the old build: `FROM python:3.11.9-slim-bullseye@{digest(99)}`" in message.body
    assert f"python:3.11-slim@{digest(99)}" not in message.body


def test_aliases_without_tags_or_for_another_move_keep_the_digest_advice() -> None:
    from driftwatch.aliases import Aliases

    none = {PY: Aliases(digest(99), incomplete="the tag lookup could not complete (HTTP 500)")}
    failed = compose([release("python:3.11-slim")], [], {}, markdown=False, aliases=none)
    rebuilt = drift(DriftKind.DIGEST, "python:3.11-slim", old=(1, BOOKWORM), new=(2, BOOKWORM))
    found = {PY: Aliases(digest(1), (), "3.11-slim-bookworm", "3.11.9-slim-bookworm")}
    digest_only = compose([rebuilt], [], {}, markdown=False, aliases=found)
    for message in (failed, digest_only):
        assert message is not None
        assert f"Keep the old build: FROM python:3.11-slim@{digest(1)}" in message.body
        assert "Stay on" not in message.body and "lookup" not in message.body
