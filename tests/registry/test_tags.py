"""Tag listing with Link pagination and the tags serving a digest, against the real registry."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from driftwatch.cache import MemoryManifestCache, MemoryTagMemo
from driftwatch.config import Config, RegistrySettings
from driftwatch.reference import parse_reference
from driftwatch.registry import RegistryClient
from driftwatch.registry import tags as tags_module
from driftwatch.registry.tags import find_aliases, list_tags, next_link
from tests.aliasrepo import BOOKWORM_TAGS, UNRELATED, push_alias_repo
from tests.tagpager import TagPager
from tests.testbed.registry import RegistryServer


def _client(registry: RegistryServer, transport: TagPager | None = None) -> RegistryClient:
    config = Config(retries=0, timeout=10, registries={"docker.io": _at(registry)})
    return RegistryClient(
        config, transport=transport, cache=MemoryManifestCache(), tags=MemoryTagMemo()
    )


def _at(registry: RegistryServer) -> RegistrySettings:
    return RegistrySettings(endpoint=registry.url)


def _run(work: Any) -> Any:
    return asyncio.run(work)


def test_next_link_reads_rfc5988() -> None:
    assert next_link('</v2/a/tags/list?n=2&last=b>; rel="next"') == "/v2/a/tags/list?n=2&last=b"
    assert next_link('<https://x/1>; rel="prev", <https://x/2>; rel=next') == "https://x/2"
    assert next_link('<https://x/1>; rel="prev"') is None
    assert next_link(None) is None


def test_a_next_page_on_another_server_is_not_followed(registry: RegistryServer) -> None:
    push_alias_repo(registry, "library/dw-tags-foreign")
    ref = parse_reference("dw-tags-foreign:3.12-slim")
    pager = TagPager(foreign=True)

    async def go() -> Any:
        async with _client(registry, pager) as client:
            return await list_tags(client, ref, page=5)

    listing = _run(go())
    assert len(listing.tags) == 5 and pager.pages == 1
    assert listing.stopped == "the next page is on another server"


def test_the_bench_registry_does_not_page_tags(registry: RegistryServer) -> None:
    """Why TagPager exists: distribution 2.8.2 answers every tag at once, whatever `n` says."""
    push_alias_repo(registry, "library/dw-tags-whole")
    ref = parse_reference("dw-tags-whole:3.12-slim")

    async def go() -> Any:
        async with _client(registry) as client:
            return await list_tags(client, ref, page=3)

    mark = registry.mark()
    listing = _run(go())
    assert len(listing.tags) == len(BOOKWORM_TAGS) + len(UNRELATED)
    assert len([r for r in registry.requests_since(mark) if "/tags/list" in r[1]]) == 1


@pytest.mark.parametrize("absolute", [False, True])
def test_listing_follows_link_pages(registry: RegistryServer, absolute: bool) -> None:
    push_alias_repo(registry, "library/dw-tags-pages")
    ref = parse_reference("dw-tags-pages:3.12-slim")
    pager = TagPager(absolute=absolute, max_page=4)

    async def go() -> Any:
        async with _client(registry, pager) as client:
            full = await list_tags(client, ref, page=5)
            return full, await list_tags(client, ref, page=2, cap=5)

    full, capped = _run(go())
    everything = set(BOOKWORM_TAGS) | set(UNRELATED)
    assert list(full.tags) == sorted(everything) and full.stopped is None
    assert pager.pages == 3 + 3  # 12 tags at 4 a page (the cap), then 5 tags at 2 a page
    assert capped.tags == tuple(sorted(everything)[:5])
    assert capped.stopped == "stopped after 5 tags"


def test_aliases_name_the_line_never_another_version(registry: RegistryServer) -> None:
    repo = push_alias_repo(registry, "library/dw-tags-alias", moved=True)
    ref = parse_reference("dw-tags-alias:3.12-slim")

    pager = TagPager()

    async def go() -> Any:
        async with _client(registry, pager) as client:
            return await find_aliases(client, ref, repo.bookworm, "bookworm", page=2)

    mark = registry.mark()
    found = _run(go())
    log = registry.requests_since(mark)
    assert found.stay == "3.12-slim-bookworm"
    assert found.exact == "3.12.7-slim-bookworm"
    assert set(found.tags) == {"3.12-slim-bookworm", "3.12.7-slim-bookworm"}
    assert found.incomplete is None
    assert pager.pages >= 4  # `last=3.11z` skips 2.7-slim; the rest comes 2 a page
    assert not any("3.13" in tag for tag in found.tags)
    heads = [path for method, path, _ in log if method == "HEAD"]
    assert not any("3.13" in path or "3.120" in path for path in heads)
    assert not [p for m, p, _ in log if m == "GET" and "/manifests/" in p]  # HEADs only


def test_current_digest_and_failing_soft(registry: RegistryServer) -> None:
    repo = push_alias_repo(registry, "library/dw-tags-now", moved=True)
    ref = parse_reference("dw-tags-now:3.12-slim")
    gone = parse_reference("dw-tags-none:3.12-slim")

    async def go() -> Any:
        async with _client(registry) as client:
            now = await find_aliases(client, ref, repo.trixie, "trixie")
            missing = await find_aliases(client, gone, repo.trixie, "trixie")
            return now, missing

    now, missing = _run(go())
    assert now.tags == ("3.12.7-slim", "3.12-slim-trixie", "3.12-slim")
    assert (now.stay, now.exact) == ("3.12-slim-trixie", "3.12-slim-trixie")
    assert missing.tags == () and missing.incomplete is not None
    assert "could not complete" in missing.incomplete


def test_lookup_caps_candidates_and_says_so(
    registry: RegistryServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = push_alias_repo(registry, "library/dw-tags-cap")
    ref = parse_reference("dw-tags-cap:3.12-slim")
    monkeypatch.setattr(tags_module, "MAX_HEADS", 2)

    async def go() -> Any:
        async with _client(registry) as client:
            return await find_aliases(client, ref, repo.bookworm, "bookworm")

    mark = registry.mark()
    found = _run(go())
    heads = [p for m, p, _ in registry.requests_since(mark) if m == "HEAD"]
    assert len(heads) == 2  # the two newest, most specific candidates
    assert found.tags == ("3.12.7-slim-bookworm", "3.12.7-slim")
    assert found.exact == "3.12.7-slim-bookworm"
    assert found.incomplete == "the tag lookup could not complete (asked 2 of 5 candidate tags)"


def test_a_stalled_listing_ends_at_the_time_limit(registry: RegistryServer) -> None:
    import time

    from driftwatch.usecases.aliases import AliasQuery, aliases_online
    from tests.faults.proxy import FaultProxy
    from tests.faults.rules import Rule

    repo = push_alias_repo(registry, "library/dw-tags-stall")
    with FaultProxy(registry.url, [Rule("stall", path=r"/tags/list", stall=5.0)], seed=1) as proxy:
        query = AliasQuery(
            parse_reference(f"{proxy.address}/library/dw-tags-stall:3.12-slim"), repo.bookworm
        )
        started = time.monotonic()
        found = aliases_online(Config(retries=0, timeout=10), [query], seconds=0.5)[query]
        took = time.monotonic() - started
    assert took < 4.0  # the stall is 5 s: the lookup's own limit ended it
    assert found.tags == () and found.stay is None and found.exact is None
    assert found.incomplete is not None and "deadline" in found.incomplete
