"""Registry auth: WWW-Authenticate parsing, the Bearer token flow with a token cache, Basic."""

from __future__ import annotations

import asyncio
import base64
import re
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import httpx

from driftwatch.errors import InvalidResponse, Unauthorized
from driftwatch.oci.jsondoc import load_json
from driftwatch.registry.credentials import Credential
from driftwatch.registry.endpoints import plain_http_allowed

Send = Callable[[httpx.Request], Awaitable[httpx.Response]]
DEFAULT_TOKEN_SECONDS = 60
# A scheme ends at white space, at the comma before the next challenge (`Negotiate, Basic ...`:
# two WWW-Authenticate headers joined) or at the end.
_SCHEME = re.compile(r"[\s,]*([A-Za-z][A-Za-z0-9_.+-]*)(?:\s*,|\s+|$)")
_PARAM = re.compile(r'\s*([A-Za-z0-9_.-]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^,\s]*))\s*(?:,|$)')


@dataclass(frozen=True)
class Challenge:
    """One WWW-Authenticate challenge: scheme (lowercase) and its parameters."""

    scheme: str
    params: Mapping[str, str] = field(default_factory=dict)

    def get(self, name: str) -> str | None:
        """A parameter by name (case-insensitive), or None."""
        return self.params.get(name.lower())


def parse_www_authenticate(header: str) -> list[Challenge]:
    """Every challenge in a WWW-Authenticate header, e.g. `Bearer realm="...",scope="..."`."""
    challenges: list[Challenge] = []
    pos = 0
    while pos < len(header):
        scheme = _SCHEME.match(header, pos)
        if not scheme:
            break
        pos = scheme.end()
        params: dict[str, str] = {}
        while (param := _PARAM.match(header, pos)) is not None:
            value = param.group(2) if param.group(2) is not None else param.group(3)
            params[param.group(1).lower()] = re.sub(r"\\(.)", r"\1", value)
            pos = param.end()
        challenges.append(Challenge(scheme.group(1).lower(), params))
    return challenges


def pick_challenge(header: str) -> Challenge | None:
    """The challenge driftwatch answers: Bearer preferred, then Basic."""
    found = {c.scheme: c for c in parse_www_authenticate(header)}
    return found.get("bearer") or found.get("basic")


def refusal(header: str) -> str:
    """Why a 401 that answered credentials means: `error="insufficient_scope"` (Docker Hub's
    answer for a repository that does not exist, whatever the token) or refused credentials."""
    challenge = pick_challenge(header)
    if challenge is not None and challenge.get("error") == "insufficient_scope":
        return "the repository does not exist or needs credentials"
    return "credentials refused or missing"


def basic_header(credential: Credential) -> str:
    """`Basic base64(user:password)`."""
    raw = f"{credential.username}:{credential.secret}".encode()
    return "Basic " + base64.b64encode(raw).decode()


class Authenticator:
    """Turns challenges into Authorization headers; tokens cached per (realm, service, scope)."""

    def __init__(self, send: Send, clock: Callable[[], float] = time.monotonic) -> None:
        self._send = send
        self._clock = clock
        self._tokens: dict[tuple[str, str, str], tuple[str, float]] = {}
        self._locks: dict[tuple[str, str, str], asyncio.Lock] = {}
        self.token_requests = 0

    async def authorize(
        self,
        challenge: Challenge,
        scope: str,
        credential: Credential | None,
        insecure: bool,
        *,
        fresh: bool = False,
    ) -> str:
        """The Authorization header answering `challenge` for `scope`; raises Unauthorized."""
        if challenge.scheme == "basic":
            if credential is None or credential.identity_token:
                raise Unauthorized("registry requires a username and password; none configured")
            return basic_header(credential)
        realm = _checked_realm(challenge.get("realm"))
        # The scope asked for is the request's own, as Docker's token handler does: a challenge's
        # `scope` may be a placeholder (GHCR's /v2/ says `repository:user/image:pull`) or belong
        # to the request that met it, not to this one.
        key = (realm, challenge.get("service") or "", scope)
        async with self._locks.setdefault(key, asyncio.Lock()):
            cached = self._tokens.get(key)
            if cached and not fresh and cached[1] > self._clock():
                return f"Bearer {cached[0]}"
            if credential is not None and not plain_http_allowed(realm, insecure):
                credential = None  # never send a secret over plain HTTP off loopback
            token, lifetime = await self._fetch(key, credential)
            self._tokens[key] = (token, self._clock() + max(lifetime - 5, 1))
            return f"Bearer {token}"

    async def _fetch(
        self, key: tuple[str, str, str], credential: Credential | None
    ) -> tuple[str, float]:
        """Ask the token server (GET, or POST for an identity token) and read the answer."""
        realm, service, scope = key
        self.token_requests += 1
        if credential is not None and credential.identity_token:
            form = {"grant_type": "refresh_token", "refresh_token": credential.secret}
            form |= {"service": service, "scope": scope, "client_id": "driftwatch"}
            request = httpx.Request("POST", realm, data=form)
        else:
            params = {k: v for k, v in (("service", service), ("scope", scope)) if v}
            headers = {"Authorization": basic_header(credential)} if credential else {}
            url = httpx.URL(realm).copy_merge_params(params)  # the realm's own query is kept
            request = httpx.Request("GET", url, headers=headers)
        response = await self._send(request)
        if response.status_code in (401, 403):
            raise Unauthorized(f"token server refused access to {scope} ({response.status_code})")
        if response.status_code != 200:
            raise InvalidResponse(f"token server answered {response.status_code} for {scope}")
        return _read_token(response)


def _checked_realm(realm: str | None) -> str:
    """The realm of a Bearer challenge when it is an absolute http(s) URL; InvalidResponse else
    (a broken or hostile registry gets a one-line error, never a traceback from the URL parser)."""
    if not realm:
        raise InvalidResponse("Bearer challenge without realm")
    try:
        url = httpx.URL(realm)
    except httpx.InvalidURL:
        url = None
    if url is None or url.scheme not in ("http", "https") or not url.host:
        raise InvalidResponse(f"Bearer challenge realm is not an http(s) URL: {realm[:80]!r}")
    return realm


def _read_token(response: httpx.Response) -> tuple[str, float]:
    """`token`/`access_token` and its lifetime in seconds from a token server answer."""
    doc: Any = load_json(response.content, "token server answer is not JSON")
    token = doc.get("token") or doc.get("access_token") if isinstance(doc, dict) else None
    if not isinstance(token, str) or not token:
        raise InvalidResponse("token server answer has no token")
    lifetime = doc.get("expires_in", DEFAULT_TOKEN_SECONDS)
    if not isinstance(lifetime, (int, float)) or lifetime <= 0:
        lifetime = DEFAULT_TOKEN_SECONDS
    return token, float(lifetime)
