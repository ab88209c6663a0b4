"""The streaming tar scanner and layer decoder on real tar, gzip and zstd bytes."""

from __future__ import annotations

import gzip
import io
import tarfile

import pytest
import zstandard
from hypothesis import given, settings
from hypothesis import strategies as st

from driftwatch.errors import OsDetectionError
from driftwatch.osinfo.decode import OUT_CHUNK, LayerDecoder, compression_of
from driftwatch.osinfo.tarscan import (
    RELEASE_FILE_NAMES,
    LayerEntry,
    LayerFacts,
    TarScanner,
    normalise,
)
from tests.testbed.images import (
    compress,
    directory,
    file,
    hardlink,
    opaque,
    symlink,
    tar_bytes,
    whiteout,
)

ENTRIES = [
    file("etc/debian_version", "12.5\n"),
    symlink("etc/os-release", "../usr/lib/os-release"),
    file("usr/lib/os-release", "ID=debian\n"),
    file("usr/share/doc/big", b"x" * 70_000),
    hardlink("usr/share/os-release", "usr/lib/os-release"),
    whiteout("etc/alpine-release"),
    opaque("var/lib"),
    directory("usr/local/lib/deep"),
    symlink("usr/share/zoneinfo/UTC", "Etc/UTC"),
]


def scan(data: bytes, step: int = 65536) -> LayerFacts:
    scanner = TarScanner("test")
    for start in range(0, len(data), step):
        scanner.feed(data[start : start + step])
    return scanner.finish()


@pytest.mark.parametrize("fmt", [tarfile.PAX_FORMAT, tarfile.GNU_FORMAT, tarfile.USTAR_FORMAT])
@pytest.mark.parametrize("step", [1, 511, 4096, 1 << 20])
def test_scanner_keeps_what_matters_whatever_the_chunking(fmt: int, step: int) -> None:
    facts = scan(tar_bytes(ENTRIES, fmt), step)
    kept = {entry.path: entry for entry in facts.entries}
    assert kept["etc/debian_version"] == LayerEntry("etc/debian_version", "file", "12.5\n")
    assert kept["etc/os-release"] == LayerEntry(
        "etc/os-release", "symlink", target="../usr/lib/os-release"
    )
    assert kept["usr/share/os-release"].content == "ID=debian\n"  # hard link carries the content
    assert kept["etc/alpine-release"].kind == "whiteout"
    assert facts.opaque == ("var/lib",)
    assert (
        "usr/share/doc/big" not in kept and "usr/share/zoneinfo/UTC" not in kept
    )  # deep, irrelevant
    assert kept["usr/local/lib"].kind == "dir" and "usr/local/lib/deep" not in kept


def test_long_names_from_pax_and_gnu() -> None:
    deep = "usr/" + "d" * 120 + "/os-release"
    for fmt in (tarfile.PAX_FORMAT, tarfile.GNU_FORMAT):
        facts = scan(
            tar_bytes([file(deep, "ID=x\n"), symlink("etc/os-release", "/" + deep)], fmt), 100
        )
        kept = {entry.path: entry for entry in facts.entries}
        assert kept[deep].content == "ID=x\n"
        assert kept["etc/os-release"].target == "/" + deep


def test_release_file_content_is_capped() -> None:
    facts = scan(tar_bytes([file("etc/os-release", b"A" * 200_000)]))
    assert len(facts.entries[-1].content or "") == 64 * 1024


def test_truncated_and_corrupt_tar_streams() -> None:
    data = tar_bytes(ENTRIES)
    with pytest.raises(OsDetectionError, match="truncated tar"):
        scan(data[:5000])
    broken = bytearray(data)
    broken[100] ^= 0xFF  # inside the first header: its checksum no longer holds
    with pytest.raises(OsDetectionError, match="checksum"):
        scan(bytes(broken))
    with pytest.raises(OsDetectionError, match="not a valid tar"):
        scan(b"this is not a tar file at all".ljust(1024, b"!"))


