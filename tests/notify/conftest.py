"""Receivers shared by the notify tests (the classes live in tests/receivers.py)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.receivers import HttpReceiver, SmtpReceiver, free_port


@pytest.fixture
def http_receiver() -> Iterator[HttpReceiver]:
    with HttpReceiver() as receiver:
        yield receiver


@pytest.fixture
def failing_receiver() -> Iterator[HttpReceiver]:
    with HttpReceiver(status=500) as receiver:
        yield receiver


@pytest.fixture
def smtp_receiver() -> Iterator[SmtpReceiver]:
    with SmtpReceiver() as receiver:
        yield receiver


@pytest.fixture
def closed_url() -> str:
    """A json:// URL with a secret path on a port nothing listens on."""
    return f"json://127.0.0.1:{free_port()}/down-secret-path-0042"
