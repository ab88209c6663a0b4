"""Read and write `driftwatch.lock`: what each external base image pointed to when it was locked.

The file is JSON with sorted keys and entries and no timestamps, so re-locking an unchanged world
is byte-identical and a pull request shows exactly which image moved. Paths are relative to the
repository root. Reading validates against lockschema.LockModel (shipped as lock.schema.json):
bounded size and nesting, no duplicate keys or entries, sha256 digests, checked types.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from driftwatch.atomic import write_atomic
from driftwatch.capped import read_capped
from driftwatch.errors import InputError, InvalidReference
from driftwatch.lockschema import LOCK_VERSION, LockImage, LockModel, LockOs, LockPlatform
from driftwatch.models import Observation, OsRelease, OsSource, Platform, PlatformImage, Resolution
from driftwatch.redact import shown_value
from driftwatch.reference import ImageReference, parse_reference
from driftwatch.validation import describe_error

__all__ = [
    "LOCK_VERSION",
    "LockEntry",
    "LockFile",
    "LockUse",
    "read_lock",
    "repository_root",
    "write_lock",
]

DEFAULT_LOCKFILE = "driftwatch.lock"
_OS_FIELDS = ("id", "version_id", "codename", "point_release")
MIB = 1024 * 1024
MAX_LOCK_BYTES = 64 * MIB
MAX_DEPTH = 32
_TOO_DEEP = object()


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
    """All locked images, keyed by canonical reference, and what a person should be told."""

    entries: Mapping[ImageReference, LockEntry]
    warnings: tuple[str, ...] = ()

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
        write_atomic(path, text.encode("utf-8"))
    except OSError as exc:
        raise InputError(f"cannot write lock file {path}: {exc.strerror}") from None
    return True


def read_lock(path: Path) -> LockFile:
    """Read and validate a lock file; any file that is not a valid lock is a one-line InputError."""
    text = _read_text(path)
    data = _parse_json(path, text)
    if not isinstance(data, dict) or "version" not in data:
        raise InputError(f"lock file {path} has no version field: not a driftwatch lock file")
    version = data["version"]
    if type(version) is int and version != LOCK_VERSION:
        raise InputError(
            f"lock file {path} is version {version}; this driftwatch reads version "
            f"{LOCK_VERSION} (upgrade driftwatch, or re-create it with `driftwatch lock`)"
        )
    try:
        model = LockModel.model_validate(data)
    except ValidationError as exc:
        errors = exc.errors(include_url=False)
        more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
        detail = describe_error(errors[0], LockModel)
        raise InputError(f"lock file {path} is malformed: {detail}{more}") from None
    entries: dict[ImageReference, LockEntry] = {}
    for index, image in enumerate(model.images):
        entry = _entry_from_model(path, index, image)
        if entry.reference in entries:
            raise InputError(
                f"lock file {path}: images[{index}] locks {entry.reference} a second time "
                "(re-create the lock with `driftwatch lock`)"
            )
        entries[entry.reference] = entry
    warnings = () if entries else (f"lock file {path} locks no images: nothing is checked",)
    return LockFile(entries, warnings)


def _read_text(path: Path) -> str:
    """The lock file's text: at most MAX_LOCK_BYTES of UTF-8 (a bad byte is named by offset)."""
    try:
        raw = read_capped(path, MAX_LOCK_BYTES)
    except FileNotFoundError:
        raise InputError(f"lock file {path} does not exist: run `driftwatch lock` first") from None
    except OSError as exc:
        raise InputError(f"lock file {path} cannot be read: {exc.strerror}") from None
    if raw is None:
        raise InputError(f"lock file {path} is larger than {MAX_LOCK_BYTES // MIB} MiB")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(
            f"lock file {path} is not UTF-8: byte 0x{raw[exc.start]:02x} at byte offset {exc.start}"
        ) from None


def _parse_json(path: Path, text: str) -> Any:
    """JSON with bounded nesting, no duplicate keys and no NaN/Infinity."""
    try:
        data = json.loads(text, object_pairs_hook=_unique_keys, parse_constant=_no_constant)
    except json.JSONDecodeError as exc:
        reason = f"{exc.msg} at line {exc.lineno}"
        raise InputError(f"lock file {path} is not valid JSON: {reason}") from None
    except RecursionError:
        data = _TOO_DEEP  # nested deeper than the interpreter allows: reported below
    except ValueError as exc:
        raise InputError(f"lock file {path} is not valid JSON: {exc}") from None
    if data is _TOO_DEEP or _too_deep(data):
        raise InputError(
            f"lock file {path} is not a lock file: JSON nested more than {MAX_DEPTH} deep"
        )
    return data


def _too_deep(data: Any) -> bool:
    """True when arrays and objects nest more than MAX_DEPTH deep (walked level by level)."""
    level = [data] if isinstance(data, (dict, list)) else []
    for _ in range(MAX_DEPTH):
        level = [
            child
            for node in level
            for child in (node.values() if isinstance(node, dict) else node)
            if isinstance(child, (dict, list))
        ]
        if not level:
            return False
    return True


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    found: dict[str, Any] = {}
    for key, value in pairs:
        if key in found:
            raise ValueError(f"key {shown_value(key)} appears twice in one object")
        found[key] = value
    return found


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def _entry_from_model(path: Path, index: int, image: LockImage) -> LockEntry:
    """A LockEntry from a validated image; a platform locked twice is an InputError."""
    platforms = tuple(_platform_from_model(item) for item in image.platforms)
    seen = [str(item.platform) if item.platform else item.digest for item in platforms]
    if len(set(seen)) != len(seen):
        raise InputError(
            f"lock file {path}: images[{index}] ({image.reference}) locks a platform twice"
        )
    try:
        reference = parse_reference(image.reference)
    except InvalidReference as exc:
        raise InputError(
            f"lock file {path} is malformed: images[{index}].reference = "
            f"{shown_value(image.reference)}: {exc}"
        ) from None
    return LockEntry(
        reference=reference,
        digest=image.digest,
        media_type=image.media_type,
        platforms=platforms,
        uses=tuple(LockUse(use.file, use.written) for use in image.uses),
        os_detect=image.os_detect,
        platform_filter=tuple(Platform.parse(text) for text in image.platform_filter),
    )


def _platform_from_model(item: LockPlatform) -> PlatformImage:
    os_release = (
        OsRelease(
            **{name: getattr(item.os, name) for name in _OS_FIELDS}, source=_os_source(item.os)
        )
        if item.os is not None
        else None
    )
    return PlatformImage(
        platform=Platform.parse(item.platform) if item.platform else None,
        digest=item.digest,
        media_type=item.media_type,
        os=os_release,
    )


def _os_source(os_data: LockOs) -> str:
    """`lock`, or `layers` for an image locked as having no OS release (scratch): settled."""
    settled = not os_data.id and os_data.none is True
    return OsSource.LAYERS.value if settled else OsSource.LOCK.value


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
