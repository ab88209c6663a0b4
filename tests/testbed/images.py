"""Build real OCI/Docker images in memory: tar layers, configs, manifests, indexes (the one builder).

layer = {"etc/os-release": b"ID=debian\\n", "etc/alias": Symlink("os-release"),
         "old.txt": Whiteout(), "var/cache": OpaqueDir()}
image = build_image([layer], architecture="arm64", variant="v8", compression="zstd", oci=True)
index = build_index([image, other])

A layer is a mapping `{path: bytes | Symlink | Whiteout | OpaqueDir}`, or, where order, hard
links, directories or tar formats matter (the tar scanner's tests), a list of `Member`s made with
`file()`, `symlink()`, `hardlink()`, `directory()`, `whiteout()`, `opaque()`; `tar_bytes()` writes
either. tests/testbed/memory.py serves images without a registry (`ImageStore`, `MemorySource`).
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import tarfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import zstandard

OCI_INDEX = "application/vnd.oci.image.index.v1+json"
DOCKER_LIST = "application/vnd.docker.distribution.manifest.list.v2+json"
OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"
OCI_CONFIG = "application/vnd.oci.image.config.v1+json"
DOCKER_CONFIG = "application/vnd.docker.container.image.v1+json"
LAYER_TYPES = {
    (True, "gzip"): "application/vnd.oci.image.layer.v1.tar+gzip",
    (True, "zstd"): "application/vnd.oci.image.layer.v1.tar+zstd",
    (True, "none"): "application/vnd.oci.image.layer.v1.tar",
    (False, "gzip"): "application/vnd.docker.image.rootfs.diff.tar.gzip",
    (False, "none"): "application/vnd.docker.image.rootfs.diff.tar",
    (False, "zstd"): "application/vnd.oci.image.layer.v1.tar+zstd",  # Docker v2 has no zstd type
}


@dataclass(frozen=True)
class Symlink:
    """A symbolic link entry pointing at `target` (relative or absolute)."""

    target: str


@dataclass(frozen=True)
class Whiteout:
    """Deletes the path from lower layers (written as `.wh.<name>`)."""


@dataclass(frozen=True)
class OpaqueDir:
    """Hides everything lower layers had in this directory (`<dir>/.wh..wh..opq`)."""


Entry = bytes | Symlink | Whiteout | OpaqueDir


@dataclass(frozen=True)
class Blob:
    """Content-addressed bytes with their media type."""

    media_type: str
    data: bytes

    @property
    def digest(self) -> str:
        return "sha256:" + hashlib.sha256(self.data).hexdigest()

    @property
    def size(self) -> int:
        return len(self.data)

    def descriptor(self, **extra: Any) -> dict[str, Any]:
        return {"mediaType": self.media_type, "digest": self.digest, "size": self.size, **extra}


@dataclass(frozen=True)
class Image:
    """One platform image: manifest blob, config blob and layer blobs."""

    manifest: Blob
    config: Blob
    layers: tuple[Blob, ...]
    platform: dict[str, str]

    @property
    def digest(self) -> str:
        return self.manifest.digest


@dataclass(frozen=True)
class Index:
    """An index (or Docker manifest list) over images, plus attestation manifests."""

    manifest: Blob
    images: tuple[Image, ...]
    extra: tuple[Image, ...] = field(default=())  # attestations: pushed, not platforms

    @property
    def digest(self) -> str:
        return self.manifest.digest


def _json(doc: Mapping[str, Any]) -> bytes:
    return json.dumps(doc, indent=3, sort_keys=False).encode()


@dataclass(frozen=True)
class Member:
    """One tar member: kind is file, dir, symlink or hardlink (whiteouts are empty files)."""

    path: str
    kind: str = "file"
    content: bytes = b""
    target: str = ""


def file(path: str, content: str | bytes) -> Member:
    return Member(path, "file", content.encode() if isinstance(content, str) else content)


def symlink(path: str, target: str) -> Member:
    return Member(path, "symlink", target=target)


def hardlink(path: str, target: str) -> Member:
    return Member(path, "hardlink", target=target)


def directory(path: str) -> Member:
    return Member(path, "dir")


def whiteout(path: str) -> Member:
    """Deletes `path` from lower layers (`dir/.wh.name`)."""
    folder, _, name = path.rpartition("/")
    return Member(f"{folder}/.wh.{name}" if folder else f".wh.{name}")


def opaque(folder: str) -> Member:
    """Hides everything lower layers have in `folder`."""
    return Member(f"{folder.rstrip('/')}/.wh..wh..opq")


Layer = Mapping[str, Entry] | Sequence[Member]


def members(layer: Layer) -> list[Member]:
    """A layer mapping ({path: bytes | Symlink | Whiteout | OpaqueDir}) as tar members."""
    if not isinstance(layer, Mapping):
        return list(layer)
    found = []
    for path, entry in layer.items():
        path = path.lstrip("/")
        if isinstance(entry, bytes):
            found.append(file(path, entry))
        elif isinstance(entry, Symlink):
            found.append(symlink(path, entry.target))
        elif isinstance(entry, Whiteout):
            found.append(whiteout(path))
        else:
            found.append(opaque(path))
    return found


def tar_bytes(layer: Layer, fmt: int = tarfile.PAX_FORMAT, *, parents: bool = True) -> bytes:
    """A deterministic tar (mtime 0, root owner); `parents` adds directory entries for every
    parent, as real layers have (a mapping layer is written as given by `build_layer`)."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=fmt) as tar:
        made: set[str] = set()
        for member in members(layer):
            if parents:
                _parents(tar, member.path, made)
            _add(tar, member)
    return buffer.getvalue()


