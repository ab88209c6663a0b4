"""The tags of a repository (`/v2/<name>/tags/list`, paginated) and the ones serving a digest.

Bounded everywhere: at most MAX_TAGS listed, MAX_HEADS candidates asked (HEADs, free on
Docker Hub; a GET only where a HEAD's 404 cannot be trusted), within the client's deadline. It
only ever feeds advice (the "what should my FROM line say" part of a fix), so it fails soft: an
Aliases saying why the lookup fell short.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit

import httpx

from driftwatch.aliases import Aliases, candidates, choose, parse_tag
from driftwatch.errors import DriftwatchError, InvalidResponse
from driftwatch.oci.jsondoc import load_json
from driftwatch.reference import ImageReference
from driftwatch.registry.client import RegistryClient
from driftwatch.registry.responses import check_status, read_capped, read_small

__all__ = ["MAX_HEADS", "MAX_TAGS", "PAGE_SIZE", "TagListing", "find_aliases", "list_tags"]

PAGE_SIZE = 1000  # `n`: registries may answer fewer (Docker Hub caps it); Link says if more
MAX_TAGS = 10_000  # python has ~8000 tags on Docker Hub; beyond this the listing stops
MAX_PAGES = 100
MAX_HEADS = 48  # candidates asked for their digest, newest and most specific first
MAX_PAGE_BYTES = 4 * 1024 * 1024
FOUND_KEPT = 1024
_LINK = re.compile(r"<([^>]*)>\s*((?:;\s*[^;,]*)*)")
_BARE_LINK = re.compile(r"(?:^|(?<=,))\s*([^<>;,\s]+)\s*(?=;)")
_REL_NEXT = re.compile(r";\s*rel\s*=\s*\"?([^\";]*)\"?")
_ACCEPT = {"Accept": "application/json"}
_FOUND: dict[tuple[str, str, str, str | None], Aliases] = {}  # this run's answers, by digest


@dataclass(frozen=True)
class TagListing:
    """The tags read, and why the listing stopped before the end (None: it is complete)."""

    tags: tuple[str, ...]
    stopped: str | None = None


def next_link(header: str | None) -> str | None:
    """The target of the `rel="next"` link in a `Link` header (RFC 5988), or None.

    A URL without the angle brackets (`/v2/x/tags/list?...; rel="next"`, as quay.io once sent)
    is read too."""
    text = header or ""
    if "<" not in text:
        text = _BARE_LINK.sub(r"<\1>", text)
    for match in _LINK.finditer(text):
        rels = _REL_NEXT.findall(match[2])
        if any("next" in rel.split() for rel in rels):
            return match[1]
    return None


async def list_tags(
    client: RegistryClient,
    ref: ImageReference,
    *,
    page: int = PAGE_SIZE,
    cap: int = MAX_TAGS,
    start_after: str | None = None,
) -> TagListing:
    """The repository's tags, following `Link: <...>; rel="next"` up to `cap` tags."""
    host = await client.session.host(ref.registry)
    query = {"n": str(page), **({"last": start_after} if start_after else {})}
    path: str | None = f"/v2/{ref.repository}/tags/list?{urlencode(query)}"
    tags: list[str] = []
    read: set[str] = set()
    for _ in range(MAX_PAGES):
        if path is None:
            return TagListing(tuple(tags))
        if path in read:  # a Link chain back to a page already read
            return TagListing(
                tuple(tags[:cap]), "the registry's next page repeats one already read"
            )
        read.add(path)
        if len(tags) >= cap:
            return TagListing(tuple(tags[:cap]), f"stopped after {cap} tags")
        response = await _get_page(client, ref, path, first=not tags)
        where = f"{ref.name} tags"
        tags += _page_tags(await read_capped(response, MAX_PAGE_BYTES, where, "tags"), where)
        link = next_link(response.headers.get("link"))
        target = urljoin(str(response.request.url), link) if link else None
        if target is not None and not target.startswith(host.base + "/"):
            return TagListing(tuple(tags[:cap]), "the next page is on another server")
        path = target[len(host.base) :] if target else None
    return TagListing(tuple(tags[:cap]), f"stopped after {MAX_PAGES} pages")


