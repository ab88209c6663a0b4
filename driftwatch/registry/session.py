"""HTTP for the registry client: base URLs, one ping per registry, auth, retries, concurrency."""

from __future__ import annotations

import asyncio
import email.utils
import functools
import os
import random
import ssl
import time
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

import httpx

from driftwatch import __version__
from driftwatch.config import Config
from driftwatch.errors import ConfigError, RateLimited, Unauthorized, Unreachable
from driftwatch.reference import ImageReference
from driftwatch.registry.auth import Authenticator, Challenge, pick_challenge, refusal
from driftwatch.registry.budget import PullBudget
from driftwatch.registry.credentials import Credential, CredentialStore
from driftwatch.registry.endpoints import candidate_bases, same_origin
from driftwatch.registry.inflight import RequestTimeout, hold, until
from driftwatch.registry.responses import read_capped, read_small
from driftwatch.registry.transport import (
    ClientSender,
    DirectSender,
    RegistryTransport,
    Sender,
    environment_has_proxy,
)

MAX_RETRY_AFTER = 60.0
MAX_RETRIES = 10  # whatever the config says: a registry that is down costs bounded time
MAX_TOKEN_BYTES = 1024 * 1024  # a token answer is a few KB; never read a huge one whole
TOKEN_CONCURRENCY = 4
# The pool reuses the first idle connection it finds, so with fewer requests in flight than
# connections (a CPU-bound stretch) the last ones idle; httpx's 5 s default then closes and later
# reopens them. A server that closes first is noticed (and a request that loses the race retried).
KEEPALIVE_SECONDS = 60.0
BACKOFF_BASE = 0.25
MAX_REDIRECTS = 5
_REDIRECTS = frozenset({301, 302, 303, 307, 308})
_CA_VARIABLES = ("SSL_CERT_FILE", "SSL_CERT_DIR")


# What every request carries (the caller's headers, Accept and Authorization, come on top): the
# headers httpx's client sent before driftwatch built its requests itself, with its own name.
BASE_HEADERS = {
    "Accept": "*/*",
    "Accept-Encoding": "identity",
    "Connection": "keep-alive",
    "User-Agent": f"driftwatch/{__version__}",
}


@functools.lru_cache(maxsize=1)
def tls_context() -> ssl.SSLContext:
    """The verifying TLS context, built once per process (loading the CA bundle takes ~0.1 s).

    A CA bundle that cannot be loaded (SSL_CERT_FILE naming an empty or foreign file) is a
    ConfigError naming the variable, not a traceback.
    """
    try:
        return httpx.create_ssl_context()
    except (ssl.SSLError, OSError) as exc:
        named = {name: os.environ[name] for name in _CA_VARIABLES if os.environ.get(name)}
        where = ", ".join(f"{name}={value}" for name, value in named.items()) or "the CA bundle"
        raise ConfigError(f"{where}: cannot load the certificates: {exc}") from None


@functools.lru_cache(maxsize=1)
def insecure_context() -> ssl.SSLContext:
    """The context for a registry configured `insecure`: TLS without certificate checks."""
    return httpx.create_ssl_context(verify=False)


@dataclass
class Host:
    """What was learned about one registry: its base URL, challenge, credentials, connections.

    Each registry has its own connection pool, as big as its concurrency: requests in flight hold
    a permit of `semaphore` until their body is closed, so the pool never needs more connections.
    """

    registry: str
    base: str
    insecure: bool
    semaphore: asyncio.Semaphore
    sender: Sender
    challenge: Challenge | None = None
    credential: Credential | None = None
    lookup: str = ""  # the host credentials are looked up by (the endpoint's, for a mirror)
    per_repository: bool = False  # auth files have namespace/repository keys for it


