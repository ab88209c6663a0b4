"""The pure pin rewrite: byte-for-byte preservation, idempotence, unpinnable uses, --update."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import pytest

from driftwatch.config import Config
from driftwatch.errors import InputError
from driftwatch.lint import lint
from driftwatch.reference import ImageReference
from driftwatch.sources import Inventory, find_image_uses
from driftwatch.usecases.pin import PinEdit, apply_pins, plan_pins, refs_to_resolve, unified_diff

ASSETS = Path(__file__).resolve().parent / "assets"


def fake_digest(reference: ImageReference) -> str:
    """A deterministic stand-in for the index digest a registry would return."""
    return "sha256:" + hashlib.sha256(str(reference).encode()).hexdigest()


def scan(root: Path) -> Inventory:
    return find_image_uses([root], Config(), environ={}, root=root)


def pin_tree(root: Path, update: bool = False) -> list[PinEdit]:
    """What `pin --write` does, with fake digests instead of a registry."""
    inventory = scan(root)
    digests = {ref: fake_digest(ref) for ref in refs_to_resolve(inventory, update=update)}
    edits = plan_pins(inventory, digests, update=update)
    for file in {e.file for e in edits if e.pinnable}:
        path = root / file
        text = path.read_bytes().decode("utf-8", "surrogateescape")  # as `pin --write` reads
        pinned = apply_pins(text, [e for e in edits if e.file == file])
        path.write_bytes(pinned.encode("utf-8", "surrogateescape"))
    return edits


def write(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def test_a_latin1_comment_is_kept_byte_for_byte_by_pin_write(tmp_path: Path) -> None:
    original = b"# caf\xe9\nFROM python:3.12-slim-bookworm\n"
    write(tmp_path, "Dockerfile", original)
    [edit] = pin_tree(tmp_path)
    assert edit.pinnable
    assert (tmp_path / "Dockerfile").read_bytes() == original.replace(
        b"bookworm\n", f"bookworm@{edit.new.split('@')[1] if edit.new else ''}\n".encode()
    )


def test_crlf_continuations_and_comments_stay_byte_for_byte(tmp_path: Path) -> None:
    original = (
        b"# syntax=docker/dockerfile:1\r\n# keep me\r\nFROM \\\r\n  python:3.12-slim-bookworm  AS base\r\n"
        b"RUN echo hi \\\r\n  # inner comment\r\n  && true\r\nCOPY --from=nginx:1.25-bookworm /a /b\r\n"
    )
    path = write(tmp_path, "Dockerfile", original)
    edits = pin_tree(tmp_path)
    after = path.read_bytes()
    py = fake_digest(ImageReference("docker.io", "library/python", "3.12-slim-bookworm"))
    expected = original.replace(
        b"python:3.12-slim-bookworm", b"python:3.12-slim-bookworm@" + py.encode()
    )
    assert after.count(b"\r\n") == original.count(b"\r\n")
    assert b"@sha256:" in after.split(b"\r\n")[0]  # the syntax directive is pinned too
    assert (
        after.replace(
            b"docker/dockerfile:1@"
            + fake_digest(ImageReference("docker.io", "docker/dockerfile", "1")).encode(),
            b"docker/dockerfile:1",
        ).replace(
            b"nginx:1.25-bookworm@"
            + fake_digest(ImageReference("docker.io", "library/nginx", "1.25-bookworm")).encode(),
            b"nginx:1.25-bookworm",
        )
        == expected
    )
    assert sum(e.pinnable for e in edits) == 3


def test_second_run_changes_nothing(tmp_path: Path) -> None:
    write(tmp_path, "Dockerfile", b"FROM alpine:3.19\nFROM debian:bookworm\n")
    pin_tree(tmp_path)
    first = (tmp_path / "Dockerfile").read_bytes()
    edits = pin_tree(tmp_path)
    assert not [e for e in edits if e.pinnable]
    assert (tmp_path / "Dockerfile").read_bytes() == first


def test_arg_based_reference_is_reported_not_pinnable(tmp_path: Path) -> None:
    write(
        tmp_path, "Dockerfile", b"ARG BASE=python:3.12-slim-bookworm\nFROM ${BASE}\nFROM $UNSET\n"
    )
    edits = pin_tree(tmp_path)
    reasons = {e.old: e.reason for e in edits}
    assert not any(e.pinnable for e in edits)
    assert "pin the ARG default" in (reasons["${BASE}"] or "")
    assert "cannot be resolved" in (reasons["$UNSET"] or "")
    assert (
        (tmp_path / "Dockerfile").read_bytes().startswith(b"ARG BASE=python:3.12-slim-bookworm\n")
    )


def test_pinned_is_left_alone_unless_update(tmp_path: Path) -> None:
    old = "sha256:" + "1" * 64
    path = write(tmp_path, "Dockerfile", f"FROM alpine:3.19@{old}\n".encode())
    assert not any(e.pinnable for e in pin_tree(tmp_path))
    assert path.read_text() == f"FROM alpine:3.19@{old}\n"
    pin_tree(tmp_path, update=True)
    new = fake_digest(ImageReference("docker.io", "library/alpine", "3.19"))
    assert path.read_text() == f"FROM alpine:3.19@{new}\n"
    assert not any(e.pinnable for e in pin_tree(tmp_path, update=True))


def test_bom_and_compose_quotes(tmp_path: Path) -> None:
    write(tmp_path, "Dockerfile", b"\xef\xbb\xbfFROM alpine:3.19\n")
    write(
        tmp_path,
        "compose.yaml",
        b'services:\n  a:\n    image: "nginx:1.25"  # web\n  b:\n    image: redis:7\n',
    )
    pin_tree(tmp_path)
    assert (
        (tmp_path / "Dockerfile").read_bytes().startswith(b"\xef\xbb\xbfFROM alpine:3.19@sha256:")
    )
    compose = (tmp_path / "compose.yaml").read_text()
    assert 'image: "nginx:1.25@sha256:' in compose and '"  # web\n' in compose
    assert "image: redis:7@sha256:" in compose


def test_no_digest_resolved_is_not_pinnable(tmp_path: Path) -> None:
    write(tmp_path, "Dockerfile", b"FROM alpine:3.19\n")
    [edit] = plan_pins(scan(tmp_path), {})
    assert not edit.pinnable and "no digest" in (edit.reason or "")


def test_apply_refuses_a_changed_file() -> None:
    edit = PinEdit("Dockerfile", 1, 6, "alpine:3.19", "alpine:3.19@sha256:" + "2" * 64, None)
    with pytest.raises(InputError, match="changed since it was scanned"):
        apply_pins("FROM alpine:3.20\n", [edit])


def test_two_edits_on_one_line_and_diff() -> None:
    text = "RUN --mount=from=a:1,target=/a --mount=from=b:2,target=/b true\n"
    edits = [
        PinEdit("D", 1, 18, "a:1", "a:1@x", None),
        PinEdit("D", 1, text.index("b:2") + 1, "b:2", "b:2@y", None),
    ]
    after = apply_pins(text, edits)
    assert after == "RUN --mount=from=a:1@x,target=/a --mount=from=b:2@y,target=/b true\n"
    diff = unified_diff("D", text, after)
    assert diff.startswith("--- a/D\n+++ b/D\n") and "+RUN --mount=from=a:1@x" in diff


def test_corpus_round_trip(tmp_path: Path) -> None:
    """Done-when: pin on the corpus, then nothing left to pin and DW003 only where pin said why."""
    shutil.copytree(ASSETS / "dockerfiles", tmp_path / "dockerfiles")
    shutil.copytree(ASSETS / "compose", tmp_path / "compose")
    edits = pin_tree(tmp_path)
    assert sum(e.pinnable for e in edits) > 60
    second = pin_tree(tmp_path)
    assert not [e for e in second if e.pinnable]  # `pin --check` would exit 0
    unpinnable = {(e.file, e.line, e.column) for e in second if not e.pinnable}
    dw003 = {(f.file, f.line, f.column) for f in lint(scan(tmp_path)) if f.rule_id == "DW003"}
    assert dw003 <= unpinnable
    reasons = {
        e.reason.split(":")[0].split(" (")[0] for e in second if e.reason and "$" not in e.old
    }
    assert reasons == {"cannot be resolved", "the reference is split across lines"}
