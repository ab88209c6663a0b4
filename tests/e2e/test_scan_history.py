"""`driftwatch scan` + history end to end (issue 5): real registry, real OS detection, the CLI as a
subprocess, on a SQLite file and on a real PostgreSQL database."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.e2e.scanning import (
    cli_json,
    delete_tag,
    prepare_db,
    run_cli,
    unique_repo,
    write_project,
)
from tests.testbed.distros import debian_index
from tests.testbed.registry import RegistryServer, free_port, push_index

PLATFORMS = {"linux/amd64", "linux/arm64/v8"}
DEBIAN = {"bullseye": "11", "bookworm": "12"}


def _os(codename: str) -> dict[str, Any]:
    version = DEBIAN[codename]
    return {
        "id": "debian",
        "version_id": version,
        "codename": codename,
        "point_release": f"{version}.1",
    }


def _scan(project: Path, db_url: str, *extra: str) -> tuple[int, list[dict[str, Any]]]:
    import json

    done = run_cli(project, "scan", "--db", db_url, "--format", "json", *extra)
    assert "Traceback" not in done.stderr, done.stderr
    return done.returncode, json.loads(done.stdout)["images"] if done.stdout.strip() else []


def _events(project: Path, db_url: str) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = cli_json(project, "events", "--db", db_url)
    return found


def test_scan_records_history_and_each_kind_of_drift(
    tmp_path: Path, registry: RegistryServer, db_url: str
) -> None:
    repo = unique_repo()
    moved, rebuilt, deleted = f"{repo}:3.11-slim", f"{repo}:3.12-slim", f"{repo}:3.10-slim"
    project = write_project(tmp_path / "p", registry.url, [moved, rebuilt, deleted])
    prepare_db(project, db_url)
    before = {
        "3.11-slim": push_index(
            registry, f"library/{repo}", "3.11-slim", debian_index("bullseye", seed="m1")
        ),
        "3.12-slim": push_index(
            registry, f"library/{repo}", "3.12-slim", debian_index("bookworm", seed="r1")
        ),
        "3.10-slim": push_index(
            registry, f"library/{repo}", "3.10-slim", debian_index("bullseye", seed="d1")
        ),
    }
    code, first = _scan(project, db_url)
    assert code == 0
    assert {row["digest"] for row in first} == set(before.values())
    eol = _events(project, db_url)  # bullseye's LTS ended 2026-08-31: news, never a failure
    assert {(e["kind"], e["reference"]) for e in eol} == {
        ("os-eol", f"docker.io/library/{moved}"),
        ("os-eol", f"docker.io/library/{deleted}"),
    }
    assert all(e["new"]["os"]["codename"] == "bullseye" for e in eol)

    push_index(registry, f"library/{repo}", "3.11-slim", debian_index("bookworm", seed="m2"))
    push_index(registry, f"library/{repo}", "3.12-slim", debian_index("bookworm", seed="r2"))
    delete_tag(registry, f"library/{repo}", "3.10-slim")
    code, second = _scan(project, db_url)
    assert code == 1  # default fail_on = release: the OS release moved
    kinds = {row["reference"]: sorted(d["kind"] for d in row["drifts"]) for row in second}
    assert kinds == {
        moved: ["os-release", "os-release"],
        rebuilt: ["digest", "digest"],
        deleted: ["tag-vanished"],
    }
    moved_row = next(row for row in second if row["reference"] == moved)
    fix = f"FROM {moved}@{before['3.11-slim']};"  # the old INDEX digest: every platform rebuilds
    assert all(fix in drift["message"] for drift in moved_row["drifts"])
    assert all(
        "bullseye" in d["message"] and "bookworm" in d["message"] for d in moved_row["drifts"]
    )

    events = _events(project, db_url)
    by_kind: dict[str, list[dict[str, Any]]] = {}
    for event in events:
        by_kind.setdefault(event["kind"], []).append(event)
    assert sorted(by_kind) == ["digest", "os-eol", "os-release", "tag-vanished"]
    assert len(by_kind["os-eol"]) == 2  # not told again by the second scan
    releases = by_kind["os-release"]
    assert {e["platform"] for e in releases} == PLATFORMS  # exactly one per changed platform
    assert len(releases) == 2
    for event in releases:
        assert event["reference"] == f"docker.io/library/{moved}"
        assert event["severity"] == "release"
        assert event["detected_at"].endswith("Z") and event["detected_at"][:2] == "20"
        assert event["old"]["os"] == _os("bullseye")
        assert event["new"]["os"] == _os("bookworm")
        assert event["old"]["digest"] != event["new"]["digest"]
        assert event["old"]["digest"].startswith("sha256:")
    assert {e["reference"] for e in by_kind["digest"]} == {f"docker.io/library/{rebuilt}"}
    assert {e["platform"] for e in by_kind["digest"]} == PLATFORMS
    for event in by_kind["digest"]:
        assert event["old"]["os"] == event["new"]["os"] == _os("bookworm")
    (vanished,) = by_kind["tag-vanished"]
    assert vanished["reference"] == f"docker.io/library/{deleted}"
    assert vanished["old"]["digest"] == before["3.10-slim"] and vanished["new"] is None

    timeline = cli_json(project, "history", moved, "--db", db_url)
    assert timeline["reference"] == f"docker.io/library/{moved}"
    amd = [e for e in timeline["entries"] if e["platform"] == "linux/amd64"]
    assert [e["os"]["codename"] for e in amd] == ["bullseye", "bookworm"]
    assert [k["kind"] for e in amd for k in e["events"]] == ["os-eol", "os-release"]
    assert amd[0]["index_digest"] == before["3.11-slim"]

    push_index(registry, f"library/{repo}", "3.10-slim", debian_index("bullseye", seed="d1"))
    code, third = _scan(project, db_url)
    assert code == 0
    assert [d["kind"] for row in third for d in row["drifts"]] == ["tag-reappeared"]
    assert len(_events(project, db_url)) == len(events) + 1
    code, _ = _scan(project, db_url)  # nothing moved: nothing new
    assert code == 0 and len(_events(project, db_url)) == len(events) + 1


def test_fail_on_levels_decide_the_exit_code(
    tmp_path: Path, registry: RegistryServer, sqlite_url: str
) -> None:
    repo = unique_repo()
    project = write_project(tmp_path / "p", registry.url, [f"{repo}:slim"])
    push_index(registry, f"library/{repo}", "slim", debian_index("bullseye", seed="1"))
    assert _scan(project, sqlite_url)[0] == 0
    push_index(registry, f"library/{repo}", "slim", debian_index("bullseye", seed="2"))
    assert _scan(project, sqlite_url, "--fail-on", "digest")[0] == 1
    push_index(registry, f"library/{repo}", "slim", debian_index("bullseye", seed="3"))
    assert _scan(project, sqlite_url, "--fail-on", "os")[0] == 0  # a rebuild is below `os`
    push_index(registry, f"library/{repo}", "slim", debian_index("bookworm", seed="4"))
    assert _scan(project, sqlite_url, "--fail-on", "never")[0] == 0
    push_index(registry, f"library/{repo}", "slim", debian_index("bullseye", seed="5"))
    assert _scan(project, sqlite_url, "--fail-on", "os")[0] == 1
    bad = run_cli(project, "scan", "--db", sqlite_url, "--fail-on", "sometimes")
    assert bad.returncode == 2 and "Traceback" not in bad.stderr


def test_dockerfile_and_watch_list_together(
    tmp_path: Path, registry: RegistryServer, sqlite_url: str
) -> None:
    repo = unique_repo()
    project = write_project(tmp_path / "p", registry.url, [f"{repo}:watched"])
    (project / "Dockerfile").write_text(f"FROM {repo}:built\n")
    push_index(registry, f"library/{repo}", "watched", debian_index("bookworm", seed="w"))
    push_index(registry, f"library/{repo}", "built", debian_index("bookworm", seed="b"))
    code, rows = _scan(project, sqlite_url, ".")
    assert code == 0
    uses = {row["reference"]: row["uses"] for row in rows}
    assert uses == {f"{repo}:watched": [], f"{repo}:built": [{"file": "Dockerfile", "line": 1}]}


def test_unreachable_registry_exits_3_and_leaves_the_baseline(
    tmp_path: Path, registry: RegistryServer, db_url: str
) -> None:
    repo = unique_repo()
    image = f"{repo}:slim"
    good = write_project(tmp_path / "good", registry.url, [image])
    prepare_db(good, db_url)
    push_index(registry, f"library/{repo}", "slim", debian_index("bookworm", seed="1"))
    assert _scan(good, db_url)[0] == 0
    down = write_project(tmp_path / "down", f"http://127.0.0.1:{free_port()}", [image])
    done = run_cli(down, "scan", "--db", db_url)
    assert done.returncode == 3, done.stdout + done.stderr
    assert "Traceback" not in done.stderr
    assert "could not be checked" in done.stdout
    assert _events(good, db_url) == []
    code, rows = _scan(good, db_url, "--fail-on", "digest")
    assert code == 0 and rows[0]["drifts"] == []
    assert _events(good, db_url) == []
    timeline = cli_json(good, "history", image, "--db", db_url)
    assert {e["platform"] for e in timeline["entries"]} == PLATFORMS
    assert all(e["events"] == [] for e in timeline["entries"])
