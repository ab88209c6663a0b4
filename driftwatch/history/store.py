"""The history store: runs, observations, drift events and the OS cache, on SQLite or PostgreSQL.

Every write is one transaction that holds the reference's lock (SQLite BEGIN IMMEDIATE, PostgreSQL
SELECT ... FOR UPDATE), so concurrent runs never duplicate an event or lose an observation, and a
killed run leaves only whole observations behind.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING

from sqlalchemy import Connection, Engine, func, select, update
from sqlalchemy.exc import SQLAlchemyError

from driftwatch.drift import compare
from driftwatch.errors import DriftwatchError, StoreError
from driftwatch.history import deliveries, histories, migrations, queries
from driftwatch.history.convert import (
    aliases_json,
    drift_values,
    explanation_values,
    fingerprint,
    os_from_row,
    os_values,
    utc,
)
from driftwatch.history.engine import WRITE, display_url, make_engine, parse_url, resolve_url
from driftwatch.history.records import (
    PendingDelivery,
    ReferenceHistory,
    StoredDrift,
    TimelineEntry,
)
from driftwatch.history.sql import insert_ignore
from driftwatch.history.tables import (
    EVENTS,
    FAILURES,
    OBS,
    OS_CACHE,
    REFS,
    RUNS,
)
from driftwatch.history.writes import (
    catch_up,
    fill_from_cache,
    insert_observation,
    learn_os,
    lock_reference,
    new_id,
    seen_again,
)
from driftwatch.models import Drift, DriftKind, Observation, OsRelease
from driftwatch.reference import ImageReference, parse_reference

if TYPE_CHECKING:
    from driftwatch.aliases import Aliases

__all__ = ["TRIGGERS", "HistoryStore"]

TRIGGERS = ("ci", "cron", "manual")


class HistoryStore:
    """Everything driftwatch remembers; open with `HistoryStore.open(url)`."""

    def __init__(self, engine: Engine, url: str) -> None:
        self.engine = engine
        self.url = url

    @classmethod
    def open(cls, url: str | None = None, *, migrate: bool = True) -> HistoryStore:
        """Open the database in force. With `migrate`, a SQLite file (one user's history) is
        created or upgraded on open, in one locked transaction, so a nightly job survives a
        driftwatch upgrade; a PostgreSQL database (a team's) waits for `driftwatch db upgrade`."""
        store = cls._connect(url)
        with store._guard("open"):
            with store.engine.connect() as conn:
                version = migrations.current_version(conn)
            pending = version is None or migrations.is_upgradable(version)
            if migrate and store.is_sqlite and pending:
                store._create_if_empty()
            else:
                migrations.check_version(version)
        return store

    @classmethod
    def upgrade(cls, url: str | None = None) -> tuple[str | None, str]:
        """Apply pending schema migrations (`driftwatch db upgrade`); (from, to) versions."""
        store = cls._connect(url)
        with store._write("upgrade the schema of") as conn:
            return migrations.upgrade(conn, store.url)

    @classmethod
    def _connect(cls, url: str | None) -> HistoryStore:
        parsed = parse_url(resolve_url(url))
        return cls(make_engine(parsed), display_url(parsed))

    @property
    def is_sqlite(self) -> bool:
        """True for a SQLite database."""
        return self.engine.dialect.name == "sqlite"

    def close(self) -> None:
        """Release every pooled connection."""
        self.engine.dispose()

    def _create_if_empty(self) -> None:
        """Create or upgrade the schema of a SQLite file; a non-driftwatch database is refused."""
        with self._write("create the schema of") as conn:
            migrations.upgrade(conn, self.url)  # read again under the lock: refuses what it must

    @contextmanager
    def _guard(self, action: str) -> Iterator[None]:
        """Turn database errors into one-line StoreErrors naming the (password-free) URL."""
        try:
            yield
        except DriftwatchError:
            raise
        except SQLAlchemyError as exc:
            reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
            raise StoreError(f"cannot {action} the database {self.url}: {reason}") from exc

    @contextmanager
    def _write(self, action: str = "write to") -> Iterator[Connection]:
        """One write transaction (SQLite: BEGIN IMMEDIATE)."""
        options = {WRITE: True}
        with (
            self._guard(action),
            self.engine.connect().execution_options(**options) as c,
            c.begin(),
        ):
            yield c

    @contextmanager
    def _read(self) -> Iterator[Connection]:
        """One read transaction."""
        with self._guard("read"), self.engine.connect() as conn, conn.begin():
            yield conn

    # runs -------------------------------------------------------------------------------
    def start_run(self, trigger: str) -> int:
        """Record the start of a run (trigger ci, cron or manual) and return its id."""
        if trigger not in TRIGGERS:
            raise StoreError(f"run trigger {trigger!r} is not one of {', '.join(TRIGGERS)}")
        values = {"trigger": trigger, "started_at": _now(), "checked": 0, "drifts": 0, "errors": 0}
        with self._write() as conn:
            return new_id(conn.execute(RUNS.insert().values(values)))

    def finish_run(self, run_id: int, *, checked: int, drifts: int, errors: int) -> None:
        """Record the end of a run and what it counted."""
        values = {"finished_at": _now(), "checked": checked, "drifts": drifts, "errors": errors}
        with self._write() as conn:
            conn.execute(update(RUNS).where(RUNS.c.id == run_id).values(values))

    # observations -----------------------------------------------------------------------
    def record(self, run_id: int, observation: Observation) -> tuple[Drift, ...]:
        """Store what a run saw for a reference and return the drifts since the last time."""
        with self._write() as conn:
            return _record(conn, run_id, observation)

    def record_many(
        self, run_id: int, observations: Sequence[Observation]
    ) -> list[tuple[Drift, ...]]:
        """`record` for many references in one transaction (far fewer commits for big scans);
        those seen exactly as last time in bulk (history/unchanged.py)."""
        from driftwatch.history.unchanged import record_unchanged

        with self._write() as conn:
            done = record_unchanged(conn, run_id, observations)
            return [
                () if index in done else _record(conn, run_id, observation)
                for index, observation in enumerate(observations)
            ]

    def record_eol(self, run_id: int, drifts: Sequence[tuple[Drift, datetime]]) -> list[Drift]:
        """Store os-eol news (each with the moment its window opened); the drifts new to it."""
        from driftwatch.history.eolevents import record_eol

        with self._write() as conn:
            return [drift for drift, since in drifts if record_eol(conn, run_id, drift, since)]

    def note_aliases(self, run_id: int, found: Mapping[ImageReference, Aliases]) -> None:
        """Keep on this run's OS-release events the tags it found for what each reference had,
        so an alert delivered by a later run (a retry) gives the same fix (revision 0004)."""
        with self._write() as conn:
            for reference, aliases in found.items():
                ref_id = select(REFS.c.id).where(REFS.c.canonical == str(reference))
                conn.execute(
                    update(EVENTS)
                    .where(EVENTS.c.run_id == run_id)
                    .where(EVENTS.c.reference_id == ref_id.scalar_subquery())
                    .where(EVENTS.c.kind == DriftKind.OS_RELEASE.value)
                    .values(aliases=aliases_json(aliases))
                )

    def explain_events(self, run_id: int, drifts: Sequence[Drift]) -> None:
        """Store each drift's explanation on the event this run recorded for it (v2 columns)."""
        with self._write() as conn:
            for drift in drifts:
                if drift.explanation is None:
                    continue
                ref_id = select(REFS.c.id).where(REFS.c.canonical == str(drift.reference))
                conn.execute(
                    update(EVENTS)
                    .where(EVENTS.c.run_id == run_id)
                    .where(EVENTS.c.reference_id == ref_id.scalar_subquery())
                    .where(EVENTS.c.kind == drift.kind.value)
                    .where(EVENTS.c.platform == (drift.platform or ""))
                    .values(**explanation_values(drift.explanation))
                )

    def record_failure(self, run_id: int, reference: ImageReference, reason: str) -> None:
        """Note that a reference could not be checked in this run (never a drift)."""
        self.record_failures(run_id, [(reference, reason)])

    def record_failures(self, run_id: int, failures: Sequence[tuple[ImageReference, str]]) -> None:
        """`record_failure` for many references in one transaction."""
        if not failures:
            return
        at = _now()
        with self._write() as conn:
            for reference, reason in failures:
                ref_id = lock_reference(conn, reference, at)
                values = {"run_id": run_id, "reference_id": ref_id, "reason": reason[:500]}
                conn.execute(FAILURES.insert().values(failed_at=at, **values))

    def latest(self, reference: ImageReference) -> Observation | None:
        """The last observation of a reference, or None when it was never seen."""
        with self._read() as conn:
            ref_id = queries.reference_id(conn, reference)
            row = None if ref_id is None else queries.latest_row(conn, ref_id)
            return queries.observation(conn, reference, row)

    def latest_digests(self) -> dict[str, str | None]:
        """Canonical reference -> top digest of its latest observation (the scan baseline)."""
        with self._read() as conn:
            return queries.latest_digests(conn)

    # content-addressed OS cache ---------------------------------------------------------
    def known_os(self, digest: str) -> OsRelease | None:
        """The OS release remembered for a manifest or config digest."""
        with self._read() as conn:
            row = conn.execute(select(OS_CACHE).where(OS_CACHE.c.digest == digest)).first()
        return None if row is None else os_from_row(row._mapping)

    def latest_facts(self, references: Sequence[ImageReference]) -> queries.LatestFacts:
        """Platform and settled OS by platform digest, from each reference's latest observation
        (one read for the whole scan)."""
        with self._read() as conn:
            return queries.latest_facts(conn, references)

    def remember_os(self, digest: str, os: OsRelease) -> None:
        """Remember the OS release of a digest (first answer wins: content never changes)."""
        values = {"digest": digest, "recorded_at": _now(), **os_values(os)}
        with self._write() as conn:
            conn.execute(insert_ignore(conn, OS_CACHE, values))

    # reading ----------------------------------------------------------------------------
    def timeline(
        self, reference: ImageReference, platform: str | None = None
    ) -> list[TimelineEntry]:
        """Each digest of a reference, per platform, with first/last seen, OS and events."""
        with self._read() as conn:
            return queries.timeline(conn, reference, platform)

    def watched(self) -> list[ImageReference]:
        """Every reference the history holds, sorted by canonical name."""
        with self._read() as conn:
            return [parse_reference(name) for name in histories.watched(conn)]

    def histories(self, references: Sequence[ImageReference]) -> list[ReferenceHistory]:
        """The whole history of each reference that was ever seen (for reports), in few reads."""
        with self._read() as conn:
            return histories.histories(conn, [str(reference) for reference in references])

    def events(
        self,
        since: datetime | None = None,
        kind: DriftKind | None = None,
        *,
        run_id: int | None = None,
    ) -> list[StoredDrift]:
        """Drift events, oldest first; optionally since a moment, of one kind, found by one run."""
        with self._read() as conn:
            return queries.events(conn, since=since and utc(since), kind=kind, run_id=run_id)

    def observation_count(self) -> int:
        """How many distinct observations are stored (for tests and `db` status)."""
        with self._read() as conn:
            return int(conn.execute(select(func.count()).select_from(OBS)).scalar_one())

    # alert outbox -----------------------------------------------------------------------
    def enqueue_deliveries(
        self, event_ids: Sequence[int], destinations: Sequence[str], now: datetime | None = None
    ) -> None:
        """Queue every event for every destination (a stable fingerprint, never the URL)."""
        with self._write() as conn:
            deliveries.enqueue(conn, event_ids, destinations, utc(now) if now else _now())

    def unqueued_events(self, since: datetime) -> list[int]:
        """Ids of events detected since `since` never queued for any destination (catch-up)."""
        with self._read() as conn:
            return deliveries.unqueued(conn, utc(since))

    def claim_deliveries(
        self, destination: str, now: datetime, claimer: str, lease: timedelta = deliveries.LEASE
    ) -> list[StoredDrift]:
        """Atomically take the due deliveries of a destination; two claimers never share one."""
        with self._write() as conn:
            return deliveries.claim(conn, destination, utc(now), claimer, lease)

    def mark_delivered(self, event_ids: Sequence[int], destination: str) -> None:
        """Record that these events reached the destination."""
        with self._write() as conn:
            deliveries.delivered(conn, event_ids, destination, _now())

    def mark_attempt_failed(
        self,
        event_ids: Sequence[int],
        destination: str,
        error: str,
        now: datetime,
        max_attempts: int = 5,
        backoff: timedelta = timedelta(minutes=5),
    ) -> int:
        """Count a failed attempt; retry later (exponential backoff) or give up at max_attempts.

        Returns how many deliveries were given up by this attempt.
        """
        with self._write() as conn:
            return deliveries.failed(
                conn, event_ids, destination, error, utc(now), max_attempts, backoff
            )

    def pending_deliveries(self) -> list[PendingDelivery]:
        """Every delivery not yet made (pending, claimed or given up)."""
        with self._read() as conn:
            return deliveries.pending(conn)


def _record(conn: Connection, run_id: int, observation: Observation) -> tuple[Drift, ...]:
    """Compare with the latest observation under the reference's lock, then write."""
    at = utc(observation.observed_at)
    ref_id = lock_reference(conn, observation.reference, at)
    latest = queries.latest_row(conn, ref_id)
    if latest is not None and latest["fingerprint"] == fingerprint(observation):
        seen_again(conn, latest, run_id, at)
        return catch_up(conn, run_id, latest, learn_os(conn, latest, observation), at)
    if latest is not None and at < utc(latest["last_seen"]):
        return ()  # stale: a run that looked later already recorded a newer state
    previous = fill_from_cache(conn, queries.observation(conn, observation.reference, latest))
    observation = fill_from_cache(conn, observation) or observation
    drifts = compare(previous, observation)
    obs_id = insert_observation(conn, ref_id, run_id, observation, at)
    for drift in drifts:
        values = drift_values(drift)
        values.update(reference_id=ref_id, run_id=run_id, new_observation_id=obs_id)
        values["old_observation_id"] = latest["id"] if latest is not None else None
        conn.execute(insert_ignore(conn, EVENTS, values))
    return drifts


def _now() -> datetime:
    return datetime.now(timezone.utc)
