"""How the proxy damages an answer: registry-style errors, lying digests, flipped bytes, RSTs."""

from __future__ import annotations

import asyncio
import hashlib
import random
import re
import socket
import struct

from .wire import ResponseHead

REASONS = {429: "Too Many Requests", 500: "Internal Server Error", 502: "Bad Gateway"}
ERROR_CODES = {429: "TOOMANYREQUESTS", 500: "UNKNOWN"}
DIGEST_HEX = re.compile(rb"sha256:([0-9a-f]{64})")


def error_answer(status: int, retry_after: int, head_only: bool) -> bytes:
    """A whole registry-style error answer (JSON errors body; Retry-After on a 429)."""
    code = ERROR_CODES.get(status, "UNAVAILABLE")
    body = b'{"errors":[{"code":"%s","message":"injected by the fault proxy"}]}\n' % code.encode()
    headers = [("Content-Type", "application/json"), ("Content-Length", str(len(body)))]
    if status == 429:
        headers.append(("Retry-After", str(retry_after)))
    head = ResponseHead(status, REASONS.get(status, "Service Unavailable"), headers).encode()
    return head if head_only else head + body


def wrong_digest(digest: str) -> str:
    """A well-formed sha256 digest that is certainly not `digest`."""
    return "sha256:" + hashlib.sha256(b"fault-proxy:" + digest.encode()).hexdigest()


def corrupt(body: bytes, rng: random.Random) -> bytes:
    """Change one byte: a hex digit of a digest inside the body when there is one (the JSON
    stays valid and only the hash gives it away), else any byte."""
    if not body:
        return body
    spans = [match.span(1) for match in DIGEST_HEX.finditer(body)]
    if spans:
        start, end = rng.choice(spans)
        position = rng.randrange(start, end)
        new = ord("0") if body[position] != ord("0") else ord("1")
    else:
        position = rng.randrange(len(body))
        new = body[position] ^ 0x20
    return body[:position] + bytes([new]) + body[position + 1 :]


def abort(writer: asyncio.StreamWriter) -> None:
    """Close the connection with a TCP RST (SO_LINGER 0) instead of a clean FIN."""
    sock = writer.get_extra_info("socket")
    if sock is not None:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    writer.transport.abort()
