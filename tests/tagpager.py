"""A transport that pages `/tags/list` the way the distribution spec says (`n`, `last`, `Link`).

Debian's docker-registry 2.8.2 ignores `n` and `last` on `/v2/<name>/tags/list` (it answers every
tag, unsorted, without `Link`; only `_catalog` pages), so this wraps the real transport: it asks
the real registry for the whole list, sorts it and serves one page with a `Link: <...>;
rel="next"` header, relative or absolute. Every other request goes to the registry untouched.
"""

from __future__ import annotations

import json
from urllib.parse import urlencode

import httpx


class TagPager(httpx.AsyncBaseTransport):
    """Real registry underneath; paginated tag lists on top (and a count of pages served)."""

    def __init__(
        self, *, absolute: bool = False, max_page: int | None = None, foreign: bool = False
    ) -> None:
        self.inner = httpx.AsyncHTTPTransport()
        self.absolute = absolute
        self.foreign = foreign  # the next page on another server (never followed)
        self.max_page = max_page  # like Docker Hub: `n` beyond this is cut down
        self.pages = 0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if not request.url.path.endswith("/tags/list"):
            return await self.inner.handle_async_request(request)
        whole = httpx.Request("GET", request.url.copy_with(query=None), headers=request.headers)
        answer = await self.inner.handle_async_request(whole)
        await answer.aread()
        if answer.status_code != 200:
            return httpx.Response(
                answer.status_code, headers=answer.headers, content=answer.content
            )
        data = json.loads(answer.content)
        self.pages += 1
        return self._page(request, data["name"], sorted(data.get("tags") or []))

    def _page(self, request: httpx.Request, name: str, tags: list[str]) -> httpx.Response:
        size = int(request.url.params.get("n", len(tags) or 1))
        if self.max_page:
            size = min(size, self.max_page)
        last = request.url.params.get("last")
        after = [tag for tag in tags if last is None or tag > last]
        page = after[:size]
        headers = {"Content-Type": "application/json"}
        if len(after) > size:
            target = f"{request.url.path}?{urlencode({'n': size, 'last': page[-1]})}"
            if self.foreign:
                target = f"http://tags.example.invalid{target}"
            elif self.absolute:
                target = f"{request.url.scheme}://{request.url.netloc.decode()}{target}"
            headers["Link"] = f'<{target}>; rel="next"'
        return httpx.Response(200, headers=headers, json={"name": name, "tags": page})

    async def aclose(self) -> None:
        await self.inner.aclose()
