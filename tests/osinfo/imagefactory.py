"""Build real image content for tests: tar layers, gzip/zstd/plain blobs, configs, manifests, indexes.

For unit tests without a registry: `MemorySource` serves a store as a driftwatch.osinfo
BlobSource and verifies digests exactly as the registry client does. The distro layouts come
from tests/testbed/distros.py; images for the real registry are built and pushed with tests.testbed.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import random
import tarfile
from collections.abc import AsyncIterator, Iterable, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import zstandard

from driftwatch.errors import DigestMismatch, InvalidResponse, NotFound
from tests.testbed import distros
from tests.testbed.images import (
    DOCKER_CONFIG,
    DOCKER_LIST,
    DOCKER_MANIFEST,
    OCI_CONFIG,
    OCI_INDEX,
    OCI_MANIFEST,
    Symlink,
    Whiteout,
)
from tests.testbed.images import LAYER_TYPES as BENCH_LAYER_TYPES
from tests.testbed.images import Entry as BenchEntry

# (style, codec) -> media type; Docker v2 has no zstd type, so Docker-style zstd uses OCI's.
LAYER_TYPES = {
    (style, codec): BENCH_LAYER_TYPES[(style == "oci", codec)]
    for style in ("oci", "docker")
    for codec in ("gzip", "none")
}
LAYER_TYPES[("oci", "zstd")] = LAYER_TYPES[("docker", "zstd")] = BENCH_LAYER_TYPES[(True, "zstd")]


def sha256(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


# ---- filesystem entries ---------------------------------------------------------------------


@dataclass(frozen=True)
class Entry:
    """One tar member: kind is file, dir, symlink, hardlink, whiteout or opaque."""

    path: str
    kind: str = "file"
    content: bytes = b""
    target: str = ""


def file(path: str, content: str | bytes) -> Entry:
    return Entry(path, "file", content.encode() if isinstance(content, str) else content)


def symlink(path: str, target: str) -> Entry:
    return Entry(path, "symlink", target=target)


def hardlink(path: str, target: str) -> Entry:
    return Entry(path, "hardlink", target=target)


def directory(path: str) -> Entry:
    return Entry(path, "dir")


def whiteout(path: str) -> Entry:
    """Deletes `path` from lower layers (`dir/.wh.name`)."""
    folder, _, name = path.rpartition("/")
    return Entry(f"{folder}/.wh.{name}" if folder else f".wh.{name}")


def opaque(folder: str) -> Entry:
    """Hides everything lower layers have in `folder`."""
    return Entry(f"{folder}/.wh..wh..opq")


def tar_bytes(entries: Iterable[Entry], fmt: int = tarfile.PAX_FORMAT) -> bytes:
    """A deterministic tar stream (parents created as directory entries, like real layers)."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=fmt) as tar:
        made: set[str] = set()
        for entry in entries:
            _parents(tar, entry.path, made)
            _add(tar, entry)
    return buffer.getvalue()


def _parents(tar: tarfile.TarFile, path: str, made: set[str]) -> None:
    parts = path.split("/")[:-1]
    for i in range(1, len(parts) + 1):
        folder = "/".join(parts[:i])
        if folder not in made:
            made.add(folder)
            _add(tar, directory(folder))


def _add(tar: tarfile.TarFile, entry: Entry) -> None:
    info = tarfile.TarInfo(entry.path)
    info.mtime, info.mode = 0, 0o755 if entry.kind == "dir" else 0o644
    if entry.kind == "dir":
        info.type = tarfile.DIRTYPE
    elif entry.kind == "symlink":
        info.type, info.linkname = tarfile.SYMTYPE, entry.target
    elif entry.kind == "hardlink":
        info.type, info.linkname = tarfile.LNKTYPE, entry.target
    info.size = len(entry.content) if entry.kind == "file" else 0
    tar.addfile(info, io.BytesIO(entry.content) if info.size else None)


def compress(data: bytes, codec: str) -> bytes:
    """gzip (mtime 0), zstd or none."""
    if codec == "gzip":
        return gzip.compress(data, mtime=0)
    if codec == "zstd":
        return zstandard.ZstdCompressor().compress(data)
    return data


# ---- OS root filesystems (the bench's layouts, as Entry lists) ------------------------------


def from_bench(files: Mapping[str, BenchEntry]) -> list[Entry]:
    """A tests.testbed layer mapping ({path: bytes | Symlink | Whiteout | OpaqueDir}) as entries."""
    converted = []
    for path, entry in files.items():
        if isinstance(entry, bytes):
            converted.append(file(path, entry))
        elif isinstance(entry, Symlink):
            converted.append(symlink(path, entry.target))
        elif isinstance(entry, Whiteout):
            converted.append(whiteout(path))
        else:
            converted.append(opaque(path))
    return converted


def os_release(**fields: str) -> str:
    return distros.os_release(**fields).decode()


