"""The package inventory read from real layers: dpkg, distroless status.d, apk, rpm, none."""

from __future__ import annotations

import asyncio

from driftwatch.cache import MemoryValues
from driftwatch.osinfo.inventory import Inventory
from driftwatch.osinfo.packages import read_inventory
from tests.testbed.images import build_image
from tests.testbed.pkgimages import (
    MemorySource,
    alpine_pkg_image,
    bare_image,
    debian_pkg_image,
    dpkg_files,
    rpm_image,
    without_library,
)


def read(image, cache=None) -> Inventory:  # type: ignore[no-untyped-def]
    return asyncio.run(read_inventory(MemorySource(image), image.digest, cache=cache))


def test_bullseye_inventory_names_libssl1_1_and_its_library() -> None:
    inventory = read(debian_pkg_image("bullseye"))
    assert inventory.readable and inventory.manager == "dpkg"
    names = {p.name: p.version for p in inventory.packages}
    assert names["libssl1.1"] == "1.1.1w-0+deb11u1"
    assert "usr/lib/x86_64-linux-gnu/libssl.so.1.1" in inventory.libraries
    assert ("usr/lib/x86_64-linux-gnu/libssl.so.1.1", "libssl1.1") in inventory.owners


def test_bookworm_merged_usr_libraries_live_under_usr_lib() -> None:
    inventory = read(debian_pkg_image("bookworm"))
    assert "usr/lib/x86_64-linux-gnu/libssl.so.3" in inventory.libraries
    assert not any("so.1.1" in path for path in inventory.libraries)


def test_whiteout_in_an_upper_layer_removes_the_library() -> None:
    path = "usr/lib/x86_64-linux-gnu/libssl.so.1.1"
    inventory = read(without_library("bullseye", path))
    assert path not in inventory.libraries
    assert "usr/lib/x86_64-linux-gnu/libcrypto.so.1.1" in inventory.libraries


def test_distroless_status_d_files() -> None:
    stanza = b"Package: libssl3\nVersion: 3.0.11-1~deb12u2\nArchitecture: amd64\n"
    image = build_image(
        [
            {
                "var/lib/dpkg/status.d/libssl3": stanza,
                "var/lib/dpkg/status.d/libssl3.md5sums": b"0123  usr/lib/x\n",
                "usr/lib/x86_64-linux-gnu/libssl.so.3": b"\x7fELF",
            }
        ]
    )
    inventory = read(image)
    assert [(p.name, p.version) for p in inventory.packages] == [("libssl3", "3.0.11-1~deb12u2")]


def test_apk_database() -> None:
    inventory = read(alpine_pkg_image("3.19"))
    assert inventory.manager == "apk"
    assert {p.name for p in inventory.packages} == {"musl", "libcrypto3", "libssl3", "zlib"}
    assert "lib/libssl.so.3" in inventory.libraries


def test_no_database_and_rpm_are_problems_never_empty() -> None:
    bare = read(bare_image())
    assert not bare.readable and bare.problem == "no package database in the image"
    rpm = read(rpm_image())
    assert rpm.problem == "package database not readable: rpm"


def test_byte_bound_is_a_problem() -> None:
    image = debian_pkg_image("bookworm")
    got = asyncio.run(read_inventory(MemorySource(image), image.digest, max_bytes=100))
    assert got.problem is not None and "byte bound" in got.problem


def test_cached_by_manifest_digest() -> None:
    image, cache = debian_pkg_image("bullseye"), MemoryValues()
    first = read(image, cache)
    source = MemorySource(image)
    again = asyncio.run(read_inventory(source, image.digest, cache=cache))
    assert again == first and source.streamed == 0


def test_alpine_3_18_to_3_19_pair_diff() -> None:
    from driftwatch.config import Config
    from driftwatch.usecases.changes import explain_pair

    old, new = alpine_pkg_image("3.18"), alpine_pkg_image("3.19")
    source = MemorySource(old, new)
    found = asyncio.run(explain_pair(source, "digest", old.digest, new.digest, Config(), None))
    assert found.move == "packages" and found.diff is not None
    diff = found.diff
    assert [p.name for p in diff.removed] == ["libffi"]
    assert {c.name for c in diff.upgraded} == {"musl", "libcrypto3", "libssl3", "zlib"}
    assert ("libffi.so.8", "libffi") in diff.libraries_gone
    assert "libssl.so.3" not in {name for name, _ in diff.libraries_gone}  # moved to /lib


def test_same_layers_pair_is_metadata_only_and_reads_no_layer() -> None:
    from driftwatch.config import Config
    from driftwatch.usecases.changes import explain_pair

    files = dpkg_files("bookworm")
    first, second = build_image([files], labels={"b": "1"}), build_image([files], labels={"b": "2"})
    source = MemorySource(first, second)
    found = asyncio.run(explain_pair(source, "digest", first.digest, second.digest, Config(), None))
    assert found.move == "metadata-only" and found.diff is None and source.streamed == 0


def test_an_oversized_database_file_is_refused_not_truncated(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from driftwatch.osinfo import pkgscan

    monkeypatch.setattr(pkgscan, "MAX_DB_FILE", 100)
    inventory = read(debian_pkg_image("bullseye"))
    assert inventory.problem is not None and "larger than the bound" in inventory.problem
    assert not inventory.scanned


def test_a_database_replaced_by_a_link_in_an_upper_layer_is_unread_not_the_lower_copy() -> None:
    from tests.testbed.images import Symlink

    image = debian_pkg_image(
        "bullseye", seed="link", extra=[{"var/lib/dpkg/status": Symlink("/elsewhere/status")}]
    )
    inventory = read(image)
    assert not inventory.readable and inventory.packages == ()
    assert inventory.problem is not None and "var/lib/dpkg/status is a link" in inventory.problem