def test_empty_tar_and_json_round_trip() -> None:
    assert scan(tar_bytes([])) == LayerFacts()
    facts = scan(tar_bytes(ENTRIES))
    assert LayerFacts.from_json(facts.to_json()) == facts
    with pytest.raises(ValueError):
        LayerFacts.from_json([])


def test_normalise() -> None:
    assert [normalise(n) for n in ("./etc/", "/etc//x", "a/../../b", ".", "")] == [
        "etc",
        "etc/x",
        "b",
        "",
        "",
    ]


def decode(data: bytes, media_type: str, step: int = 4096) -> tuple[bytes, str | None, int]:
    out: list[bytes] = []
    decoder = LayerDecoder("test", media_type, out.append)
    for start in range(0, len(data), step):
        decoder.feed(data[start : start + step])
    decoder.close()
    return b"".join(out), decoder.codec, max((len(o) for o in out), default=0)


def test_codecs_told_by_magic_bytes() -> None:
    raw = tar_bytes(ENTRIES)
    assert decode(gzip.compress(raw), "application/vnd.oci.image.layer.v1.tar+gzip")[:2] == (
        raw,
        "gzip",
    )
    assert decode(gzip.compress(raw), "application/vnd.oci.image.layer.v1.tar")[:2] == (raw, "gzip")
    zstd = zstandard.ZstdCompressor().compress(raw)
    assert decode(zstd, "application/vnd.oci.image.layer.v1.tar+zstd", 3)[:2] == (raw, "zstd")
    assert decode(raw, "application/vnd.docker.image.rootfs.diff.tar", 1)[:2] == (raw, "none")


def test_concatenated_members_and_frames() -> None:
    a, b = b"first" * 100, b"second" * 100
    assert decode(gzip.compress(a) + gzip.compress(b), "x.tar+gzip", 7)[0] == a + b
    zc = zstandard.ZstdCompressor()
    assert decode(zc.compress(a) + zc.compress(b), "x.tar+zstd", 7)[0] == a + b


def test_declared_compression_without_its_magic_is_an_error() -> None:
    with pytest.raises(OsDetectionError, match="declared gzip"):
        decode(tar_bytes(ENTRIES), "application/vnd.docker.image.rootfs.diff.tar.gzip")


