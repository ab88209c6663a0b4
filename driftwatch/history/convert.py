"""Turn models.py dataclasses into row values and rows back into dataclasses."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from datetime import datetime, timezone
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from driftwatch.models import Drift, DriftKind, Observation, OsRelease, Platform, PlatformImage
from driftwatch.pkgdiff import Explanation
from driftwatch.reference import ImageReference, parse_reference

if TYPE_CHECKING:
    from driftwatch.aliases import Aliases

__all__ = [
    "FULL_OS_COLUMNS",
    "aliases_from_row",
    "aliases_json",
    "drift_values",
    "fingerprint",
    "os_from_columns",
    "os_from_row",
    "os_values",
    "platform_values",
    "reference_of",
    "stored_drift_parts",
    "utc",
]

_SHORT_OS = ("id", "version_id", "codename", "point_release")
_FULL_OS = (*_SHORT_OS, "pretty_name", "source", "undetermined")
FULL_OS_COLUMNS = tuple(f"os_{name}" for name in _FULL_OS)  # the order os_from_columns reads


def utc(moment: datetime) -> datetime:
    """`moment` as an aware UTC datetime (SQLite hands timestamps back naive)."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc)


def fingerprint(observation: Observation) -> str:
    """Hash of the top digest and every platform digest: equal means nothing moved."""
    if observation.missing:
        return "missing"
    parts = [observation.digest or ""]
    parts += sorted(f"{p.platform}={p.digest}" for p in observation.platforms)
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()


def os_values(os: OsRelease | None, prefix: str = "os_", full: bool = True) -> dict[str, Any]:
    """Column values for an OS release (all None when unknown)."""
    names = _FULL_OS if full else _SHORT_OS
    values = {f"{prefix}{name}": getattr(os, name) if os else None for name in names}
    if full and os is None:
        values[f"{prefix}source"] = "unknown"
    return values


def os_from_row(row: Mapping[Any, Any], prefix: str = "os_") -> OsRelease | None:
    """The OsRelease in a row's columns; None when nothing at all was recorded."""
    return os_from_columns(tuple(row.get(f"{prefix}{name}") for name in _FULL_OS))


@lru_cache(maxsize=1024)
def os_from_columns(columns: tuple[Any, ...]) -> OsRelease | None:
    """The OsRelease of FULL_OS_COLUMNS values, built once per distinct value (it is frozen)."""
    values: dict[str, Any] = dict(zip(_FULL_OS, columns, strict=True))
    if values["source"] is None:
        values["source"] = "unknown"
    if not values["id"] and values["source"] == "unknown" and not values["undetermined"]:
        return None
    return OsRelease(**values)


def platform_values(image: PlatformImage, key: str) -> dict[str, Any]:
    """Column values for one platform of an observation."""
    base = {"platform": key, "digest": image.digest, "media_type": image.media_type}
    return {**base, "size": image.size, **os_values(image.os)}


def platform_image(row: Mapping[Any, Any]) -> PlatformImage:
    """A PlatformImage from an observation_platform row."""
    platform = _platform(row["platform"])
    return PlatformImage(platform, row["digest"], row["media_type"], row["size"], os_from_row(row))


@lru_cache(maxsize=256)
def _platform(key: str | None) -> Platform | None:
    """A stored platform key parsed once (frozen: safe to share); None when not os/arch."""
    return Platform.parse(key) if key and "/" in key else None


def drift_values(drift: Drift) -> dict[str, Any]:
    """Column values describing a drift (the ids and run are added by the store)."""
    values: dict[str, Any] = {"kind": drift.kind.value, "platform": drift.platform or ""}
    for side, image in (("old", drift.old), ("new", drift.new)):
        values[f"{side}_digest"] = image.digest if image else None
        values.update(os_values(image.os if image else None, f"{side}_os_", full=False))
    values["detected_at"] = utc(drift.detected_at)
    if drift.eol_state:  # revision 0004's column, named only when set (default: "")
        values["eol_state"] = drift.eol_state
    return values


@lru_cache(maxsize=8192)
def reference_of(canonical: str) -> ImageReference:
    """The reference a stored canonical name stands for (parsed once: references are frozen)."""
    return parse_reference(canonical)


def stored_drift_parts(row: Mapping[Any, Any]) -> Drift:
    """The Drift an event row (joined with its reference's canonical name) describes."""
    platform = row["platform"] or None
    sides = {side: _side(row, side, platform) for side in ("old", "new")}
    return Drift(
        DriftKind(row["kind"]),
        reference_of(row["canonical"]),
        platform,
        sides["old"],
        sides["new"],
        utc(row["detected_at"]),
        explanation=_explanation(row),
        eol_state=row.get("eol_state") or None,
    )


def _explanation(row: Mapping[Any, Any]) -> Explanation | None:
    """The stored explanation of an event (v2 columns), None when it was never explained."""
    text = row.get("changes")
    if text:
        try:
            return Explanation.from_json(json.loads(text))
        except (KeyError, TypeError, ValueError):
            pass
    move = row.get("move")
    return Explanation(move) if move else None


def explanation_values(explanation: Explanation | None) -> dict[str, Any]:
    """The v2 columns for an explanation."""
    if explanation is None:
        return {"move": None, "changes": None}
    return {"move": explanation.move, "changes": json.dumps(explanation.to_json())}


def aliases_json(aliases: Aliases) -> str:
    """The tags a run found for a reference's old digest, as stored on its events (0004)."""
    return json.dumps(
        {
            "digest": aliases.digest,
            "tags": list(aliases.tags),
            "stay": aliases.stay,
            "exact": aliases.exact,
            "incomplete": aliases.incomplete,
        }
    )


def aliases_from_row(row: Mapping[Any, Any]) -> Aliases | None:
    """The stored tags of an event, None when none were stored (or the JSON is not ours)."""
    text = row.get("aliases")
    if not text:
        return None
    from driftwatch.aliases import Aliases  # only for events that have them (pulls in lint)

    try:
        data = json.loads(text)
        return Aliases(
            str(data["digest"]),
            tuple(str(tag) for tag in data["tags"]),
            _text(data.get("stay")),
            _text(data.get("exact")),
            _text(data.get("incomplete")),
        )
    except (KeyError, TypeError, ValueError):
        return None


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _side(row: Mapping[Any, Any], side: str, platform: str | None) -> PlatformImage | None:
    """One side (old/new) of an event row as a PlatformImage, None when that side is empty."""
    digest = row[f"{side}_digest"]
    if digest is None:
        return None
    os = _short_os(*(row[f"{side}_os_{name}"] for name in _SHORT_OS))
    return PlatformImage(_platform(platform), digest, "", os=os)


@lru_cache(maxsize=1024)
def _short_os(
    id: str | None, version_id: str | None, codename: str | None, point_release: str | None
) -> OsRelease | None:
    """The OsRelease an event side records (shared: OsRelease is frozen), None when empty."""
    if not any((id, version_id, codename, point_release)):
        return None
    return OsRelease(id, version_id, codename, point_release=point_release)
