"""detect_os / detect_platforms on real image bytes served by an in-memory, digest-checking source."""

from __future__ import annotations

import asyncio
import gzip

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from driftwatch.cache import MemoryValues
from driftwatch.errors import ConfigError, DigestMismatch, OsDetectionError
from driftwatch.models import OsRelease
from driftwatch.osinfo import detect_os, detect_platforms
from tests.testbed.distros import (
    alpine,
    amazonlinux,
    app_layer,
    debian,
    debian_testing,
    distroless,
    os_release,
    ubi,
    ubuntu,
    wolfi,
)
from tests.testbed.images import (
    LAYER_TYPES,
    compress,
    file,
    image_blobs,
    opaque,
    tar_bytes,
    whiteout,
)
from tests.testbed.memory import ImageStore, MemorySource

DEBIAN_SH = "# debian.sh --arch 'amd64' out/ '{suite}' '@{epoch}'"
BOOKWORM_EPOCH = 1749513600  # 2025-06-10: bookworm is stable
TRIXIE_EPOCH = 1757000000  # 2025-09-04: trixie is stable


def detect(store: ImageStore, digest: str, **options: object) -> tuple[OsRelease, MemorySource]:
    source = MemorySource(store)
    return asyncio.run(detect_os(source, digest, **options)), source  # type: ignore[arg-type]


def test_debian_symlinked_os_release_with_point_release_upgrade_in_upper_layer() -> None:
    store = ImageStore()
    upgraded = debian(point="12.5")[-1:] + [file("etc/debian_version", "12.5\n")]
    digest = store.add_image([debian(point="12.4"), upgraded, app_layer()])
    release, source = detect(store, digest)
    assert (release.id, release.version_id, release.codename) == ("debian", "12", "bookworm")
    assert release.point_release == "12.5"
    assert release.source == "layer:etc/os-release"
    assert (
        len(source.blob_requests()) == 4
    )  # config, then app, upgrade and base layers (symlink lives in base)


def test_stops_at_the_first_layer_that_settles_it() -> None:
    store = ImageStore()
    digest = store.add_image([app_layer("opt/a"), debian(link=False), app_layer()])
    release, source = detect(store, digest)
    assert release.codename == "bookworm"
    assert [kind for kind, _ in source.blob_requests()] == ["blob", "stream", "stream"]


def test_top_layer_whiting_out_os_release_falls_back_to_usr_lib() -> None:
    store = ImageStore()
    changed = os_release(ID="debian", VERSION_ID="11", VERSION_CODENAME="bullseye")
    base = [
        file(
            "etc/os-release", os_release(ID="debian", VERSION_ID="12", VERSION_CODENAME="bookworm")
        ),
        file("usr/lib/os-release", changed),
    ]
    digest = store.add_image([base, [whiteout("etc/os-release")]])
    release, _ = detect(store, digest)
    assert release.codename == "bullseye"
    assert release.source == "layer:usr/lib/os-release"


def test_whiteout_of_both_files_is_scratch_like_unknown() -> None:
    store = ImageStore()
    digest = store.add_image(
        [debian(), [whiteout("etc/os-release"), whiteout("usr/lib/os-release")]]
    )
    release, _ = detect(store, digest)
    assert release.id is None and release.undetermined is None


def test_opaque_etc_hides_lower_layers() -> None:
    store = ImageStore()
    digest = store.add_image(
        [debian(link=False), alpine(), [opaque("etc"), file("etc/hostname", "x")]]
    )
    release, _ = detect(store, digest)
    # etc/ from below is hidden, so etc/os-release is gone; usr/lib/os-release is alpine's.
    assert (release.id, release.version_id, release.source) == (
        "alpine",
        "3.19.1",
        "layer:usr/lib/os-release",
    )
    assert (
        release.point_release == "3.19.1"
    )  # etc/alpine-release is hidden: falls back to VERSION_ID


@pytest.mark.parametrize(
    ("style", "codec"), [("oci", "zstd"), ("oci", "none"), ("docker", "gzip"), ("docker", "none")]
)
def test_layer_compressions_and_media_types(style: str, codec: str) -> None:
    store = ImageStore()
    digest = store.add_image([debian(), app_layer()], style=style, codec=codec)
    release, _ = detect(store, digest)
    assert (release.codename, release.point_release) == ("bookworm", "12.4")


