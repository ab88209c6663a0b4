"""`scan` and its alerts name the tags of what an OS-moved reference had (issue 17), against the
real registry: `3.12-slim` locked on bookworm moves to trixie; the fix says how to stay on
bookworm (`3.12-slim-bookworm`) and how to keep exactly the old build (`3.12.7-slim-bookworm`
pinned), never a 3.13 tag; a failed lookup changes nothing but the advice."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from tests.aliasrepo import move_to_trixie, push_alias_repo
from tests.e2e.guard import driftwatch, make_project, write_config
from tests.faults.proxy import FaultProxy
from tests.faults.rules import Rule
from tests.receivers import HttpReceiver
from tests.testbed.registry import RegistryServer


def _baseline(tmp_path: Path, registry: RegistryServer, name: str) -> tuple[Path, str]:
    """`FROM <name>:3.12-slim` scanned on bookworm (a steady scan asks for no tag list), then
    the floating tags move to trixie; the project and the old index digest."""
    repo = push_alias_repo(registry, f"library/{name}")
    root = make_project(tmp_path, registry, {"Dockerfile": f"FROM {name}:3.12-slim\n"})
    assert _scan(root).returncode == 0
    mark = registry.mark()
    steady = _scan(root)
    assert steady.returncode == 0, steady.stderr
    assert not [p for _, p, _ in registry.requests_since(mark) if "/tags/list" in p]
    move_to_trixie(registry, f"library/{name}")
    return root, repo.bookworm


def _scan(
    root: Path, *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return driftwatch(root, "scan", "--db", str(root / "history.db"), *args, env=env)


def test_scan_text_and_alert_name_the_tags_of_what_you_had(
    tmp_path: Path, registry: RegistryServer
) -> None:
    root, old = _baseline(tmp_path, registry, "dw-scan-tags")
    with HttpReceiver() as hook:
        moved = _scan(root, "--notify", hook.url())
    assert moved.returncode == 1, moved.stderr
    assert "moved from Debian 12 (bookworm) to Debian 13 (trixie)" in moved.stdout
    assert "To stay on bookworm: FROM dw-scan-tags:3.12-slim-bookworm;" in moved.stdout
    assert f"exactly what you had: FROM dw-scan-tags:3.12.7-slim-bookworm@{old};" in moved.stdout
    [alert] = [p.json["message"] for p in hook.posts if "new OS release" in p.json["title"]]
    assert "Stay on bookworm: FROM dw-scan-tags:3.12-slim-bookworm\n" in alert
    assert f"Keep the old build: FROM dw-scan-tags:3.12.7-slim-bookworm@{old}\n" in alert
    assert "Accept the change: run driftwatch lock" in alert
    for text in (moved.stdout, alert):
        assert "3.13-slim" not in text and "3.12-slim@" not in text


def test_scan_json_names_the_tags_in_message_and_findings(
    tmp_path: Path, registry: RegistryServer
) -> None:
    root, old = _baseline(tmp_path, registry, "dw-scan-json")
    moved = _scan(root, "--format", "json")
    assert moved.returncode == 1, moved.stderr
    document = json.loads(moved.stdout)
    drifts = [d for row in document["images"] for d in row["drifts"] if d["kind"] == "os-release"]
    findings = [f for f in document["findings"] if f["rule_id"] == "os-release"]
    assert drifts and findings  # one per platform
    for text in [d["message"] for d in drifts] + [f["message"] for f in findings]:
        assert "To stay on bookworm: FROM dw-scan-json:3.12-slim-bookworm;" in text
        assert f"exactly what you had: FROM dw-scan-json:3.12.7-slim-bookworm@{old};" in text
        assert "3.13-slim" not in text


def test_scan_alias_lookup_failure_keeps_the_exit_code_and_the_digest_advice(
    tmp_path: Path, registry: RegistryServer
) -> None:
    root, old = _baseline(tmp_path, registry, "dw-scan-soft")
    with FaultProxy(registry.url, [Rule("500", path=r"/tags/list")], seed=1) as proxy:
        write_config(root, registry)
        text = (root / "driftwatch.toml").read_text().replace(registry.url, proxy.url)
        (root / "driftwatch.toml").write_text(text)
        with HttpReceiver() as hook:
            moved = _scan(root, "--notify", hook.url())
    assert moved.returncode == 1, moved.stderr  # the drift's exit code, not a registry error's
    assert f"To build what you had: FROM dw-scan-soft:3.12-slim@{old} (" in moved.stdout
    assert "the tag lookup could not complete" in moved.stdout
    [alert] = [p.json["message"] for p in hook.posts if "new OS release" in p.json["title"]]
    assert f"Keep the old build: FROM dw-scan-soft:3.12-slim@{old}\n" in alert
    assert "Stay on" not in alert


def test_a_retried_alert_names_the_same_tags_as_the_first_attempt(
    tmp_path: Path, registry: RegistryServer
) -> None:
    """The receiver fails the first alert; the next (steady) scan retries it from the outbox,
    which asks the registry for no tag list, and still says how to stay on bookworm."""
    root, old = _baseline(tmp_path, registry, "dw-scan-retry")
    now = {"DRIFTWATCH_NOTIFY_BACKOFF": "0"}
    with HttpReceiver(status=500) as hook:
        moved = _scan(root, "--notify", hook.url(), env=now)
        assert moved.returncode == 1, moved.stderr
        hook.status = 200
        mark = registry.mark()
        retried = _scan(root, "--notify", hook.url(), env=now)
    assert retried.returncode == 0, retried.stderr
    assert not [p for _, p, _ in registry.requests_since(mark) if "/tags/list" in p]
    first, second = (p.json["message"] for p in hook.posts if "new OS release" in p.json["title"])
    assert "Stay on bookworm: FROM dw-scan-retry:3.12-slim-bookworm\n" in first
    assert second == first
    assert f"Keep the old build: FROM dw-scan-retry:3.12.7-slim-bookworm@{old}\n" in second
