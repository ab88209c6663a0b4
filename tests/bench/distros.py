"""Base-image filesystems for the bench: Debian and friends as real os-release layouts.

`debian_index("bookworm")` is a python:3.12-slim-like multi-arch index whose OS can only be
read from the layers (no hint), so OS detection is exercised end to end.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from tests.bench.images import Entry, Image, Index, Symlink, build_image, build_index

DEBIAN_VERSIONS = {"buster": "10", "bullseye": "11", "bookworm": "12", "trixie": "13"}


def debian_files(codename: str, point: str | None = None) -> dict[str, Entry]:
    """A Debian root: etc/os-release -> ../usr/lib/os-release, etc/debian_version."""
    version = DEBIAN_VERSIONS[codename]
    text = (
        f'PRETTY_NAME="Debian GNU/Linux {version} ({codename})"\nNAME="Debian GNU/Linux"\n'
        f'VERSION_ID="{version}"\nVERSION="{version} ({codename})"\n'
        f"VERSION_CODENAME={codename}\nID=debian\n"
    )
    return {
        "bin/sh": b"\x7fELF",
        "etc/debian_version": f"{point or version + '.1'}\n".encode(),
        "etc/os-release": Symlink("../usr/lib/os-release"),
        "usr/lib/os-release": text.encode(),
    }


def app_files(seed: str) -> dict[str, Entry]:
    """An application layer whose bytes differ with `seed` (a rebuild gives a new digest)."""
    return {"usr/local/bin/app": f"#!/bin/sh\necho {seed}\n".encode()}


def debian_image(
    codename: str,
    *,
    seed: str = "1",
    architecture: str = "amd64",
    variant: str | None = None,
    point: str | None = None,
    history: Sequence[Mapping[str, str]] | None = None,
) -> Image:
    """A two-layer Debian-based image for one platform."""
    return build_image(
        [debian_files(codename, point), app_files(f"{seed}-{architecture}")],
        architecture=architecture,
        variant=variant,
        history=history,
    )


def debian_index(codename: str, *, seed: str = "1", arm64_codename: str | None = None) -> Index:
    """An amd64 + arm64/v8 index; `arm64_codename` lets the platforms differ (mid-rollout)."""
    return build_index(
        [
            debian_image(codename, seed=seed),
            debian_image(arm64_codename or codename, seed=seed, architecture="arm64", variant="v8"),
        ]
    )
