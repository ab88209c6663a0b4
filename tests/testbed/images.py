"""Build real OCI/Docker images in memory: tar layers, configs, manifests, indexes.

layer = {"etc/os-release": b"ID=debian\\n", "etc/alias": Symlink("os-release"),
         "old.txt": Whiteout(), "var/cache": OpaqueDir()}
image = build_image([layer], architecture="arm64", variant="v8", compression="zstd", oci=True)
index = build_index([image, other])
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


def build_tar(files: Mapping[str, Entry]) -> bytes:
    """An uncompressed tar with deterministic metadata (mtime 0, root owner)."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for path, entry in files.items():
            path = path.lstrip("/")
            if isinstance(entry, Whiteout):
                head, _, name = path.rpartition("/")
                path, entry = (f"{head}/" if head else "") + f".wh.{name}", b""
            elif isinstance(entry, OpaqueDir):
                path, entry = f"{path.rstrip('/')}/.wh..wh..opq", b""
            info = tarfile.TarInfo(path)
            info.mtime, info.mode = 0, 0o644
            if isinstance(entry, Symlink):
                info.type, info.linkname, info.mode = tarfile.SYMTYPE, entry.target, 0o777
                tar.addfile(info)
            else:
                info.size = len(entry)
                tar.addfile(info, io.BytesIO(entry))
    return buffer.getvalue()


def build_layer(
    files: Mapping[str, Entry], compression: str = "gzip", oci: bool = True
) -> tuple[Blob, str]:
    """A layer blob and its diff_id (sha256 of the uncompressed tar)."""
    raw = build_tar(files)
    if compression == "gzip":
        data = gzip.compress(raw, mtime=0)
    elif compression == "zstd":
        import zstandard

        data = zstandard.ZstdCompressor().compress(raw)
    else:
        data = raw
    media_type = LAYER_TYPES[(oci, compression)]
    return Blob(media_type, data), "sha256:" + hashlib.sha256(raw).hexdigest()


def build_image(
    layers: Sequence[Mapping[str, Entry]],
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
    config_doc: dict[str, Any] = {
        **platform,
        "created": "2024-06-01T00:00:00Z",
        "config": {"Labels": dict(labels or {}), "Env": ["PATH=/usr/bin:/bin"]},
        "rootfs": {"type": "layers", "diff_ids": [diff for _, diff in built]},
        "history": list(history or [{"created_by": "# built by the driftwatch test bench"}]),
    }
    config = Blob(OCI_CONFIG if oci else DOCKER_CONFIG, _json(config_doc))
    manifest_doc: dict[str, Any] = {
        "schemaVersion": 2,
        "mediaType": OCI_MANIFEST if oci else DOCKER_MANIFEST,
        "config": config.descriptor(),
        "layers": [blob.descriptor() for blob, _ in built],
    }
    if annotations:
        manifest_doc["annotations"] = dict(annotations)
    manifest = Blob(manifest_doc["mediaType"], _json(manifest_doc))
    return Image(manifest, config, tuple(blob for blob, _ in built), platform)


def build_attestation(subject: Image) -> Image:
    """A BuildKit-style attestation manifest (in-toto layer) for `subject`."""
    layer = Blob(
        "application/vnd.in-toto+json", _json({"_type": "https://in-toto.io/Statement/v0.1"})
    )
    config = Blob(
        OCI_CONFIG,
        _json(
            {
                "architecture": "unknown",
                "os": "unknown",
                "rootfs": {"type": "layers", "diff_ids": []},
            }
        ),
    )
    doc = {
        "schemaVersion": 2,
        "mediaType": OCI_MANIFEST,
        "config": config.descriptor(),
        "layers": [layer.descriptor()],
    }
    return Image(
        Blob(OCI_MANIFEST, _json(doc)),
        config,
        (layer,),
        {"os": "unknown", "architecture": "unknown"},
    )


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
            attestation = build_attestation(image)
            extra.append(attestation)
            entries.append(
                attestation.manifest.descriptor(
                    platform={"os": "unknown", "architecture": "unknown"},
                    annotations={
                        "vnd.docker.reference.type": "attestation-manifest",
                        "vnd.docker.reference.digest": image.digest,
                    },
                )
            )
    doc: dict[str, Any] = {
        "schemaVersion": 2,
        "mediaType": OCI_INDEX if oci else DOCKER_LIST,
        "manifests": entries,
    }
    if annotations:
        doc["annotations"] = dict(annotations)
    return Index(Blob(doc["mediaType"], _json(doc)), tuple(images), tuple(extra))


def replace_top_layer(image: Image, data: bytes) -> Image:
    """`image` with its top layer's bytes replaced (e.g. a corrupt gzip); the manifest names them."""
    layer = Blob(image.layers[-1].media_type, data)
    doc = json.loads(image.manifest.data)
    doc["layers"][-1] = layer.descriptor()
    manifest = Blob(image.manifest.media_type, _json(doc))
    return Image(manifest, image.config, (*image.layers[:-1], layer), image.platform)
