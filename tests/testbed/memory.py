"""Images without a registry: an `ImageStore` of blobs and manifests, served by `MemorySource`.

`MemorySource` is a driftwatch.osinfo BlobSource that verifies digests exactly as the registry
client does, and logs what was asked. The bytes come from the one builder, tests/testbed/images.py.

    store = ImageStore()
    digest = store.add_image([distros.debian(), distros.app_layer()])
    release = await detect_os(MemorySource(store), digest)
"""

from __future__ import annotations

import hashlib
import io
from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from driftwatch.errors import DigestMismatch, InvalidResponse, NotFound
from tests.testbed.images import (
    Blob,
    Layer,
    attestation_entry,
    build_attestation,
    build_layer,
    image_blobs,
    index_blob,
)


def sha256(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


@dataclass
class ImageStore:
    """Blobs and manifests of one repository, with helpers that build images the way tools do."""

    blobs: dict[str, bytes | Path] = field(default_factory=dict)
    manifests: dict[str, tuple[bytes, str]] = field(default_factory=dict)
    diff_ids: dict[str, str] = field(default_factory=dict)  # layer digest -> uncompressed digest

    def add_blob(self, data: bytes, media_type: str) -> dict[str, Any]:
        digest = sha256(data)
        self.blobs[digest] = data
        return {"mediaType": media_type, "digest": digest, "size": len(data)}

    def add(self, blob: Blob) -> dict[str, Any]:
        """Keep a built blob; its descriptor."""
        return self.add_blob(blob.data, blob.media_type)

    def add_layer(self, entries: Layer, codec: str = "gzip", style: str = "oci") -> dict[str, Any]:
        blob, diff_id = build_layer(entries, codec, style == "oci")
        self.diff_ids[blob.digest] = diff_id
        return self.add(blob)

    def add_file_layer(self, path: Path, media_type: str) -> dict[str, Any]:
        """A layer already on disk (big ones): hashed in chunks, served from the file."""
        digest = hashlib.sha256()
        with path.open("rb") as handle:
            for chunk in iter(lambda: handle.read(1 << 20), b""):
                digest.update(chunk)
        name = "sha256:" + digest.hexdigest()
        self.blobs[name] = path
        return {"mediaType": media_type, "digest": name, "size": path.stat().st_size}

    def add_image(
        self,
        layers: Sequence[Layer | dict[str, Any]],
        *,
        style: str = "oci",
        codec: str = "gzip",
        history: Sequence[str] = (),
        labels: dict[str, str] | None = None,
        annotations: dict[str, str] | None = None,
        platform: tuple[str, str] = ("linux", "amd64"),
    ) -> str:
        """Layers (member lists, mappings or ready descriptors, bottom first), config and
        manifest; the manifest's digest."""
        descriptors = [
            item if _is_descriptor(item) else self.add_layer(item, codec, style)  # type: ignore[arg-type]
            for item in layers
        ]
        config, manifest = image_blobs(
            descriptors,  # type: ignore[arg-type]
            [self.diff_ids.get(d["digest"], d["digest"]) for d in descriptors],  # type: ignore[index]
            {"os": platform[0], "architecture": platform[1]},
            history=[{"created": "2025-06-10T00:00:00Z", "created_by": line} for line in history],
            labels=labels,
            annotations=annotations,
            oci=style == "oci",
        )
        self.add(config)
        return self.add_manifest(manifest.data, manifest.media_type)

    def add_index(
        self,
        entries: Sequence[tuple[str, str, dict[str, str]]],
        *,
        style: str = "oci",
        attestation: bool = False,
    ) -> str:
        """An index of (manifest digest, "os/arch", annotations), optionally with an attestation."""
        manifests = [self._entry(digest, platform, notes) for digest, platform, notes in entries]
        if attestation:
            built = build_attestation()
            for blob in (built.config, *built.layers):
                self.add(blob)
            self.add_manifest(built.manifest.data, built.manifest.media_type)
            manifests.append(attestation_entry(built, entries[0][0]))
        index = index_blob(manifests, oci=style == "oci")
        return self.add_manifest(index.data, index.media_type)

    def _entry(self, digest: str, platform: str, annotations: dict[str, str]) -> dict[str, Any]:
        body, media = self.manifests[digest]
        os_name, arch = platform.split("/")[:2]
        entry: dict[str, Any] = {
            "mediaType": media,
            "digest": digest,
            "size": len(body),
            "platform": {"os": os_name, "architecture": arch},
        }
        if annotations:
            entry["annotations"] = annotations
        return entry

    def add_manifest(self, body: bytes, media_type: str) -> str:
        digest = sha256(body)
        self.manifests[digest] = (body, media_type)
        return digest


def _is_descriptor(item: object) -> bool:
    """A ready descriptor (`{"mediaType", "digest", "size"}`) rather than a layer's files."""
    return isinstance(item, Mapping) and isinstance(item.get("digest"), str) and "size" in item


@dataclass
class MemorySource:
    """A BlobSource over an ImageStore that verifies digests as the registry client does.

    `requests` logs (kind, digest) per call and `bytes_read` counts blob bytes handed out.
    """

    store: ImageStore
    chunk_size: int = 64 * 1024
    requests: list[tuple[str, str]] = field(default_factory=list)
    bytes_read: int = 0

    async def get_manifest(self, digest: str) -> tuple[bytes, str]:
        self.requests.append(("manifest", digest))
        if digest not in self.store.manifests:
            raise NotFound(f"manifest {digest} not found")
        body, media_type = self.store.manifests[digest]
        if sha256(body) != digest:
            raise DigestMismatch(f"manifest {digest[:19]} does not match its digest")
        return body, media_type

    async def get_blob(self, digest: str, max_bytes: int) -> bytes:
        self.requests.append(("blob", digest))
        data = self._read(digest)
        if len(data) > max_bytes:
            raise InvalidResponse(f"blob {digest[:19]} is larger than {max_bytes} bytes")
        self.bytes_read += len(data)
        if sha256(data) != digest:
            raise DigestMismatch(f"blob {digest[:19]} does not match its digest")
        return data

    @asynccontextmanager
    async def stream_blob(self, digest: str) -> AsyncIterator[AsyncIterator[bytes]]:
        self.requests.append(("stream", digest))
        if digest not in self.store.blobs:
            raise NotFound(f"blob {digest} not found")
        yield self._chunks(digest)

    async def _chunks(self, digest: str) -> AsyncIterator[bytes]:
        hasher = hashlib.sha256()
        blob = self.store.blobs[digest]
        handle = blob.open("rb") if isinstance(blob, Path) else io.BytesIO(blob)
        with handle:
            for chunk in iter(lambda: handle.read(self.chunk_size), b""):
                hasher.update(chunk)
                self.bytes_read += len(chunk)
                yield chunk
        if "sha256:" + hasher.hexdigest() != digest:
            raise DigestMismatch(f"blob {digest[:19]} does not match its digest")

    def _read(self, digest: str) -> bytes:
        if digest not in self.store.blobs:
            raise NotFound(f"blob {digest} not found")
        blob = self.store.blobs[digest]
        return blob.read_bytes() if isinstance(blob, Path) else blob

    def blob_requests(self) -> list[tuple[str, str]]:
        return [r for r in self.requests if r[0] != "manifest"]
