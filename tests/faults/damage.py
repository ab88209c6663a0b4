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


HUGE_CHUNK = b"x" * (64 * 1024)


async def huge_error(writer: asyncio.StreamWriter, size: int) -> None:
    """A 404 with a registry-style error whose body goes on for `size` bytes, chunked (no length
    announced), made up as it is sent: only a client that caps what it reads gets past it."""
    headers = [("Content-Type", "application/json"), ("Transfer-Encoding", "chunked")]
    writer.write(ResponseHead(404, "Not Found", headers).encode())
    start = b'{"errors":[{"code":"MANIFEST_UNKNOWN","message":"'
    writer.write(b"%x\r\n%s\r\n" % (len(start), start))
    sent = len(start)
    while sent < size:
        chunk = HUGE_CHUNK[: size - sent]
        writer.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
        await writer.drain()
        sent += len(chunk)
    writer.write(b"0\r\n\r\n")
    await writer.drain()


async def drip(writer: asyncio.StreamWriter, head: ResponseHead, body: bytes, every: float) -> None:
    """The real head, then the body one byte every `every` seconds (each read of a client with a
    per-read timeout above `every` succeeds, so only an overall deadline ends it)."""
    writer.write(head.replaced("Content-Length", str(len(body))).encode())
    await writer.drain()
    for byte in body:
        await asyncio.sleep(every)
        writer.write(bytes([byte]))
        await writer.drain()
