"""Reading registry answers: status to error mapping, capped bodies, verified blob streams."""

from __future__ import annotations

import hashlib
import json
from collections.abc import AsyncIterator

import httpx

from driftwatch.errors import (
    DigestMismatch,
    InvalidResponse,
    NotFound,
    TransferBroken,
    TruncatedBody,
    Unauthorized,
)


def content_length(headers: httpx.Headers) -> int | None:
    """Content-Length as an int, or None when absent or malformed."""
    value = headers.get("content-length", "")
    return int(value) if value.isdigit() else None


def check_status(response: httpx.Response, where: str, unknown: str) -> None:
    """Map a non-200 answer to the error tree with a one-line reason."""
    code = response.status_code
    if code == 200:
        return
    reason = _registry_message(response) or unknown
    if code == 404:
        raise NotFound(f"{where}: {reason} (404)")
    if code in (401, 403):
        raise Unauthorized(f"{where}: access denied ({code})")
    raise InvalidResponse(f"{where}: unexpected answer {code}")


def _registry_message(response: httpx.Response) -> str | None:
    """The first `errors[].message` of a registry error body, if one was read."""
    try:
        doc = json.loads(response.content) if response.content else None
    except (ValueError, httpx.ResponseNotRead):
        return None
    errors = doc.get("errors") if isinstance(doc, dict) else None
    if isinstance(errors, list) and errors and isinstance(errors[0], dict):
        message = errors[0].get("message")
        return str(message).splitlines()[0][:200] if message else None
    return None


async def read_capped(response: httpx.Response, cap: int, where: str, unknown: str) -> bytes:
    """The body, refused beyond `cap` bytes or when shorter than its Content-Length."""
    try:
        if response.status_code != 200:
            await response.aread()
            check_status(response, where, unknown)
        declared = content_length(response.headers)
        if declared is not None and declared > cap:
            raise InvalidResponse(f"{where}: body is {declared} bytes, the limit is {cap}")
        chunks, total = [], 0
        async for chunk in response.aiter_bytes():
            total += len(chunk)
            if total > cap:
                raise InvalidResponse(f"{where}: body exceeds the limit of {cap} bytes")
            chunks.append(chunk)
    except httpx.HTTPError as exc:
        raise TransferBroken(f"{where}: connection broke while reading the body") from exc
    finally:
        await response.aclose()
    if declared is not None and total != declared and "content-encoding" not in response.headers:
        raise TruncatedBody(f"{where}: truncated body ({total} of {declared} bytes)")
    return b"".join(chunks)


async def verified_chunks(
    response: httpx.Response, digest: str, where: str
) -> AsyncIterator[bytes]:
    """Yield the body's chunks, hashing as they pass; DigestMismatch after the last one."""
    algorithm = digest.split(":", 1)[0]
    hasher = hashlib.new(algorithm)
    try:
        async for chunk in response.aiter_bytes():
            hasher.update(chunk)
            yield chunk
    except httpx.HTTPError as exc:
        raise TransferBroken(f"{where}: connection broke while reading the blob") from exc
    actual = f"{algorithm}:{hasher.hexdigest()}"
    if actual != digest:
        raise DigestMismatch(f"{where}: content hashes to {actual}, expected {digest}")
