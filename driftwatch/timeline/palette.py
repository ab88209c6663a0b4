"""One colour per OS release key, the same in every report (fixed for common ones, else hashed)."""

from __future__ import annotations

import colorsys
import hashlib
import re

__all__ = ["colour", "css_class"]

# Neighbouring releases get clearly different hues; mid lightness reads on light and dark pages.
_FIXED = {
    "wheezy": "#9c755f",
    "jessie": "#bab0ac",
    "stretch": "#b07aa1",
    "buster": "#9467bd",
    "bullseye": "#e8853a",
    "bookworm": "#3a8fd0",
    "trixie": "#2aa876",
    "forky": "#d9534f",
    "duke": "#c9a227",
    "sid": "#7f7f7f",
    "bionic": "#8c564b",
    "focal": "#e377c2",
    "jammy": "#e9a23b",
    "noble": "#6f5fd3",
    "resolute": "#17becf",
    "unknown": "#8a8f98",
}


def colour(key: str) -> str:
    """`#rrggbb` for a release key: a fixed one, else a hue derived from the key's hash."""
    fixed = _FIXED.get(key)
    if fixed is not None:
        return fixed
    hue = int(hashlib.sha256(key.encode()).hexdigest()[:4], 16) / 0xFFFF
    red, green, blue = colorsys.hls_to_rgb(hue, 0.52, 0.55)
    return "#" + "".join(f"{round(part * 255):02x}" for part in (red, green, blue))


def css_class(key: str) -> str:
    """A CSS class name for a release key: `r-` and only [a-z0-9-]."""
    return "r-" + (re.sub(r"[^a-z0-9-]+", "-", key.lower()).strip("-") or "x")
