"""The outbox's retry policy knobs and what a failed Delivery says will happen next."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from driftwatch.errors import ConfigError
from driftwatch.notify import Destination
from driftwatch.notify.outbox import Delivery, RetryPolicy, queue_run_events
from driftwatch.notify.send import DeliveryResult


def test_retry_policy_defaults_and_environment() -> None:
    assert RetryPolicy.from_env({}) == RetryPolicy(timedelta(minutes=5), 5)
    knobs = {"DRIFTWATCH_NOTIFY_BACKOFF": "1.5", "DRIFTWATCH_NOTIFY_MAX_ATTEMPTS": " 2 "}
    assert RetryPolicy.from_env(knobs) == RetryPolicy(timedelta(seconds=1.5), 2)
    assert RetryPolicy.from_env({"DRIFTWATCH_NOTIFY_BACKOFF": "0"}).backoff == timedelta(0)


@pytest.mark.parametrize(
    ("name", "value", "says"),
    [
        ("DRIFTWATCH_NOTIFY_BACKOFF", "soon", "should be a valid number"),
        ("DRIFTWATCH_NOTIFY_BACKOFF", "-1", "should be greater than or equal to 0"),
        ("DRIFTWATCH_NOTIFY_BACKOFF", "nan", "should be a finite number"),
        ("DRIFTWATCH_NOTIFY_BACKOFF", "inf", "should be a finite number"),
        ("DRIFTWATCH_NOTIFY_BACKOFF", "1e400", "should be a finite number"),
        ("DRIFTWATCH_NOTIFY_BACKOFF", "1e9", "should be less than or equal to 604800"),
        ("DRIFTWATCH_NOTIFY_MAX_ATTEMPTS", "0", "should be greater than or equal to 1"),
        ("DRIFTWATCH_NOTIFY_MAX_ATTEMPTS", "2.5", "should be a valid integer"),
        ("DRIFTWATCH_NOTIFY_MAX_ATTEMPTS", "inf", "should be a valid integer"),
        ("DRIFTWATCH_NOTIFY_MAX_ATTEMPTS", "1000", "should be less than or equal to 100"),
    ],
)
def test_bad_knobs_are_config_errors(name: str, value: str, says: str) -> None:
    with pytest.raises(ConfigError) as info:
        RetryPolicy.from_env({name: value})
    message = info.value.message
    assert message.startswith(f"{name} = '{value}': {says}"), message
    assert "allowed: " in message and "\n" not in message


def test_delivery_fate() -> None:
    where = Destination.from_url("json://127.0.0.1:9/hook-fate-secret")
    failed = DeliveryResult(False, "refused")
    assert Delivery(where, 2, failed).fate == "will retry"
    assert Delivery(where, 2, failed, gave_up=True).fate.startswith("gave up")
    assert Delivery(where, 0, failed).fate == "not retried: nothing in it is queued"
    assert not Delivery(where, 2, DeliveryResult(True)).will_retry


def test_catch_up_queues_recent_events_no_destination_ever_got(tmp_path: Path) -> None:
    from driftwatch.history import HistoryStore
    from tests.history.helpers import at, debian, observe

    store = HistoryStore.open(f"sqlite:///{tmp_path / 'h.db'}")
    try:
        quiet = store.start_run("manual")  # a run without destinations records two moves
        store.record(quiet, observe("python:3.11-slim", 0, "b1", debian("bullseye")))
        store.record(quiet, observe("python:3.11-slim", 1, "b2", debian("bookworm")))
        store.record(quiet, observe("python:3.11-slim", 9, "b3", debian("trixie")))
        old, recent = (
            [e.id for e in store.events() if e.drift.detected_at.day == d] for d in (2, 10)
        )
        assert len(old) == len(recent) == 2  # one release move per platform, each time
        hook = Destination.from_url("json://127.0.0.1:9/catch-up")
        run = store.start_run("cron")
        assert queue_run_events(store, run, [hook], now=at(10)) == len(recent)
        assert store.unqueued_events(at(0)) == old  # older than CATCH_UP: left alone
        assert queue_run_events(store, run, [hook], now=at(10)) == 0
        assert queue_run_events(store, run, [], now=at(0)) == 0
    finally:
        store.close()