def _parents(tar: tarfile.TarFile, path: str, made: set[str]) -> None:
    parts = path.split("/")[:-1]
    for i in range(1, len(parts) + 1):
        folder = "/".join(parts[:i])
        if folder not in made:
            made.add(folder)
            _add(tar, directory(folder))


def _add(tar: tarfile.TarFile, member: Member) -> None:
    info = tarfile.TarInfo(member.path)
    info.mtime, info.mode = 0, 0o755 if member.kind == "dir" else 0o644
    if member.kind == "dir":
        info.type = tarfile.DIRTYPE
    elif member.kind == "symlink":
        info.type, info.linkname, info.mode = tarfile.SYMTYPE, member.target, 0o777
    elif member.kind == "hardlink":
        info.type, info.linkname = tarfile.LNKTYPE, member.target
    info.size = len(member.content) if member.kind == "file" else 0
    tar.addfile(info, io.BytesIO(member.content) if info.size else None)


def compress(data: bytes, codec: str) -> bytes:
    """gzip (mtime 0), zstd or none."""
    if codec == "gzip":
        return gzip.compress(data, mtime=0)
    if codec == "zstd":
        return zstandard.ZstdCompressor().compress(data)
    return data


def build_layer(files: Layer, compression: str = "gzip", oci: bool = True) -> tuple[Blob, str]:
    """A layer blob and its diff_id (sha256 of the uncompressed tar); a mapping is written as
    given, a member list with its parent directories."""
    raw = tar_bytes(files, parents=not isinstance(files, Mapping))
    blob = Blob(LAYER_TYPES[(oci, compression)], compress(raw, compression))
    return blob, "sha256:" + hashlib.sha256(raw).hexdigest()


def image_blobs(
    layers: Sequence[Mapping[str, Any]],
    diff_ids: Sequence[str],
    platform: Mapping[str, str],
    *,
    history: Sequence[Mapping[str, Any]] | None = None,
    labels: Mapping[str, str] | None = None,
    annotations: Mapping[str, str] | None = None,
    oci: bool = True,
) -> tuple[Blob, Blob]:
    """The config and manifest blobs of an image over layer descriptors (bottom first)."""
    config_doc: dict[str, Any] = {
        **platform,
        "created": "2024-06-01T00:00:00Z",
        "config": {"Labels": dict(labels or {}), "Env": ["PATH=/usr/bin:/bin"]},
        "rootfs": {"type": "layers", "diff_ids": list(diff_ids)},
        "history": list(history or [{"created_by": "# built by the driftwatch test bench"}]),
    }
    config = Blob(OCI_CONFIG if oci else DOCKER_CONFIG, _json(config_doc))
    manifest_doc: dict[str, Any] = {
        "schemaVersion": 2,
        "mediaType": OCI_MANIFEST if oci else DOCKER_MANIFEST,
        "config": config.descriptor(),
        "layers": [dict(layer) for layer in layers],
    }
    if annotations:
        manifest_doc["annotations"] = dict(annotations)
    return config, Blob(manifest_doc["mediaType"], _json(manifest_doc))


