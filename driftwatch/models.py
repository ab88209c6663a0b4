"""Plain frozen data passed between the stages of the flow.

sources -> references -> registry -> osinfo -> history -> drift -> report/notify.
None of these classes knows about the database, the network or the terminal.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import Enum, IntEnum
from typing import TYPE_CHECKING

from driftwatch.redact import printable
from driftwatch.reference import ImageReference

if TYPE_CHECKING:
    from driftwatch.pkgdiff import Explanation

__all__ = [
    "BaseImageUse",
    "Drift",
    "DriftKind",
    "EOL_ROUTE",
    "ERROR_ROUTE",
    "FAIL_ON",
    "LEVELS",
    "Level",
    "Observation",
    "LIBRARY_ROUTE",
    "ROUTES",
    "Severity",
    "OsRelease",
    "OsSource",
    "Platform",
    "PlatformImage",
    "ResolveFailure",
    "Resolution",
    "Undetermined",
    "UseKind",
    "os_of",
]


@dataclass(frozen=True, order=True)
class Platform:
    """An OCI platform such as linux/arm64/v8; `str()` gives `os/arch[/variant][:os.version]`.

    `os_version` is kept for Windows only (`windows/amd64:10.0.20348`): one index serves several
    Windows builds for the same os/arch, and a runtime picks by build.
    """

    os: str
    architecture: str
    variant: str | None = None
    os_version: str | None = None

    def __str__(self) -> str:
        parts = [self.os, self.architecture] + ([self.variant] if self.variant else [])
        return "/".join(parts) + (f":{self.os_version}" if self.os_version else "")

    @classmethod
    def parse(cls, text: str) -> Platform:
        """Read `os/arch[/variant][:os.version]`; raises ValueError on any other shape."""
        base, _, os_version = text.strip().partition(":")
        parts = base.split("/")
        if len(parts) not in (2, 3) or not all(parts) or (_ and not os_version):
            raise ValueError(f"platform {text!r} is not os/arch[/variant]")
        variant = parts[2] if len(parts) == 3 else None
        return cls(parts[0], parts[1], variant, os_version or None)

    def normalized(self) -> Platform:
        """The platform as container runtimes match it: `arm64` is `arm64/v8`, `amd64/v1` is
        `amd64`, `arm` is `arm/v7` (containerd's normalisation, variants spelt `vN`)."""
        os_name = self.os.lower()
        lowered = self.architecture.lower()
        arch, variant = _ARCH_ALIASES.get(lowered, (lowered, None))
        variant = (self.variant or variant or "").lower() or None
        if variant and variant.isdigit():
            variant = f"v{variant}"
        if arch == "arm64" and variant in (None, "v8.0"):
            variant = "v8"
        elif arch == "amd64" and variant == "v1":
            variant = None
        elif arch == "arm" and variant is None:
            variant = "v7"
        elif arch == "386":
            variant = None
        os_version = None
        if os_name == "windows" and self.os_version:  # a build, not its monthly revision
            os_version = ".".join(self.os_version.split(".")[:3])
        return Platform(os_name, arch, variant, os_version)


_ARCH_ALIASES: dict[str, tuple[str, str | None]] = {
    "x86_64": ("amd64", None),
    "x86-64": ("amd64", None),
    "aarch64": ("arm64", None),
    "i386": ("386", None),
    "armhf": ("arm", "v7"),
    "armel": ("arm", "v6"),
}


class OsSource(str, Enum):
    """The kinds of evidence an OS release comes from: what `OsRelease.source` starts with.

    A source is `<kind>` or `<kind>:<detail>` (`layer:usr/lib/os-release`, `cache:layers`).
    """

    LAYER = "layer"  # an os-release file read from a layer: `layer:<path>`
    LAYERS = "layers"  # every layer read and no os-release found (scratch), or a read failed
    ANNOTATION = "annotation"  # an OCI annotation naming the base image or its version
    CONFIG_HISTORY = "config-history"  # the image config's build history (debian.sh, rootfs)
    CONFIG_LABEL = "config-label"  # a label in the image config (UBI)
    CONFIG = "config"  # `config:<field>`: the image config itself (Windows `os.version`)
    CACHE = "cache"  # `cache:<source>`: an earlier detection of the same digest
    LOCK = "lock"  # recorded in driftwatch.lock
    OFF = "off"  # detection switched off (`--os-detect off`)
    ERROR = "error"  # detection raised: the release is undetermined
    UNKNOWN = "unknown"  # nothing recorded

    def __str__(self) -> str:
        return self.value

    def at(self, detail: str) -> str:
        """`<kind>:<detail>`, e.g. `OsSource.LAYER.at("etc/os-release")`."""
        return f"{self.value}:{detail}"

    @classmethod
    def of(cls, source: str) -> OsSource:
        """The kind of evidence behind a source, looking through `cache:`; UNKNOWN if unnamed."""
        kind = source.removeprefix(f"{cls.CACHE.value}:").split(":", 1)[0]
        return cls(kind) if kind in _OS_SOURCES else cls.UNKNOWN


_OS_SOURCES = frozenset(source.value for source in OsSource)


@dataclass(frozen=True)
class OsRelease:
    """The OS release inside one platform image, and which evidence said so."""

    id: str | None
    version_id: str | None = None
    codename: str | None = None
    pretty_name: str | None = None
    point_release: str | None = None
    source: str = OsSource.UNKNOWN.value  # an OsSource kind, `<kind>:<detail>` for some
    undetermined: str | None = None  # why the release could not be settled, when it could not
    disagreement: str | None = None  # full mode: where a cheaper hint contradicts the filesystem

    def __post_init__(self) -> None:
        """Image-supplied text never carries control characters (escaped as `\\xNN`)."""
        for name in ("id", "version_id", "codename", "pretty_name", "point_release"):
            value = getattr(self, name)
            if value is not None and not value.isprintable():
                object.__setattr__(self, name, printable(value))

    @property
    def known(self) -> bool:
        """True when an OS id was found."""
        return self.id is not None

    @property
    def unsettled(self) -> Undetermined | None:
        """Why this release was not established (None: an OS was found, or proven absent).

        An image without any os-release file (scratch) is settled by a full read of its layers
        (source `layers`); every other OS-less value (detection off, an error, a bound reached,
        nothing recorded) is undetermined and must never be read as "the same OS".
        """
        if self.id is not None:
            return None
        if self.undetermined:
            return Undetermined(self.undetermined, chosen=self.source == OsSource.OFF)
        if self.source.removeprefix("cache:") == OsSource.LAYERS:
            return None
        if self.source == OsSource.OFF:
            return Undetermined("OS detection is off", chosen=True)
        return Undetermined(f"no OS release was recorded ({self.source})")

    @classmethod
    def off(cls) -> OsRelease:
        """The value for an image whose OS was not looked for (`--os-detect off`)."""
        return cls(id=None, source=OsSource.OFF.value, undetermined="OS detection is off")

    def describe(self) -> str:
        """Human name such as `Debian 12 (bookworm)`; `undetermined (why)` when a bound hit."""
        if not self.id:
            return f"undetermined ({self.undetermined})" if self.undetermined else "unknown OS"
        name = _OS_NAMES.get(self.id, self.id)
        version = self.version_id or ""
        text = f"{name} {version}".strip()
        return f"{text} ({self.codename})" if self.codename else text


@dataclass(frozen=True)
class Undetermined:
    """Could not establish an image's OS release: data, never a default readable as "same".

    `chosen` is True when the user asked for it (`--os-detect off`): a warning, not a failure.
    """

    reason: str
    chosen: bool = False


def os_of(image: PlatformImage | None) -> OsRelease | Undetermined:
    """The established OS release of a platform image, or why there is none."""
    if image is None or image.os is None:
        return Undetermined("its OS release was not detected")
    return image.os.unsettled or image.os


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
    "windows": "Windows",
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
    DEVCONTAINER = "devcontainer"  # devcontainer.json: image
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


class Level(str, Enum):
    """How a finding is reported: the one report scale (lint, check) every output format maps.

    Ordered by seriousness (`NOTE < WARNING < ERROR`), not alphabetically.
    """

    NOTE = "note"
    WARNING = "warning"
    ERROR = "error"

    def __str__(self) -> str:
        return self.value

    @property
    def rank(self) -> int:
        """0 for note, 1 for warning, 2 for error."""
        return _LEVEL_ORDER.index(self)

    @property
    def github(self) -> str:
        """The GitHub Actions workflow command: `notice`, `warning`, `error`."""
        return "notice" if self is Level.NOTE else self.value

    @property
    def gitlab(self) -> str:
        """The GitLab Code Quality severity: `info`, `minor`, `major`."""
        return {Level.NOTE: "info", Level.WARNING: "minor", Level.ERROR: "major"}[self]

    @property
    def sarif(self) -> str:
        """The SARIF result level: `note`, `warning`, `error`."""
        return self.value

    def __lt__(self, other: object) -> bool:
        return self.rank < Level(other).rank if isinstance(other, str) else NotImplemented

    def __le__(self, other: object) -> bool:
        return self.rank <= Level(other).rank if isinstance(other, str) else NotImplemented

    def __gt__(self, other: object) -> bool:
        return self.rank > Level(other).rank if isinstance(other, str) else NotImplemented

    def __ge__(self, other: object) -> bool:
        return self.rank >= Level(other).rank if isinstance(other, str) else NotImplemented

    __hash__ = str.__hash__


_LEVEL_ORDER = (Level.NOTE, Level.WARNING, Level.ERROR)
LEVELS: tuple[str, ...] = tuple(level.value for level in _LEVEL_ORDER)  # lowest first


class Severity(IntEnum):
    """How serious a drift is: the one drift scale; `--fail-on WORD` fails on this and above.

    Its mappings, each defined here once: the `--fail-on` word (`fail_on`), the notify route
    (`route`) and the report level a drift is shown at under a policy (`level`).
    """

    DIGEST = 1  # the bytes moved, the OS did not (rebuilds, platforms coming and going)
    OS = 2  # the OS point release moved (12.5 -> 12.6)
    RELEASE = 3  # the OS release moved (bullseye -> bookworm): the incident

    @property
    def fail_on(self) -> str:
        """The `--fail-on` word failing at this severity: `digest`, `os`, `release`."""
        return self.name.lower()

    @property
    def route(self) -> str:
        """The notify route (`on = [...]`) news of this severity takes."""
        return self.name.lower()

    def level(self, floor: Severity | None) -> Level:
        """The report level: error at or above the `--fail-on` floor, else warning for OS
        moves and note for digest moves."""
        if floor is not None and self >= floor:
            return Level.ERROR
        return Level.WARNING if self >= Severity.OS else Level.NOTE

    @classmethod
    def from_fail_on(cls, level: str) -> Severity | None:
        """`never|digest|os|release` -> the lowest severity that fails (None: never fail)."""
        return None if level == "never" else cls[level.upper()]


FAIL_ON: tuple[str, ...] = ("never", *(severity.fail_on for severity in Severity))
EOL_ROUTE = "eol"  # an OS release's end of life: news, never a move
ERROR_ROUTE = "error"  # could not check an image
LIBRARY_ROUTE = "library-removed"  # a move that took a shared library out, whatever its severity
ROUTES: tuple[str, ...] = (
    *(s.route for s in reversed(Severity)),
    EOL_ROUTE,
    ERROR_ROUTE,
    LIBRARY_ROUTE,
)


class DriftKind(str, Enum):
    """What changed under a reference; the values are the names used in every output."""

    OS_RELEASE = "os-release"
    OS_POINT_RELEASE = "os-point-release"
    DIGEST = "digest"
    PLATFORM_ADDED = "platform-added"
    PLATFORM_REMOVED = "platform-removed"
    TAG_VANISHED = "tag-vanished"
    TAG_REAPPEARED = "tag-reappeared"
    OS_EOL = "os-eol"  # the detected OS release ends within the warning window or has ended

    @property
    def moves(self) -> bool:
        """False for news about a release (os-eol): recorded and alerted, never `--fail-on`."""
        return self is not DriftKind.OS_EOL

    @property
    def severity(self) -> Severity:
        """The severity every drift of this kind has."""
        if self in (DriftKind.OS_RELEASE, DriftKind.TAG_VANISHED):
            return Severity.RELEASE  # a vanished tag breaks the next build as surely
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
    undetermined: Undetermined | None = None  # a digest move whose OS move cannot be judged
    breaking: bool = False  # platform-removed for a platform the lock or config names
    explanation: Explanation | None = None  # the move class and what the packages did
    eol_state: str | None = None  # os-eol news: `ending` or `ended` on the day it was found

    @property
    def severity(self) -> Severity:
        """Severity of this drift: its kind's, raised to RELEASE when it breaks the build."""
        if self.breaking:
            return Severity.RELEASE
        return self.kind.severity

    @property
    def route(self) -> str:
        """The notify route this drift takes: `eol` for end-of-life news, else its severity's."""
        return EOL_ROUTE if self.kind is DriftKind.OS_EOL else self.severity.route
