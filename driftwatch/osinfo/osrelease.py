"""Read os-release, debian_version, alpine-release and system-release into an OsRelease."""

from __future__ import annotations

import re
import shlex
from collections.abc import Mapping
from dataclasses import asdict, fields
from typing import Any

from driftwatch.models import OsRelease

__all__ = [
    "POINT_RELEASE_FILES",
    "parse_os_release",
    "release_from_files",
    "release_from_json",
    "release_line",
    "release_to_json",
]

# Which extra file gives the point release, per os-release ID.
POINT_RELEASE_FILES: dict[str, str] = {
    "debian": "etc/debian_version",
    "alpine": "etc/alpine-release",
    "amzn": "etc/system-release",
}
_RHEL_LIKE = frozenset({"rhel", "centos", "rocky", "almalinux", "ol", "fedora"})
_KEY = re.compile(r"[A-Z][A-Z0-9_]*")
_PAREN_CODENAME = re.compile(r"\(([a-z]+)\)")
_DOTTED = re.compile(r"\d+(?:\.\d+)+")
_POINT = re.compile(r"\d+(?:\.\d+)*")
# A VERSION_ID that is a date (Wolfi 20230201, Chainguard 20230214, openSUSE Tumbleweed 20240612)
# names the snapshot a rolling distribution was built from, not a release: it changes every build.
# Alpine edge: `VERSION_ID=3.21.0_alpha20240807` (or `3.18_alpha20230329`), "Alpine Linux edge".
_ALPINE_EDGE = re.compile(r"_alpha\d{8}$")
_SNAPSHOT_DATE = re.compile(r"(?:19|20)\d\d(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])")


def parse_os_release(text: str) -> dict[str, str]:
    """Key/value pairs of an os-release file (shell-quoted values, comments ignored)."""
    values: dict[str, str] = {}
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        key, _, raw = line.partition("=")
        if not _KEY.fullmatch(key):
            continue
        try:
            parts = shlex.split(raw, posix=True)
        except ValueError:
            parts = [raw.strip("\"'")]
        values[key] = " ".join(parts)
    return values


def release_from_files(
    os_release: str, source: str, extra: Mapping[str, str | None] | None = None
) -> OsRelease:
    """An OsRelease from an os-release text and, when read, the ID's point-release file."""
    fields = parse_os_release(os_release)
    os_id = (fields.get("ID") or "").lower() or None
    version_id = fields.get("VERSION_ID") or None
    codename = fields.get("VERSION_CODENAME") or fields.get("UBUNTU_CODENAME") or None
    if codename is None:
        found = _PAREN_CODENAME.search(fields.get("VERSION", ""))
        codename = found.group(1) if found else None
    if os_id == "alpine" and codename is None and _ALPINE_EDGE.search(version_id or ""):
        codename = "edge"  # a dated snapshot of the development branch, one rolling release
    point = _point_release(os_id, version_id, fields, (extra or {}))
    if os_id == "wolfi" or (version_id and _SNAPSHOT_DATE.fullmatch(version_id)):
        version_id, point = "rolling", version_id
    return OsRelease(
        id=os_id,
        version_id=version_id,
        codename=codename,
        pretty_name=fields.get("PRETTY_NAME") or None,
        point_release=point,
        source=source,
    )


def _point_release(
    os_id: str | None,
    version_id: str | None,
    fields: Mapping[str, str],
    extra: Mapping[str, str | None],
) -> str | None:
    """The point release (12.5, 3.19.1, 24.04.1, 9.4) where the image says it."""
    if os_id in POINT_RELEASE_FILES:
        text = (extra.get(POINT_RELEASE_FILES[os_id]) or "").strip()
        pattern = _DOTTED if os_id == "amzn" else _POINT
        found = pattern.search(text) if os_id == "amzn" else pattern.fullmatch(text)
        if found:
            return found.group(0)
        return version_id if os_id == "alpine" and version_id else None
    if os_id == "ubuntu":
        found = _DOTTED.match(fields.get("VERSION", ""))
        return found.group(0) if found else None
    if os_id in _RHEL_LIKE and version_id and "." in version_id:
        return version_id
    return None


def release_line(release: OsRelease) -> str | None:
    """What must stay equal for the release to be unmoved: `debian bookworm`, `alpine 3.19`."""
    if release.id is None:
        return None
    if release.codename and release.id in ("debian", "ubuntu", "alpine"):
        return f"{release.id} {release.codename}"
    version = release.version_id or ""
    if release.id in _RHEL_LIKE:
        version = version.split(".")[0]
    elif release.id in ("alpine", "ubuntu"):
        version = ".".join(version.split(".")[:2])
    return f"{release.id} {version}".strip()


_RELEASE_FIELDS = frozenset(f.name for f in fields(OsRelease))


def release_to_json(release: OsRelease) -> dict[str, Any]:
    """An OsRelease as a JSON object (what the cache keeps)."""
    return asdict(release)


def release_from_json(data: Mapping[str, Any]) -> OsRelease | None:
    """An OsRelease back from `release_to_json`, or None when the shape does not fit."""
    if not isinstance(data, Mapping) or "id" not in data:
        return None
    known = {k: v for k, v in data.items() if k in _RELEASE_FIELDS}
    if not all(v is None or isinstance(v, str) for v in known.values()):
        return None
    return OsRelease(**known)
