"""Hints from annotations, config labels and debian.sh history lines."""

from __future__ import annotations

import pytest

from driftwatch.osinfo.hints import hint_from_annotations, hint_from_config

BASE = "org.opencontainers.image.base.name"
VERSION = "org.opencontainers.image.version"


@pytest.mark.parametrize(
    ("annotations", "expected"),
    [
        ({BASE: "debian:bookworm-slim"}, ("debian", "12", "bookworm")),
        ({BASE: "docker.io/library/debian:12-slim"}, ("debian", "12", "bookworm")),
        ({BASE: "python:3.12-slim-trixie@sha256:" + "a" * 64}, ("debian", "13", "trixie")),
        ({BASE: "localhost:5000/library/ubuntu:24.04"}, ("ubuntu", "24.04", "noble")),
        ({BASE: "ubuntu:jammy"}, ("ubuntu", "22.04", "jammy")),
        ({BASE: "alpine:3.19"}, ("alpine", "3.19", None)),
        ({BASE: "node:20-alpine3.20"}, ("alpine", "3.20", None)),
        ({VERSION: "trixie"}, ("debian", "13", "trixie")),
        (
            {VERSION: "24.04", "org.opencontainers.image.ref.name": "ubuntu"},
            ("ubuntu", "24.04", "noble"),
        ),
    ],
)
def test_annotation_hints(annotations: dict[str, str], expected: tuple) -> None:
    hint = hint_from_annotations(annotations)
    assert hint is not None and hint.source == "annotation"
    assert (hint.id, hint.version_id, hint.codename) == expected


@pytest.mark.parametrize(
    "annotations",
    [
        {},
        {BASE: "python:3.12-slim"},
        {VERSION: "3.12.1"},
        {BASE: "debian:stable-slim"},
        {VERSION: "24.04"},
    ],
)
def test_no_hint_rather_than_a_guess(annotations: dict[str, str]) -> None:
    assert hint_from_annotations(annotations) is None


def test_history_line_with_alias_and_epoch() -> None:
    config = {
        "history": [
            {"created_by": "ADD file:abc in /"},
            {"created_by": "# debian.sh --arch 'arm64' out/ 'oldstable' '@1757000000'"},
        ]
    }
    hint = hint_from_config(config)
    assert hint is not None and (hint.version_id, hint.codename, hint.source) == (
        "12",
        "bookworm",
        "config-history",
    )


def test_old_history_without_suite_and_odd_shapes() -> None:
    assert hint_from_config({"history": [{"created_by": "ADD file:abc in /"}, "junk"]}) is None
    assert hint_from_config({"config": {"Labels": None}}) is None
    assert hint_from_config({}) is None


def test_label_hints() -> None:
    ubi = hint_from_config(
        {"config": {"Labels": {"com.redhat.component": "ubi9-minimal-container", "version": "9.4"}}}
    )
    assert ubi is not None and (ubi.id, ubi.version_id, ubi.source) == (
        "rhel",
        "9.4",
        "config-label",
    )
    ubuntu = hint_from_config(
        {
            "config": {
                "Labels": {
                    "org.opencontainers.image.ref.name": "ubuntu",
                    "org.opencontainers.image.version": "22.04",
                }
            }
        }
    )
    assert ubuntu is not None and ubuntu.codename == "jammy"


def test_alpine_minirootfs_history_line() -> None:
    hint = hint_from_config(
        {
            "history": [
                {"created_by": "/bin/sh -c #(nop) ADD file:abc in / "},
                {"created_by": "ADD alpine-minirootfs-3.20.3-aarch64.tar.gz / # buildkit"},
            ]
        }
    )
    assert hint is not None and (hint.id, hint.version_id, hint.point_release) == (
        "alpine",
        "3.20.3",
        "3.20.3",
    )


@pytest.mark.parametrize(
    "config",
    [
        {"config": []},
        {"config": {"Labels": []}},
        {"history": "x"},
        {"history": [{"created_by": None}]},
        {"config": {"Labels": {"version": 3}}},
    ],
)
def test_odd_config_shapes_give_no_hint(config: dict) -> None:
    assert hint_from_config(config) is None