def test_corrupt_and_truncated_gzip() -> None:
    data = gzip.compress(tar_bytes(ENTRIES))
    with pytest.raises(OsDetectionError, match="not valid gzip"):
        decode(data[:10] + b"\xff" * 50 + data[60:], "x.tar+gzip")
    with pytest.raises(OsDetectionError, match="truncated gzip"):
        decode(data[: len(data) // 2], "x.tar+gzip")


def test_zip_bombs_come_out_in_bounded_pieces() -> None:
    zeros = b"\0" * (16 * 1024 * 1024)
    for blob, media in (
        (gzip.compress(zeros, 9), "x.tar+gzip"),
        (zstandard.ZstdCompressor().compress(zeros), "x.tar+zstd"),
    ):
        out, _, biggest = decode(blob, media, 1 << 20)
        assert len(out) == len(zeros) and biggest <= OUT_CHUNK


def test_media_types() -> None:
    assert compression_of("application/vnd.docker.image.rootfs.diff.tar.gzip") == "gzip"
    assert compression_of("application/vnd.oci.image.layer.v1.tar+zstd") == "zstd"
    assert compression_of("application/vnd.oci.image.layer.nondistributable.v1.tar") == "none"
    assert compression_of("application/vnd.in-toto+json") is None


NAMES = st.sampled_from(["etc", "usr", "lib", "os-release", "debian_version", "x", "d" * 120])
PATHS = st.lists(NAMES, min_size=1, max_size=4).map("/".join)
ENTRY = st.one_of(
    st.builds(file, PATHS, st.binary(max_size=3000)),
    st.builds(symlink, PATHS, PATHS),
)


@settings(max_examples=40, deadline=None)
@given(
    entries=st.lists(ENTRY, max_size=8),
    step=st.integers(7, 3000),
    fmt=st.sampled_from([tarfile.PAX_FORMAT, tarfile.GNU_FORMAT]),
)
def test_scanner_agrees_with_tarfile(entries: list, step: int, fmt: int) -> None:
    unique = list({entry.path: entry for entry in entries}.values())
    kept = {entry.path: entry for entry in scan(tar_bytes(unique, fmt), step).entries}
    with tarfile.open(fileobj=io.BytesIO(tar_bytes(unique, fmt))) as tar:
        last = {
            normalise(member.name): member for member in tar.getmembers()
        }  # later wins, as in tar
        for name, member in last.items():
            base, depth = name.rsplit("/", 1)[-1], name.count("/") + 1
            if member.isfile() and base in RELEASE_FILE_NAMES:
                data = tar.extractfile(member).read()  # type: ignore[union-attr]
                assert kept[name].content == data[: 64 * 1024].decode("utf-8", "replace")
            elif member.issym() and (depth <= 3 or base in RELEASE_FILE_NAMES):
                assert kept[name].target == member.linkname
            elif member.isdir() and depth <= 3:
                assert kept[name].kind == "dir"
            else:
                assert name not in kept


def test_a_later_member_replaces_an_earlier_one() -> None:
    facts = scan(
        tar_bytes(
            [file("etc/os-release", "ID=old\n"), file("etc/x", "1"), file("etc", "now a file")]
        )
    )
    assert facts.entries == (LayerEntry("etc/os-release", "file", "ID=old\n"),)
    again = scan(
        tar_bytes([file("etc/os-release", "ID=old\n"), file("etc/os-release", "ID=new\n")])
    )
    assert again.entries[-1].content == "ID=new\n"


@pytest.mark.parametrize("codec", ["gzip", "zstd"])
def test_a_bound_raised_by_the_sink_stops_decompression(codec: str) -> None:
    blob = compress(b"\0" * (8 * 1024 * 1024), codec)
    calls: list[int] = []

    def sink(data: bytes) -> None:
        calls.append(len(data))
        if len(calls) == 2:
            raise TimeoutError("bound")

    decoder = LayerDecoder("t", f"x.tar+{codec}", sink)
    with pytest.raises(TimeoutError):
        decoder.feed(blob)
    assert len(calls) == 2


def _header(name: bytes, size_field: bytes, kind: bytes = b"0") -> bytes:
    block = bytearray(512)
    block[0 : len(name)] = name
    block[124:136] = size_field
    block[156:157] = kind
    block[148:156] = b" " * 8
    block[148:156] = b"%06o\0 " % sum(block)
    return bytes(block)


def test_hostile_headers_are_errors_not_hangs() -> None:
    with pytest.raises(OsDetectionError, match="negative"):
        scan(_header(b"a", b"\xff" * 12))
    pax = b"30 size=12345678901234567890x\n"
    with pytest.raises(OsDetectionError, match="bad pax size"):
        scan(
            _header(b"p", b"%011o\0" % len(pax), b"x")
            + pax.ljust(512, b"\0")
            + _header(b"a", b"0" * 11 + b"\0")
        )
    with pytest.raises(OsDetectionError, match="numeric"):
        scan(_header(b"a", b"zz" * 6))


@settings(max_examples=200, deadline=None)
@given(noise=st.binary(min_size=1, max_size=4000), at=st.integers(0, 4000))
def test_damaged_tar_raises_only_our_error(noise: bytes, at: int) -> None:
    data = tar_bytes(ENTRIES[:3])
    damaged = data[:at] + noise + data[at + len(noise) :]
    try:
        facts = scan(damaged, 997)
    except OsDetectionError as exc:
        assert str(exc).startswith("layer test ")
    else:
        assert all(entry.kind in ("file", "dir", "symlink", "whiteout") for entry in facts.entries)
