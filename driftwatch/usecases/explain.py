"""Turn a Drift into the sentence a person needs: what moved, from what to what, and the fix.

Every output (check, scan, alerts, annotations) uses these words, so the same change reads the
same everywhere.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from driftwatch.models import Drift, DriftKind, OsRelease, PlatformImage
from driftwatch.pkgdiff import Explanation, PackageDiff, VersionChange
from driftwatch.reference import ImageReference

if TYPE_CHECKING:
    from driftwatch.aliases import Aliases

__all__ = [
    "GONE_HINT",
    "describe_changes",
    "describe_drift",
    "pinned_from_line",
    "short_digest",
    "title_for",
]

ACCEPT_HINT = "to move on deliberately: run `driftwatch lock`"


def short_digest(digest: str | None, length: int = 12) -> str:
    """`sha256:0123456789ab...`: enough to tell digests apart in a sentence."""
    if not digest:
        return "none"
    algorithm, _, hexpart = digest.partition(":")
    return f"{algorithm}:{hexpart[:length]}..." if len(hexpart) > length else digest


def pinned_from_line(written: str | ImageReference, digest: str) -> str:
    """The FROM line that rebuilds exactly `digest`, keeping the tag for readers."""
    text = written.familiar if isinstance(written, ImageReference) else written
    text = text.split("@", 1)[0]
    return f"FROM {text}@{digest}"


def title_for(drift: Drift) -> str:
    """A short title for annotations and alert headings."""
    titles = {
        DriftKind.OS_RELEASE: "Base image moved to another OS release",
        DriftKind.OS_POINT_RELEASE: "Base image moved to another OS point release",
        DriftKind.DIGEST: "Base image rebuilt",
        DriftKind.PLATFORM_ADDED: "Base image gained a platform",
        DriftKind.PLATFORM_REMOVED: "Base image lost a platform",
        DriftKind.TAG_VANISHED: "Base image tag vanished",
        DriftKind.TAG_REAPPEARED: "Base image tag reappeared",
        DriftKind.OS_EOL: "Base image's OS release ends soon or has ended",
    }
    if drift.undetermined is not None:
        return "Base image moved; its OS release could not be established"
    return titles[drift.kind]


def describe_drift(
    drift: Drift,
    *,
    written: str | None = None,
    pin: str | None = None,
    pin_gone: bool = False,
    aliases: Aliases | None = None,
) -> str:
    """One paragraph: `<image> (<platform>) moved from X to Y: digest a -> b. <fix>`.

    `written` is the reference as the user wrote it (default: its familiar form); `pin` is the
    digest that rebuilds what they had (the old index digest, so multi-arch builds keep working);
    `pin_gone`: the registry no longer serves it, so no fix may suggest it; `aliases`: the tags
    that served the pinned digest (an OS-release move's fix then names them).
    """
    name = written or drift.reference.familiar
    where = f"{name} ({drift.platform})" if drift.platform else name
    old, new = drift.old, drift.new
    if drift.undetermined is not None:
        sentence = (
            f"{where} moved to a new digest but whether its OS release moved is unknown "
            f"({drift.undetermined.reason}): {_digests(old, new)}."
        )
    elif drift.kind is DriftKind.OS_EOL:
        sentence = f"{where} runs {eol_text(drift)}."
    else:
        sentence = _SENTENCES[drift.kind](where, old, new)
    fix = GONE_HINT if pin_gone and _pins(drift) else _fix(drift, name, pin, aliases)
    changes = describe_changes(drift.explanation) if drift.explanation else ""
    return " ".join(part for part in (sentence, changes, fix) if part)


MAX_LIBRARIES = 4
MAX_NOTABLE = 5
_NOTABLE_NAMES = ("libc6", "musl", "openssl")
_NOTABLE_PREFIXES = ("libssl", "python", "libpython", "node")


def describe_changes(explanation: Explanation) -> str:
    """`What changed: libssl.so.1.1 no longer in the image (libssl1.1); packages: 2 added, ...;
    libssl1.1 1.1.1w-0+deb11u1 removed, ...`: removed libraries, counts, notable packages."""
    if explanation.move == "metadata-only":
        return "What changed: the same layers (only the image metadata moved)."
    diff = explanation.diff
    if diff is None:
        return ""
    parts = [_gone(diff)] if diff.libraries_gone else []
    if diff.problem:
        parts.append(f"package changes unknown ({diff.problem})")
    else:
        parts.append(_counts(diff))
        notable = _notable(diff)
        if notable:
            parts.append(", ".join(notable))
    return "What changed: " + "; ".join(parts) + "."


def _gone(diff: PackageDiff) -> str:
    shown = [soname for soname, _ in diff.libraries_gone[:MAX_LIBRARIES]]
    more = len(diff.libraries_gone) - len(shown)
    owners = sorted({owner for _, owner in diff.libraries_gone if owner})
    text = ", ".join(shown) + (f" and {more} more" if more else "") + " no longer in the image"
    return text + (f" (from {', '.join(owners[:MAX_LIBRARIES])})" if owners else "")


def _counts(diff: PackageDiff) -> str:
    counts = [
        (len(diff.added), "added"),
        (len(diff.removed), "removed"),
        (len(diff.upgraded), "upgraded"),
        (len(diff.downgraded), "downgraded"),
        (len(diff.changed), "changed"),
    ]
    said = [f"{count} {word}" for count, word in counts if count]
    return "packages: " + (", ".join(said) if said else "no package changed")


def _is_notable(name: str) -> bool:
    return name in _NOTABLE_NAMES or name.startswith(_NOTABLE_PREFIXES)


def _notable(diff: PackageDiff) -> list[str]:
    """The packages people ask about first: libc, TLS, language runtimes."""
    items = [f"{p.name} {p.version} removed" for p in diff.removed if _is_notable(p.name)]
    items += [f"{p.name} {p.version} added" for p in diff.added if _is_notable(p.name)]
    moved: tuple[VersionChange, ...] = diff.upgraded + diff.downgraded + diff.changed
    items += [f"{c.name} {c.old} -> {c.new}" for c in moved if _is_notable(c.name)]
    return items[:MAX_NOTABLE] + (
        [f"{len(items) - MAX_NOTABLE} more"] if len(items) > MAX_NOTABLE else []
    )


GONE_HINT = (
    "The locked digest is gone from the registry, so it cannot be pinned: "
    "choose another tag or digest; to move on deliberately: run `driftwatch lock`."
)


def _pins(drift: Drift) -> bool:
    """True when the fix for this drift would pin the old digest."""
    return drift.kind not in (DriftKind.PLATFORM_ADDED, DriftKind.TAG_REAPPEARED, DriftKind.OS_EOL)


def eol_text(drift: Drift) -> str:
    """`Debian 12 (bookworm): bookworm ends 2028-06-30 (LTS)`, as seen the day it was found.

    The dates are read from the shipped calendar (a stored event keeps the release, not the
    user's calendar); the state the scan judged (`ending`, `ended`) wins over the date it ran.
    """
    from dataclasses import replace

    from driftwatch.eol import Calendar, EolState

    os = drift.new.os if drift.new is not None else None
    if os is None or not os.known:
        return "OS release unknown: end of life unknown"
    status = Calendar.shipped().status(os, drift.detected_at.date())
    judged = EolState(drift.eol_state) if drift.eol_state else status.state
    if status.release is None and drift.eol_state:  # only the user's calendar knows it
        said = "has ended" if judged is EolState.ENDED else "ends soon"
        return f"{os.describe()}: {said} (per the configured end-of-life calendar)"
    if judged is not status.state:
        status = replace(status, state=judged, days_left=None)
    return f"{os.describe()}: {status.describe()}"


def _os(image: PlatformImage | None) -> str:
    return image.os.describe() if image and image.os else "an unknown OS"


def _digest_of(image: PlatformImage | None) -> str:
    return short_digest(image.digest if image else None)


def _digests(old: PlatformImage | None, new: PlatformImage | None) -> str:
    return f"digest {_digest_of(old)} -> {_digest_of(new)}"


def _moved(where: str, old: PlatformImage | None, new: PlatformImage | None) -> str:
    return f"{where} moved from {_os(old)} to {_os(new)}: {_digests(old, new)}."


def _point(where: str, old: PlatformImage | None, new: PlatformImage | None) -> str:
    return (
        f"{where} moved from {_point_name(old.os if old else None)} to "
        f"{_point_name(new.os if new else None)}: {_digests(old, new)}."
    )


def _point_name(os_release: OsRelease | None) -> str:
    if os_release is None:
        return "an unknown OS"
    if os_release.point_release:
        base = os_release.describe().split(" (")[0].rsplit(" ", 1)[0]
        suffix = f" ({os_release.codename})" if os_release.codename else ""
        return f"{base} {os_release.point_release}{suffix}"
    return os_release.describe()


def _rebuilt(where: str, old: PlatformImage | None, new: PlatformImage | None) -> str:
    return f"{where} was rebuilt on the same OS ({_os(new)}): {_digests(old, new)}."


def _added(where: str, old: PlatformImage | None, new: PlatformImage | None) -> str:
    return f"{where} is a new platform of this tag ({_os(new)}, {_digest_of(new)})."


def _removed(where: str, old: PlatformImage | None, new: PlatformImage | None) -> str:
    return f"{where} is no longer served by this tag (was {_digest_of(old)})."


def _vanished(where: str, old: PlatformImage | None, new: PlatformImage | None) -> str:
    return f"{where} no longer exists in the registry (was {_digest_of(old)})."


def _reappeared(where: str, old: PlatformImage | None, new: PlatformImage | None) -> str:
    return f"{where} exists again ({_digest_of(new)})."


_SENTENCES = {
    DriftKind.OS_RELEASE: _moved,
    DriftKind.OS_POINT_RELEASE: _point,
    DriftKind.DIGEST: _rebuilt,
    DriftKind.PLATFORM_ADDED: _added,
    DriftKind.PLATFORM_REMOVED: _removed,
    DriftKind.TAG_VANISHED: _vanished,
    DriftKind.TAG_REAPPEARED: _reappeared,
}


def _fix(drift: Drift, name: str, pin: str | None, aliases: Aliases | None = None) -> str:
    if drift.kind is DriftKind.OS_EOL:
        return "Move to a supported release, then run `driftwatch lock`."
    if not _pins(drift):
        return "To accept it: run `driftwatch lock`."
    digest = pin or (drift.old.digest if drift.old else None)
    if digest is None:
        return "To accept it: run `driftwatch lock`."
    if aliases is not None and drift.kind is DriftKind.OS_RELEASE and "$" not in name:
        return _tag_fix(drift, name, digest, aliases)
    return f"To build what you had: {pinned_from_line(name, digest)}; {ACCEPT_HINT}."


def _tag_fix(drift: Drift, name: str, digest: str, aliases: Aliases) -> str:
    """The fix naming tags: one that stays on the old release, one exactly what you had."""
    from driftwatch.aliases import release_token, retag_written

    release = release_token(drift.old.os if drift.old else None)
    parts = []
    if aliases.stay:
        stay = retag_written(name, aliases.stay)
        parts.append(f"to stay on {release or 'the release you had'}: FROM {stay}")
    exact = retag_written(name, aliases.exact) if aliases.exact else name
    parts.append(f"exactly what you had: {pinned_from_line(exact, digest)}")
    if not aliases.stay and not aliases.exact:
        parts[-1] = f"to build what you had: {pinned_from_line(name, digest)}"
    if aliases.incomplete:
        parts[-1] += f" ({aliases.incomplete})"
    text = "; ".join(parts)
    return f"{text[0].upper()}{text[1:]}; {ACCEPT_HINT}."
