"""Repository names no other test uses: the test registries live for the whole session."""

from __future__ import annotations

import uuid


def unique_name(prefix: str) -> str:
    """`prefix` plus a random suffix, a valid repository name (`library/python-3f9a...`)."""
    return f"{prefix}-{uuid.uuid4().hex[:10]}"