@pytest.mark.parametrize(
    ("entries", "expected"),
    [
        (ubuntu(), ("ubuntu", "24.04", "noble", "24.04.1")),
        (alpine("3.20.3"), ("alpine", "3.20.3", None, "3.20.3")),
        (distroless(), ("debian", "12", "bookworm", "12.5")),
        (ubi("9.4"), ("rhel", "9.4", None, "9.4")),
        (amazonlinux(), ("amzn", "2023", None, "2023.4.20240401")),
        (wolfi(), ("wolfi", "rolling", None, "20230201")),
        (debian_testing("forky"), ("debian", None, "forky", None)),
    ],
)
def test_distributions(entries: list, expected: tuple) -> None:
    store = ImageStore()
    digest = store.add_image([entries, app_layer()])
    release, _ = detect(store, digest)
    assert (release.id, release.version_id, release.codename, release.point_release) == expected


def test_scratch_image_is_unknown_not_an_error() -> None:
    store = ImageStore()
    digest = store.add_image([[file("hello", b"\x7fELF")]])
    release, _ = detect(store, digest)
    assert release.id is None and release.undetermined is None and release.source == "layers"
    empty, _ = detect(store, store.add_image([]))
    assert empty.id is None and empty.undetermined is None


def test_annotation_hint_costs_no_blob_in_fast_mode() -> None:
    store = ImageStore()
    digest = store.add_image(
        [debian()], annotations={"org.opencontainers.image.base.name": "debian:bookworm-slim"}
    )
    release, source = detect(store, digest)
    assert (release.codename, release.source) == ("bookworm", "annotation")
    assert source.blob_requests() == []


def test_history_hint_costs_only_the_config_blob() -> None:
    store = ImageStore()
    digest = store.add_image(
        [debian()], history=[DEBIAN_SH.format(suite="stable", epoch=BOOKWORM_EPOCH)]
    )
    release, source = detect(store, digest)
    assert (release.version_id, release.codename, release.source) == (
        "12",
        "bookworm",
        "config-history",
    )
    assert [kind for kind, _ in source.blob_requests()] == ["blob"]


def test_stable_alias_maps_to_the_release_in_force_at_the_epoch() -> None:
    store = ImageStore()
    digest = store.add_image(
        [debian("13", "trixie", "13.1")],
        history=[DEBIAN_SH.format(suite="stable", epoch=TRIXIE_EPOCH)],
    )
    release, _ = detect(store, digest)
    assert (release.version_id, release.codename) == ("13", "trixie")


def test_full_mode_reports_a_history_line_that_lies() -> None:
    store = ImageStore()
    lie = DEBIAN_SH.format(suite="bullseye", epoch=BOOKWORM_EPOCH)
    digest = store.add_image([debian(), app_layer()], history=[lie])
    fast, _ = detect(store, digest, mode="fast")
    full, _ = detect(store, digest, mode="full")
    assert fast.codename == "bullseye"
    assert (full.codename, full.source) == ("bookworm", "layer:etc/os-release")
    assert (
        full.disagreement
        == "config-history says debian bullseye, the filesystem shows debian bookworm"
    )


def test_full_mode_agreeing_hint_has_no_disagreement() -> None:
    store = ImageStore()
    digest = store.add_image(
        [debian()],
        history=[DEBIAN_SH.format(suite="bookworm", epoch=BOOKWORM_EPOCH)],
        annotations={"org.opencontainers.image.version": "bookworm"},
    )
    full, _ = detect(store, digest, mode="full")
    assert full.codename == "bookworm" and full.disagreement is None


def test_off_mode_makes_no_request() -> None:
    store = ImageStore()
    release, source = detect(store, store.add_image([debian()]), mode="off")
    assert release.id is None and release.source == "off" and source.requests == []


def test_unknown_mode_is_a_config_error() -> None:
    store = ImageStore()
    with pytest.raises(ConfigError):
        detect(store, store.add_image([debian()]), mode="quick")


