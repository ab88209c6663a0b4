"""Base-image filesystems for the bench: Debian, Ubuntu, Alpine, distroless, UBI, Amazon Linux, Wolfi.

Each `*_files()` is one layer's content (`{path: bytes | Symlink}`) with the real os-release layout
of that distribution. `debian_index("bookworm")` is a python:3.12-slim-like multi-arch index whose
OS can only be read from the layers (no hint), so OS detection is exercised end to end.
`debian()`, `alpine()`, ... give the same layouts as tar member lists (tests/testbed/images.py),
for the tar scanner's and OS detection's tests, which cut and splice layers.
"""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence

from tests.testbed.images import (
    Entry,
    Image,
    Index,
    Member,
    Symlink,
    build_image,
    build_index,
    file,
    members,
)

DEBIAN_VERSIONS = {"buster": "10", "bullseye": "11", "bookworm": "12", "trixie": "13"}
_LINK = {"etc/os-release": Symlink("../usr/lib/os-release")}


def os_release(**fields: str) -> bytes:
    """An os-release file with every value quoted."""
    return "".join(f'{key}="{value}"\n' for key, value in fields.items()).encode()


def debian_files(codename: str, point: str | None = None, *, link: bool = True) -> dict[str, Entry]:
    """A Debian root: etc/os-release -> ../usr/lib/os-release (or a copy), etc/debian_version."""
    version = DEBIAN_VERSIONS[codename]
    text = os_release(
        PRETTY_NAME=f"Debian GNU/Linux {version} ({codename})",
        NAME="Debian GNU/Linux",
        VERSION_ID=version,
        VERSION=f"{version} ({codename})",
        VERSION_CODENAME=codename,
        ID="debian",
    )
    return {
        "bin/sh": b"\x7fELF",
        "etc/debian_version": f"{point or version + '.1'}\n".encode(),
        "etc/os-release": _LINK["etc/os-release"] if link else text,
        "usr/lib/os-release": text,
    }


def debian_testing_files(codename: str = "forky") -> dict[str, Entry]:
    """Debian testing/sid: no VERSION_ID, `forky/sid` in etc/debian_version."""
    text = os_release(
        PRETTY_NAME=f"Debian GNU/Linux {codename}/sid",
        NAME="Debian GNU/Linux",
        VERSION_CODENAME=codename,
        ID="debian",
    )
    return {"etc/debian_version": f"{codename}/sid\n".encode(), **_LINK, "usr/lib/os-release": text}


def ubuntu_files(
    version: str = "24.04", codename: str = "noble", point: str = "24.04.1"
) -> dict[str, Entry]:
    """Ubuntu: the point release sits in VERSION; etc/debian_version names a Debian testing."""
    text = os_release(
        PRETTY_NAME=f"Ubuntu {point} LTS",
        NAME="Ubuntu",
        VERSION_ID=version,
        VERSION=f"{point} LTS ({codename.title()} Numbat)",
        VERSION_CODENAME=codename,
        ID="ubuntu",
        ID_LIKE="debian",
        UBUNTU_CODENAME=codename,
    )
    return {**_LINK, "usr/lib/os-release": text, "etc/debian_version": b"trixie/sid\n"}


def alpine_files(version: str = "3.19.1") -> dict[str, Entry]:
    """Alpine: unquoted VERSION_ID with the point release, no codename, etc/alpine-release."""
    text = (
        f'NAME="Alpine Linux"\nID=alpine\nVERSION_ID={version}\n'
        f'PRETTY_NAME="Alpine Linux v{version[:4]}"\n'
    )
    return {
        "etc/alpine-release": f"{version}\n".encode(),
        **_LINK,
        "usr/lib/os-release": text.encode(),
    }


def distroless_files(
    version: str = "12", codename: str = "bookworm", point: str = "12.5"
) -> dict[str, Entry]:
    """Google distroless: Debian without VERSION_CODENAME, the codename only inside VERSION."""
    text = os_release(
        PRETTY_NAME="Distroless",
        NAME="Debian GNU/Linux",
        ID="debian",
        VERSION_ID=version,
        VERSION=f"Debian GNU/Linux {version} ({codename})",
        HOME_URL="https://github.com/GoogleContainerTools/distroless",
    )
    return {"etc/os-release": text, "etc/debian_version": f"{point}\n".encode()}


def ubi_files(version: str = "9.4") -> dict[str, Entry]:
    """Red Hat UBI: ID=rhel, VERSION_ID major.minor, etc/redhat-release."""
    text = os_release(
        NAME="Red Hat Enterprise Linux",
        VERSION=f"{version} (Plow)",
        ID="rhel",
        ID_LIKE="fedora",
        VERSION_ID=version,
        PRETTY_NAME=f"Red Hat Enterprise Linux {version} (Plow)",
    )
    release = f"Red Hat Enterprise Linux release {version} (Plow)\n".encode()
    return {**_LINK, "usr/lib/os-release": text, "etc/redhat-release": release}


def amazonlinux_files(point: str = "2023.4.20240401") -> dict[str, Entry]:
    """Amazon Linux 2023: ID=amzn, the point release in etc/system-release."""
    text = os_release(
        NAME="Amazon Linux",
        VERSION="2023",
        ID="amzn",
        ID_LIKE="fedora",
        VERSION_ID="2023",
        PRETTY_NAME=f"Amazon Linux {point}",
    )
    release = f"Amazon Linux release {point} (Amazon Linux)\n".encode()
    return {**_LINK, "usr/lib/os-release": text, "etc/system-release": release}


def wolfi_files() -> dict[str, Entry]:
    """Wolfi: rolling, with a date-like VERSION_ID that is not a release."""
    text = (
        'ID=wolfi\nNAME="Wolfi"\nPRETTY_NAME="Wolfi"\nVERSION_ID="20230201"\n'
        'HOME_URL="https://wolfi.dev"\n'
    )
    return {"etc/os-release": text.encode()}


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


# ---- the same layouts as tar member lists ---------------------------------------------------


def debian(
    version: str = "12", codename: str = "bookworm", point: str = "12.4", *, link: bool = True
) -> list[Member]:
    """A Debian base layer; `etc/os-release` is a symlink to `../usr/lib/os-release` by default."""
    assert DEBIAN_VERSIONS[codename] == version, (version, codename)
    return members(debian_files(codename, point, link=link))


def debian_testing(codename: str = "forky") -> list[Member]:
    return members(debian_testing_files(codename))


def ubuntu(version: str = "24.04", codename: str = "noble", point: str = "24.04.1") -> list[Member]:
    return members(ubuntu_files(version, codename, point))


def alpine(version: str = "3.19.1") -> list[Member]:
    return members(alpine_files(version))


def distroless(
    version: str = "12", codename: str = "bookworm", point: str = "12.5"
) -> list[Member]:
    return members(distroless_files(version, codename, point))


def ubi(version: str = "9.4") -> list[Member]:
    return members(ubi_files(version))


def amazonlinux(point: str = "2023.4.20240401") -> list[Member]:
    return members(amazonlinux_files(point))


def wolfi() -> list[Member]:
    return members(wolfi_files())


def app_layer(name: str = "app/main.py", size: int = 1000, seed: int = 0) -> list[Member]:
    """An application layer of incompressible (seeded pseudo-random) bytes."""
    return [file(name, random.Random(seed).randbytes(size))]
