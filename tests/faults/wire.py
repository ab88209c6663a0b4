"""Just enough HTTP/1.1 framing for the fault proxy: read a request, write a response head."""

from __future__ import annotations

import asyncio
import ipaddress
from dataclasses import dataclass

import httpx

HEAD_LIMIT = 64 * 1024
BODY_LIMIT = 64 * 1024 * 1024


@dataclass(frozen=True)
class Request:
    """One request as the client sent it (target is the origin-form path and query)."""

    method: str
    target: str
    version: str
    headers: list[tuple[str, str]]
    body: bytes

    def get(self, name: str) -> str:
        """The first value of header `name` (case-insensitive), or ''."""
        return next((v for k, v in self.headers if k.lower() == name.lower()), "")

    @property
    def keep_alive(self) -> bool:
        """Whether the client expects the connection to stay open after the answer."""
        connection = self.get("Connection").lower()
        if self.version == "HTTP/1.0":
            return connection == "keep-alive"
        return connection != "close"


@dataclass(frozen=True)
class ResponseHead:
    """Status line and headers of an answer, in the order they are sent."""

    status: int
    reason: str
    headers: list[tuple[str, str]]

    @classmethod
    def of(cls, response: httpx.Response, drop: frozenset[str]) -> ResponseHead:
        """The head of an upstream answer, without the hop-by-hop headers in `drop`."""
        headers = [
            (k.decode("latin-1"), v.decode("latin-1"))
            for k, v in response.headers.raw
            if k.decode("latin-1").lower() not in drop
        ]
        return cls(response.status_code, response.reason_phrase, headers)

    def get(self, name: str) -> str:
        """The first value of header `name` (case-insensitive), or ''."""
        return next((v for k, v in self.headers if k.lower() == name.lower()), "")

    def replaced(self, name: str, value: str) -> ResponseHead:
        """A copy with header `name` set to `value`, in place if present, else appended."""
        kept = [(k, v) for k, v in self.headers if k.lower() != name.lower()]
        index = next(
            (i for i, (k, _) in enumerate(self.headers) if k.lower() == name.lower()), None
        )
        if index is None:
            return ResponseHead(self.status, self.reason, [*kept, (name, value)])
        kept.insert(index, (self.headers[index][0], value))
        return ResponseHead(self.status, self.reason, kept)

    def encode(self) -> bytes:
        """The bytes of the status line and headers, ending with the blank line."""
        lines = [f"HTTP/1.1 {self.status} {self.reason}"]
        lines += [f"{k}: {v}" for k, v in self.headers]
        return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


async def read_request(reader: asyncio.StreamReader) -> Request | None:
    """The next request on a connection, or None when the client closed it between requests."""
    try:
        raw = await reader.readuntil(b"\r\n\r\n")
    except asyncio.IncompleteReadError as exc:
        if exc.partial.strip():
            raise ValueError("connection closed inside a request head") from exc
        return None
    if len(raw) > HEAD_LIMIT:
        raise ValueError("request head too large")
    lines = raw[:-4].decode("latin-1").split("\r\n")
    method, target, version = lines[0].split(" ", 2)
    headers = []
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers.append((name.strip(), value.strip()))
    request = Request(method, target, version, headers, b"")
    body = await _read_body(reader, request)
    return Request(method, target, version, headers, body)


async def _read_body(reader: asyncio.StreamReader, request: Request) -> bytes:
    """The request body, framed by Content-Length or chunked transfer coding."""
    if "chunked" in request.get("Transfer-Encoding").lower():
        return await _read_chunked(reader)
    length = int(request.get("Content-Length") or 0)
    if not 0 <= length <= BODY_LIMIT:
        raise ValueError("request body length out of range")
    return await reader.readexactly(length)


async def _read_chunked(reader: asyncio.StreamReader) -> bytes:
    """Decode a chunked request body (trailers are read and dropped)."""
    body = b""
    while True:
        size = int((await reader.readuntil(b"\r\n")).split(b";")[0].strip(), 16)
        if size == 0:
            while (await reader.readuntil(b"\r\n")) != b"\r\n":
                pass
            return body
        body += await reader.readexactly(size)
        await reader.readexactly(2)
        if len(body) > BODY_LIMIT:
            raise ValueError("request body too large")


def loopback_base(url: str) -> str:
    """The upstream base URL without a trailing slash; refuses anything but loopback."""
    parsed = httpx.URL(url)
    host = parsed.host
    try:
        loopback = host == "localhost" or ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = False
    if not loopback:
        raise ValueError(f"the fault proxy only forwards to loopback, not {host!r}")
    return str(parsed).rstrip("/")
