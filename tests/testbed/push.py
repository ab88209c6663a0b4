"""Push images to a registry over the distribution API (blobs POST+PUT, manifests PUT)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import httpx

from tests.testbed.images import Blob, Image, Index


class Pusher:
    """A small, independent API client for the suite: answers Basic and Bearer (push scope)."""

    def __init__(
        self, base_url: str, username: str | None = None, password: str | None = None
    ) -> None:
        self.base_url = base_url
        self._basic = (username, password) if username and password else None
        self._client = httpx.Client(base_url=base_url, timeout=60)
        self._auth: dict[str, str] = {}  # repo -> Authorization header

    def close(self) -> None:
        self._client.close()

    def _request(self, method: str, url: str, repo: str, **kwargs: Any) -> httpx.Response:
        headers = dict(kwargs.pop("headers", {}))
        if repo in self._auth:
            headers["Authorization"] = self._auth[repo]
        response = self._client.request(method, url, headers=headers, **kwargs)
        if response.status_code == 401:
            self._auth[repo] = self._answer(response.headers.get("www-authenticate", ""), repo)
            headers["Authorization"] = self._auth[repo]
            response = self._client.request(method, url, headers=headers, **kwargs)
        return response

    def _answer(self, header: str, repo: str) -> str:
        scheme, _, rest = header.partition(" ")
        if scheme.lower() == "basic":
            assert self._basic, "registry wants Basic auth but the pusher has no credentials"
            return httpx.BasicAuth(*self._basic)._auth_header
        params = dict(part.split("=", 1) for part in rest.split(",") if "=" in part)
        params = {k.strip(): v.strip().strip('"') for k, v in params.items()}
        query = {"service": params["service"], "scope": f"repository:{repo}:pull,push"}
        response = httpx.get(params["realm"], params=query, auth=self._basic, timeout=30)
        response.raise_for_status()
        return "Bearer " + response.json()["token"]

    def push_blob(self, repo: str, blob: Blob) -> None:
        """Upload one blob unless the repository has it already."""
        if self._request("HEAD", f"/v2/{repo}/blobs/{blob.digest}", repo).status_code == 200:
            return
        started = self._request("POST", f"/v2/{repo}/blobs/uploads/", repo)
        assert started.status_code == 202, started.text
        location = started.headers["location"]
        separator = "&" if "?" in location else "?"
        done = self._request(
            "PUT",
            f"{location}{separator}digest={blob.digest}",
            repo,
            content=blob.data,
            headers={"Content-Type": "application/octet-stream"},
        )
        assert done.status_code == 201, done.text

    def push_manifest(self, repo: str, reference: str, manifest: Blob) -> str:
        """PUT a manifest under a tag or digest; returns the digest the registry reports."""
        response = self._request(
            "PUT",
            f"/v2/{repo}/manifests/{reference}",
            repo,
            content=manifest.data,
            headers={"Content-Type": manifest.media_type},
        )
        assert response.status_code == 201, response.text
        return response.headers["docker-content-digest"]

    def push_image(self, repo: str, tag: str | None, image: Image) -> str:
        """Push layers, config and manifest (under `tag`, or by digest when tag is None)."""
        for blob in (*image.layers, image.config):
            self.push_blob(repo, blob)
        return self.push_manifest(repo, tag or image.digest, image.manifest)

    def push_index(self, repo: str, tag: str, index: Index) -> str:
        """Push every image of `index` by digest, its attestations, then the index under `tag`."""
        children: Iterable[Image] = (*index.images, *index.extra)
        for image in children:
            self.push_image(repo, None, image)
        return self.push_manifest(repo, tag, index.manifest)
