"""Alerts end to end through `driftwatch scan`: a real registry, real receivers, real processes.

The incident (a tag moving bullseye -> bookworm) must reach each destination exactly once, with
the fix; a receiver that is down gets it on a later run; secrets never show in output or the DB.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.receivers import HttpReceiver, SmtpReceiver, free_port
from tests.testbed.distros import debian_index
from tests.testbed.registry import RegistryServer, push_index

NO_BACKOFF = {"DRIFTWATCH_NOTIFY_BACKOFF": "0"}


class Project:
    """A repository whose Dockerfile uses python:<tag> lines, docker.io sent to the bench."""

    def __init__(self, root: Path, registry: RegistryServer, tags: list[str]) -> None:
        self.root, self.registry, self.tags = root, registry, tags
        self.db = root / "history.db"
        lines = [f"FROM python:{tag} AS stage{i}" for i, tag in enumerate(tags)]
        (root / "Dockerfile").write_text("\n".join(lines) + "\n")
        self.config(notify="")

    def config(self, notify: str) -> None:
        """Rewrite driftwatch.toml with this `notify = [...]` body (empty: none)."""
        text = f'[registries."docker.io"]\nendpoint = "{self.registry.url}"\n'
        top = f"notify = [{notify}]\n" if notify else ""
        (self.root / "driftwatch.toml").write_text(top + text)

    def push(self, tag: str, codename: str, seed: str) -> str:
        """Point python:<tag> at a fresh Debian index; its index digest."""
        return push_index(self.registry, "library/python", tag, debian_index(codename, seed=seed))

    def start(self, *args: str, env: dict[str, str] | None = None) -> subprocess.Popen[str]:
        """`driftwatch ARGS` started in the background, with this project's history database."""
        full = {k: v for k, v in os.environ.items() if k not in ("DRIFTWATCH_NOTIFY", "CI")}
        full.update({"DRIFTWATCH_DB": str(self.db), **(env or {})})
        return subprocess.Popen(
            [sys.executable, "-m", "driftwatch", *args],
            cwd=self.root,
            env=full,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )


