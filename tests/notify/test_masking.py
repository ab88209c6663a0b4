"""Secrets in notification URLs never show: display forms, free text, reprs and log records."""

from __future__ import annotations

import logging

import pytest

from driftwatch.notify import Destination, deliver, mask, mask_url
from driftwatch.notify.message import Message
from tests.receivers import HttpReceiver

SLACK = "slack://T1JJ3T3L2/A1BRTD4JD/TIiajkdnlazkcOXrIdevi7FQ"
DISCORD = "discord://4174216298/JHMHI8qBe7bk2ZwO5U711o3dV_js"
SECRETS = [
    "T1JJ3T3L2",
    "A1BRTD4JD",
    "TIiajkdnlazkcOXrIdevi7FQ",
    "4174216298",
    "JHMHI8qBe7bk2ZwO5U711o3dV_js",
]


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("json://127.0.0.1:8080/secretpath", "json://127.0.0.1:8080/****"),
        (
            "json://user:hunter22@hooks.example.com/x?token=abc",
            "json://****@hooks.example.com/****",
        ),
        (SLACK, "slack://****"),
        (DISCORD, "discord://****"),
        ("tgram://123456789:ABCdefGHI/4242", "tgram://****"),
        ("ntfy://ntfy.sh/private-topic", "ntfy://ntfy.sh/****"),
        ("json://localhost", "json://localhost"),
        ("json://[::1]:8080/p", "json://[::1]:8080/****"),
        ("not a url", "****"),
    ],
)
def test_mask_url_keeps_only_scheme_and_true_host(url: str, shown: str) -> None:
    assert mask_url(url) == shown


def test_mask_hides_known_secrets_in_free_text() -> None:
    text = f"failed: {SLACK} said no; token TIiajkdnlazkcOXrIdevi7FQ and url /A1BRTD4JD/x"
    for given in ([SLACK], [Destination.from_url(SLACK)]):
        masked = mask(text, given)
        assert not any(secret in masked for secret in SECRETS)
        assert "slack://****" in masked


def test_mask_leaves_ordinary_text_alone() -> None:
    assert mask("Debian 12 (bookworm) at 127.0.0.1", ["json://127.0.0.1:1/abcdef"]) == (
        "Debian 12 (bookworm) at 127.0.0.1"
    )


@pytest.mark.parametrize("url", [SLACK, DISCORD, "json://u:pw-secret-9@127.0.0.1:9/hook-secret-9"])
def test_destination_repr_str_and_display_are_masked(url: str) -> None:
    destination = Destination.from_url(url)
    for text in (repr(destination), str(destination), destination.display, destination.fingerprint):
        assert url.split("://")[1] not in text
        assert not any(s in text for s in [*SECRETS, "pw-secret-9", "hook-secret-9"])


def test_a_successful_send_logs_no_webhook_path(
    caplog: pytest.LogCaptureFixture, http_receiver: HttpReceiver
) -> None:
    caplog.set_level(logging.DEBUG)
    assert deliver(
        Destination.from_url(http_receiver.url("ok-secret-path-77")), Message("t", "b")
    ).ok
    assert http_receiver.posts[0].path == "/ok-secret-path-77"
    assert "POST" in caplog.text  # apprise and urllib3 did log the request, masked
    assert "ok-secret-path-77" not in caplog.text


def test_apprise_and_urllib3_logs_are_masked(
    caplog: pytest.LogCaptureFixture, closed_url: str
) -> None:
    caplog.set_level(logging.DEBUG)
    for url in (SLACK, DISCORD):
        Destination.from_url(url)
        import apprise

        assert apprise.Apprise.instantiate(url) is not None  # apprise logs the URL it loads
    result = deliver(Destination.from_url(closed_url), Message("t", "b"))
    assert not result.ok
    logged = caplog.text + "".join(str(r.args) + str(r.msg) for r in caplog.records)
    assert "Loaded Slack URL" in logged  # the records are there, only masked
    assert "down-secret-path-0042" not in logged
    assert not any(secret in logged for secret in SECRETS)