class RegistrySession:
    """Sends requests for image references; retries, authenticates and limits concurrency."""

    def __init__(
        self,
        config: Config,
        transport: httpx.AsyncBaseTransport | None,
        credentials: CredentialStore | None,
    ) -> None:
        self.config = config
        self._transport = transport
        self._credentials = credentials if credentials is not None else CredentialStore()
        self._senders: list[Sender] = []
        self._timeouts = httpx.Timeout(config.timeout).as_dict()
        self._hosts: dict[str, Host] = {}
        self._token_hosts: dict[str, Host] = {}
        self._host_locks: dict[str, asyncio.Lock] = {}
        self._down: dict[str, Unreachable] = {}
        self.auth = Authenticator(self._send_plain)
        self.sleep = asyncio.sleep
        self.requests = 0
        self.budget = PullBudget(config.keep_pulls)

    def _new_sender(self, insecure: bool, connections: int, *, tls: bool = True) -> Sender:
        """Keep-alive connections to one registry (or token server), `connections` at most.

        HTTP/2 is offered (TLS ALPN) when configured and the registry may be reached over TLS.
        driftwatch's transport sends directly, unless a proxy is set in the environment (httpx's
        client routes requests through it) or the session was given a transport (tests).
        """
        http2 = self.config.http2 and tls
        verify = insecure_context() if insecure else tls_context()
        sender: Sender
        if self._transport is None and not environment_has_proxy():
            sender = DirectSender(RegistryTransport(verify, connections, KEEPALIVE_SECONDS, http2))
        else:
            limits = httpx.Limits(
                max_connections=connections,
                max_keepalive_connections=connections,
                keepalive_expiry=KEEPALIVE_SECONDS,
            )
            client = httpx.AsyncClient(
                transport=self._transport,
                verify=verify,
                follow_redirects=False,
                http2=http2,
                limits=limits,
            )
            sender = ClientSender(client)
        self._senders.append(sender)
        return sender

    async def close(self) -> None:
        """Close every connection."""
        for sender in self._senders:
            await sender.aclose()
        self._senders.clear()

    async def request(
        self,
        ref: ImageReference,
        method: str,
        path: str,
        headers: Mapping[str, str],
        *,
        follow: bool = False,
    ) -> httpx.Response:
        """Send `method path` for `ref`'s repository, authenticated; the caller closes it."""
        host = await self.host(ref.registry)
        scope = f"repository:{ref.repository}:pull"
        where = f"{ref}"
        if method == "GET" and "/manifests/" in path:  # counted as a pull (HEADs are free)
            self.budget.take(ref.registry, where)
        credential = self._credential(host, ref.repository)
        sent = await self._authorization(host, scope, credential)
        response = await self._send(host, method, host.base + path, {**headers, **sent}, where)
        self.budget.heard(ref.registry, response.headers)
        if response.status_code == 401:
            await read_small(response)  # read to its end: the connection is kept
            challenge = pick_challenge(response.headers.get("www-authenticate", ""))
            if challenge is None:
                raise Unauthorized(f"{where}: unauthorized (401) without a usable challenge")
            host.challenge = challenge
            auth = await self._answer(host, challenge, scope, credential, fresh=bool(sent))
            response = await self._send(host, method, host.base + path, {**headers, **auth}, where)
            if response.status_code == 401:
                await read_small(response)
                why = refusal(response.headers.get("www-authenticate", ""))
                raise Unauthorized(f"{where}: unauthorized (401): {why}")
            sent = auth  # a redirect (same origin) carries the Authorization that was accepted
        if follow:
            response = await self._follow(host, response, method, headers, sent, where)
        return response

    async def host(self, registry: str) -> Host:
        """The Host for `registry`, pinging `/v2/` once to pick a scheme and learn the challenge."""
        found = self._hosts.get(registry)
        if found is not None:
            return found
        async with self._host_locks.setdefault(registry, asyncio.Lock()):
            if registry in self._down:
                raise Unreachable(self._down[registry].message)  # one failed ping per run
            if registry not in self._hosts:
                try:
                    self._hosts[registry] = await self._ping(registry)
                except Unreachable as exc:
                    self._down[registry] = exc
                    raise
            return self._hosts[registry]

    async def _ping(self, registry: str) -> Host:
        settings = self.config.registry(registry)
        bases = candidate_bases(registry, settings)
        limit = settings.concurrency or self.config.concurrency
        sender = self._new_sender(
            settings.insecure, limit, tls=any(b.startswith("https://") for b in bases)
        )
        host = Host(registry, bases[-1], settings.insecure, asyncio.Semaphore(limit), sender)
        over_tls: Unreachable | None = None
        for index, base in enumerate(bases):
            host.base = base
            last = index == len(bases) - 1
            try:
                response = await self._send(host, "GET", base + "/v2/", {}, registry, retry=last)
            except Unreachable as exc:
                if last:
                    raise
                over_tls = exc
                continue
            await read_small(response)
            if response.status_code == 400 and over_tls is not None:
                # An HTTPS-only server answers plain HTTP with 400: the TLS failure is the news.
                raise Unreachable(f"{over_tls.message} (over HTTPS; plain HTTP answered 400)")
            if response.status_code == 401:
                host.challenge = pick_challenge(response.headers.get("www-authenticate", ""))
            break
        lookup = urlsplit(settings.endpoint).netloc if settings.endpoint else registry
        host.credential = await asyncio.to_thread(self._credentials.get, lookup)
        host.lookup, host.per_repository = lookup, self._credentials.per_repository(lookup)
        return host

    def _credential(self, host: Host, repository: str) -> Credential | None:
        """`repository`'s credential: its namespace/repository key, else the host's (no I/O:
        the sources were read when the store was made, helpers ran for the host in `_ping`)."""
        if not host.per_repository:
            return host.credential
        return self._credentials.get(host.lookup, repository)

    async def _authorization(
        self, host: Host, scope: str, credential: Credential | None
    ) -> dict[str, str]:
        """Authorization sent up front when the registry's challenge is known (saves a 401)."""
        if host.challenge is None:
            return {}
        return await self._answer(host, host.challenge, scope, credential, fresh=False)

    async def _answer(
        self,
        host: Host,
        challenge: Challenge,
        scope: str,
        credential: Credential | None,
        *,
        fresh: bool,
    ) -> dict[str, str]:
        value = await self.auth.authorize(challenge, scope, credential, host.insecure, fresh=fresh)
        return {"Authorization": value}

    async def _follow(
        self,
        host: Host,
        response: httpx.Response,
        method: str,
        headers: Mapping[str, str],
        auth: Mapping[str, str],
        where: str,
    ) -> httpx.Response:
        """Follow redirects (blob CDNs); Authorization never goes to another origin."""
        origin = str(response.request.url)
        for _ in range(MAX_REDIRECTS):
            if response.status_code not in _REDIRECTS or "location" not in response.headers:
                return response
            await read_small(response)
            target = urljoin(str(response.request.url), response.headers["location"])
            sent = {**headers, **auth} if same_origin(origin, target) else dict(headers)
            response = await self._send(host, method, target, sent, where)
        return response

    async def _send_plain(self, request: httpx.Request) -> httpx.Response:
        """Send a token-server request (with retries); its body read, at most MAX_TOKEN_BYTES."""
        origin = f"{request.url.scheme}://{request.url.netloc.decode('ascii')}"
        host = self._token_hosts.get(origin)
        if host is None:
            sender = self._new_sender(False, TOKEN_CONCURRENCY, tls=request.url.scheme == "https")
            semaphore = asyncio.Semaphore(TOKEN_CONCURRENCY)
            host = self._token_hosts[origin] = Host("token", origin, False, semaphore, sender)
        response = await self._send(
            host,
            request.method,
            str(request.url),
            request.headers,
            "token server",
            content=request.content,
        )
        if response.status_code != 200:
            await read_small(response)
            return response
        body = await read_capped(response, MAX_TOKEN_BYTES, "token server", "token unknown")
        return httpx.Response(response.status_code, headers=response.headers, content=body)

    def _build(
        self, method: str, url: str, headers: Mapping[str, str], content: bytes | None
    ) -> httpx.Request:
        """The request as sent: driftwatch's headers, then the caller's; the config's timeouts."""
        sent = httpx.Headers(BASE_HEADERS)
        sent.update(headers)  # case-insensitive: the caller's Accept replaces the default
        return httpx.Request(
            method,
            url,
            headers=sent,
            content=content,
            extensions={"timeout": self._timeouts},
        )

    async def _send(
        self,
        host: Host,
        method: str,
        url: str,
        headers: Mapping[str, str],
        where: str,
        *,
        retry: bool = True,
        content: bytes | None = None,
    ) -> httpx.Response:
        """One request with bounded, jittered retries on connection errors, 5xx and 429.

        The answer holds a permit of the host's concurrency until it is closed; a HEAD's (empty)
        body is read here, so its connection goes back to the pool at once.
        """
        attempts = min(self.config.retries, MAX_RETRIES) + 1 if retry else 1
        for attempt in range(attempts):
            final = attempt == attempts - 1
            await host.semaphore.acquire()
            try:
                self.requests += 1
                deadline = asyncio.get_running_loop().time() + self.config.timeout
                request = self._build(method, url, headers, content)
                response = await until(deadline, host.sender.send(request))
            except (httpx.TransportError, RequestTimeout) as exc:
                host.semaphore.release()
                if final:
                    raise Unreachable(f"{where}: {_describe(exc)}") from exc
                await self.sleep(backoff(attempt))
                continue
            except BaseException:
                host.semaphore.release()
                raise
            hold(response, host.semaphore, deadline)
            if method == "HEAD":
                await read_small(response)
            if response.status_code != 429 and response.status_code < 500:
                return response
            await read_small(response)
            if final:
                raise _status_error(response, where)
            await self.sleep(_retry_after(response) or backoff(attempt))
        raise AssertionError("unreachable")  # pragma: no cover


