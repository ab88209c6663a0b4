"""Overlay resolution across layers: symlinks (also in parent directories), whiteouts, loops."""

from __future__ import annotations

import pytest

from driftwatch.osinfo.layers import NeedMore, settle
from driftwatch.osinfo.tarscan import LayerFacts, TarScanner
from tests.testbed.images import Member, directory, file, opaque, symlink, tar_bytes, whiteout

DEBIAN = 'ID=debian\nVERSION_ID="12"\nVERSION_CODENAME=bookworm\n'
ALPINE = "ID=alpine\nVERSION_ID=3.20.1\n"


def facts(*entries: Member) -> LayerFacts:
    scanner = TarScanner("t")
    scanner.feed(tar_bytes(entries))
    return scanner.finish()


def test_absolute_symlink_resolved_in_a_lower_layer() -> None:
    top = facts(symlink("etc/os-release", "/usr/lib/os-release"))
    bottom = facts(file("usr/lib/os-release", DEBIAN), file("etc/debian_version", "12.7"))
    with pytest.raises(NeedMore):
        settle([top], complete=False)
    release = settle([top, bottom], complete=True)
    assert (release.codename, release.point_release) == ("bookworm", "12.7")


def test_symlinked_parent_directory() -> None:
    layer = facts(
        symlink("etc", "usr/etc"),
        file("usr/etc/os-release", ALPINE),
        file("usr/etc/alpine-release", "3.20.1"),
    )
    release = settle([layer], complete=True)
    assert (release.id, release.point_release) == ("alpine", "3.20.1")


def test_symlink_loop_and_dangling_link_are_unknown() -> None:
    loop = facts(symlink("etc/os-release", "os-release2"), symlink("etc/os-release2", "os-release"))
    assert settle([loop], complete=True).id is None
    dangling = facts(directory("usr/lib"), symlink("etc/os-release", "../usr/lib/os-release"))
    assert settle([dangling], complete=True).id is None


def test_etc_os_release_wins_and_the_two_are_never_merged() -> None:
    layer = facts(file("etc/os-release", "ID=debian\n"), file("usr/lib/os-release", DEBIAN))
    release = settle([layer], complete=True)
    assert (release.id, release.version_id, release.source) == (
        "debian",
        None,
        "layer:etc/os-release",
    )


def test_whiteout_of_a_parent_directory_hides_everything_below() -> None:
    top = facts(whiteout("usr"), file("etc/hostname", "x"))
    bottom = facts(
        symlink("etc/os-release", "../usr/lib/os-release"), file("usr/lib/os-release", DEBIAN)
    )
    assert settle([top, bottom], complete=True).id is None


def test_opaque_directory_keeps_its_own_layer_content() -> None:
    top = facts(opaque("etc"), file("etc/os-release", ALPINE))
    bottom = facts(file("etc/os-release", DEBIAN), file("etc/alpine-release", "3.18.0"))
    release = settle([top, bottom], complete=False)  # settled without reading further
    assert (release.id, release.point_release) == (
        "alpine",
        "3.20.1",
    )  # lower alpine-release hidden


def test_point_release_file_in_a_lower_layer_needs_that_layer() -> None:
    top = facts(file("etc/os-release", DEBIAN))
    with pytest.raises(NeedMore):
        settle([top], complete=False)
    assert settle([top], complete=True).point_release is None


def test_opaque_marker_alone_makes_its_directory_exist() -> None:
    scanner = TarScanner("t")
    scanner.feed(tar_bytes([opaque("etc")]))
    top = scanner.finish()
    assert top.opaque == ("etc",)
    assert settle([top, facts(file("etc/os-release", DEBIAN))], complete=True).id is None
