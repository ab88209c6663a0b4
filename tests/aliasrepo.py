"""A python-like repository in the test registry: tags of several lines sharing digests."""

from __future__ import annotations

from dataclasses import dataclass

from tests.testbed.distros import debian_index
from tests.testbed.registry import RegistryServer

BOOKWORM_TAGS = (
    "3.12-slim",
    "3.12-slim-bookworm",
    "3.12.7-slim-bookworm",
    "3.12.7-slim",
    "3.13-slim",  # shares the digest on purpose: a 3.13 tag must never be suggested for 3.12
    "3.13-slim-bookworm",
)
UNRELATED = ("latest", "3.12-bookworm", "3.120-slim", "2.7-slim", "slim", "3.12-slim-trixie")


@dataclass(frozen=True)
class AliasRepo:
    """Where it is and its two digests (bookworm: what `3.12-slim` was; trixie: what it became)."""

    repo: str
    bookworm: str
    trixie: str


def push_alias_repo(registry: RegistryServer, repo: str, *, moved: bool = False) -> AliasRepo:
    """Push the tags; with `moved`, `3.12-slim` and `3.12.7-slim` then point at trixie."""
    bookworm = debian_index("bookworm", seed=f"{repo}-b")
    trixie = debian_index("trixie", seed=f"{repo}-t")
    pusher = registry.pusher
    old = pusher.push_index(repo, BOOKWORM_TAGS[0], bookworm)
    for tag in BOOKWORM_TAGS[1:]:
        pusher.push_manifest(repo, tag, bookworm.manifest)
    new = pusher.push_index(repo, UNRELATED[0], trixie)
    for tag in UNRELATED[1:]:
        pusher.push_manifest(repo, tag, trixie.manifest)
    if moved:
        move_to_trixie(registry, repo)
    return AliasRepo(repo, old, new)


def move_to_trixie(registry: RegistryServer, repo: str) -> None:
    """The floating tags move to the new release (as python's did on 2025-08-11)."""
    trixie = debian_index("trixie", seed=f"{repo}-t")
    for tag in ("3.12-slim", "3.12.7-slim"):
        registry.pusher.push_manifest(repo, tag, trixie.manifest)
