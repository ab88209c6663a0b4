"""Issue 17, end to end against the real registry: a check after bullseye -> bookworm names the
packages and the library that went away, in text, GitHub annotations, SARIF, JSON and the alert
(a real webhook receiver); a rebuild on the same layers is metadata-only; an image without a
package database says so; `--explain off` reads nothing."""

from __future__ import annotations

import json
import sqlite3
import uuid
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.guard import driftwatch, make_project
from tests.receivers import HttpReceiver
from tests.testbed.distros import debian_files
from tests.testbed.images import build_image, build_index
from tests.testbed.pkgimages import bare_image, debian_pkg_index, dpkg_files, without_library
from tests.testbed.registry import RegistryServer, push_index


@pytest.fixture
def project(tmp_path: Path, registry: RegistryServer) -> tuple[Path, str]:
    """A project whose Dockerfile names a fresh python tag, with its own inventory cache."""
    tag = f"3.12-slim-{uuid.uuid4().hex[:8]}"
    root = make_project(tmp_path, registry, {"Dockerfile": f"FROM python:{tag}\n"})
    return root, tag


def _moves(output: str) -> list[dict[str, Any]]:
    """check's JSON findings but the os-eol notices (bullseye's LTS ended 2026-08-31)."""
    return [f for f in json.loads(output)["findings"] if f["rule_id"] != "os-eol"]


def _cached_kinds(root: Path) -> set[str]:
    """The kinds of value the one disk cache holds (cache.db)."""
    found: set[str] = set()
    for path in root.rglob("cache.db"):
        with sqlite3.connect(path) as db:
            found |= {kind for (kind,) in db.execute("SELECT DISTINCT kind FROM digest_values")}
    return found


def _env(root: Path, **extra: str) -> dict[str, str]:
    return {"DRIFTWATCH_CACHE_DIR": str(root / ".cache"), **extra}


def test_bullseye_to_bookworm_names_what_broke_everywhere(
    project: tuple[Path, str], registry: RegistryServer
) -> None:
    root, tag = project
    push_index(registry, "library/python", tag, debian_pkg_index("bullseye", seed="a"))
    assert driftwatch(root, "lock", env=_env(root)).returncode == 0
    push_index(registry, "library/python", tag, debian_pkg_index("bookworm", seed="b"))
    sarif = root / "out.sarif"
    with HttpReceiver() as hook:
        text = driftwatch(
            root, "check", "--sarif", str(sarif), "--notify", hook.url(), env=_env(root)
        )
        posts = [post.json["message"] for post in hook.posts]
    assert text.returncode == 1, text.stderr
    for said in (text.stdout, sarif.read_text(), posts[0]):
        assert "libssl.so.1.1" in said and "no longer in the image" in said
        assert "libssl1.1 1.1.1w-0+deb11u1 removed" in said
        assert "libssl3 3.0.19-1~deb12u2 added" in said
    assert "moved from Debian 11 (bullseye) to Debian 12 (bookworm)" in text.stdout
    line = text.stdout.index("libssl.so.1.1")
    assert line < text.stdout.index("packages: ") < text.stdout.index("libssl1.1 1.1.1w")

    github = driftwatch(root, "check", "--format", "github", env=_env(root))
    errors = [row for row in github.stdout.splitlines() if row.startswith("::error ")]
    assert len(errors) == 2 and all("libssl.so.1.1" in row for row in errors)
    assert all("libssl1.1 1.1.1w-0+deb11u1 removed" in row for row in errors)

    results = [
        r for r in json.loads(sarif.read_text())["runs"][0]["results"] if r["ruleId"] != "os-eol"
    ]
    assert {r["properties"]["move"] for r in results} == {"os-release"}
    gone = results[0]["properties"]["changes"]["libraries_removed"]
    assert {"soname": "libssl.so.1.1", "package": "libssl1.1"} in gone

    data = _moves(driftwatch(root, "check", "--format", "json", env=_env(root)).stdout)
    assert {f["move"] for f in data} == {"os-release"}
    removed = {p["name"] for p in data[0]["changes"]["removed"]}
    assert removed == {"libssl1.1", "libffi7"}


