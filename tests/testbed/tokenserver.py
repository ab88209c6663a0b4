"""A token server for the registry's `auth.token` mode: ES256 JWTs with an x5c header."""

from __future__ import annotations

import base64
import datetime
import json
import threading
import time
import uuid
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import jwt
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

SERVICE = "driftwatch-test-registry"
ISSUER = "driftwatch-test-issuer"


@dataclass
class TokenServer:
    """Grants tokens: named users get what they ask; anonymous gets pull except on `private/`."""

    users: dict[str, str]  # username -> password
    refresh_tokens: dict[str, str] = field(default_factory=dict)  # token -> username
    requests: list[tuple[str, str, str]] = field(default_factory=list)  # method, scope, user
    port: int = 0

    def start(self, workdir: Path) -> None:
        self._key = ec.generate_private_key(ec.SECP256R1())
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "driftwatch test token signer")])
        now = datetime.datetime.now(datetime.timezone.utc)
        cert = (
            x509.CertificateBuilder()
            .subject_name(name)
            .issuer_name(name)
            .public_key(self._key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(days=1))
            .not_valid_after(now + datetime.timedelta(days=30))
            .sign(self._key, hashes.SHA256())
        )
        self.cert_path = workdir / "token-cert.pem"
        self.cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
        self._x5c = base64.b64encode(cert.public_bytes(serialization.Encoding.DER)).decode()
        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), _handler(self))
        self.port = self._server.server_address[1]
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    @property
    def realm(self) -> str:
        return f"http://127.0.0.1:{self.port}/token"

    def grant(self, user: str | None, scopes: list[str]) -> str:
        """A signed token carrying what `user` may do for `scopes`."""
        access = []
        for scope in scopes:
            kind, _, rest = scope.partition(":")
            name, _, actions = rest.rpartition(":")  # names may hold host:port
            wanted = [a for a in actions.split(",") if a]
            allowed = (
                wanted
                if user
                else [a for a in wanted if a == "pull" and not name.startswith("private/")]
            )
            if user and user not in ("pusher",):
                allowed = [a for a in wanted if a == "pull"]
            access.append({"type": kind, "name": name, "actions": allowed})
        now = int(time.time())
        claims = {
            "iss": ISSUER,
            "aud": SERVICE,
            "sub": user or "",
            "exp": now + 300,
            "nbf": now - 10,
            "iat": now,
            "jti": uuid.uuid4().hex,
            "access": access,
        }
        return jwt.encode(claims, self._key, algorithm="ES256", headers={"x5c": [self._x5c]})


def _handler(server: TokenServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - stdlib name
            return

        def do_GET(self) -> None:
            query = parse_qs(urlsplit(self.path).query)
            user = self._basic_user()
            if user is False:
                return self._answer(401, {"errors": [{"code": "UNAUTHORIZED"}]})
            scopes = query.get("scope", [])
            server.requests.append(("GET", " ".join(scopes), user or ""))
            self._token(user or None, scopes)

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0"))).decode()
            form = {k: v[0] for k, v in parse_qs(body).items()}
            user = server.refresh_tokens.get(form.get("refresh_token", ""))
            server.requests.append(("POST", form.get("scope", ""), user or ""))
            if form.get("grant_type") != "refresh_token" or user is None:
                return self._answer(401, {"error": "invalid_grant"})
            self._token(user, [form["scope"]] if form.get("scope") else [])

        def _basic_user(self) -> str | None | bool:
            header = self.headers.get("Authorization", "")
            if not header.startswith("Basic "):
                return None
            user, _, password = base64.b64decode(header[6:]).decode().partition(":")
            return user if server.users.get(user) == password else False

        def _token(self, user: str | None, scopes: list[str]) -> None:
            token = server.grant(user, scopes)
            self._answer(200, {"token": token, "access_token": token, "expires_in": 300})

        def _answer(self, status: int, doc: object) -> None:
            data = json.dumps(doc).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

    return Handler
