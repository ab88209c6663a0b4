"""Plain frozen data passed between the stages of the flow.

sources -> references -> registry -> osinfo -> history -> drift -> report/notify.
None of these classes knows about the database, the network or the terminal.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import Enum, IntEnum

from driftwatch.reference import ImageReference

__all__ = [
    "BaseImageUse",
    "Drift",
    "DriftKind",
    "Observation",
    "Severity",
    "OsRelease",
    "Platform",
    "PlatformImage",
    "ResolveFailure",
    "Resolution",
    "UseKind",
]


@dataclass(frozen=True, order=True)
class Platform:
    """An OCI platform such as linux/arm64/v8; `str()` gives `os/arch[/variant]`."""

    os: str
    architecture: str
    variant: str | None = None

    def __str__(self) -> str:
        parts = [self.os, self.architecture] + ([self.variant] if self.variant else [])
        return "/".join(parts)

    @classmethod
    def parse(cls, text: str) -> Platform:
        """Read `os/arch[/variant]`; raises ValueError on any other shape."""
        parts = text.strip().split("/")
        if len(parts) not in (2, 3) or not all(parts):
            raise ValueError(f"platform {text!r} is not os/arch[/variant]")
        return cls(parts[0], parts[1], parts[2] if len(parts) == 3 else None)


@dataclass(frozen=True)
class OsRelease:
    """The OS release inside one platform image, and which evidence said so."""

    id: str | None
    version_id: str | None = None
    codename: str | None = None
    pretty_name: str | None = None
    point_release: str | None = None
    source: str = "unknown"
    undetermined: str | None = None  # why the release could not be settled, when it could not
    disagreement: str | None = None  # full mode: where a cheaper hint contradicts the filesystem

    @property
    def known(self) -> bool:
        """True when an OS id was found."""
        return self.id is not None

    def describe(self) -> str:
        """Human name such as `Debian 12 (bookworm)` or `Alpine 3.19.1`."""
        if not self.id:
            return "unknown OS" + (f" ({self.undetermined})" if self.undetermined else "")
        name = _OS_NAMES.get(self.id, self.id)
        version = self.version_id or ""
        text = f"{name} {version}".strip()
        return f"{text} ({self.codename})" if self.codename else text


_OS_NAMES = {
    "debian": "Debian",
    "ubuntu": "Ubuntu",
    "alpine": "Alpine",
    "rhel": "RHEL",
    "centos": "CentOS",
    "fedora": "Fedora",
    "rocky": "Rocky Linux",
    "almalinux": "AlmaLinux",
    "amzn": "Amazon Linux",
    "wolfi": "Wolfi",
    "ol": "Oracle Linux",
    "opensuse-leap": "openSUSE Leap",
    "sles": "SLES",
    "photon": "Photon OS",
    "mariner": "CBL-Mariner",
    "azurelinux": "Azure Linux",
    "chainguard": "Chainguard",
}


@dataclass(frozen=True)
class PlatformImage:
    """One platform's manifest under a tag: the digest that a build on that platform pulls."""

    platform: Platform | None  # None when the manifest's config was not read
    digest: str
    media_type: str
    size: int | None = None
    os: OsRelease | None = None


@dataclass(frozen=True)
class Resolution:
    """What a reference points to now: the top digest (index or manifest) and its platforms."""

    reference: ImageReference
    digest: str
    media_type: str
    platforms: tuple[PlatformImage, ...] = ()
    ratelimit_remaining: int | None = None

    @property
    def is_index(self) -> bool:
        """True when the reference names an index (manifest list) rather than one manifest."""
        return "index" in self.media_type or "manifest.list" in self.media_type


@dataclass(frozen=True)
class ResolveFailure:
    """A reference that could not be resolved, with a one-line reason; never aborts the others."""

    reference: ImageReference
    reason: str
    error_type: str  # name of the driftwatch.errors class, e.g. "NotFound"
    exit_code: int = 3


class UseKind(str, Enum):
    """Where in a file a base image reference was written."""

    FROM = "from"
    COPY_FROM = "copy-from"
    MOUNT_FROM = "mount-from"
    SYNTAX = "syntax"
    COMPOSE = "compose"
    WORKFLOW = "workflow"  # GitHub Actions: job container, service containers, docker:// steps
    GITLAB = "gitlab-ci"  # .gitlab-ci.yml: image and services
    BAKE = "bake"  # docker-bake.hcl/json: contexts = docker-image://
    KUBERNETES = "kubernetes"  # manifests: containers[].image in pod specs
    WATCH = "watch"


@dataclass(frozen=True)
class BaseImageUse:
    """One place a repository names an external image, with the reference it resolves to."""

    file: str  # relative to the scanned root, with forward slashes
    line: int  # 1-based
    column: int  # 1-based, where the reference text starts
    written: str  # the text as written in the file
    kind: UseKind
    reference: ImageReference | None = None
    problem: str | None = None  # why `reference` is None
    stage: str | None = None
    platform: str | None = None
    notes: tuple[str, ...] = field(default=())
    ignore: tuple[str, ...] = field(default=())  # rule ids an inline comment suppresses; "*" = all
    advice: str = ""  # what to do when `reference` is None, for this very reference
    platform_dependent: bool = False  # unresolved only because the build platform is not known


class Severity(IntEnum):
    """How serious a drift is; `--fail-on LEVEL` fails on this level and above."""

    DIGEST = 1  # the bytes moved, the OS did not (rebuilds, platforms coming and going)
    OS = 2  # the OS point release moved (12.5 -> 12.6)
    RELEASE = 3  # the OS release moved (bullseye -> bookworm): the incident

    @classmethod
    def from_fail_on(cls, level: str) -> Severity | None:
        """`never|digest|os|release` -> the lowest severity that fails (None: never fail)."""
        return None if level == "never" else cls[level.upper()]


class DriftKind(str, Enum):
    """What changed under a reference; the values are the names used in every output."""

    OS_RELEASE = "os-release"
    OS_POINT_RELEASE = "os-point-release"
    DIGEST = "digest"
    PLATFORM_ADDED = "platform-added"
    PLATFORM_REMOVED = "platform-removed"
    TAG_VANISHED = "tag-vanished"
    TAG_REAPPEARED = "tag-reappeared"

    @property
    def severity(self) -> Severity:
        """The severity every drift of this kind has."""
        if self is DriftKind.OS_RELEASE:
            return Severity.RELEASE
        if self is DriftKind.OS_POINT_RELEASE:
            return Severity.OS
        return Severity.DIGEST


@dataclass(frozen=True)
class Observation:
    """What one run saw for one reference: its top digest and platforms, or that it was missing."""

    reference: ImageReference
    observed_at: datetime
    digest: str | None  # None when the tag was not found (404)
    media_type: str | None = None
    platforms: tuple[PlatformImage, ...] = ()

    @property
    def missing(self) -> bool:
        """True when the registry said the tag does not exist."""
        return self.digest is None


@dataclass(frozen=True)
class Drift:
    """One change between two observations of a reference, for one platform (or the whole tag)."""

    kind: DriftKind
    reference: ImageReference
    platform: str | None  # None for tag-level kinds (tag-vanished, tag-reappeared)
    old: PlatformImage | None
    new: PlatformImage | None
    detected_at: datetime

    @property
    def severity(self) -> Severity:
        """Severity of this drift's kind."""
        return self.kind.severity
