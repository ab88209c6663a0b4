"""JSON Schemas of every `--format json` output, shipped with the package for scripts and tests."""

from __future__ import annotations

import json
from importlib.resources import files
from typing import Any

__all__ = ["SCHEMAS", "load_schema"]

# schema name -> the commands whose `--format json` it describes
SCHEMAS: dict[str, tuple[str, ...]] = {
    "findings": ("check", "lint"),
    "scan": ("scan",),
    "images": ("images",),
    "resolve": ("resolve",),
    "history": ("history",),
    "events": ("events",),
}


def load_schema(name: str) -> dict[str, Any]:
    """The parsed `<name>.schema.json` (one of SCHEMAS)."""
    if name not in SCHEMAS:
        raise ValueError(f"unknown schema {name!r} (known: {', '.join(SCHEMAS)})")
    text = files(__package__).joinpath(f"{name}.schema.json").read_text(encoding="utf-8")
    loaded: dict[str, Any] = json.loads(text)
    return loaded
