"""Content digests: syntax, computing and checking (sha256, sha384, sha512)."""

from __future__ import annotations

import hashlib
import re

from driftwatch.errors import DigestMismatch, InvalidResponse, UnsupportedManifest

__all__ = ["check_digest_syntax", "compute_digest", "verify_digest"]

_HASHES = {"sha256": 64, "sha384": 96, "sha512": 128}
_DIGEST = re.compile(r"(sha256|sha384|sha512):([a-f0-9]+)")


def check_digest_syntax(digest: str, where: str) -> str:
    """Return `digest` when it is a well-formed sha256/384/512 digest, else InvalidResponse."""
    match = _DIGEST.fullmatch(digest)
    if not match or len(match.group(2)) != _HASHES[match.group(1)]:
        raise InvalidResponse(f"{where}: malformed digest {digest[:80]!r}")
    return digest


def compute_digest(data: bytes, algorithm: str = "sha256") -> str:
    """The content digest of `data` with `algorithm`."""
    return f"{algorithm}:{hashlib.new(algorithm, data).hexdigest()}"


def verify_digest(data: bytes, expected: str, where: str) -> None:
    """Raise DigestMismatch unless `data` hashes to `expected`."""
    algorithm = expected.split(":", 1)[0]
    if algorithm not in _HASHES:
        raise UnsupportedManifest(f"{where}: unsupported digest algorithm {algorithm!r}")
    actual = compute_digest(data, algorithm)
    if actual != expected:
        raise DigestMismatch(f"{where}: content hashes to {actual}, expected {expected}")
