"""Compare the live state of every locked base image with driftwatch.lock (pure: no I/O).

`driftwatch check` feeds it the inventory, the lock file and fresh Observations; it hands back
the drifts, the references that are not locked and the ones that could not be checked, and turns
them into Findings at the FROM lines for every output format.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from driftwatch.drift import compare, failing, platform_key, undetermined, worst_first
from driftwatch.eol import EolState
from driftwatch.models import (
    BaseImageUse,
    Drift,
    DriftKind,
    Level,
    Observation,
    OsRelease,
    Platform,
    ResolveFailure,
    Severity,
)
from driftwatch.oci.media import INDEX_TYPES
from driftwatch.oci.model import Descriptor, Index
from driftwatch.oci.platforms import select_platforms
from driftwatch.reference import ImageReference
from driftwatch.report import Finding, Rule
from driftwatch.usecases.explain import describe_drift, short_digest, title_for

if TYPE_CHECKING:  # types only: scan renders findings without discovery, lint or the lock model
    from driftwatch.aliases import Aliases
    from driftwatch.lint.eol import EolCheck
    from driftwatch.lockfile import LockEntry, LockFile
    from driftwatch.sources import FileProblem

__all__ = [
    "CHECK_RULES",
    "CheckReport",
    "check_findings",
    "compare_with_lock",
    "drift_findings",
    "failure_findings",
    "group_uses",
    "locked_digests",
    "locked_indexes",
    "locked_os",
    "locked_platforms",
    "locked_state",
    "problem_findings",
    "undetermined_findings",
]


@dataclass(frozen=True)
class CheckReport:
    """Everything `check` found: drifts per reference, unlocked uses, unreachable references."""

    drifts: Mapping[ImageReference, tuple[Drift, ...]]
    locked: Mapping[ImageReference, LockEntry]
    uses: Mapping[ImageReference, tuple[BaseImageUse, ...]]
    not_locked: tuple[BaseImageUse, ...]
    failures: tuple[ResolveFailure, ...]
    gone: frozenset[ImageReference] = frozenset()  # locked digest no longer served
    disagreements: tuple[tuple[ImageReference, str, str], ...] = ()  # (ref, platform, why)

    def all_drifts(self) -> list[Drift]:
        """Every drift, most severe first."""
        return worst_first(drift for drifts in self.drifts.values() for drift in drifts)

    def undetermined(self) -> list[Drift]:
        """Digest moves whose OS move could not be judged: "could not check", exit 3."""
        return undetermined(self.all_drifts())

    def could_not_check(self) -> bool:
        """True when something was not checked: a registry failure or an unknown OS."""
        return bool(self.failures or self.undetermined())

    def os_not_judged(self) -> list[ImageReference]:
        """Locked with `--os-detect off`: OS moves cannot be judged for these references."""
        return [ref for ref, entry in self.locked.items() if entry.os_detect == "off"]

    def failing(self, fail_on: str) -> list[Drift]:
        """The drifts at or above the `--fail-on` level."""
        return failing(self.all_drifts(), fail_on)

    @property
    def changed_images(self) -> int:
        """How many locked references have at least one drift."""
        return sum(1 for drifts in self.drifts.values() if drifts)


def group_uses(uses: Sequence[BaseImageUse]) -> dict[ImageReference, tuple[BaseImageUse, ...]]:
    """The resolvable uses grouped by canonical reference, in file order."""
    grouped: dict[ImageReference, list[BaseImageUse]] = {}
    for use in uses:
        if use.reference is not None:
            grouped.setdefault(use.reference, []).append(use)
    return {reference: tuple(items) for reference, items in grouped.items()}


def locked_os(lock: LockFile) -> dict[str, OsRelease]:
    """Platform digest -> locked OS release: a digest that did not move needs no detection."""
    return {
        image.digest: image.os
        for entry in lock.entries.values()
        for image in entry.platforms
        if image.os is not None and image.os.unsettled is None
    }


def locked_platforms(lock: LockFile) -> dict[str, Platform]:
    """Platform digest -> locked platform: a single manifest seen before needs no config read."""
    return {
        image.digest: image.platform
        for entry in lock.entries.values()
        for image in entry.platforms
        if image.platform is not None
    }


def locked_digests(lock: LockFile) -> dict[str, str | None]:
    """Canonical reference -> locked top digest: a HEAD naming it is taken as "not moved"; any
    other digest is confirmed by hashing the body fetched by tag (the scan baseline's rule)."""
    return {str(reference): entry.digest for reference, entry in lock.entries.items()}


def locked_indexes(lock: LockFile) -> dict[str, Index]:
    """Index digest -> its platform entries as locked: an unchanged multi-arch tag costs one HEAD.

    Only entries locked whole (no `lock --platform`) with a platform for every entry qualify:
    a digest names its bytes for ever, so the entries the lock recorded are the index's.
    """
    found = {}
    for entry in lock.entries.values():
        images = entry.platforms
        if entry.media_type not in INDEX_TYPES or entry.platform_filter or not images:
            continue
        if all(image.platform is not None for image in images):
            manifests = tuple(
                Descriptor(image.media_type, image.digest, image.size, platform=image.platform)
                for image in images
            )
            found[entry.digest] = Index(entry.media_type, manifests)
    return found


def locked_state(entry: LockEntry) -> Observation:
    """The locked state to compare with; locked with `--os-detect off`, OS moves are unjudged."""
    before = entry.as_observation()
    if entry.os_detect != "off":
        return before
    images = tuple(replace(image, os=OsRelease.off()) for image in before.platforms)
    return replace(before, platforms=images)


def compare_with_lock(
    lock: LockFile,
    uses: Mapping[ImageReference, tuple[BaseImageUse, ...]],
    results: Sequence[Observation | ResolveFailure],
    platforms: Sequence[Platform] = (),
) -> CheckReport:
    """Compare each fresh observation with its lock entry using the same rules as `scan`.

    `platforms` (check --platform) narrows the locked side too: an unwatched platform is not gone;
    an entry locked with `lock --platform` narrows the live side to what it locked. Every locked
    platform is named by the lock: its removal breaks builds and fails the check.
    """
    drifts: dict[ImageReference, tuple[Drift, ...]] = {}
    failures: list[ResolveFailure] = []
    for result in results:
        entry = lock.get(result.reference)
        if isinstance(result, ResolveFailure):
            failures.append(result)
        elif entry is not None:
            before = locked_state(entry)
            if platforms:
                before = replace(before, platforms=select_platforms(before.platforms, platforms))
            if entry.platform_filter and not result.missing:
                scoped = select_platforms(result.platforms, entry.platform_filter)
                result = replace(result, platforms=scoped)
            drifts[result.reference] = compare(before, result, named=lambda key: True)
    not_locked = tuple(
        use for reference, items in uses.items() if lock.get(reference) is None for use in items
    )
    locked = {reference: entry for reference in uses if (entry := lock.get(reference))}
    return CheckReport(
        drifts, locked, uses, not_locked, tuple(failures), disagreements=_disagreements(results)
    )


def _disagreements(
    results: Sequence[Observation | ResolveFailure],
) -> tuple[tuple[ImageReference, str, str], ...]:
    """Full mode: where a cheap hint (annotation, config) names another release than the
    filesystem shows; the filesystem decided, the hint is reported."""
    return tuple(
        (result.reference, platform_key(image), image.os.disagreement)
        for result in results
        if isinstance(result, Observation)
        for image in result.platforms
        if image.os is not None and image.os.disagreement
    )


def check_findings(
    report: CheckReport,
    *,
    fail_on: str,
    allow_unreachable: bool,
    lockfile: str,
    aliases: Mapping[ImageReference, Aliases] | None = None,
    eol: EolCheck | None = None,
) -> list[Finding]:
    """One Finding per use of every drifted, unlocked, unjudged or unreachable reference."""
    pins = {reference: entry.digest for reference, entry in report.locked.items()}
    findings = drift_findings(report.drifts, report.uses, pins, fail_on, report.gone, aliases)
    for use in report.not_locked:
        text = (
            f"{use.written} is not locked in {lockfile}: run `driftwatch lock` to record "
            "its digests and OS release."
        )
        findings.append(_at(use, "not-locked", Level.WARNING, "Base image not locked", text))
    for reference in report.os_not_judged():
        for use in report.uses.get(reference, ()):
            text = (
                f"{use.written} was locked with --os-detect off: a move to another OS release "
                "cannot be judged for it (run `driftwatch lock` with OS detection)."
            )
            findings.append(_at(use, "os-not-judged", Level.WARNING, "OS release not locked", text))
    for reference, platform, why in report.disagreements:
        for use in report.uses.get(reference, ()):
            text = f"{use.written} ({platform}): {why}; the filesystem decides."
            findings.append(_at(use, "os-hint-disagrees", Level.WARNING, "OS hint is wrong", text))
    findings += eol_findings(report, eol) if eol is not None else []
    findings += undetermined_findings(report.undetermined(), report.uses, allow_unreachable)
    findings += failure_findings(report.failures, report.uses, allow_unreachable)
    return findings


_TOLD = {
    EolState.ENDED: Level.WARNING,
    EolState.ENDING: Level.WARNING,
    EolState.UNKNOWN: Level.NOTE,
}


def eol_findings(report: CheckReport, eol: EolCheck) -> list[Finding]:
    """A notice at every use of a locked image whose OS release ends within the window or has
    ended (`bookworm ends 2028-06-30 (LTS), in 76 days`): a warning, never a failure; a note
    when the calendar does not know the release."""
    findings: list[Finding] = []
    for reference, entry in report.locked.items():
        statuses = [s for s in eol.statuses(entry.platforms) or () if s.state in _TOLD]
        if not statuses:
            continue  # supported, no OS recorded (os-not-judged says so) or a scratch image
        level = max(_TOLD[s.state] for s in statuses)
        text = "; ".join(sorted({s.describe() for s in statuses}))
        findings.extend(
            _at(use, OS_EOL, level, "OS release end of life", f"{use.written}: {text}.")
            for use in report.uses.get(reference, ())
        )
    return findings


def problem_findings(problems: Sequence[FileProblem]) -> list[Finding]:
    """An error at every file that could not be read or parsed: its images went unchecked."""
    return [
        Finding(
            problem.file,
            problem.line or 1,
            1,
            UNREADABLE,
            Level.ERROR,
            "File could not be read",
            f"{problem.file} could not be read or parsed ({problem.reason}): the base images "
            "it names were not checked.",
        )
        for problem in problems
    ]


def drift_findings(
    drifts: Mapping[ImageReference, Sequence[Drift]],
    uses: Mapping[ImageReference, Sequence[BaseImageUse]],
    pins: Mapping[ImageReference, str],
    fail_on: str,
    gone: frozenset[ImageReference] = frozenset(),
    aliases: Mapping[ImageReference, Aliases] | None = None,
) -> list[Finding]:
    """A Finding at every use of every drifted reference, `error` at or above the policy.

    A digest move whose OS could not be established is left to `undetermined_findings`;
    `aliases` (tags serving the pinned digest) let an OS-release fix name tags.
    """
    floor = Severity.from_fail_on(fail_on)
    findings = []
    for reference, found in drifts.items():
        for drift in found:
            if drift.undetermined is not None and not drift.undetermined.chosen:
                continue
            for use in uses.get(reference, ()):
                text = describe_drift(
                    drift,
                    written=use.written,
                    pin=pins.get(reference),
                    pin_gone=reference in gone,
                    aliases=(aliases or {}).get(reference),
                )
                severity = drift.severity.level(floor)
                finding = _at(use, drift.kind.value, severity, title_for(drift), text)
                findings.append(_explained(finding, drift))
    return findings


def undetermined_findings(
    drifts: Sequence[Drift],
    uses: Mapping[ImageReference, Sequence[BaseImageUse]],
    allowed: bool,
) -> list[Finding]:
    """ "Could not check" at every use of a platform that moved to an image of unknown OS."""
    findings = []
    for drift in drifts:
        assert drift.undetermined is not None
        for use in uses.get(drift.reference, ()):
            text = (
                f"could not check {use.written} ({drift.platform}): its digest moved "
                f"({short_digest(drift.old.digest if drift.old else None)} -> "
                f"{short_digest(drift.new.digest if drift.new else None)}) and its OS release "
                f"could not be established: {drift.undetermined.reason}."
            )
            findings.append(
                _at(
                    use,
                    OS_UNKNOWN,
                    _unchecked(allowed),
                    "OS release unknown",
                    _allowed(text, allowed),
                )
            )
    return findings


def failure_findings(
    failures: Sequence[ResolveFailure],
    uses: Mapping[ImageReference, Sequence[BaseImageUse]],
    allowed: bool,
) -> list[Finding]:
    """A Finding at every use of a reference that could not be checked."""
    return [
        _at(
            use,
            "unreachable",
            _unchecked(allowed),
            "Registry unreachable",
            _allowed(f"could not check {use.written}: {failure.reason}", allowed),
        )
        for failure in failures
        for use in uses.get(failure.reference, ())
    ]


OS_UNKNOWN = "os-unknown"
OS_EOL = DriftKind.OS_EOL.value
UNREADABLE = "unreadable-file"


def _unchecked(allowed: bool) -> Level:
    return Level.WARNING if allowed else Level.ERROR


def _allowed(text: str, allowed: bool) -> str:
    """Say so whenever something unchecked passes only because of `--allow-unreachable`."""
    if not allowed:
        return text
    return f"{text} Passed unchecked only because of --allow-unreachable."


def _explained(finding: Finding, drift: Drift) -> Finding:
    """The finding with the drift's move class and package diff (JSON, SARIF properties)."""
    found = drift.explanation
    if found is None:
        return finding
    changes = found.diff.to_json() if found.diff else None
    return replace(finding, move=found.move, changes=changes)


def _at(use: BaseImageUse, rule: str, severity: Level, title: str, message: str) -> Finding:
    return Finding(use.file, use.line, use.column, rule, severity, title, message)


def _rule(kind: str, short: str, full: str) -> Rule:
    return Rule(
        id=kind,
        name=kind.title().replace("-", ""),
        short=short,
        full=full,
        help=f"{full} Pin the digest you had (FROM image:tag@sha256:...) or accept the change "
        "with `driftwatch lock`.",
    )


CHECK_RULES: tuple[Rule, ...] = (
    _rule(
        DriftKind.OS_RELEASE.value,
        "OS release changed",
        "The tag now points to an image "
        "built on another OS release (e.g. Debian bullseye -> bookworm).",
    ),
    _rule(
        DriftKind.OS_POINT_RELEASE.value,
        "OS point release changed",
        "The tag now points to "
        "an image on another point release of the same OS (e.g. Debian 12.5 -> 12.6).",
    ),
    _rule(
        DriftKind.DIGEST.value,
        "Image rebuilt",
        "The tag now points to another digest on the same OS release.",
    ),
    _rule(
        DriftKind.PLATFORM_ADDED.value,
        "Platform added",
        "The tag now serves a platform it did not serve when locked.",
    ),
    _rule(
        DriftKind.PLATFORM_REMOVED.value,
        "Platform removed",
        "The tag no longer serves a platform it served when locked.",
    ),
    _rule(DriftKind.TAG_VANISHED.value, "Tag vanished", "The registry no longer has this tag."),
    _rule(
        DriftKind.TAG_REAPPEARED.value, "Tag reappeared", "A tag that had vanished exists again."
    ),
    _rule(
        "not-locked",
        "Base image not locked",
        "A base image is used that driftwatch.lock does not record.",
    ),
    _rule(
        "unreachable",
        "Registry unreachable",
        "The registry could not be reached or believed, so this image was not checked.",
    ),
    _rule(
        OS_UNKNOWN,
        "OS release unknown",
        "The tag moved to a digest whose OS release could not be established (a missing or "
        "corrupt layer, a bound reached), so a move to another OS release cannot be ruled out.",
    ),
    _rule(
        UNREADABLE,
        "File could not be read",
        "A Dockerfile or compose file could not be read or parsed, so the base images it "
        "names were not checked.",
    ),
    _rule(
        "os-hint-disagrees",
        "OS hint is wrong",
        "In full mode, an annotation or the image config names another OS release than the "
        "image's filesystem shows; the filesystem decides.",
    ),
    Rule(
        OS_EOL,
        "OsEol",
        "OS release end of life",
        "When the OS release the image was locked with stops getting security updates (from "
        "the end-of-life calendar); a warning within `[eol] warn_days` or once ended, never a "
        "failure.",
        "Move to a supported release, then run `driftwatch lock`.",
        severity=Level.NOTE,
    ),
    _rule(
        "os-not-judged",
        "OS release not locked",
        "The image was locked with --os-detect off, so OS release moves cannot be judged.",
    ),
)
