"""Write Python values as TOML text (inline tables for nesting), for tests that make configs."""

from __future__ import annotations

import json
import math
from typing import Any


def toml_value(value: Any) -> str:
    """A value written as TOML: NaN and infinities by name, strings JSON-quoted."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and not math.isfinite(value):
        return "nan" if math.isnan(value) else ("inf" if value > 0 else "-inf")
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, list):
        return "[" + ", ".join(toml_value(item) for item in value) + "]"
    inner = ", ".join(f"{json.dumps(k)} = {toml_value(v)}" for k, v in value.items())
    return "{" + inner + "}"


def toml_document(data: dict[str, Any]) -> str:
    """A TOML document: one `key = value` line per top-level key."""
    return "".join(f"{json.dumps(key)} = {toml_value(value)}\n" for key, value in data.items())
