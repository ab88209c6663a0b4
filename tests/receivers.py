"""Real local receivers for alerts: an HTTP server for apprise json:// posts and an SMTP server.

Reusable by any test: `with HttpReceiver() as hook: ... hook.url("path")`, `with SmtpReceiver()`.
"""

from __future__ import annotations

import email
import email.policy
import json
import socket
import threading
from dataclasses import dataclass, field
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from aiosmtpd.controller import Controller


def free_port() -> int:
    """A TCP port on loopback that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Post:
    """One request the HTTP receiver got."""

    path: str
    headers: dict[str, str]
    body: bytes

    @property
    def json(self) -> Any:
        return json.loads(self.body)


class HttpReceiver:
    """A threaded HTTP server that records every POST and answers `status` (200 by default).

    `port` binds a given (e.g. previously closed) port: a receiver that comes back up.
    """

    def __init__(self, status: int = 200, port: int = 0) -> None:
        self.status = status
        self.posts: list[Post] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's naming
                length = int(self.headers.get("Content-Length", "0"))
                body = self.rfile.read(length)
                receiver.posts.append(Post(self.path, dict(self.headers), body))
                self.send_response(receiver.status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.port = int(self.server.server_address[1])
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def url(self, path: str = "hook", scheme: str = "json") -> str:
        """The apprise URL that posts here."""
        return f"{scheme}://127.0.0.1:{self.port}/{path}"

    def __enter__(self) -> HttpReceiver:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()
        self._thread.join(5)


@dataclass
class _Handler:
    messages: list[EmailMessage] = field(default_factory=list)
    envelopes: list[tuple[str, list[str]]] = field(default_factory=list)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        parsed = email.message_from_bytes(envelope.content, policy=email.policy.default)
        assert isinstance(parsed, EmailMessage)
        self.messages.append(parsed)
        self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
        return "250 OK"


class SmtpReceiver:
    """An aiosmtpd server on loopback that keeps every mail it receives."""

    def __init__(self) -> None:
        self.port = free_port()
        self.handler = _Handler()
        self.controller = Controller(self.handler, hostname="127.0.0.1", port=self.port)

    @property
    def messages(self) -> list[EmailMessage]:
        return self.handler.messages

    def url(self, to: str = "ops@example.com") -> str:
        """The apprise mailto:// URL that delivers here without TLS."""
        return (
            f"mailto://127.0.0.1:{self.port}?from=a@example.com&to={to}"
            "&mode=insecure&smtp=127.0.0.1"
        )

    @staticmethod
    def text_of(message: EmailMessage) -> str:
        """Every text part of a mail, decoded and joined."""
        parts = [p.get_content() for p in message.walk() if p.get_content_maintype() == "text"]
        return "\n".join(str(part) for part in parts)

    def __enter__(self) -> SmtpReceiver:
        self.controller.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.controller.stop()
