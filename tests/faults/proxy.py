"""A fault-injecting HTTP/1.1 reverse proxy on loopback, between a client and a real registry.

Usage: `with FaultProxy("http://127.0.0.1:5000", [Rule("503", method="HEAD")], seed=7) as proxy:`
then point the client at `proxy.url`; `proxy.injections` lists what was injected.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import threading
from collections.abc import AsyncIterator, Iterable

import httpx

from tests.netproxy import LoopbackServerThread

from .budget import HubBudget
from .damage import abort, corrupt, drip, error_answer, huge_error, wrong_digest
from .rules import Decider, Decision, Event, Fault, Rule
from .wire import Request, ResponseHead, loopback_base, read_request

HOP_BY_HOP = frozenset(
    {
        "connection",
        "keep-alive",
        "proxy-connection",
        "te",
        "trailer",
        "transfer-encoding",
        "upgrade",
    }
)
BODY_CAP = 16 * 1024 * 1024  # body faults buffer the body; tests never need bigger ones


CONNECTION_ENDERS = (
    OSError,
    ValueError,
    httpx.HTTPError,
    asyncio.IncompleteReadError,
    asyncio.LimitOverrunError,
)


class FaultProxy(LoopbackServerThread):
    """Reverse proxy to `upstream` in its own thread and event loop, injecting faults by rules.

    Binds 127.0.0.1 on a free port, forwards only to a loopback upstream and shuts itself down
    after `lifetime` seconds if nobody stops it.
    """

    name = "fault proxy"

    def __init__(
        self,
        upstream: str,
        rules: Iterable[Rule] = (),
        *,
        seed: int | None = None,
        lifetime: float = 300.0,
        upstream_timeout: float = 10.0,
        pull_budget: int | None = None,
    ) -> None:
        super().__init__(lifetime)
        self.upstream = loopback_base(upstream)
        self.seed = seed if seed is not None else random.SystemRandom().randrange(2**32)
        self._timeout = upstream_timeout
        self._decider = Decider(self.seed, tuple(rules))
        self.budget = HubBudget(pull_budget) if pull_budget is not None else None
        self.active = self.max_active = 0  # requests being answered now / at most at once
        self._events: list[Event] = []
        self._log_lock = threading.Lock()
        self._client: httpx.AsyncClient | None = None

    def __repr__(self) -> str:
        return f"<FaultProxy {self.address} -> {self.upstream} seed={self.seed}>"

    @property
    def url(self) -> str:
        """Base URL clients use instead of the upstream's."""
        return f"http://127.0.0.1:{self.port}"

    def set_rules(self, rules: Iterable[Rule]) -> None:
        """Replace the rule set (counters restart); the log is kept."""
        self._decider.replace(tuple(rules))

    @property
    def events(self) -> list[Event]:
        """Every request seen so far, in arrival order."""
        with self._log_lock:
            return list(self._events)

    @property
    def injections(self) -> list[Event]:
        """Only the requests that got a fault."""
        return [event for event in self.events if event.fault is not None]

    def clear_log(self) -> None:
        """Forget the events seen so far."""
        with self._log_lock:
            self._events.clear()

    @contextlib.asynccontextmanager
    async def _serving(self) -> AsyncIterator[None]:
        """The one upstream client, open while the proxy serves."""
        limits = httpx.Limits(max_connections=32, max_keepalive_connections=8)
        timeout = httpx.Timeout(self._timeout)
        async with httpx.AsyncClient(timeout=timeout, limits=limits, trust_env=False) as client:
            self._client = client
            yield

    async def _connection(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        with contextlib.suppress(*CONNECTION_ENDERS):
            while (request := await read_request(reader)) is not None:
                if not await self._answer(request, writer):
                    break

    def _record(self, request: Request, decision: Decision | None) -> None:
        with self._log_lock:
            fault = decision.fault if decision else None
            rule = decision.rule_index if decision else None
            self._events.append(
                Event(len(self._events), request.method, request.target, fault, rule)
            )

    async def _answer(self, request: Request, writer: asyncio.StreamWriter) -> bool:
        """Answer one request, counting requests in progress; False: the connection must end."""
        self.active += 1
        self.max_active = max(self.max_active, self.active)
        try:
            if self.budget is not None and not self.budget.admit(request.method, request.target):
                await self._synthetic(request, writer, 429, 60)
                return request.keep_alive
            return await self._answer_one(request, writer)
        finally:
            self.active -= 1

    async def _answer_one(self, request: Request, writer: asyncio.StreamWriter) -> bool:
        """Answer one request, faulty or not; False when the connection must end."""
        decision = self._decider.decide(request.method, request.target)
        self._record(request, decision)
        fault = decision.fault if decision else None
        if decision is not None and fault is Fault.STALL:
            await asyncio.sleep(decision.rule.stall)
            decision = fault = None
        if fault is Fault.RESET:
            abort(writer)
            return False
        if decision is not None and fault is Fault.HUGE:
            await huge_error(writer, decision.rule.huge)
            return request.keep_alive
        if fault is not None and fault.status is not None:
            assert decision is not None
            await self._synthetic(request, writer, fault.status, decision.rule.retry_after)
            return request.keep_alive
        return await self._forward(request, writer, decision)

    async def _synthetic(
        self, request: Request, writer: asyncio.StreamWriter, status: int, retry_after: int
    ) -> None:
        """Answer like a registry in trouble, without asking upstream."""
        writer.write(error_answer(status, retry_after, head_only=request.method == "HEAD"))
        await writer.drain()

    async def _forward(
        self, request: Request, writer: asyncio.StreamWriter, decision: Decision | None
    ) -> bool:
        """Send the request upstream and relay the answer, applying a header or body fault."""
        assert self._client is not None
        headers = [(k, v) for k, v in request.headers if k.lower() not in HOP_BY_HOP]
        upstream = httpx.Request(
            request.method, self.upstream + request.target, headers=headers, content=request.body
        )
        try:
            response = await self._client.send(upstream, stream=True)
        except httpx.HTTPError:
            await self._synthetic(request, writer, 502, 0)
            return request.keep_alive
        try:
            head = ResponseHead.of(response, HOP_BY_HOP)
            for name, value in self.budget.headers(request.target) if self.budget else ():
                head = head.replaced(name, value)
            if decision is not None and decision.fault is Fault.WRONG_DIGEST:
                head = head.replaced(
                    "Docker-Content-Digest", wrong_digest(head.get("Docker-Content-Digest"))
                )
            if decision is not None and decision.fault.needs_body:
                survives = await self._body_fault(response, writer, head, decision)
                return survives and request.keep_alive
            await self._relay(request, response, writer, head)
            return request.keep_alive
        finally:
            await response.aclose()

    async def _relay(
        self,
        request: Request,
        response: httpx.Response,
        writer: asyncio.StreamWriter,
        head: ResponseHead,
    ) -> None:
        """Stream the upstream answer byte for byte (re-chunked when it had no length)."""
        bodiless = request.method == "HEAD" or response.status_code in (204, 304)
        chunked = not bodiless and head.get("Content-Length") == ""
        if chunked:
            head = head.replaced("Transfer-Encoding", "chunked")
        writer.write(head.encode())
        async for chunk in response.aiter_raw():
            if chunk and not bodiless:
                writer.write(b"%x\r\n%s\r\n" % (len(chunk), chunk) if chunked else chunk)
                await writer.drain()
        if chunked:
            writer.write(b"0\r\n\r\n")
        await writer.drain()

    async def _body_fault(
        self,
        response: httpx.Response,
        writer: asyncio.StreamWriter,
        head: ResponseHead,
        decision: Decision,
    ) -> bool:
        """Truncate, corrupt, drip or reset mid-body an answer read whole; False: connection done."""
        body = b""
        async for chunk in response.aiter_raw():
            body += chunk
            if len(body) > BODY_CAP:
                raise ValueError("body too large for a body fault")
        if decision.fault is Fault.DRIP:
            await drip(writer, head, body, decision.rule.drip)
            return True
        if decision.fault is Fault.CORRUPT:
            writer.write(head.replaced("Content-Length", str(len(body))).encode())
            writer.write(corrupt(body, decision.rng))
            await writer.drain()
            return True
        writer.write(head.replaced("Content-Length", str(max(len(body), 1))).encode())
        writer.write(body[: len(body) // 2])
        await writer.drain()
        if decision.fault is Fault.RESET_MID_BODY:
            abort(writer)
        return False
