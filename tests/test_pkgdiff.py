"""The pure package diff and move classes on the real-format fixtures."""

from __future__ import annotations

from pathlib import Path

from driftwatch.osinfo.dpkg import installed_packages
from driftwatch.osinfo.inventory import Inventory, Package
from driftwatch.pkgdiff import Explanation, VersionChange, classify, diff_inventories

ASSETS = Path(__file__).parent / "assets" / "packages"


def _debian(codename: str, libraries: tuple[str, ...]) -> Inventory:
    packages = tuple(installed_packages((ASSETS / f"{codename}-status").read_text()))
    owners = tuple((path, "libssl1.1") for path in libraries if "so.1.1" in path)
    return Inventory("dpkg", packages, libraries, owners)


OLD_LIBS = (
    "usr/lib/x86_64-linux-gnu/libssl.so.1.1",
    "usr/lib/x86_64-linux-gnu/libcrypto.so.1.1",
    "lib/x86_64-linux-gnu/libc.so.6",
)
NEW_LIBS = ("usr/lib/x86_64-linux-gnu/libssl.so.3", "usr/lib/x86_64-linux-gnu/libc.so.6")


def test_bullseye_to_bookworm() -> None:
    diff = diff_inventories(_debian("bullseye", OLD_LIBS), _debian("bookworm", NEW_LIBS))
    assert diff.libraries_gone == (
        ("libcrypto.so.1.1", "libssl1.1"),
        ("libssl.so.1.1", "libssl1.1"),
    )
    assert [p.name for p in diff.removed] == ["libffi7", "libssl1.1"]
    assert [p.name for p in diff.added] == ["libffi8", "libssl3"]
    upgraded = {c.name: c for c in diff.upgraded}
    assert upgraded["zlib1g"] == VersionChange(
        "zlib1g", "1:1.2.11.dfsg-2+deb11u2", "1:1.2.13.dfsg-1"
    )
    assert "libc6" in upgraded and not diff.downgraded
    assert diff.to_json()["libraries_removed"][1] == {
        "soname": "libssl.so.1.1",
        "package": "libssl1.1",
    }


def test_downgrade_and_tilde() -> None:
    old = Inventory("dpkg", (Package("libssl3", "3.0.11-1", "amd64"),))
    new = Inventory("dpkg", (Package("libssl3", "3.0.11-1~deb12u2", "amd64"),))
    diff = diff_inventories(old, new)
    assert [c.name for c in diff.downgraded] == ["libssl3"] and not diff.upgraded


def test_apk_upgrade_uses_apk_order() -> None:
    old = Inventory("apk", (Package("musl", "1.2.4-r2", "x86_64"),))
    new = Inventory("apk", (Package("musl", "1.2.4_git20230717-r4", "x86_64"),))
    assert [c.name for c in diff_inventories(old, new).upgraded] == ["musl"]


def test_unreadable_side_is_unknown_never_empty() -> None:
    old = Inventory("dpkg", (Package("a", "1"),), ("lib/liba.so.1",))
    new = Inventory(None, (), (), problem="no package database in the image")
    diff = diff_inventories(old, new)
    assert diff.problem == "new image: no package database in the image"
    assert not diff.empty and diff.libraries_gone == (("liba.so.1", None),)
    unread = Inventory(None, problem="package database not read: byte bound", scanned=False)
    assert diff_inventories(old, unread).libraries_gone == ()


def test_same_inventory_is_empty() -> None:
    inventory = _debian("bookworm", NEW_LIBS)
    assert diff_inventories(inventory, inventory).empty


def test_move_classes() -> None:
    assert classify("os-release", False) == "os-release"
    assert classify("os-point-release", False) == "os-point-release"
    assert classify("platform-added", None) == "platform-only"
    assert classify("digest", True) == "metadata-only"
    assert classify("digest", False) == "packages"
    assert classify("tag-vanished", None) is None
    assert not Explanation("metadata-only").removes_library


def test_explain_off_in_the_config_classifies_without_reading(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from datetime import datetime, timezone

    from driftwatch.config import load_config
    from driftwatch.models import Drift, DriftKind, Platform, PlatformImage
    from driftwatch.reference import parse_reference
    from driftwatch.usecases.changes import explain_drifts

    file = tmp_path / "driftwatch.toml"
    file.write_text('explain = "off"\n[registries."docker.io"]\nendpoint = "http://127.0.0.1:9"\n')
    config = load_config(file)
    assert config.explain == "off"
    ref = parse_reference("python:3.12-slim")
    amd64 = Platform("linux", "amd64")
    old = PlatformImage(amd64, "sha256:" + "a" * 64, "m")
    new = PlatformImage(amd64, "sha256:" + "b" * 64, "m")
    when = datetime(2023, 6, 13, tzinfo=timezone.utc)
    drifts = {
        ref: (
            Drift(DriftKind.OS_RELEASE, ref, "linux/amd64", old, new, when),
            Drift(DriftKind.DIGEST, ref, "linux/amd64", old, new, when),
            Drift(DriftKind.PLATFORM_ADDED, ref, "linux/arm64/v8", None, new, when),
        )
    }
    found = explain_drifts(drifts, config)  # port 9 would refuse: nothing is read
    moves = [d.explanation.move if d.explanation else None for d in found[ref]]
    assert moves == ["os-release", None, "platform-only"]
    assert all(d.explanation is None or d.explanation.diff is None for d in found[ref])


def test_a_rebuilt_soname_is_not_gone_and_a_family_is_said_once() -> None:
    def libs(*names: str) -> Inventory:
        return Inventory("dpkg", (), tuple(f"usr/lib/x86_64-linux-gnu/{n}" for n in names))

    old = libs("libz.so.1", "libz.so.1.2.11", "libffi.so.7", "libffi.so.7.1.0", "libssl.so.1.0.2")
    new = libs("libz.so.1", "libz.so.1.2.13", "libffi.so.8", "libffi.so.8.1.2", "libssl.so.1.1")
    gone = [name for name, _ in diff_inventories(old, new).libraries_gone]
    assert gone == ["libffi.so.7", "libssl.so.1.0.2"]  # 1.0.2 -> 1.1 is an ABI break