def test_same_layers_new_config_is_metadata_only(
    project: tuple[Path, str], registry: RegistryServer
) -> None:
    root, tag = project
    files = debian_files("bookworm") | dpkg_files("bookworm")
    first = build_image([files], labels={"build": "1"})
    push_index(registry, "library/python", tag, build_index([first]))
    assert driftwatch(root, "lock", env=_env(root)).returncode == 0
    push_index(
        registry, "library/python", tag, build_index([build_image([files], labels={"build": "2"})])
    )
    moved = driftwatch(root, "check", "--format", "json", env=_env(root))
    data = _moves(moved.stdout)
    assert [f["move"] for f in data] == ["metadata-only"]
    assert "What changed: the same layers (only the image metadata moved)." in data[0]["message"]
    assert "changes" not in data[0]


def test_image_without_package_database_says_so(
    project: tuple[Path, str], registry: RegistryServer
) -> None:
    root, tag = project
    push_index(registry, "library/python", tag, build_index([bare_image("same")]))
    assert driftwatch(root, "lock", env=_env(root)).returncode == 0
    push_index(registry, "library/python", tag, build_index([bare_image("other")]))
    moved = driftwatch(root, "check", "--format", "json", env=_env(root))
    data = _moves(moved.stdout)
    assert [f["move"] for f in data] == ["packages"]
    problem = data[0]["changes"]["problem"]
    assert problem == "old image: no package database in the image"
    assert "package changes unknown (old image: no package database" in data[0]["message"]


def test_explain_off_reads_nothing(project: tuple[Path, str], registry: RegistryServer) -> None:
    root, tag = project
    push_index(registry, "library/python", tag, debian_pkg_index("bullseye", seed="c"))
    assert driftwatch(root, "lock", env=_env(root)).returncode == 0
    push_index(registry, "library/python", tag, debian_pkg_index("bookworm", seed="d"))
    off = driftwatch(root, "check", "--explain", "off", "--format", "json", env=_env(root))
    data = _moves(off.stdout)
    assert all("What changed" not in f["message"] for f in data)
    assert {f["move"] for f in data} == {"os-release"} and all("changes" not in f for f in data)
    kinds = _cached_kinds(root / ".cache")
    assert kinds and not [k for k in kinds if k.startswith("packages-")], kinds  # OS facts only


def test_diff_command_lock_history_and_explicit_digests(
    project: tuple[Path, str], registry: RegistryServer
) -> None:
    root, tag = project
    old = push_index(registry, "library/python", tag, debian_pkg_index("bullseye", seed="e"))
    assert driftwatch(root, "lock", env=_env(root)).returncode == 0
    db = f"sqlite:///{root / 'history.db'}"
    assert driftwatch(root, "scan", "--db", db, env=_env(root)).returncode == 0
    new = push_index(registry, "library/python", tag, debian_pkg_index("bookworm", seed="f"))
    scanned = driftwatch(root, "scan", "--db", db, env=_env(root))
    assert scanned.returncode == 1, scanned.stderr

    text = driftwatch(root, "diff", f"python:{tag}", env=_env(root))  # the lock vs live
    assert text.returncode == 0, text.stderr
    assert text.stdout.splitlines()[0] == f"python:{tag}: {old} -> {new}"
    block = text.stdout.split("linux/amd64: ", 1)[1].split("linux/arm64", 1)[0]
    assert block.startswith("packages (dpkg)\n  Libraries no longer in the image (")
    assert "    libssl.so.1.1 (libssl1.1)" in block
    assert "    libssl1.1 1.1.1w-0+deb11u1" in block.split("Added")[0]
    assert "    libssl3 3.0.19-1~deb12u2" in block.split("Added")[1].split("Upgraded")[0]
    assert "    zlib1g 1:1.2.11.dfsg-2+deb11u2 -> 1:1.2.13.dfsg-1" in block

    (root / "driftwatch.lock").unlink()
    history = driftwatch(
        root, "diff", f"python:{tag}", "--db", db, "--format", "json", env=_env(root)
    )
    assert history.returncode == 0, history.stderr
    data = json.loads(history.stdout)
    assert (data["from"], data["to"]) == (old, new)
    arm = next(p for p in data["platforms"] if p["platform"] == "linux/arm64/v8")
    assert {"soname": "libssl.so.1.1", "package": "libssl1.1"} in arm["packages"][
        "libraries_removed"
    ]

    markdown = driftwatch(
        root,
        "diff",
        f"python:{tag}",
        "--from",
        new,
        "--to",
        old,
        "--format",
        "markdown",
        env=_env(root),
    )
    assert "**Libraries no longer in the image**" in markdown.stdout
    assert "- `libssl.so.3 (libssl3)`" in markdown.stdout  # backwards: libssl3 goes away


