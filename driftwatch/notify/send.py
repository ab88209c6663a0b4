"""Hand a composed message to apprise for one destination; a failed send is data, not an error.

Apprise's own error lines become the (masked) reason, so a person can see why a send failed.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from driftwatch.models import Drift
from driftwatch.notify.destinations import Destination
from driftwatch.notify.masking import install_log_masking, mask, register_secrets
from driftwatch.notify.message import ImageUsage, Message, compose, route
from driftwatch.reference import ImageReference

__all__ = ["DeliveryResult", "deliver", "plan", "renders_markdown"]

_TRUNCATED = "\n\n(message truncated; run `driftwatch events` for the rest)"
_WEBHOOK_SCHEMES = frozenset({"json", "jsons", "xml", "xmls", "form", "forms"})
_log = logging.getLogger("driftwatch.notify")


@dataclass(frozen=True)
class DeliveryResult:
    """Whether one message reached one destination, and why not (masked) when it did not."""

    ok: bool
    error: str | None = None


def _service(destination: Destination) -> Any:
    """The apprise plugin for a destination, or None when apprise refuses the URL."""
    import apprise

    register_secrets([destination.url])
    return apprise.Apprise.instantiate(destination.url)


def _formats(service: Any) -> tuple[str, ...]:
    """The body formats a service takes, preferred first (apprise 1.x: one; 2.x: a tuple)."""
    override = getattr(service, "_format_override", None)
    declared = service.notify_format
    listed = declared if isinstance(declared, (tuple, list)) else (declared,)
    ordered = ((override,) if override else ()) + tuple(listed)
    return tuple(str(getattr(f, "value", f)) for f in ordered)


def renders_markdown(destination: Destination) -> bool:
    """True when the service shows Markdown (or HTML, which apprise converts Markdown into).

    Generic webhooks (json://, xml://, form://) list every format but feed programs: plain text.
    """
    service = _service(destination)
    if service is None:
        return False
    formats = _formats(service)
    if formats[0] in ("markdown", "html"):
        return True
    scheme = destination.url.partition("://")[0].lower()
    return "markdown" in formats and scheme not in _WEBHOOK_SCHEMES


def plan(
    destinations: Sequence[Destination],
    drifts: Sequence[Drift],
    failures: Sequence[tuple[str, str]],
    usages: Mapping[ImageReference, Sequence[ImageUsage]],
    pinned: Mapping[ImageReference, str] | None = None,
) -> list[tuple[Destination, Message]]:
    """The one message each destination should get for this run (routed and formatted for it)."""
    planned = []
    for destination in destinations:
        wanted, failed = route(drifts, failures, destination)
        markdown = renders_markdown(destination)
        message = compose(wanted, failed, usages, markdown=markdown, pinned=pinned)
        if message is not None:
            planned.append((destination, message))
    return planned


def _fit(body: str, limit: int) -> str:
    """Cut `body` at a line boundary so it fits a service's size limit (0: no limit)."""
    if limit <= 0 or len(body) <= limit:
        return body
    room = max(limit - len(_TRUNCATED), 0)
    cut = body.rfind("\n", 0, room)
    return body[: cut if cut > 0 else room] + _TRUNCATED


def deliver(destination: Destination, message: Message) -> DeliveryResult:
    """Send `message` to `destination` through apprise; failures come back as a masked reason."""
    import apprise

    install_log_masking()
    service = _service(destination)
    if service is None:
        return DeliveryResult(False, f"{destination.display}: apprise cannot use this URL")
    body = _fit(message.body, int(getattr(service, "body_maxlen", 0) or 0))
    body_format = apprise.NotifyFormat.MARKDOWN if message.markdown else apprise.NotifyFormat.TEXT
    sender = apprise.Apprise()
    sender.add(service)
    # The capture is on apprise's process-wide logger: deliver one message at a time, or two
    # concurrent failures may swap reasons.
    with apprise.LogCapture(level=logging.WARNING) as captured:  # type: ignore[no-untyped-call]
        try:
            sent = bool(sender.notify(body=body, title=message.title, body_format=body_format))
        except Exception as exc:  # noqa: BLE001 - a plugin bug must not stop the other sends
            return DeliveryResult(False, mask(f"{type(exc).__name__}: {exc}", [destination.url]))
    if sent:
        return DeliveryResult(True)
    reason = _reason(captured.getvalue(), destination)
    _log.info("notification to %s failed: %s", destination.display, reason)
    return DeliveryResult(False, reason)


def _reason(log_text: str, destination: Destination) -> str:
    """The last warning or error apprise logged, masked, as a one-line reason."""
    lines = [line.split(" - ", 2)[-1].strip() for line in log_text.splitlines() if line.strip()]
    reason = lines[-1] if lines else "apprise reported a failure without a reason"
    return mask(reason, [destination.url])
