"""Images with real-format package databases, for the "what broke" tests of issue 17.

`debian_pkg_index("bullseye")` is a python:3.12-slim-like index whose layers hold a dpkg database
(tests/assets/packages: a real bookworm status, bullseye stanzas in the same layout), the `.list`
files and the library files they name; `alpine_pkg_image("3.19")` holds an apk database;
`bare_image()` has an os-release and no database at all. `MemorySource` serves built images to
the osinfo readers without a registry.
"""

from __future__ import annotations

import contextlib
import hashlib
from collections.abc import AsyncIterator, Iterable
from pathlib import Path

from driftwatch.osinfo.dpkg import library_paths
from tests.testbed.distros import alpine_files, debian_files
from tests.testbed.images import (
    Entry,
    Image,
    Index,
    Symlink,
    Whiteout,
    build_image,
    build_index,
)

ASSETS = Path(__file__).parent.parent / "assets" / "packages"
MERGED_USR = frozenset({"bookworm", "trixie"})
_ARCH = {"amd64": "x86_64-linux-gnu", "arm64": "aarch64-linux-gnu"}


def dpkg_files(codename: str, architecture: str = "amd64") -> dict[str, Entry]:
    """One layer: the dpkg status, the `.list` files and every library they name."""
    status = (ASSETS / f"{codename}-status").read_text()
    files: dict[str, Entry] = {}
    merged = codename in MERGED_USR
    if merged:
        files |= {"lib": Symlink("usr/lib"), "lib64": Symlink("usr/lib64")}
    for listing in sorted((ASSETS / f"{codename}-lists").glob("*.list")):
        text = _for_arch(listing.read_text(), architecture)
        name = listing.name.replace(":amd64", f":{architecture}")
        files[f"var/lib/dpkg/info/{name}"] = text.encode()
        for path in library_paths(text):
            where = "usr/" + path if merged and path.startswith(("lib/", "lib64/")) else path
            files[where] = b"\x7fELF" + path.encode()
    files["var/lib/dpkg/status"] = _for_arch(status, architecture).encode()
    return files


def _for_arch(text: str, architecture: str) -> str:
    return text.replace("x86_64-linux-gnu", _ARCH[architecture]).replace(
        "Architecture: amd64", f"Architecture: {architecture}"
    )


def debian_pkg_image(
    codename: str,
    *,
    architecture: str = "amd64",
    seed: str = "1",
    extra: Iterable[dict[str, Entry]] = (),
) -> Image:
    """A Debian image: OS files and dpkg database below, a small app layer (by seed) on top."""
    base = debian_files(codename) | dpkg_files(codename, architecture)
    app: dict[str, Entry] = {"app/seed.txt": seed.encode()}
    variant = "v8" if architecture == "arm64" else None
    return build_image([base, *extra, app], architecture=architecture, variant=variant)


def debian_pkg_index(codename: str, *, seed: str = "1") -> Index:
    """linux/amd64 and linux/arm64 of one Debian release with package databases."""
    images = [
        debian_pkg_image(codename, architecture=arch, seed=seed) for arch in ("amd64", "arm64")
    ]
    return build_index(images)


def without_library(codename: str, path: str, *, seed: str = "w") -> Image:
    """The Debian image with an upper layer that whiteouts one library file."""
    return debian_pkg_image(codename, seed=seed, extra=[{path: Whiteout()}])


def alpine_pkg_image(version: str, *, seed: str = "1") -> Image:
    """An Alpine image with `lib/apk/db/installed` and the libraries it lists."""
    text = (ASSETS / f"alpine-{version}-installed").read_text()
    files: dict[str, Entry] = {
        **alpine_files(f"{version}.1"),
        "lib/apk/db/installed": text.encode(),
    }
    folder = ""
    for line in text.splitlines():
        if line.startswith("F:"):
            folder = line[2:]
        elif line.startswith("R:"):
            files[f"{folder}/{line[2:]}"] = b"\x7fELF"
    return build_image([files, {"app/seed.txt": seed.encode()}])


def bare_image(seed: str = "1") -> Image:
    """A Debian-like image whose package database was deleted (no dpkg, apk or rpm)."""
    return build_image([debian_files("bookworm"), {"app/seed.txt": seed.encode()}])


def rpm_image(seed: str = "1") -> Image:
    """An image with an rpm database (sqlite), which driftwatch does not read."""
    files: dict[str, Entry] = {
        "var/lib/rpm/rpmdb.sqlite": b"SQLite format 3\0",
        "etc/os-release": b'ID="rhel"\n',
    }
    return build_image([files, {"app/seed.txt": seed.encode()}])


class MemorySource:
    """A BlobSource over built images (verified like the registry client: by digest)."""

    def __init__(self, *items: Image | Index) -> None:
        self.manifests: dict[str, tuple[bytes, str]] = {}
        self.blobs: dict[str, bytes] = {}
        self.streamed = 0  # bytes handed out by stream_blob
        for item in items:
            images = item.images if isinstance(item, Index) else (item,)
            if isinstance(item, Index):
                self.manifests[item.digest] = (item.manifest.data, item.manifest.media_type)
            for image in images:
                self.manifests[image.digest] = (image.manifest.data, image.manifest.media_type)
                self.blobs[image.config.digest] = image.config.data
                self.blobs.update((layer.digest, layer.data) for layer in image.layers)

    async def get_manifest(self, digest: str) -> tuple[bytes, str]:
        return self.manifests[digest]

    async def get_blob(self, digest: str, max_bytes: int) -> bytes:
        return self.blobs[digest]

    @contextlib.asynccontextmanager
    async def _stream(self, digest: str) -> AsyncIterator[AsyncIterator[bytes]]:
        data = self.blobs[digest]
        assert "sha256:" + hashlib.sha256(data).hexdigest() == digest

        async def chunks() -> AsyncIterator[bytes]:
            for start in range(0, len(data), 65536):
                self.streamed += len(data[start : start + 65536])
                yield data[start : start + 65536]

        yield chunks()

    def stream_blob(
        self, digest: str
    ) -> contextlib.AbstractAsyncContextManager[AsyncIterator[bytes]]:
        return self._stream(digest)
