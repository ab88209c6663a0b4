"""Which tags could name the same image as a written tag, and which of them to suggest (pure).

A tag such as `3.12-slim` is read as version `3.12`, variant `slim` and no OS release; its line is
every tag with a version starting `3.12` (never `3.13`, never `3.120`), the same variant, and any
release (`3.12.7-slim-bookworm`). Candidates are ordered newest version first (with
`packaging.version`), most specific first, so the ones likely to share the current digest are
asked first. Which of them do share a digest is the registry's answer (registry/tags.py).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from packaging.version import InvalidVersion, Version

from driftwatch.lint.tagnames import is_release_name
from driftwatch.models import OsRelease

__all__ = [
    "Aliases",
    "TagParts",
    "candidates",
    "choose",
    "parse_tag",
    "release_token",
    "retag_written",
    "same_line",
]

_VERSIONED = re.compile(r"(?P<version>\d+(?:\.\d+)*(?:(?:a|b|rc)\d+)?)(?:-(?P<rest>.+))?")
_FAMILY = re.compile(r"([a-z]+)\d")  # alpine3.20 -> alpine: the variant a release belongs to
_NO_VARIANT = frozenset({"latest"})


@dataclass(frozen=True)
class TagParts:
    """A tag split into version (`3.12.7`), variant tokens (`slim`) and OS release (`bookworm`)."""

    tag: str
    version: str | None
    variant: frozenset[str]
    release: str | None

    @property
    def depth(self) -> int:
        """How many version components the tag names (`3.12.7`: 3; no version: 0)."""
        return len(self.version.split(".")) if self.version else 0

    def ordering(self) -> Version:
        """The version for ordering (`0` when the tag names none or packaging refuses it)."""
        try:
            return Version(self.version or "0")
        except InvalidVersion:
            return Version("0")


@dataclass(frozen=True)
class Aliases:
    """The tags found for a digest, the two worth suggesting, and why the search fell short."""

    digest: str
    tags: tuple[str, ...] = ()  # every tag of the line serving `digest`, most specific first
    stay: str | None = None  # floats within the release you had (`3.12-slim-bookworm`)
    exact: str | None = None  # the most specific tag of the digest (`3.12.7-slim-bookworm`)
    incomplete: str | None = None  # the lookup could not finish (advice only, never a verdict)


def parse_tag(tag: str) -> TagParts:
    """`3.12.7-slim-bookworm` -> version 3.12.7, variant {slim}, release bookworm."""
    match = _VERSIONED.fullmatch(tag)
    version, rest = (match["version"], match["rest"] or "") if match else (None, tag)
    variant: set[str] = set()
    release = None
    for token in rest.lower().split("-") if rest else ():
        if token in _NO_VARIANT:
            continue
        if is_release_name(token):
            release = token
            family = _FAMILY.match(token)
            if family and family[1] not in ("debian", "ubuntu", "el", "ltsc"):
                variant.add(family[1])  # alpine3.20 is still the alpine variant
        else:
            variant.add(token)
    return TagParts(tag, version, frozenset(variant), release)


def same_line(written: TagParts, candidate: TagParts) -> bool:
    """True when `candidate` is `written` made more specific (version, release), nothing else."""
    if written.version is not None:
        version = candidate.version or ""
        if version != written.version and not version.startswith(written.version + "."):
            return False
    if written.release is not None and candidate.release != written.release:
        return False
    return candidate.variant == written.variant


def candidates(written: str, tags: Iterable[str], cap: int) -> list[str]:
    """The tags on `written`'s line, newest and most specific first, at most `cap` of them."""
    line = parse_tag(written)
    found = [parts for parts in map(parse_tag, tags) if same_line(line, parts)]
    found.sort(key=_specific_first)
    return [parts.tag for parts in found[:cap]]


def _specific_first(parts: TagParts) -> tuple[object, ...]:
    """Sort key: newest version, deepest version, naming a release, then the tag itself."""
    return (_Descending(parts.ordering()), -parts.depth, parts.release is None, parts.tag)


@dataclass(frozen=True)
class _Descending:
    value: Version

    def __lt__(self, other: _Descending) -> bool:
        return self.value > other.value


def choose(
    written: str, matches: Sequence[str], listed: Sequence[str], release: str | None
) -> tuple[str | None, str | None]:
    """(stay, exact): the least specific release-naming tag of the line at `written`'s version,
    and the most specific tag among `matches` (the tags sharing the digest).

    `release` (the OS release the digest was built on, e.g. `bookworm`) finds the stay tag in
    `listed` when no release-naming tag shares the digest any more (it was rebuilt since).
    """
    line = parse_tag(written)
    shared = sorted(map(parse_tag, matches), key=_specific_first)
    exact = next((p for p in shared if p.release), None)  # a tag that cannot change release
    if exact is None:
        exact = next((p for p in shared if p.depth > line.depth), None)
    staying = [p for p in shared if p.release and p.version == line.version]
    if not staying and release:
        staying = [
            p
            for p in map(parse_tag, listed)
            if same_line(line, p) and p.release == release and p.version == line.version
        ]
    stay = min(staying, key=lambda p: p.tag, default=None)
    return (stay.tag if stay else None), (exact.tag if exact and exact.tag != written else None)


def release_token(release: OsRelease | None) -> str | None:
    """How tags name `release`: the codename (`bookworm`), or `alpine3.20` for Alpine."""
    if release is None or not release.known:
        return None
    if release.codename:
        return release.codename.lower()
    if release.id == "alpine" and release.version_id:
        return "alpine" + ".".join(release.version_id.split(".")[:2])
    return None


def retag_written(written: str, tag: str) -> str:
    """`written` (`python:3.12-slim`, `localhost:5000/py`) naming `tag` instead, digest dropped."""
    base = written.split("@", 1)[0]
    head, colon, tail = base.rpartition(":")
    name = head if colon and "/" not in tail else base
    return f"{name}:{tag}"