def test_index_with_platforms_on_different_releases_and_an_attestation() -> None:
    store = ImageStore()
    amd64 = store.add_image([debian("13", "trixie", "13.1")], platform=("linux", "amd64"))
    arm64 = store.add_image([debian()], platform=("linux", "arm64"))
    index = store.add_index(
        [(amd64, "linux/amd64", {}), (arm64, "linux/arm64", {})], attestation=True
    )
    images = asyncio.run(detect_platforms(MemorySource(store), index))
    found = {str(image.platform): image.os.codename if image.os else None for image in images}
    assert found == {"linux/amd64": "trixie", "linux/arm64": "bookworm"}
    assert {image.digest for image in images} == {amd64, arm64}


def test_index_entry_annotations_are_hints_per_platform() -> None:
    store = ImageStore()
    amd64 = store.add_image([debian("13", "trixie", "13.1")])
    arm64 = store.add_image([debian()], platform=("linux", "arm64"))
    index = store.add_index(
        [
            (amd64, "linux/amd64", {"org.opencontainers.image.version": "trixie"}),
            (arm64, "linux/arm64", {"org.opencontainers.image.version": "bookworm"}),
        ],
        style="docker",
    )
    source = MemorySource(store)
    images = asyncio.run(detect_platforms(source, index))
    assert [image.os.source for image in images if image.os] == ["annotation", "annotation"]
    assert [image.os.codename for image in images if image.os] == ["trixie", "bookworm"]
    assert source.blob_requests() == []


def test_corrupt_gzip_layer_is_a_clear_error_and_nothing_is_cached() -> None:
    store = ImageStore()
    good = gzip.compress(tar_bytes(debian()), mtime=0)
    bad = good[:40] + bytes(b ^ 0x5A for b in good[40:80]) + good[80:]
    layer = store.add_blob(bad, "application/vnd.oci.image.layer.v1.tar+gzip")
    digest = store.add_image([layer])
    cache = MemoryValues()
    with pytest.raises(OsDetectionError, match="not valid gzip|truncated|not a valid tar"):
        detect(store, digest, cache=cache)
    assert not [kind for kind, _ in cache.data if kind in ("os-layer", "os-manifest-fast")]


def test_layer_not_matching_its_digest_is_an_error_and_nothing_is_cached() -> None:
    store = ImageStore()
    base = store.add_layer(debian())
    digest = store.add_image([base, app_layer()])
    bottom = base["digest"]  # the source now serves other bytes under this digest
    store.blobs[bottom] = gzip.compress(tar_bytes(debian("11", "bullseye", "11.9")), mtime=0)
    cache = MemoryValues()
    with pytest.raises(DigestMismatch):
        detect(store, digest, cache=cache)
    assert ("os-layer", bottom) not in cache.data
    assert not [kind for kind, _ in cache.data if kind.startswith("os-manifest")]


def test_byte_bound_gives_undetermined_not_a_guess() -> None:
    store = ImageStore()
    digest = store.add_image([debian(), app_layer(size=200_000)])
    release, source = detect(store, digest, max_bytes=20_000)
    assert release.id is None
    assert release.undetermined and "byte bound of 20000" in release.undetermined
    assert all(kind != "stream" for kind, _ in source.requests)  # refused before downloading


def test_time_bound_gives_undetermined() -> None:
    store = ImageStore()
    digest = store.add_image([debian(), app_layer()])
    release, _ = detect(store, digest, max_seconds=0.0)
    assert release.id is None and release.undetermined and "time bound" in release.undetermined


def test_foreign_media_type_is_undetermined() -> None:
    store = ImageStore()
    layer = store.add_blob(
        b"apiVersion: v2\n", "application/vnd.cncf.helm.chart.content.v1.tar+gzip"
    )
    other = store.add_blob(b"{}", "application/vnd.example.artifact")
    release, _ = detect(store, store.add_image([layer, other]))
    assert release.id is None and release.undetermined and "not readable" in release.undetermined