def run(project: Project, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    """Run driftwatch to completion in `project`; stdout/stderr captured."""
    process = project.start(*args, env=env)
    out, err = process.communicate(timeout=120)
    return subprocess.CompletedProcess(process.args, process.returncode, out, err)


MakeProject = Callable[..., Project]


@pytest.fixture
def make_project(
    tmp_path: Path, registry: RegistryServer, request: pytest.FixtureRequest
) -> MakeProject:
    """A Project whose tags are unique to the test (the registry is shared by the session)."""
    stem = "".join(c for c in request.node.name if c.isalnum())[-24:].lower()

    def make(count: int = 1) -> Project:
        return Project(tmp_path, registry, [f"{stem}-{i}" for i in range(count)])

    return make


def texts(receiver: HttpReceiver) -> list[str]:
    """`title\\nmessage` of every post the receiver got."""
    return [f"{post.json['title']}\n{post.json['message']}" for post in receiver.posts]


def test_release_move_alerts_once_with_the_old_index_digest(make_project: MakeProject) -> None:
    project = make_project()
    tag = project.tags[0]
    old_index = debian_index("bullseye", seed="old")
    old = push_index(project.registry, "library/python", tag, old_index)
    with HttpReceiver() as hook:
        first = run(project, "scan", "--notify", hook.url())
        assert first.returncode == 0, first.stderr
        # first sight of a tag is no drift; that its release's LTS has ended is news, once
        [eol] = hook.posts
        assert eol.json["title"] == "1 base image runs an OS release at or near its end of life"
        assert "bullseye ended 2026-08-31 (LTS)" in eol.json["message"]
        project.push(tag, "bookworm", "new")
        moved = run(project, "scan", "--notify", hook.url())
        assert moved.returncode == 1, moved.stderr
        assert len(hook.posts) == 2
        title, body = hook.posts[1].json["title"], hook.posts[1].json["message"]
        assert title == "1 base image moved to a new OS release"
        assert "Debian 11 (bullseye) -> Debian 12 (bookworm)" in body
        assert f"FROM python:{tag}@{old}\n" in body + "\n"
        assert old == old_index.digest
        for image in old_index.images:  # the pin keeps every platform: the index, not one of them
            assert f"@{image.digest}" not in body
        assert "driftwatch lock" in body
        again = run(project, "scan", "--notify", hook.url())
        assert again.returncode == 0, again.stderr
        assert len(hook.posts) == 2


def _pending(project: Project, **env: str) -> list[dict[str, object]]:
    shown = run(project, "events", "--pending", "--format", "json", **env)
    assert shown.returncode == 0, shown.stderr
    return list(json.loads(shown.stdout))


def _move(project: Project, url: str, **env: str) -> subprocess.CompletedProcess[str]:
    """Baseline on bullseye, move to bookworm, scan with `url`: the failing-or-not alert run."""
    tag = project.tags[0]
    project.push(tag, "bullseye", "old")
    assert run(project, "scan").returncode == 0
    project.push(tag, "bookworm", "new")
    return run(project, "scan", "--notify", url, **env)


def test_receiver_down_waits_then_delivered_once_on_the_next_scan(
    make_project: MakeProject,
) -> None:
    project = make_project()
    port = free_port()
    url = f"json://127.0.0.1:{port}/hook-SECRET123"
    failed = _move(project, url, **NO_BACKOFF)
    assert failed.returncode == 1
    assert f"alert to json://127.0.0.1:{port}/**** failed (will retry)" in failed.stderr
    waiting = _pending(project)  # one event per platform (amd64, arm64/v8) + bullseye's os-eol
    assert [(w["status"], w["attempts"]) for w in waiting] == [("pending", 1)] * 3
    assert {w["last_error"] for w in waiting} == {
        "A Connection error occurred sending JSON notification to 127.0.0.1."
    }
    with HttpReceiver(port=port) as hook:
        back = run(project, "scan", "--notify", url, **NO_BACKOFF)
        assert back.returncode == 0, back.stderr
        assert len(hook.posts) == 1 and hook.posts[0].path == "/hook-SECRET123"
        assert "Debian 12 (bookworm)" in hook.posts[0].json["message"]
        retry = run(project, "notify", "--retry", "--notify", url)
        assert retry.returncode == 0 and "nothing pending" in retry.stderr
        assert run(project, "scan", "--notify", url).returncode == 0
        assert len(hook.posts) == 1
    assert _pending(project) == []


def test_backoff_holds_a_failed_delivery_until_it_is_due(make_project: MakeProject) -> None:
    from datetime import datetime, timedelta, timezone

    from driftwatch.history import HistoryStore
    from driftwatch.notify import Destination
    from driftwatch.notify.outbox import flush_outbox

    project = make_project()
    port = free_port()
    url = f"json://127.0.0.1:{port}/hook-SECRET123"
    assert _move(project, url).returncode == 1  # default backoff: 5 minutes
    with HttpReceiver(port=port) as hook:
        early = run(project, "notify", "--retry", "--notify", url)
        assert early.returncode == 0 and "nothing pending" in early.stderr
        assert run(project, "scan", "--notify", url).returncode == 0
        assert hook.posts == []
        assert [w["attempts"] for w in _pending(project)] == [1, 1, 1]  # + bullseye's os-eol
        store = HistoryStore.open(str(project.db))
        try:
            later = datetime.now(timezone.utc) + timedelta(minutes=6)
            [delivery] = flush_outbox(store, [Destination.from_url(url)], now=later)
        finally:
            store.close()
        assert delivery.result.ok and delivery.events == 3
        assert len(hook.posts) == 1
    assert _pending(project) == []


def test_always_failing_receiver_is_marked_failed_after_the_bound(
    make_project: MakeProject,
) -> None:
    project = make_project()
    url = f"json://127.0.0.1:{free_port()}/hook-SECRET123"
    bound = {**NO_BACKOFF, "DRIFTWATCH_NOTIFY_MAX_ATTEMPTS": "3"}
    assert _move(project, url, **bound).returncode == 1
    fates = []
    for _ in range(2):
        retry = run(project, "notify", "--retry", "--notify", url, **bound)
        assert retry.returncode == 3 and retry.stdout.startswith("failed "), retry.stdout
        fates.append(retry.stdout)
    assert "(3 event(s), will retry)" in fates[0]  # two moves and bullseye's os-eol
    assert "(3 event(s), gave up; see `driftwatch events --pending`)" in fates[1]
    gave_up = _pending(project)
    assert [(g["status"], g["attempts"]) for g in gave_up] == [("failed", 3)] * 3
    table = run(project, "events", "--pending")
    assert "failed" in table.stdout and "SECRET123" not in table.stdout
    after = run(project, "notify", "--retry", "--notify", url, **bound)
    assert after.returncode == 0 and "nothing pending" in after.stderr


def test_routing_by_severity_same_release_rebuild(make_project: MakeProject) -> None:
    project = make_project()
    tag = project.tags[0]
    project.push(tag, "trixie", "c")
    with HttpReceiver() as releases, HttpReceiver() as digests:
        project.config(
            f'{{url = "{releases.url("rel")}", on = ["release"]}}, '
            f'{{url = "{digests.url("dig")}", on = ["digest"]}}'
        )
        assert run(project, "scan").returncode == 0
        project.push(tag, "trixie", "d")
        rebuilt = run(project, "scan")
        assert rebuilt.returncode == 0, rebuilt.stderr
        assert releases.posts == []
        assert [post.path for post in digests.posts] == ["/dig"]
        [text] = texts(digests)
        assert text.startswith("1 base image changed\n")
        assert "rebuilt, same OS (Debian 13 (trixie))" in text
        assert run(project, "scan").returncode == 0
        assert releases.posts == [] and len(digests.posts) == 1
    assert _pending(project) == []  # routed away counts as done, not as waiting forever


def test_three_moves_and_a_failure_batch_into_one_message_worst_first(
    make_project: MakeProject,
) -> None:
    project = make_project(4)
    moved, rebuilt = project.tags[:3], project.tags[3]
    for tag in moved:
        project.push(tag, "bullseye", "old")
    project.push(rebuilt, "bookworm", "old")
    unreachable = f"127.0.0.1:{free_port()}/team/app:1"
    with HttpReceiver() as hook:
        project.config(f'{{url = "{hook.url()}", on = ["release", "digest", "error"]}}')
        first = run(project, "scan", ".", "--image", unreachable)
        assert first.returncode == 3, first.stderr
        assert [post.json["title"] for post in hook.posts] == ["Could not check 1 image"]
        for tag in moved:
            project.push(tag, "bookworm", "new")
        project.push(rebuilt, "bookworm", "new")
        second = run(project, "scan", ".", "--image", unreachable)
        assert second.returncode == 1, second.stderr
        assert len(hook.posts) == 2
        title, body = hook.posts[1].json["title"], hook.posts[1].json["message"]
    assert title == (
        "3 base images moved to a new OS release (+1 more changed); could not check 1 image"
    )
    headings = [body.index(f"== python:{tag}: moved to a new OS release ==") for tag in moved]
    assert max(headings) < body.index(f"== python:{rebuilt}: new digest ==")
    assert body.count("Could not check 1 image") == 1
    assert f"{unreachable}: " in body
    assert body.index(f"python:{rebuilt}: new digest") < body.index("Could not check")
    assert body.count("Debian 11 (bullseye) -> Debian 12 (bookworm)") == 6  # 3 tags x 2 platforms


def test_mailto_through_scan(make_project: MakeProject) -> None:
    project = make_project()
    with SmtpReceiver() as smtp:
        moved = _move(project, smtp.url())
        assert moved.returncode == 1, moved.stderr
        assert len(smtp.messages) == 1
        mail = smtp.messages[0]
        assert mail["Subject"] == "1 base image moved to a new OS release"
        text = SmtpReceiver.text_of(mail)
        assert "Debian 11 (bullseye)" in text and "Debian 12 (bookworm)" in text
        assert f"FROM python:{project.tags[0]}@sha256:" in text
        assert run(project, "scan", "--notify", smtp.url()).returncode == 0
        assert len(smtp.messages) == 1


@pytest.mark.parametrize("database", ["sqlite", "postgresql"])
def test_two_concurrent_scans_deliver_once(
    make_project: MakeProject, database: str, request: pytest.FixtureRequest
) -> None:
    project = make_project()
    env: dict[str, str] = {}
    if database == "postgresql":
        env["DRIFTWATCH_DB"] = request.getfixturevalue("postgres_url")
        upgraded = run(project, "db", "upgrade", **env)
        assert upgraded.returncode == 0, upgraded.stderr
    tag = project.tags[0]
    project.push(tag, "bullseye", "old")
    assert run(project, "scan", **env).returncode == 0
    project.push(tag, "bookworm", "new")
    with HttpReceiver() as hook:
        both = [project.start("scan", "--notify", hook.url(), env=env) for _ in range(2)]
        outcomes = [(p.wait(timeout=120), p.communicate()[1]) for p in both]
        assert sorted(code for code, _ in outcomes) in ([0, 1], [1, 1]), outcomes
        assert len(hook.posts) == 1
        assert "Debian 12 (bookworm)" in hook.posts[0].json["message"]
    assert _pending(project, **env) == []


def test_webhook_secret_never_in_output_nor_database(make_project: MakeProject) -> None:
    project = make_project()
    port = free_port()
    url = f"json://127.0.0.1:{port}/hook-SECRET123?token=TOKEN456abc"
    outputs = []
    for fmt in ("text", "json"):
        scanned = _move(project, url, **NO_BACKOFF) if fmt == "text" else None
        if scanned is not None:
            assert scanned.returncode == 1 and "failed (will retry)" in scanned.stderr
            outputs.append(scanned)
        shown = run(project, "events", "--pending", "--format", "table" if fmt == "text" else fmt)
        assert "SECRET123" not in shown.stdout and shown.stdout.strip()
        outputs.append(shown)
    with HttpReceiver(status=500, port=port) as broken:  # up, but failing: another error path
        failed = run(project, "notify", "--retry", "--notify", url, **NO_BACKOFF)
        assert len(broken.posts) == 1 and broken.posts[0].path.startswith("/hook-SECRET123")
    assert failed.returncode == 3 and f"json://127.0.0.1:{port}/****" in failed.stdout
    assert "error=500" in failed.stdout
    outputs.append(failed)
    listed = run(project, "events", "--pending")
    assert "error=500" in listed.stdout
    outputs.append(listed)
    with HttpReceiver(port=port) as hook:
        delivered = run(project, "notify", "--retry", "--notify", url, **NO_BACKOFF)
        assert delivered.returncode == 0 and len(hook.posts) == 1
        outputs.append(delivered)
    for result in outputs:
        for secret in ("SECRET123", "TOKEN456abc"):
            assert secret not in result.stdout + result.stderr, result.args
    stored = [path for path in project.root.iterdir() if path.name.startswith("history.db")]
    assert stored
    for path in stored:
        data = path.read_bytes()
        assert b"SECRET123" not in data and b"TOKEN456abc" not in data and b"hook-" not in data


def test_bad_retry_knob_is_a_one_line_config_error(make_project: MakeProject) -> None:
    project = make_project()
    bad = run(project, "scan", "--notify", "json://127.0.0.1:1/x", DRIFTWATCH_NOTIFY_BACKOFF="soon")
    assert bad.returncode == 2 and bad.stdout == ""
    assert "DRIFTWATCH_NOTIFY_BACKOFF = 'soon': should be a valid number" in bad.stderr
    assert bad.stderr.count("\n") == 1 and "Traceback" not in bad.stderr


def test_a_scan_without_destinations_does_not_swallow_the_alert(make_project: MakeProject) -> None:
    project = make_project()
    tag = project.tags[0]
    project.push(tag, "bullseye", "old")
    assert run(project, "scan").returncode == 0
    project.push(tag, "bookworm", "new")
    quiet = run(project, "scan")  # someone looks, with nowhere to send: the drift is recorded
    assert quiet.returncode == 1 and "bookworm" in quiet.stdout
    with HttpReceiver() as hook:
        nightly = run(project, "scan", "--notify", hook.url())
        assert nightly.returncode == 0, nightly.stderr  # nothing new moved in this run ...
        assert len(hook.posts) == 1  # ... but the alert nobody got is sent
        assert "Debian 11 (bullseye) -> Debian 12 (bookworm)" in hook.posts[0].json["message"]
        assert run(project, "scan", "--notify", hook.url()).returncode == 0
        assert len(hook.posts) == 1
