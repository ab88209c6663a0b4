"""Delivery through apprise to real local receivers: HTTP json:// posts and SMTP mail."""

from __future__ import annotations

import logging

import pytest

from driftwatch.models import DriftKind
from driftwatch.notify import Destination, ImageUsage, Message, deliver, plan, renders_markdown
from driftwatch.notify.send import _fit
from driftwatch.reference import parse_reference
from tests.receivers import HttpReceiver, SmtpReceiver

from .drifts import BOOKWORM, BULLSEYE, digest, drift

PY = parse_reference("python:3.11-slim")
USAGES = {PY: [ImageUsage("Dockerfile", 1)]}


def bullseye_to_bookworm():  # type: ignore[no-untyped-def]
    return [
        drift(DriftKind.OS_RELEASE, "python:3.11-slim"),
        drift(DriftKind.OS_RELEASE, "node:20", old=(3, BULLSEYE), new=(4, BOOKWORM)),
        drift(DriftKind.DIGEST, "redis:7", old=(5, BOOKWORM), new=(6, BOOKWORM)),
    ]


def test_one_batched_message_per_destination_reaches_the_receiver(
    http_receiver: HttpReceiver,
) -> None:
    destination = Destination.from_url(http_receiver.url("hooks/run"))
    planned = plan([destination], bullseye_to_bookworm(), [("ghcr.io/o/a:1", "timeout")], USAGES)
    assert len(planned) == 1
    result = deliver(*planned[0])
    assert result.ok and result.error is None
    assert len(http_receiver.posts) == 1
    post = http_receiver.posts[0]
    assert post.path == "/hooks/run"
    payload = post.json
    assert payload["title"] == "2 base images moved to a new OS release; could not check 1 image"
    assert "Debian 11 (bullseye) -> Debian 12 (bookworm)" in payload["message"]
    assert f"FROM python:3.11-slim@{digest(1)}" in payload["message"]
    assert "redis:7" not in payload["message"]  # digest-only news is not in the default routes


def test_routing_sends_each_receiver_only_what_it_asked_for() -> None:
    with HttpReceiver() as releases, HttpReceiver() as digests, HttpReceiver() as errors:
        destinations = [
            Destination.from_url(releases.url(), ["release"]),
            Destination.from_url(digests.url(), ["digest"]),
            Destination.from_url(errors.url(), ["error"]),
        ]
        only_digest = [drift(DriftKind.DIGEST, "redis:7", old=(5, BOOKWORM), new=(6, BOOKWORM))]
        planned = plan(destinations, only_digest, [], {})
        assert [d for d, _ in planned] == [destinations[1]]
        assert all(deliver(d, m).ok for d, m in planned)
        assert (len(releases.posts), len(digests.posts), len(errors.posts)) == (0, 1, 0)
        assert digests.posts[0].json["title"] == "1 base image changed"


def test_receiver_down_is_a_masked_failure_not_an_exception(
    closed_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    result = deliver(Destination.from_url(closed_url), Message("t", "b"))
    assert not result.ok
    assert result.error and "connection" in result.error.lower()
    assert "down-secret-path-0042" not in result.error
    assert "down-secret-path-0042" not in caplog.text
    assert "notification to json://127.0.0.1" in caplog.text


def test_receiver_answering_500_is_a_failure(failing_receiver: HttpReceiver) -> None:
    result = deliver(
        Destination.from_url(failing_receiver.url("fail-secret-31")), Message("t", "b")
    )
    assert not result.ok
    assert len(failing_receiver.posts) == 1
    assert result.error and "500" in result.error and "fail-secret-31" not in result.error


def test_mailto_reaches_the_smtp_receiver_as_rendered_markdown(smtp_receiver: SmtpReceiver) -> None:
    destination = Destination.from_url(smtp_receiver.url())
    assert renders_markdown(destination)
    planned = plan([destination], bullseye_to_bookworm()[:1], [], USAGES)
    assert deliver(*planned[0]).ok
    assert len(smtp_receiver.messages) == 1
    mail = smtp_receiver.messages[0]
    assert mail["Subject"] == "1 base image moved to a new OS release"
    assert smtp_receiver.handler.envelopes[0][1] == ["ops@example.com"]
    plain = mail.get_body(preferencelist=("plain",))
    html = mail.get_body(preferencelist=("html",))
    assert plain is not None and html is not None
    assert "Debian 11 (bullseye) -> Debian 12 (bookworm)" in plain.get_content()
    html_text = html.get_content()
    assert (
        "<li>digest <code>sha256:111111111111</code> -&gt; <code>sha256:222222222222</code></li>"
        in html_text
    )
    assert (
        f"<li>Keep the old build: <code>FROM python:3.11-slim@{digest(1)}</code></li>" in html_text
    )


@pytest.mark.parametrize(
    ("url", "markdown"),
    [
        ("json://127.0.0.1:1/x", False),
        ("json://127.0.0.1:1/x?format=markdown", True),
        ("ntfy://ntfy.sh/topic", False),
        ("slack://T1JJ3T3L2/A1BRTD4JD/TIiajkdnlazkcOXrIdevi7FQ", True),
        ("discord://4174216298/JHMHI8qBe7bk2ZwO5U711o3dV_js", True),
        ("mailto://u:p@example.com", True),
    ],
)
def test_markdown_only_where_the_service_renders_it(url: str, markdown: bool) -> None:
    assert renders_markdown(Destination.from_url(url)) is markdown


def test_long_bodies_are_cut_at_a_line_to_the_service_limit() -> None:
    body = "\n".join(f"line {i}" for i in range(1000))
    fitted = _fit(body, 2000)
    assert len(fitted) <= 2000 and fitted.endswith("run `driftwatch events` for the rest)")
    assert "\nline 1\n" in fitted and _fit("short", 2000) == "short"