@pytest.mark.parametrize(
    "media_type",
    [
        "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip",  # Docker, Windows base layers
        "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip",  # OCI image-spec layer.md
        "application/vnd.oci.image.layer.v1.tar+gzip+encrypted",  # containers/ocicrypt
    ],
)
def test_layers_the_registry_need_not_serve_are_undetermined_unread(media_type: str) -> None:
    """Foreign/non-distributable layers live at their `urls`, not in the registry; encrypted
    layers (ocicrypt) cannot be read without the key: neither is fetched."""
    store = ImageStore()
    layer = store.add_blob(b"Files/Windows/System32/x", media_type)
    release, source = detect(store, store.add_image([layer]))
    assert release.id is None and release.undetermined and "not readable" in release.undetermined
    assert all(kind != "stream" for kind, _ in source.requests)


def test_full_mode_hint_on_an_image_without_os_release() -> None:
    store = ImageStore()
    digest = store.add_image(
        [app_layer()], annotations={"org.opencontainers.image.base.name": "debian:bookworm"}
    )
    full, _ = detect(store, digest, mode="full")
    assert full.id is None
    assert (
        full.disagreement == "annotation says debian bookworm, the filesystem shows no os-release"
    )


def test_detect_platforms_on_a_single_manifest() -> None:
    store = ImageStore()
    digest = store.add_image([alpine()], style="docker")
    (image,) = asyncio.run(detect_platforms(MemorySource(store), digest))
    assert image.platform is None and image.digest == digest and image.os is not None
    assert image.os.describe() == "Alpine 3.19.1"


def test_full_mode_sid_image_showing_the_testing_codename_agrees() -> None:
    store = ImageStore()
    digest = store.add_image(
        [debian_testing("forky")], history=[DEBIAN_SH.format(suite="unstable", epoch=TRIXIE_EPOCH)]
    )
    full, _ = detect(store, digest, mode="full")
    assert (full.codename, full.version_id, full.disagreement) == ("forky", None, None)
    stable_hint = store.add_image(
        [debian_testing("forky")], history=[DEBIAN_SH.format(suite="stable", epoch=TRIXIE_EPOCH)]
    )
    lied, _ = detect(store, stable_hint, mode="full")
    assert (
        lied.disagreement == "config-history says debian trixie, the filesystem shows debian forky"
    )


@settings(max_examples=60, deadline=None)
@given(
    codec=st.sampled_from(["gzip", "zstd", "none"]),
    at=st.integers(0, 3000),
    noise=st.binary(min_size=1, max_size=64),
)
def test_damaged_layers_give_our_error_or_an_answer(codec: str, at: int, noise: bytes) -> None:
    store = ImageStore()
    blob = compress(tar_bytes(debian()), codec)
    damaged = blob[:at] + noise + blob[at + len(noise) :]
    layer = store.add_blob(damaged, LAYER_TYPES[(True, codec)])  # stored under its own (new) digest
    digest = store.add_image([layer])
    try:
        release, _ = detect(store, digest)
    except OsDetectionError as exc:
        assert exc.message.startswith("layer sha256:")
    else:
        assert release.undetermined is None


@pytest.mark.parametrize("mode", ["fast", "full"])
def test_windows_release_is_the_configs_os_version_and_no_layer_is_read(mode: str) -> None:
    """Windows images have no os-release: the config's `os.version` (image-spec config.md, e.g.
    `10.0.20348.2762` in mcr.microsoft.com/windows/nanoserver:ltsc2022) is the release: build
    10.0.20348 (ltsc2022) and its monthly revision. Reading the layers (hundreds of MB) would only
    find no os-release and call the image OS-less."""
    store = ImageStore()
    layer = store.add_layer({"Files/Windows/System32/ntdll.dll": b"MZ"}, style="docker")
    windows = {"os": "windows", "architecture": "amd64", "os.version": "10.0.20348.2762"}
    config, manifest = image_blobs([layer], [layer["digest"]], windows, oci=False)
    store.add(config)
    digest = store.add_manifest(manifest.data, manifest.media_type)
    release, source = detect(store, digest, mode=mode)
    assert (release.id, release.version_id, release.point_release) == (
        "windows",
        "10.0.20348",
        "10.0.20348.2762",
    )
    assert release.undetermined is None and release.source == "config:os.version"
    assert all(kind != "stream" for kind, _ in source.requests)
