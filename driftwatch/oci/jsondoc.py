"""Parse a JSON body a registry (or its token server) sent: every way it can be bad is one
InvalidResponse naming what it was, including nesting deep enough to exhaust the parser's stack
(a 4 MiB body of `[` raises RecursionError in `json.loads`, which is no ValueError)."""

from __future__ import annotations

import json
from typing import Any

from driftwatch.errors import InvalidResponse

__all__ = ["load_json"]


def load_json(body: bytes | str, where: str) -> Any:
    """The parsed document; InvalidResponse(`where`) when it is not JSON or nests too deep."""
    try:
        return json.loads(body)
    except (ValueError, UnicodeDecodeError, RecursionError) as exc:
        raise InvalidResponse(where) from exc
