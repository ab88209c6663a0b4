"""Manifest requests as real registries answer them: redirects, HEADs that cannot be trusted.

registry.k8s.io answers every manifest request with a 307 to Artifact Registry, so manifest
requests follow redirects (the session never sends `Authorization` to another origin), but never
off HTTPS: a digest header read over plain HTTP could be anyone's. Sonatype Nexus and some Harbor
set-ups answer 404 to a HEAD of a manifest their GET serves, so a HEAD's 404 is confirmed by a
GET everywhere but on Docker Hub itself.
"""

from __future__ import annotations

from urllib.parse import urlsplit

import httpx

from driftwatch.config import Config
from driftwatch.errors import InvalidResponse
from driftwatch.oci.digest import check_digest_syntax, compute_digest, verify_digest
from driftwatch.oci.media import ACCEPT_MANIFESTS, MAX_MANIFEST_BYTES
from driftwatch.reference import ImageReference
from driftwatch.registry.endpoints import plain_http_allowed
from driftwatch.registry.responses import read_capped, read_small
from driftwatch.registry.session import RegistrySession

__all__ = ["digest_by_get", "head_unsure", "manifest_path", "manifest_request", "served_by_get"]

MANIFEST_HEADERS = {"Accept": ACCEPT_MANIFESTS}


def manifest_path(ref: ImageReference, reference: str) -> str:
    """`/v2/<repository>/manifests/<tag or digest>`."""
    return f"/v2/{ref.repository}/manifests/{reference}"


async def manifest_request(
    session: RegistrySession, ref: ImageReference, method: str, reference: str
) -> httpx.Response:
    """HEAD or GET manifest `reference`, redirects followed; refused when they left HTTPS."""
    path = manifest_path(ref, reference)
    response = await session.request(ref, method, path, MANIFEST_HEADERS, follow=True)
    final = str(response.request.url)
    if not plain_http_allowed(final, session.config.registry(ref.registry).insecure):
        await read_small(response)
        parts = urlsplit(final)
        raise InvalidResponse(f"{ref}: redirected off HTTPS to {parts.scheme}://{parts.hostname}")
    return response


def head_unsure(config: Config, ref: ImageReference, response: httpx.Response) -> bool:
    """A HEAD answer only a GET can settle: 405 (HEAD unsupported), or 404 off Docker Hub.

    Taking a Nexus or Harbor HEAD's 404 as "tag gone" would report a move that never happened.
    Docker Hub's own HEAD is reliable and free, so its 404 is believed (not a mirror's: an
    `endpoint` for docker.io is often such a proxy).
    """
    code = response.status_code
    hub = ref.is_docker_hub and not config.registry(ref.registry).endpoint
    return code == 405 or (code == 404 and not hub)


async def _get_body(
    session: RegistrySession, ref: ImageReference, reference: str
) -> tuple[bytes, httpx.Headers] | None:
    """GET manifest `reference`: its body (capped, any other error status raised) and headers;
    None when the registry answers 404."""
    response = await manifest_request(session, ref, "GET", reference)
    if response.status_code == 404:
        await read_small(response)
        return None
    where = f"{ref.name}:{reference}"
    body = await read_capped(response, MAX_MANIFEST_BYTES, where, "manifest unknown")
    return body, response.headers


async def served_by_get(session: RegistrySession, ref: ImageReference, reference: str) -> bool:
    """Whether a GET serves manifest `reference` (its body hashed when it is a digest)."""
    got = await _get_body(session, ref, reference)
    if got is not None and ":" in reference:
        where = f"{ref.name}:{reference}"
        verify_digest(got[0], check_digest_syntax(reference, where), where)
    return got is not None


async def digest_by_get(session: RegistrySession, ref: ImageReference, tag: str) -> str | None:
    """The digest of the manifest tag `tag` names, its body hashed; None when the GET says 404.
    A digest header that disagrees with the body is a DigestMismatch."""
    got = await _get_body(session, ref, tag)
    if got is None:
        return None
    body, headers = got
    header: str | None = headers.get("docker-content-digest")
    if header:
        where = f"{ref.name}:{tag}"
        verify_digest(body, check_digest_syntax(header, where), where)
        return header
    return compute_digest(body)
