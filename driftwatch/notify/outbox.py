"""Deliver what the history's outbox holds: exactly once per (event, destination), retried later.

Every drift event is stored (and queued for each destination) before anything is sent; a run
then claims what is due for each destination, sends one batched message, and marks the claim
delivered or failed. Two runs at once never claim the same delivery.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING

from driftwatch.errors import ConfigError
from driftwatch.notify.destinations import Destination
from driftwatch.notify.masking import mask
from driftwatch.notify.message import ImageUsage, compose, route
from driftwatch.notify.send import DeliveryResult, deliver, renders_markdown
from driftwatch.reference import ImageReference

if TYPE_CHECKING:
    from driftwatch.history import HistoryStore, StoredDrift

__all__ = [
    "ATTEMPTS_ENV",
    "BACKOFF_ENV",
    "Delivery",
    "RetryPolicy",
    "flush_outbox",
    "queue_run_events",
]

MAX_ATTEMPTS = 5
BACKOFF = timedelta(minutes=5)
CATCH_UP = timedelta(days=7)  # how far back never-queued events are still worth an alert
BACKOFF_ENV = "DRIFTWATCH_NOTIFY_BACKOFF"
ATTEMPTS_ENV = "DRIFTWATCH_NOTIFY_MAX_ATTEMPTS"


@dataclass(frozen=True)
class RetryPolicy:
    """How failed deliveries are retried: first delay (doubled each time), attempts bound."""

    backoff: timedelta = BACKOFF
    max_attempts: int = MAX_ATTEMPTS

    @classmethod
    def from_env(cls, env: Mapping[str, str] = os.environ) -> RetryPolicy:
        """The policy from DRIFTWATCH_NOTIFY_BACKOFF (seconds) and ..._MAX_ATTEMPTS, bounded."""
        from pydantic import ValidationError

        from driftwatch.configmodel import NotifyEnvModel
        from driftwatch.validation import describe_error

        given = {name: env[name].strip() for name in (BACKOFF_ENV, ATTEMPTS_ENV) if env.get(name)}
        given = {name: text for name, text in given.items() if text}
        try:
            knobs = NotifyEnvModel.model_validate(given)
        except ValidationError as exc:
            error = exc.errors(include_url=False)[0]
            raise ConfigError(describe_error(error, NotifyEnvModel)) from None
        return cls(
            timedelta(seconds=knobs.DRIFTWATCH_NOTIFY_BACKOFF),
            knobs.DRIFTWATCH_NOTIFY_MAX_ATTEMPTS,
        )


@dataclass(frozen=True)
class Delivery:
    """What happened for one destination in this flush (nothing to send gives no Delivery)."""

    destination: Destination
    events: int
    result: DeliveryResult
    gave_up: bool = False  # the failed send used up the attempts: no retry will follow

    @property
    def will_retry(self) -> bool:
        """True when a failed send stays in the outbox for a later run."""
        return not self.result.ok and self.events > 0 and not self.gave_up

    @property
    def fate(self) -> str:
        """What happens next to a failed send, for people: retried, given up or not queued."""
        if self.will_retry:
            return "will retry"
        if self.gave_up:
            return "gave up; see `driftwatch events --pending`"
        return "not retried: nothing in it is queued"


def queue_run_events(
    store: HistoryStore,
    run_id: int,
    destinations: Sequence[Destination],
    now: datetime | None = None,
) -> int:
    """Queue this run's events for every destination; return how many events were queued.

    Recent events no destination was ever queued for join them (CATCH_UP): a run without
    destinations, or one killed between recording and queuing, must not swallow an alert.
    """
    if not destinations:
        return 0
    since = (now or datetime.now(timezone.utc)) - CATCH_UP
    ids = {stored.id for stored in store.events(run_id=run_id)}
    ids.update(store.unqueued_events(since))
    if ids:
        store.enqueue_deliveries(sorted(ids), [d.fingerprint for d in destinations])
    return len(ids)


def flush_outbox(
    store: HistoryStore,
    destinations: Sequence[Destination],
    *,
    failures: Sequence[tuple[str, str]] = (),
    usages: Mapping[ImageReference, Sequence[ImageUsage]] | None = None,
    now: datetime | None = None,
    retry: RetryPolicy | None = None,
) -> list[Delivery]:
    """Claim, send and mark every due delivery; `failures` join this run's messages once.

    `retry` defaults to the environment's policy (RetryPolicy.from_env). The tags an OS-moved
    reference's fix names come from its stored events (the run that found them kept them), so
    an event delivered by a later run says what the first attempt said.
    """
    moment = now or datetime.now(timezone.utc)
    policy = retry or RetryPolicy.from_env()
    claimer = f"{socket.gethostname()}:{os.getpid()}:{moment.timestamp()}"
    results = []
    for destination in destinations:
        claimed = store.claim_deliveries(destination.fingerprint, moment, claimer)
        drifts = [stored.drift for stored in claimed]
        wanted, failed = route(drifts, failures, destination)
        message = compose(
            wanted,
            failed,
            usages or {},
            markdown=renders_markdown(destination),
            pinned=pinned_digests(store, claimed),
            aliases={s.drift.reference: s.aliases for s in claimed if s.aliases is not None},
        )
        if message is None:
            if claimed:  # routed away: nothing this destination wants
                store.mark_delivered([stored.id for stored in claimed], destination.fingerprint)
            continue
        result = deliver(destination, message)
        gave_up = _mark(store, destination, claimed, result, moment, policy)
        results.append(Delivery(destination, len(claimed), result, gave_up))
    return results


def _mark(
    store: HistoryStore,
    destination: Destination,
    claimed: Sequence[StoredDrift],
    result: DeliveryResult,
    moment: datetime,
    policy: RetryPolicy,
) -> bool:
    """Close the claim: delivered, or one more failed attempt; True when it was the last one."""
    ids = [stored.id for stored in claimed]
    if not ids:
        return False
    if result.ok:
        store.mark_delivered(ids, destination.fingerprint)
        return False
    error = mask(result.error or "delivery failed", [destination])
    given_up = store.mark_attempt_failed(
        ids, destination.fingerprint, error, moment, policy.max_attempts, policy.backoff
    )
    return given_up > 0


def pinned_digests(
    store: HistoryStore, claimed: Sequence[StoredDrift]
) -> dict[ImageReference, str]:
    """For each drifted reference, the old index digest (rebuilds every platform as it was)."""
    pinned: dict[ImageReference, str] = {}
    for stored in claimed:
        drift = stored.drift
        if drift.reference in pinned or drift.old is None:
            continue
        for entry in store.timeline(drift.reference, drift.platform):
            if entry.digest == drift.old.digest and entry.index_digest:
                pinned[drift.reference] = entry.index_digest
                break
    return pinned