def test_diff_without_package_database_exits_3(
    project: tuple[Path, str], registry: RegistryServer
) -> None:
    root, tag = project
    old = push_index(registry, "library/python", tag, build_index([bare_image("g")]))
    new = push_index(registry, "library/python", tag, build_index([bare_image("h")]))
    result = driftwatch(root, "diff", f"python:{tag}", "--from", old, "--to", new, env=_env(root))
    assert result.returncode == 3, result.stderr
    assert "package changes unknown (old image: no package database in the image)" in result.stdout


def test_scan_events_and_alert_carry_the_diff_and_route_library_removed(
    project: tuple[Path, str], registry: RegistryServer
) -> None:
    """A destination with `on = ["library-removed"]` gets a same-release rebuild that took a
    library away (a digest drift), and the events JSON carries the move and packages."""
    root, tag = project
    db = f"sqlite:///{root / 'history.db'}"
    push_index(registry, "library/python", tag, debian_pkg_index("bookworm", seed="i"))
    with HttpReceiver() as hook:
        route = f'{{url = "{hook.url()}", on = ["library-removed"]}}'
        (root / "driftwatch.toml").write_text(
            f"notify = [{route}]\n" + (root / "driftwatch.toml").read_text()
        )
        assert driftwatch(root, "scan", "--db", db, env=_env(root)).returncode == 0
        lost = build_index(
            [without_library("bookworm", "usr/lib/x86_64-linux-gnu/libffi.so.8", seed="j")]
        )
        push_index(registry, "library/python", tag, lost)
        moved = driftwatch(root, "scan", "--db", db, env=_env(root))
        assert moved.returncode == 0, moved.stderr  # a digest drift does not fail by default
        assert "What changed: libffi.so.8 no longer in the image (from libffi8)" in moved.stdout
        assert len(hook.posts) == 1
        body = hook.posts[0].json["message"]
        mark = registry.mark()
        assert driftwatch(root, "scan", "--db", db, env=_env(root)).returncode == 0
        blobs = [path for method, path, _ in registry.requests_since(mark) if "/blobs/" in path]
        assert blobs == []  # a steady-state scan reads no blob, explained or not
    assert "libffi.so.8 no longer in the image (from libffi8)" in body
    assert "packages: no package changed" in body
    events = json.loads(driftwatch(root, "events", "--db", db, "--format", "json").stdout)
    explained = [e for e in events if e.get("move")]
    assert {e["move"] for e in explained} >= {"packages", "platform-only"}
    digest = next(e for e in explained if e["kind"] == "digest")
    assert digest["packages"]["libraries_removed"] == [
        {"soname": "libffi.so.8", "package": "libffi8"}
    ]


def test_diff_pairs_an_index_with_a_single_manifest_by_its_config_platform(
    project: tuple[Path, str], registry: RegistryServer
) -> None:
    root, tag = project
    old = push_index(registry, "library/python", tag, debian_pkg_index("bullseye", seed="i"))
    push_index(registry, "library/python", tag, debian_pkg_index("bookworm", seed="j"))
    resolved = json.loads(
        driftwatch(root, "resolve", f"python:{tag}", "--format", "json", env=_env(root)).stdout
    )
    [amd64] = [p["digest"] for p in resolved[0]["platforms"] if p["platform"] == "linux/amd64"]
    found = driftwatch(
        root,
        "diff",
        f"python:{tag}",
        "--from",
        old,
        "--to",
        amd64,
        "--format",
        "json",
        env=_env(root),
    )
    assert found.returncode == 0, found.stderr
    rows = {p["platform"]: p for p in json.loads(found.stdout)["platforms"]}
    assert {"soname": "libssl.so.1.1", "package": "libssl1.1"} in rows["linux/amd64"]["packages"][
        "libraries_removed"
    ]  # paired and read, not "new platform" beside "platform removed"