def _status_error(response: httpx.Response, where: str) -> RateLimited | Unreachable:
    code = response.status_code
    if code == 429:
        return RateLimited(f"{where}: too many requests (429), retries exhausted")
    return Unreachable(f"{where}: registry server error ({code}), retries exhausted")


def backoff(attempt: int) -> float:
    """Jittered exponential backoff: between half and all of 0.25 s * 2**attempt."""
    return float(random.uniform(0.5, 1.0) * BACKOFF_BASE * 2.0**attempt)


def _retry_after(response: httpx.Response) -> float | None:
    """Seconds from a Retry-After header (number or HTTP date), capped; None when absent."""
    value = response.headers.get("retry-after", "").strip()
    if not value:
        return None
    try:
        seconds = float(value)
    except ValueError:
        try:
            seconds = email.utils.parsedate_to_datetime(value).timestamp() - time.time()
        except (TypeError, ValueError):
            return None
    return max(0.0, min(seconds, MAX_RETRY_AFTER))


def _describe(exc: httpx.TransportError | RequestTimeout) -> str:
    """A one-line reason for a transport failure (no URLs with credentials, no tracebacks)."""
    if isinstance(exc, (httpx.TimeoutException, RequestTimeout)):
        return "timed out"
    if isinstance(exc, httpx.ConnectError):
        text = str(exc).splitlines()[0] if str(exc) else ""
        return f"cannot connect ({text})" if text else "cannot connect"
    return f"connection failed ({type(exc).__name__})"
