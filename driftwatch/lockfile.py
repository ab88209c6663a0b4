"""Read and write `driftwatch.lock`: what each external base image pointed to when it was locked.

The file is JSON with sorted keys and entries and no timestamps, so re-locking an unchanged world
is byte-identical and a pull request shows exactly which image moved. Paths are relative to the
repository root.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from driftwatch.errors import InputError
from driftwatch.models import Observation, OsRelease, Platform, PlatformImage, Resolution
from driftwatch.reference import ImageReference, parse_reference

__all__ = [
    "LOCK_VERSION",
    "LockEntry",
    "LockFile",
    "LockUse",
    "read_lock",
    "repository_root",
    "write_lock",
]

LOCK_VERSION = 1
DEFAULT_LOCKFILE = "driftwatch.lock"
_OS_FIELDS = ("id", "version_id", "codename", "point_release")


@dataclass(frozen=True, order=True)
class LockUse:
    """One file that names a locked image, and how it was written there."""

    file: str
    written: str


@dataclass(frozen=True)
class LockEntry:
    """One locked image: its canonical reference, top digest and per-platform digests and OS."""

    reference: ImageReference
    digest: str
    media_type: str
    platforms: tuple[PlatformImage, ...]
    uses: tuple[LockUse, ...]
    os_detect: str | None = None  # "off" when locked with `--os-detect off` (OS not judged)
    platform_filter: tuple[Platform, ...] = ()  # `lock --platform`: only these were locked

    def as_observation(self) -> Observation:
        """The locked state as an Observation, so `check` compares it like `scan` does."""
        return Observation(
            reference=self.reference,
            observed_at=datetime.fromtimestamp(0, tz=timezone.utc),
            digest=self.digest,
            media_type=self.media_type,
            platforms=self.platforms,
        )


@dataclass(frozen=True)
class LockFile:
    """All locked images, keyed by canonical reference."""

    entries: Mapping[ImageReference, LockEntry]

    def get(self, reference: ImageReference) -> LockEntry | None:
        """The entry locked for `reference`, or None when it is not locked."""
        return self.entries.get(reference)


def repository_root(config_file: Path | None, start: Path | None = None) -> Path:
    """The folder lock paths are relative to: nearest one up holding the config or `.git`."""
    here = (start or Path.cwd()).resolve()
    config_dir = config_file.resolve().parent if config_file else None
    for folder in (here, *here.parents):
        if folder == config_dir or (folder / ".git").exists():
            return folder
    return here


def entry_from_resolution(
    resolution: Resolution | Observation,
    uses: Iterable[LockUse],
    *,
    os_detect: str | None = None,
    platform_filter: Iterable[Platform] = (),
) -> LockEntry:
    """A lock entry for what `resolution` says the reference points to now."""
    if resolution.digest is None:
        raise ValueError(f"{resolution.reference} has no digest to lock")
    return LockEntry(
        reference=resolution.reference,
        digest=resolution.digest,
        media_type=resolution.media_type or "",
        platforms=tuple(sorted(resolution.platforms, key=_platform_key)),
        uses=tuple(sorted(set(uses))),
        os_detect="off" if os_detect == "off" else None,
        platform_filter=tuple(sorted({p.normalized() for p in platform_filter})),
    )


def render_lock(entries: Iterable[LockEntry]) -> str:
    """The lock file text: stable JSON, sorted keys and entries, trailing newline."""
    images = [_entry_to_json(entry) for entry in sorted(entries, key=lambda e: str(e.reference))]
    return json.dumps({"version": LOCK_VERSION, "images": images}, indent=2, sort_keys=True) + "\n"


def write_lock(path: Path, entries: Iterable[LockEntry]) -> bool:
    """Write the lock file atomically; return True when its content changed."""
    text = render_lock(entries)
    try:
        if path.is_file() and path.read_text(encoding="utf-8") == text:
            return False
        temporary = path.with_name(path.name + ".tmp")
        temporary.write_text(text, encoding="utf-8")
        temporary.replace(path)
    except OSError as exc:
        raise InputError(f"cannot write lock file {path}: {exc.strerror}") from None
    return True


def read_lock(path: Path) -> LockFile:
    """Read a lock file; a missing, unreadable, malformed or newer-version file is an InputError."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError(f"lock file {path} does not exist: run `driftwatch lock` first") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"lock file {path} cannot be read: {exc}") from None
    except json.JSONDecodeError as exc:
        reason = f"{exc.msg} at line {exc.lineno}"
        raise InputError(f"lock file {path} is not valid JSON: {reason}") from None
    if not isinstance(data, dict) or "version" not in data:
        raise InputError(f"lock file {path} has no version field: not a driftwatch lock file")
    if data["version"] != LOCK_VERSION:
        raise InputError(
            f"lock file {path} is version {data['version']!r}; this driftwatch reads version "
            f"{LOCK_VERSION} (upgrade driftwatch, or re-create it with `driftwatch lock`)"
        )
    try:
        entries = [_entry_from_json(item) for item in data.get("images", [])]
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise InputError(f"lock file {path} is malformed: {exc}") from None
    return LockFile({entry.reference: entry for entry in entries})


def _platform_key(image: PlatformImage) -> tuple[str, str]:
    return (str(image.platform) if image.platform else "", image.digest)


def _entry_to_json(entry: LockEntry) -> dict[str, Any]:
    data: dict[str, Any] = {
        "reference": str(entry.reference),
        "digest": entry.digest,
        "media_type": entry.media_type,
        "platforms": [_platform_to_json(image) for image in entry.platforms],
        "uses": [{"file": use.file, "written": use.written} for use in entry.uses],
    }
    if entry.os_detect:
        data["os_detect"] = entry.os_detect
    if entry.platform_filter:
        data["platform_filter"] = [str(platform) for platform in entry.platform_filter]
    return data


def _platform_to_json(image: PlatformImage) -> dict[str, Any]:
    os_release = image.os
    found = {name: getattr(os_release, name) for name in _OS_FIELDS} if os_release else None
    if found is not None and os_release is not None and not os_release.known:
        found["none"] = os_release.unsettled is None  # proven: the image has no os-release
    return {
        "platform": str(image.platform) if image.platform else None,
        "digest": image.digest,
        "media_type": image.media_type,
        "os": found if found and (found["id"] or found.get("none")) else None,
    }


def _os_source(os_data: Mapping[str, Any]) -> str:
    """`lock`, or `layers` for an image locked as having no OS release (scratch): settled."""
    return "layers" if not os_data.get("id") and os_data.get("none") is True else "lock"


def _entry_from_json(item: Mapping[str, Any]) -> LockEntry:
    return LockEntry(
        reference=parse_reference(item["reference"]),
        digest=str(item["digest"]),
        media_type=str(item["media_type"]),
        platforms=tuple(_platform_from_json(p) for p in item.get("platforms", [])),
        uses=tuple(LockUse(str(u["file"]), str(u["written"])) for u in item.get("uses", [])),
        os_detect="off" if item.get("os_detect") == "off" else None,
        platform_filter=tuple(Platform.parse(str(p)) for p in item.get("platform_filter", [])),
    )


def _platform_from_json(item: Mapping[str, Any]) -> PlatformImage:
    platform = item.get("platform")
    os_data = item.get("os")
    os_release = (
        OsRelease(**{name: os_data.get(name) for name in _OS_FIELDS}, source=_os_source(os_data))
        if os_data
        else None
    )
    return PlatformImage(
        platform=Platform.parse(platform) if platform else None,
        digest=str(item["digest"]),
        media_type=str(item.get("media_type", "")),
        os=os_release,
    )
