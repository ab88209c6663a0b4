"""The dpkg and apk database parsers on real-format fixtures (tests/assets/packages)."""

from __future__ import annotations

from pathlib import Path

import pytest

from driftwatch.osinfo.apk import parse_installed
from driftwatch.osinfo.dpkg import installed_packages, library_paths, list_owner, stanzas
from driftwatch.osinfo.inventory import Inventory, Package, is_library_path

ASSETS = Path(__file__).parent.parent / "assets" / "packages"


def test_bookworm_status_from_a_real_database() -> None:
    packages = {p.name: p for p in installed_packages((ASSETS / "bookworm-status").read_text())}
    assert packages["libssl3"].version.endswith("~deb12u2")
    assert packages["libc6"].arch == "amd64" and packages["tzdata"].arch == "all"
    assert "libssl1.1" not in packages and len(packages) == 9


def test_bullseye_status_names_libssl1_1() -> None:
    packages = {p.name: p for p in installed_packages((ASSETS / "bullseye-status").read_text())}
    assert packages["libssl1.1"] == Package("libssl1.1", "1.1.1w-0+deb11u1", "amd64")


def test_removed_and_config_files_states_are_not_installed() -> None:
    text = (
        "Package: a\nStatus: install ok installed\nVersion: 1\n\n"
        "Package: b\nStatus: deinstall ok config-files\nVersion: 2\n\n"
        "Package: c\nStatus: purge ok not-installed\nVersion: 3\n\n"
        "Package: d\nVersion: 4\nDescription: distroless status.d\n continued\n"
    )
    assert [p.name for p in installed_packages(text)] == ["a", "d"]
    assert list(stanzas(text))[-1]["description"] == "distroless status.d\ncontinued"


def test_list_files_give_library_paths_only() -> None:
    text = (ASSETS / "bullseye-lists" / "libssl1.1:amd64.list").read_text()
    assert library_paths(text) == [
        "usr/lib/x86_64-linux-gnu/libcrypto.so.1.1",
        "usr/lib/x86_64-linux-gnu/libssl.so.1.1",
    ]
    assert list_owner("var/lib/dpkg/info/libssl1.1:amd64.list") == "libssl1.1"
    libc = library_paths((ASSETS / "bookworm-lists" / "libc6:amd64.list").read_text())
    assert "lib/x86_64-linux-gnu/libc.so.6" in libc


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("/usr/lib/x86_64-linux-gnu/libssl.so.1.1", True),
        ("lib/libz.so.1", True),
        ("usr/lib64/libfoo.so.2", True),
        ("usr/lib/aarch64-linux-gnu/libc.so.6", True),
        ("usr/lib/x86_64-linux-gnu/libssl.so", False),  # the dev symlink is not a soname
        ("usr/lib/python3/dist-packages/libx.so.1", False),
        ("usr/local/lib/libx.so.1", False),
        ("usr/lib/x86_64-linux-gnu/engines-3/afalg.so", False),
    ],
)
def test_library_paths(path: str, expected: bool) -> None:
    assert is_library_path(path) is expected


def test_apk_installed_database() -> None:
    packages, owned = parse_installed((ASSETS / "alpine-3.19-installed").read_text())
    assert Package("musl", "1.2.4_git20230717-r4", "x86_64") in packages
    assert ("lib/libssl.so.3", "libssl3") in owned
    assert ("lib/ld-musl-x86_64.so.1", "musl") not in owned  # ld-musl is no lib*.so.*


def test_inventory_round_trips_through_json() -> None:
    inventory = Inventory(
        "dpkg", (Package("a", "1", None),), ("lib/liba.so.1",), (("lib/liba.so.1", "a"),)
    )
    assert Inventory.from_json(inventory.to_json()) == inventory


def test_hostile_databases_never_raise() -> None:
    """Random bytes, cut stanzas and odd fields parse to something (or nothing), never an error."""
    import random

    rng = random.Random(17)
    real = (ASSETS / "bullseye-status").read_text() + (ASSETS / "alpine-3.19-installed").read_text()
    for _ in range(300):
        cut = rng.randrange(len(real))
        noise = bytes(rng.randrange(256) for _ in range(rng.randrange(200))).decode(
            "utf-8", "replace"
        )
        text = real[:cut] + noise + real[cut : cut + rng.randrange(500)]
        installed_packages(text)
        parse_installed(text)
        library_paths(text)