def debian(
    version: str = "12", codename: str = "bookworm", point: str = "12.4", *, link: bool = True
) -> list[Entry]:
    """A Debian base layer; `etc/os-release` is a symlink to `../usr/lib/os-release` by default."""
    assert distros.DEBIAN_VERSIONS[codename] == version, (version, codename)
    return from_bench(distros.debian_files(codename, point, link=link))


def debian_testing(codename: str = "forky") -> list[Entry]:
    return from_bench(distros.debian_testing_files(codename))


def ubuntu(version: str = "24.04", codename: str = "noble", point: str = "24.04.1") -> list[Entry]:
    return from_bench(distros.ubuntu_files(version, codename, point))


def alpine(version: str = "3.19.1") -> list[Entry]:
    return from_bench(distros.alpine_files(version))


def distroless(version: str = "12", codename: str = "bookworm", point: str = "12.5") -> list[Entry]:
    return from_bench(distros.distroless_files(version, codename, point))


def ubi(version: str = "9.4") -> list[Entry]:
    return from_bench(distros.ubi_files(version))


def amazonlinux(point: str = "2023.4.20240401") -> list[Entry]:
    return from_bench(distros.amazonlinux_files(point))


def wolfi() -> list[Entry]:
    return from_bench(distros.wolfi_files())


def app_layer(name: str = "app/main.py", size: int = 1000, seed: int = 0) -> list[Entry]:
    """An application layer of incompressible (seeded pseudo-random) bytes."""
    return [file(name, random.Random(seed).randbytes(size))]


# ---- store and source ------------------------------------------------------------------------


@dataclass
class ImageStore:
    """Blobs and manifests of one repository, with helpers that build images the way tools do."""

    blobs: dict[str, bytes | Path] = field(default_factory=dict)
    manifests: dict[str, tuple[bytes, str]] = field(default_factory=dict)

    def add_blob(self, data: bytes, media_type: str) -> dict[str, Any]:
        digest = sha256(data)
        self.blobs[digest] = data
        return {"mediaType": media_type, "digest": digest, "size": len(data)}

    def add_layer(
        self, entries: Sequence[Entry], codec: str = "gzip", style: str = "oci"
    ) -> dict[str, Any]:
        return self.add_blob(compress(tar_bytes(entries), codec), LAYER_TYPES[(style, codec)])

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
        layers: Sequence[Sequence[Entry] | dict[str, Any]],
        *,
        style: str = "oci",
        codec: str = "gzip",
        history: Sequence[str] = (),
        labels: dict[str, str] | None = None,
        annotations: dict[str, str] | None = None,
        platform: tuple[str, str] = ("linux", "amd64"),
    ) -> str:
        """Push layers (entry lists or ready descriptors, bottom first), config and manifest; its digest."""
        descriptors = [
            item if isinstance(item, dict) else self.add_layer(item, codec, style)
            for item in layers
        ]
        config = {
            "architecture": platform[1],
            "os": platform[0],
            "config": {"Labels": labels or None},
            "rootfs": {"type": "layers", "diff_ids": [d["digest"] for d in descriptors]},
            "history": [
                {"created": "2025-06-10T00:00:00Z", "created_by": line} for line in history
            ],
        }
        config_desc = self.add_blob(
            json.dumps(config).encode(), OCI_CONFIG if style == "oci" else DOCKER_CONFIG
        )
        media = OCI_MANIFEST if style == "oci" else DOCKER_MANIFEST
        manifest: dict[str, Any] = {
            "schemaVersion": 2,
            "mediaType": media,
            "config": config_desc,
            "layers": descriptors,
        }
        if annotations:
            manifest["annotations"] = annotations
        return self.add_manifest(json.dumps(manifest, indent=3).encode(), media)

    def add_index(
        self,
        entries: Sequence[tuple[str, str, dict[str, str]]],
        *,
        style: str = "oci",
        attestation: bool = False,
    ) -> str:
        """An index of (manifest digest, "os/arch", annotations), optionally with an attestation entry."""
        manifests = [self._entry(digest, platform, notes) for digest, platform, notes in entries]
        if attestation:
            statement = self.add_blob(
                b'{"_type":"https://in-toto.io/Statement/v0.1"}', "application/vnd.in-toto+json"
            )
            config = self.add_blob(b"{}", OCI_CONFIG)
            att = {
                "schemaVersion": 2,
                "mediaType": OCI_MANIFEST,
                "config": config,
                "layers": [statement],
            }
            att_digest = self.add_manifest(json.dumps(att).encode(), OCI_MANIFEST)
            manifests.append(
                {
                    **self._entry(
                        att_digest,
                        "unknown/unknown",
                        {
                            "vnd.docker.reference.type": "attestation-manifest",
                            "vnd.docker.reference.digest": entries[0][0],
                        },
                    )
                }
            )
        media = OCI_INDEX if style == "oci" else DOCKER_LIST
        body = {"schemaVersion": 2, "mediaType": media, "manifests": manifests}
        return self.add_manifest(json.dumps(body).encode(), media)

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