def build_image(
    layers: Sequence[Layer],
    *,
    os: str = "linux",
    architecture: str = "amd64",
    variant: str | None = None,
    history: Sequence[Mapping[str, Any]] | None = None,
    labels: Mapping[str, str] | None = None,
    annotations: Mapping[str, str] | None = None,
    compression: str = "gzip",
    oci: bool = True,
) -> Image:
    """A complete image: real tar layers, a config JSON and a manifest (OCI or Docker v2)."""
    built = [build_layer(files, compression, oci) for files in layers]
    platform = {"os": os, "architecture": architecture} | ({"variant": variant} if variant else {})
    config, manifest = image_blobs(
        [blob.descriptor() for blob, _ in built],
        [diff for _, diff in built],
        platform,
        history=history,
        labels=labels,
        annotations=annotations,
        oci=oci,
    )
    return Image(manifest, config, tuple(blob for blob, _ in built), platform)


UNKNOWN_PLATFORM = {"os": "unknown", "architecture": "unknown"}


def build_attestation() -> Image:
    """A BuildKit-style attestation manifest (in-toto layer, platform unknown/unknown)."""
    layer = Blob(
        "application/vnd.in-toto+json", _json({"_type": "https://in-toto.io/Statement/v0.1"})
    )
    rootfs = {"type": "layers", "diff_ids": []}
    config = Blob(OCI_CONFIG, _json({"architecture": "unknown", "os": "unknown", "rootfs": rootfs}))
    doc = {
        "schemaVersion": 2,
        "mediaType": OCI_MANIFEST,
        "config": config.descriptor(),
        "layers": [layer.descriptor()],
    }
    return Image(Blob(OCI_MANIFEST, _json(doc)), config, (layer,), dict(UNKNOWN_PLATFORM))


def attestation_entry(attestation: Image, subject_digest: str) -> dict[str, Any]:
    """The index entry BuildKit writes for an attestation of `subject_digest`."""
    return attestation.manifest.descriptor(
        platform=dict(UNKNOWN_PLATFORM),
        annotations={
            "vnd.docker.reference.type": "attestation-manifest",
            "vnd.docker.reference.digest": subject_digest,
        },
    )


def index_blob(
    entries: Sequence[Mapping[str, Any]],
    *,
    oci: bool = True,
    annotations: Mapping[str, str] | None = None,
) -> Blob:
    """An OCI index (or Docker manifest list) over ready entries."""
    doc: dict[str, Any] = {
        "schemaVersion": 2,
        "mediaType": OCI_INDEX if oci else DOCKER_LIST,
        "manifests": [dict(entry) for entry in entries],
    }
    if annotations:
        doc["annotations"] = dict(annotations)
    return Blob(doc["mediaType"], _json(doc))


def build_index(
    images: Sequence[Image],
    *,
    oci: bool = True,
    attestations: bool = True,
    annotations: Mapping[str, str] | None = None,
) -> Index:
    """An OCI index (or Docker manifest list) over `images`, with attestation entries when asked."""
    entries = [image.manifest.descriptor(platform=image.platform) for image in images]
    extra: list[Image] = []
    if attestations and oci:
        for image in images:
            attestation = build_attestation()
            extra.append(attestation)
            entries.append(attestation_entry(attestation, image.digest))
    manifest = index_blob(entries, oci=oci, annotations=annotations)
    return Index(manifest, tuple(images), tuple(extra))


def replace_top_layer(image: Image, data: bytes) -> Image:
    """`image` with its top layer's bytes replaced (e.g. a corrupt gzip); the manifest names them."""
    layer = Blob(image.layers[-1].media_type, data)
    doc = json.loads(image.manifest.data)
    doc["layers"][-1] = layer.descriptor()
    manifest = Blob(image.manifest.media_type, _json(doc))
    return Image(manifest, image.config, (*image.layers[:-1], layer), image.platform)
