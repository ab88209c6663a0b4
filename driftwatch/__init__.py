"""driftwatch: guard container base images against tags that move under you."""

from __future__ import annotations

from driftwatch.errors import (
    ConfigError,
    DigestMismatch,
    DriftwatchError,
    InvalidReference,
    InvalidResponse,
    NotFound,
    RateLimited,
    RegistryError,
    Unauthorized,
    Unreachable,
)
from driftwatch.reference import ImageReference, parse_reference

__version__ = "0.1.0"

__all__ = [
    "ConfigError",
    "DigestMismatch",
    "DriftwatchError",
    "ImageReference",
    "InvalidReference",
    "InvalidResponse",
    "NotFound",
    "RateLimited",
    "RegistryError",
    "Unauthorized",
    "Unreachable",
    "__version__",
    "parse_reference",
]