async def _get_page(
    client: RegistryClient, ref: ImageReference, path: str, *, first: bool
) -> httpx.Response:
    """One page (redirects followed: registry.k8s.io answers 307); a 200 or an error raised.

    A first page refused for its `n` (distribution 3.1 answers 400 PAGINATION_NUMBER_INVALID above
    its `maxtags`) is asked again without `n`, at the server's own page size.
    """
    where = f"{ref.name} tags"
    response = await client.session.request(ref, "GET", path, _ACCEPT, follow=True)
    if response.status_code == 200:
        return response
    body = await read_small(response)
    parts = urlsplit(path)
    query = [(k, v) for k, v in parse_qsl(parts.query) if k != "n"]
    if first and response.status_code == 400 and b"PAGINATION_NUMBER_INVALID" in body:
        retry = f"{parts.path}?{urlencode(query)}" if query else parts.path
        return await _get_page(client, ref, retry, first=False)
    check_status(response, where, "repository unknown", body)
    raise AssertionError("unreachable")  # pragma: no cover - check_status raised


def _page_tags(body: bytes, where: str) -> list[str]:
    """The `tags` of one page (`null` for a repository without tags)."""
    data = load_json(body, f"{where}: the tag list is not JSON")
    tags = data.get("tags") if isinstance(data, dict) else None
    if tags is not None and not (isinstance(tags, list) and all(isinstance(t, str) for t in tags)):
        raise InvalidResponse(f"{where}: the tag list is malformed")
    return list(tags or [])


async def find_aliases(
    client: RegistryClient,
    ref: ImageReference,
    digest: str,
    release: str | None = None,
    *,
    page: int = PAGE_SIZE,
) -> Aliases:
    """The tags of `ref`'s line serving `digest` (`ref` is the tag as written); never raises."""
    key = (ref.registry, ref.repository, digest, f"{ref.tag}|{release}")
    if key in _FOUND:
        return _FOUND[key]
    try:
        found = await client.within_deadline(
            _lookup(client, ref, digest, release, page), f"{ref} aliases"
        )
    except DriftwatchError as exc:
        return Aliases(digest, incomplete=f"the tag lookup could not complete ({exc.message})")
    if found.incomplete is None:
        if len(_FOUND) >= FOUND_KEPT:
            _FOUND.clear()
        _FOUND[key] = found
    return found


async def _lookup(
    client: RegistryClient, ref: ImageReference, digest: str, release: str | None, page: int
) -> Aliases:
    written = ref.tag or "latest"
    listing = await list_tags(client, ref, page=page, start_after=_start_after(written))
    line = candidates(written, listing.tags, cap=len(listing.tags))
    asked = _known_first(client, ref, digest, line)[:MAX_HEADS]
    answers = await asyncio.gather(*(client.head_digest(ref, tag) for tag in asked))
    for tag, answer in zip(asked, answers, strict=True):
        if answer is not None:
            _remember(client, ref, tag, answer)
    matches = [tag for tag, answer in zip(asked, answers, strict=True) if answer == digest]
    matches.sort(key=lambda tag: line.index(tag))
    stay, exact = choose(written, matches, listing.tags, release)
    notes = [listing.stopped] if listing.stopped else []
    if len(line) > len(asked):
        notes.append(f"asked {len(asked)} of {len(line)} candidate tags")
    incomplete = f"the tag lookup could not complete ({'; '.join(notes)})" if notes else None
    return Aliases(digest, tuple(matches), stay, exact, incomplete)


def _start_after(written: str) -> str | None:
    """A `last=` that skips the tags sorting before the line (`3.12` -> `3.11z`); only a hint."""
    version = parse_tag(written).version
    if not version or not version[-1].isdigit() or version[-1] == "0":
        return None
    return version[:-1] + chr(ord(version[-1]) - 1) + "z"  # a valid tag, after every 3.11*


def _known_first(
    client: RegistryClient, ref: ImageReference, digest: str, line: Sequence[str]
) -> list[str]:
    """`line`, the tags this machine last saw serving `digest` first (the tag memo's hint)."""
    seen = {tag for tag in line if _remembered(client, ref, tag) == digest}
    return [tag for tag in line if tag in seen] + [tag for tag in line if tag not in seen]


def _remembered(client: RegistryClient, ref: ImageReference, tag: str) -> str | None:
    """The digest the local cache last saw for `ref:tag` (the one place that reads the cache)."""
    return client.tags.digest(str(_retag(ref, tag))) if client.tags is not None else None


def _remember(client: RegistryClient, ref: ImageReference, tag: str, digest: str) -> None:
    """Note `ref:tag` -> `digest` in the local cache (the one place that writes it)."""
    if client.tags is not None:
        client.tags.remember(str(_retag(ref, tag)), digest)


def _retag(ref: ImageReference, tag: str) -> ImageReference:
    return ImageReference(ref.registry, ref.repository, tag, None)
