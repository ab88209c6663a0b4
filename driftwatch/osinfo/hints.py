"""Cheap evidence of the OS release: annotations, config labels and the config's build history."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime, timezone
from typing import Any

from driftwatch.models import OsRelease, OsSource
from driftwatch.releases import (
    DEBIAN_RELEASES,
    debian_codename,
    debian_suite,
    ubuntu_by_codename,
    ubuntu_by_version,
)

__all__ = ["BASE_NAME", "VERSION", "hint_from_annotations", "hint_from_config"]

BASE_NAME = "org.opencontainers.image.base.name"
VERSION = "org.opencontainers.image.version"
REF_NAME = "org.opencontainers.image.ref.name"
_DEBIAN_SH = re.compile(
    r"debian\.sh\s+--arch\s+'?[\w-]+'?\s+\S+\s+'(?P<suite>[\w.-]+)'\s+'@(?P<epoch>\d+)'"
)
_ALPINE_TOKEN = re.compile(r"alpine(\d+\.\d+)")
_ALPINE_ROOTFS = re.compile(r"alpine-minirootfs-(?P<version>\d+\.\d+\.\d+)-")
_TOKENS = re.compile(r"[-_.:/@]")


def hint_from_annotations(
    annotations: Mapping[str, str], source: str = OsSource.ANNOTATION.value
) -> OsRelease | None:
    """The release named by `base.name` (debian:bookworm-slim) or `version` (trixie), if any."""
    base = annotations.get(BASE_NAME)
    if base:
        found = _from_image_name(base, source)
        if found:
            return found
    version = annotations.get(VERSION)
    if version:
        found = _from_codename_tokens(_TOKENS.split(version.lower()), source)
        if found:
            return found
        if annotations.get(REF_NAME) == "ubuntu" and ubuntu_by_version(version):
            return OsRelease("ubuntu", version, ubuntu_by_version(version), source=source)
    return None


def hint_from_config(config: Mapping[str, Any]) -> OsRelease | None:
    """The release the image config states: Windows' `os.version`, a `debian.sh` history line,
    else its labels."""
    windows = _from_windows(config)
    if windows is not None:
        return windows
    history = config.get("history")
    if isinstance(history, list):
        for step in history:
            created_by = step.get("created_by", "") if isinstance(step, dict) else ""
            found = _from_debian_sh(str(created_by)) or _from_alpine_rootfs(str(created_by))
            if found:
                return found
    container = config.get("config")
    labels = container.get("Labels") if isinstance(container, dict) else None
    if isinstance(labels, dict):
        labels = {str(k): str(v) for k, v in labels.items()}
        return hint_from_annotations(labels, "config-label") or _from_ubi_labels(labels)
    return None


# Windows Server builds that container base images are released for (Microsoft's "Windows
# container version compatibility" table); another build is named by its number.
_WINDOWS_BUILDS = {
    "14393": "ltsc2016",
    "17763": "ltsc2019",
    "20348": "ltsc2022",
    "26100": "ltsc2025",
}
_WINDOWS_VERSION = re.compile(r"(?P<build>\d+\.\d+\.(?P<number>\d+))(?:\.\d+)?")


def _from_windows(config: Mapping[str, Any]) -> OsRelease | None:
    """`"os": "windows", "os.version": "10.0.20348.2762"`: build 10.0.20348 (ltsc2022), revision
    2762. Windows images carry no os-release; the build is what a host must match."""
    version = config.get("os.version")
    if config.get("os") != "windows" or not isinstance(version, str):
        return None
    found = _WINDOWS_VERSION.fullmatch(version.strip())
    if found is None:
        return None
    build, number = found["build"], found["number"]
    codename = _WINDOWS_BUILDS.get(number, number)
    source = OsSource.CONFIG.at("os.version")
    return OsRelease("windows", build, codename, point_release=found[0], source=source)


def _from_debian_sh(created_by: str) -> OsRelease | None:
    """`debian.sh --arch 'amd64' out/ 'bookworm' '@1749513600'`: suite at the snapshot epoch."""
    found = _DEBIAN_SH.search(created_by)
    if not found:
        return None
    at = datetime.fromtimestamp(int(found["epoch"]), timezone.utc)
    named = debian_suite(found["suite"], at)
    if named is None:
        return None
    return OsRelease("debian", named[0], named[1], source=OsSource.CONFIG_HISTORY.value)


def _from_alpine_rootfs(created_by: str) -> OsRelease | None:
    """`ADD alpine-minirootfs-3.20.3-x86_64.tar.gz /` in the official Alpine image."""
    found = _ALPINE_ROOTFS.search(created_by)
    if not found:
        return None
    version = found["version"]
    return OsRelease("alpine", version, point_release=version, source=OsSource.CONFIG_HISTORY.value)


def _from_image_name(name: str, source: str) -> OsRelease | None:
    """debian:bookworm-slim, ubuntu:24.04, alpine:3.19, python:3.12-slim-bookworm, ..."""
    name = name.split("@", 1)[0]
    colon = name.rfind(":")
    repo, tag = (name[:colon], name[colon + 1 :]) if colon > name.rfind("/") else (name, "")
    short = repo.rsplit("/", 1)[-1].lower()
    tokens = _TOKENS.split(tag.lower())
    if short == "ubuntu" and ubuntu_by_version(tag):
        return OsRelease(
            "ubuntu", ".".join(tag.split(".")[:2]), ubuntu_by_version(tag), source=source
        )
    if short == "alpine" and re.fullmatch(r"\d+\.\d+(\.\d+)?", tag):
        return OsRelease("alpine", tag, source=source)
    if short == "debian":
        number = next((r for r in DEBIAN_RELEASES if r.version == tokens[0]), None)
        if number and number.released:
            return OsRelease("debian", number.version, number.codename, source=source)
    alpine = _ALPINE_TOKEN.search(tag.lower())
    if alpine:
        return OsRelease("alpine", alpine.group(1), source=source)
    return _from_codename_tokens(tokens, source)


def _from_codename_tokens(tokens: list[str], source: str) -> OsRelease | None:
    """A Debian or Ubuntu codename among the tag's tokens (aliases need a date: not here)."""
    for token in tokens:
        if token in ("stable", "oldstable", "testing", "unstable"):
            continue
        debian = debian_codename(token)
        if debian:
            return OsRelease("debian", debian[0], debian[1], source=source)
        ubuntu = ubuntu_by_codename(token)
        if ubuntu:
            return OsRelease("ubuntu", ubuntu, token, source=source)
    return None


def _from_ubi_labels(labels: Mapping[str, str]) -> OsRelease | None:
    """Red Hat UBI: `com.redhat.component: ubi9-container` with `version: 9.4`."""
    component = labels.get("com.redhat.component", "")
    version = labels.get("version", "")
    if component.startswith("ubi") and re.fullmatch(r"\d+(\.\d+)*", version):
        return OsRelease("rhel", version, source=OsSource.CONFIG_LABEL.value)
    return None
