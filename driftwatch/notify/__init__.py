"""Alerts through apprise: destinations, routing, masking, message content and delivery.

The outbox (what was sent to whom) lives in the history package; this package never touches
the database. Wiring: `plan(destinations, drifts, failures, usages)` then `deliver()` each pair.
"""

from __future__ import annotations

from driftwatch.notify.destinations import (
    DEFAULT_ON,
    ROUTES,
    Destination,
    fingerprint,
    load_destinations,
)
from driftwatch.notify.masking import mask, mask_url
from driftwatch.notify.message import ImageUsage, Message, compose, route, test_message
from driftwatch.notify.send import DeliveryResult, deliver, plan, renders_markdown

__all__ = [
    "DEFAULT_ON",
    "ROUTES",
    "DeliveryResult",
    "Destination",
    "ImageUsage",
    "Message",
    "compose",
    "deliver",
    "fingerprint",
    "load_destinations",
    "mask",
    "mask_url",
    "plan",
    "renders_markdown",
    "route",
    "test_message",
]
