"""The bench itself: images it builds are real (skopeo reads and copies them), tars carry every entry kind."""

from __future__ import annotations

import io
import json
import subprocess
import tarfile
from pathlib import Path

import zstandard

from tests.testbed.images import OpaqueDir, Symlink, Whiteout, build_image, build_index, build_layer
from tests.testbed.registry import RegistryServer, push_index


def test_layer_entries_symlinks_whiteouts_opaque() -> None:
    blob, diff_id = build_layer(
        {
            "usr/lib/os-release": b"ID=debian\n",
            "etc/os-release": Symlink("../usr/lib/os-release"),
            "etc/old": Whiteout(),
            "var/cache": OpaqueDir(),
        },
        compression="zstd",
    )
    raw = zstandard.ZstdDecompressor().stream_reader(io.BytesIO(blob.data)).read()
    with tarfile.open(fileobj=io.BytesIO(raw)) as tar:
        members = {m.name: m for m in tar.getmembers()}
        assert set(members) == {
            "usr/lib/os-release",
            "etc/os-release",
            "etc/.wh.old",
            "var/cache/.wh..wh..opq",
        }
        assert (
            members["etc/os-release"].issym()
            and members["etc/os-release"].linkname == "../usr/lib/os-release"
        )
        assert tar.extractfile("usr/lib/os-release").read() == b"ID=debian\n"  # type: ignore[union-attr]
    assert blob.media_type.endswith("tar+zstd") and diff_id.startswith("sha256:")


def test_skopeo_reads_and_copies_what_the_bench_pushes(
    registry: RegistryServer, tmp_path: Path
) -> None:
    amd = build_image(
        [{"a": b"1"}, {"a": Whiteout()}],
        oci=False,
        history=[{"created_by": "# debian.sh --arch 'amd64' out/ 'bookworm' '@1'"}],
    )
    arm = build_image([{"b": b"2"}], architecture="arm64", variant="v8", compression="zstd")
    index = build_index([amd, arm])
    push_index(registry, "bench/check", "1", index)
    raw = subprocess.run(
        [
            "skopeo",
            "inspect",
            "--raw",
            "--tls-verify=false",
            f"docker://{registry.host}/bench/check:1",
        ],
        check=True,
        capture_output=True,
    ).stdout
    assert raw == index.manifest.data
    config = subprocess.run(
        [
            "skopeo",
            "inspect",
            "--config",
            "--tls-verify=false",
            "--override-arch",
            "arm64",
            "--override-variant",
            "v8",
            f"docker://{registry.host}/bench/check:1",
        ],
        check=True,
        capture_output=True,
    ).stdout
    assert json.loads(config)["architecture"] == "arm64"
    subprocess.run(
        [
            "skopeo",
            "copy",
            "--src-tls-verify=false",
            f"docker://{registry.host}/bench/check@{amd.digest}",
            f"oci:{tmp_path / 'out'}:x",
        ],
        check=True,
        capture_output=True,
    )
    assert (tmp_path / "out" / "index.json").exists()
