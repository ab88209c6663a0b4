"""One scan: resolve everything watched, record it in the history, queue and send the alerts.

Never prints. The order matters for the guarantees: observations and drift events are committed
before any alert is sent, and an alert is sent only from the outbox, so a crash or a concurrent
run cannot lose or duplicate one.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from time import monotonic
from typing import TYPE_CHECKING

from driftwatch.drift import failing, undetermined, worst_first
from driftwatch.eol import Calendar, eol_drifts, load_calendar
from driftwatch.models import (
    BaseImageUse,
    Drift,
    DriftKind,
    Observation,
    OsRelease,
    Platform,
    ResolveFailure,
)
from driftwatch.reference import ImageReference
from driftwatch.usecases.online import OsOptions, RunLimits, gone_digests, observe_online

if TYPE_CHECKING:
    from driftwatch.aliases import Aliases
    from driftwatch.config import Config
    from driftwatch.history import HistoryStore
    from driftwatch.notify import Destination
    from driftwatch.notify.outbox import Delivery, RetryPolicy

__all__ = ["ScanResult", "detect_trigger", "run_scan"]


@dataclass(frozen=True)
class ScanResult:
    """What one scan saw, found and sent."""

    run_id: int
    observations: tuple[Observation, ...]
    failures: tuple[ResolveFailure, ...]
    drifts: Mapping[ImageReference, tuple[Drift, ...]]
    uses: Mapping[ImageReference, tuple[BaseImageUse, ...]]
    deliveries: tuple[Delivery, ...] = field(default=())
    pins: Mapping[ImageReference, str] = field(default_factory=dict)  # old top digest per drift
    gone: frozenset[ImageReference] = frozenset()  # pins the registry no longer serves
    aliases: Mapping[ImageReference, Aliases] = field(default_factory=dict)  # tags of the pins

    def all_drifts(self) -> list[Drift]:
        """Every drift found, most severe first."""
        return worst_first(drift for drifts in self.drifts.values() for drift in drifts)

    def failing(self, fail_on: str) -> list[Drift]:
        """The drifts at or above the `--fail-on` level."""
        return failing(self.all_drifts(), fail_on)

    def undetermined(self) -> list[Drift]:
        """Digest moves whose OS move could not be judged (recorded; learned by a later scan)."""
        return undetermined(self.all_drifts())


def detect_trigger() -> str:
    """`ci` inside a CI system, else `manual` (cron jobs say `--trigger cron`)."""
    return "ci" if os.environ.get("CI") or os.environ.get("GITHUB_ACTIONS") else "manual"


def run_scan(
    references: Sequence[ImageReference],
    uses: Mapping[ImageReference, tuple[BaseImageUse, ...]],
    config: Config,
    store: HistoryStore,
    *,
    trigger: str,
    platforms: Sequence[Platform] = (),
    os_mode: str | None = None,
    destinations: Sequence[Destination] = (),
    retry: RetryPolicy | None = None,
    limits: RunLimits | None = None,
    today: date | None = None,
    explain: str | None = None,
) -> ScanResult:
    """Resolve, detect the OS of new digests only, record one run, then flush the outbox.

    A digest other than the one recorded last time is believed only after its bytes were
    fetched and hashed (the baseline below), so a lying registry cannot fake a change.
    `today` (default: the UTC date) is the day end-of-life news is judged from.
    """
    calendar = load_calendar(config.eol_calendar)  # a bad calendar fails before the run
    run_id = store.start_run(trigger)
    latest = store.latest_facts(references)  # one read: platforms and OS last seen
    options = OsOptions.from_config(
        config, os_mode, known=_known_os(store, latest.os), remember=store.remember_os
    )
    baseline = store.latest_digests()
    limits = dataclasses.replace(limits or RunLimits(), baseline=baseline)
    results = observe_online(
        references,
        config,
        strict=True,
        platforms=platforms,
        os_options=options,
        limits=limits,
        known_platforms=latest.platforms,
    )
    observations = [r for r in results if isinstance(r, Observation)]
    failures = [r for r in results if isinstance(r, ResolveFailure)]
    recorded = store.record_many(run_id, observations)
    store.record_failures(run_id, [(f.reference, f.reason) for f in failures])
    drifts = {
        obs.reference: _breaking(found, platforms)
        for obs, found in zip(observations, recorded, strict=True)
    }
    drifts = _explained(store, run_id, drifts, config, explain, limits.deadline)
    day = today or datetime.now(timezone.utc).date()
    for drift in _eol_news(store, run_id, observations, calendar, day, config.eol_warn_days):
        drifts[drift.reference] = (*drifts.get(drift.reference, ()), drift)
    count = sum(len(found) for found in drifts.values())
    store.finish_run(run_id, checked=len(results), drifts=count, errors=len(failures))
    unsure = [
        ResolveFailure(
            d.reference, f"{d.platform}: OS release unknown: {d.undetermined.reason}", ""
        )
        for found in drifts.values()
        for d in undetermined(found)
        if d.undetermined is not None
    ]
    pins = {ref: old for ref, found in drifts.items() if found and (old := baseline.get(str(ref)))}
    gone = gone_digests(config, pins, limits)
    aliases = _aliases(config, drifts, pins, gone, limits.deadline)
    if aliases:
        store.note_aliases(run_id, aliases)  # before queuing: a retried alert names them too
    deliveries = _alert(store, run_id, destinations, [*failures, *unsure], uses, retry)
    return ScanResult(
        run_id,
        tuple(observations),
        tuple(failures),
        drifts,
        uses,
        tuple(deliveries),
        pins,
        gone,
        aliases,
    )


def _aliases(
    config: Config,
    drifts: Mapping[ImageReference, Sequence[Drift]],
    pins: Mapping[ImageReference, str],
    gone: frozenset[ImageReference],
    deadline: float | None,
) -> dict[ImageReference, Aliases]:
    """The tags that served what each OS-moved reference had, for the fix (advice, bounded by
    ALIAS_SECONDS and the run's deadline); no OS move, no request, so a steady scan asks nothing."""
    if not any(drifts.values()):
        return {}  # nothing moved: not even the module is needed
    from driftwatch.usecases.aliases import ALIAS_SECONDS, aliases_online, os_move_queries

    queries = os_move_queries(drifts, pins, gone)
    seconds = ALIAS_SECONDS if deadline is None else min(ALIAS_SECONDS, deadline - monotonic())
    if not queries or seconds <= 0:
        return {}
    answers = aliases_online(config, queries, seconds=seconds)
    return {query.reference: answers[query] for query in queries}


def _eol_news(
    store: HistoryStore,
    run_id: int,
    observations: Sequence[Observation],
    calendar: Calendar,
    today: date,
    warn_days: int,
) -> list[Drift]:
    """os-eol events new to the history: once per reference, release and threshold."""
    found = [
        news
        for observation in observations
        if not observation.missing
        for news in eol_drifts(observation, calendar, today, warn_days)
    ]
    return store.record_eol(run_id, found) if found else []


def _explained(
    store: HistoryStore,
    run_id: int,
    drifts: dict[ImageReference, tuple[Drift, ...]],
    config: Config,
    mode: str | None,
    deadline: float | None,
) -> dict[ImageReference, tuple[Drift, ...]]:
    """Each drift's move class and package diff, stored on its event before any alert is
    queued (a steady-state scan has no drift and reads nothing)."""
    if not any(drifts.values()):
        return drifts
    from driftwatch.usecases.changes import explain_drifts

    explained = explain_drifts(drifts, config, mode=mode, deadline=deadline)
    store.explain_events(run_id, [drift for found in explained.values() for drift in found])
    return explained


def _breaking(drifts: Sequence[Drift], platforms: Sequence[Platform]) -> tuple[Drift, ...]:
    """A removed platform the config (or --platform) names breaks builds: it fails the scan."""
    from driftwatch.oci.platforms import platform_matches

    def named(key: str | None) -> bool:
        if not key or "/" not in key:
            return False
        return any(platform_matches(want, Platform.parse(key)) for want in platforms)

    return tuple(
        dataclasses.replace(drift, breaking=True)
        if drift.kind is DriftKind.PLATFORM_REMOVED and named(drift.platform)
        else drift
        for drift in drifts
    )


def _known_os(
    store: HistoryStore, seen: Mapping[str, OsRelease]
) -> Callable[[str], OsRelease | None]:
    """OS by platform digest: what the last scan saw (read once), else the history's OS cache."""

    def known(digest: str) -> OsRelease | None:
        return seen.get(digest) or store.known_os(digest)

    return known


def _alert(
    store: HistoryStore,
    run_id: int,
    destinations: Sequence[Destination],
    failures: Sequence[ResolveFailure],
    uses: Mapping[ImageReference, tuple[BaseImageUse, ...]],
    retry: RetryPolicy | None,
) -> list[Delivery]:
    """Queue this run's events for every destination, then deliver whatever is due (an
    OS-release alert names the tags of what you had, stored on its events)."""
    if not destinations:
        return []
    from driftwatch.notify import ImageUsage
    from driftwatch.notify.outbox import flush_outbox, queue_run_events

    queue_run_events(store, run_id, destinations)
    usages = {
        reference: [ImageUsage(use.file, use.line) for use in items]
        for reference, items in uses.items()
    }
    could_not = [(failure.reference.familiar, failure.reason) for failure in failures]
    return flush_outbox(store, destinations, failures=could_not, usages=usages, retry=retry)
