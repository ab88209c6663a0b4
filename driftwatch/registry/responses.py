"""Reading registry answers: status to error mapping, capped bodies, verified blob streams."""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator

import httpx

from driftwatch.errors import (
    DigestMismatch,
    InvalidResponse,
    NotFound,
    TransferBroken,
    TruncatedBody,
    Unauthorized,
    Unreachable,
)
from driftwatch.oci.jsondoc import load_json
from driftwatch.registry.inflight import RequestTimeout

SMALL_BODY_CAP = 64 * 1024  # error answers, redirects: read this much at most


def content_length(headers: httpx.Headers) -> int | None:
    """Content-Length as an int, or None when absent or malformed."""
    value = headers.get("content-length", "")
    return int(value) if value.isdigit() else None


async def read_small(response: httpx.Response, cap: int = SMALL_BODY_CAP) -> bytes:
    """A body driftwatch does not need whole (an error, a redirect), at most `cap` bytes.

    Read to its end when it fits, so the connection is kept for the next request; a bigger body
    is cut off and its connection closed. Raw bytes are counted: a compressed bomb stays small.
    Never raises: a broken or slow body is just an empty one.
    """
    if response.is_stream_consumed:  # read already (a HEAD's empty body, a test's answer)
        await response.aclose()
        try:
            return response.content[:cap]
        except httpx.ResponseNotRead:
            return b""
    declared = content_length(response.headers)
    chunks: list[bytes] = []
    try:
        if declared is None or declared <= cap:
            total = 0
            async for chunk in response.aiter_raw():
                total += len(chunk)
                if total > cap:
                    return b""
                chunks.append(chunk)
    except (httpx.HTTPError, RequestTimeout):
        return b""
    finally:
        await response.aclose()
    encoded = response.headers.get("content-encoding", "identity").lower() != "identity"
    return b"" if encoded else b"".join(chunks)


def check_status(response: httpx.Response, where: str, unknown: str, body: bytes = b"") -> None:
    """Map a non-200 answer (and its error `body`, if read) to the error tree, in one line."""
    code = response.status_code
    if code == 200:
        return
    reason = _registry_message(body) or unknown
    if code == 404:
        raise NotFound(f"{where}: {reason} (404)")
    if code in (401, 403):
        raise Unauthorized(f"{where}: access denied ({code})")
    raise InvalidResponse(f"{where}: unexpected answer {code}")


def _registry_message(body: bytes) -> str | None:
    """The first `errors[].message` of a registry error body."""
    try:
        doc = load_json(body, "registry error body") if body else None
    except InvalidResponse:
        return None
    errors = doc.get("errors") if isinstance(doc, dict) else None
    if isinstance(errors, list) and errors and isinstance(errors[0], dict):
        message = errors[0].get("message")
        return str(message).splitlines()[0][:200] if message else None
    return None


async def read_capped(response: httpx.Response, cap: int, where: str, unknown: str) -> bytes:
    """The body, refused beyond `cap` bytes, when shorter than its Content-Length or too slow."""
    if response.status_code != 200:
        check_status(response, where, unknown, await read_small(response))
    try:
        declared = content_length(response.headers)
        if declared is not None and declared > cap:
            raise InvalidResponse(f"{where}: body is {declared} bytes, the limit is {cap}")
        chunks, total = [], 0
        async for chunk in response.aiter_bytes():
            total += len(chunk)
            if total > cap:
                raise InvalidResponse(f"{where}: body exceeds the limit of {cap} bytes")
            chunks.append(chunk)
    except RequestTimeout:
        raise Unreachable(f"{where}: timed out reading the body") from None
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
    except RequestTimeout:
        raise Unreachable(f"{where}: timed out reading the blob") from None
    except httpx.HTTPError as exc:
        raise TransferBroken(f"{where}: connection broke while reading the blob") from exc
    actual = f"{algorithm}:{hasher.hexdigest()}"
    if actual != digest:
        raise DigestMismatch(f"{where}: content hashes to {actual}, expected {digest}")
