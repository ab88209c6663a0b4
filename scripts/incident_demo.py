"""Offline replay of the python:3.12-slim bullseye -> bookworm move: lock, check, scan, history.

Run it through `scripts/demo` (which picks the repository's .venv). It starts Debian's
docker-registry on a free loopback port and a tiny webhook receiver, works in a temporary copy
of examples/incident, and exits 0 only when every step behaved as expected. The registry, the
receiver and the temporary folder are removed in every case (also on Ctrl-C and SIGTERM).
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.testbed.distros import debian_index  # noqa: E402
from tests.testbed.registry import RegistryServer, push_index  # noqa: E402

IMAGE, REPO, TAG = "python:3.12-slim", "library/python", "3.12-slim"


class DemoFailed(Exception):
    """A step did not behave as the incident says it should."""


class Receiver:
    """A webhook receiver on loopback that keeps the JSON bodies apprise posts to it."""

    def __init__(self) -> None:
        self.posts: list[dict[str, Any]] = []
        posts = self.posts

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's naming
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                posts.append(json.loads(body or b"{}"))
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"json://127.0.0.1:{self.server.server_address[1]}/"

    def start(self) -> None:
        self.thread.start()

    def stop(self) -> None:
        if self.thread.is_alive():
            self.server.shutdown()
        self.server.server_close()


def say(text: str) -> None:
    print(f"==> {text}", flush=True)


def show(text: str) -> None:
    for line in text.rstrip("\n").splitlines():
        print(f"    {line}", flush=True)


def expect(condition: bool, what: str) -> None:
    if not condition:
        raise DemoFailed(what)


def run_stoppable(
    command: list[str], cwd: Path, env: dict[str, str]
) -> subprocess.CompletedProcess[str]:
    """Run a child that a SIGTERM to the demo always takes down with it.

    SIGTERM stays blocked while the child is spawned: delivered inside Popen's constructor it would
    leave a running child that nothing waits for (and that writes into the removed work folder).
    """
    stop = {signal.SIGTERM}
    process: subprocess.Popen[str] | None = None
    signal.pthread_sigmask(signal.SIG_BLOCK, stop)
    try:
        process = subprocess.Popen(
            command, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        signal.pthread_sigmask(signal.SIG_UNBLOCK, stop)
        out, err = process.communicate(timeout=120)
    except BaseException:
        if process is not None:
            process.kill()
            process.communicate()
        raise
    finally:
        signal.pthread_sigmask(signal.SIG_UNBLOCK, stop)
    return subprocess.CompletedProcess(command, process.returncode, out, err)


def run_driftwatch(
    project: Path, env: dict[str, str], *args: str
) -> subprocess.CompletedProcess[str]:
    """Run the venv's driftwatch in the project and show what it printed."""
    command = [str(Path(sys.executable).parent / "driftwatch"), *args]
    print(f"    $ driftwatch {' '.join(args)}", flush=True)
    done = run_stoppable(command, project, env)
    show(done.stdout + done.stderr)
    print(f"    (exit code {done.returncode})", flush=True)
    return done


def prepare(work: Path, registry: RegistryServer) -> tuple[Path, dict[str, str]]:
    """A copy of examples/incident aimed at the local registry, and an isolated environment."""
    project = work / "project"
    shutil.copytree(ROOT / "examples" / "incident", project)
    config = project / "driftwatch.toml"
    config.write_text(config.read_text().replace("http://127.0.0.1:5000", registry.url))
    (work / "docker").mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith("DRIFTWATCH_")}
    env |= {
        "DRIFTWATCH_CACHE_DIR": str(work / "cache"),
        "DRIFTWATCH_DB": str(work / "history.db"),
        "DOCKER_CONFIG": str(work / "docker"),
    }
    return project, env


def lock_summary(project: Path) -> str:
    """`docker.io/library/python:3.12-slim  sha256:...  linux/amd64=bullseye ...` from the lock."""
    lock = json.loads((project / "driftwatch.lock").read_text())
    lines = []
    for image in lock["images"]:
        releases = " ".join(f"{p['platform']}={p['os']['codename']}" for p in image["platforms"])
        lines.append(f"{image['reference']}  {image['digest'][:19]}...  {releases}")
    return "\n".join(lines)


def before(project: Path, env: dict[str, str], registry: RegistryServer) -> str:
    """Steps 1-3: publish bullseye, lock it, record a baseline scan; the locked digest."""
    say(f"working in {project.parent} (removed at the end)")
    say(f"1/7 local registry on {registry.host}: publishing {IMAGE} as Debian 11 (bullseye)")
    old = push_index(registry, REPO, TAG, debian_index("bullseye", seed="2023-06-01"))
    say("2/7 driftwatch lock: the project pins what the tag means today")
    expect(run_driftwatch(project, env, "lock", ".").returncode == 0, "lock should succeed")
    summary = lock_summary(project)
    show("driftwatch.lock: " + summary)
    expect("bullseye" in summary, "the lock file should record bullseye")
    say("3/7 driftwatch scan: the nightly job records a baseline in the history")
    expect(run_driftwatch(project, env, "scan", ".").returncode == 0, "baseline scan should pass")
    return old


def after(project: Path, env: dict[str, str], registry: RegistryServer, hook: Receiver) -> None:
    """Steps 4-7: the tag moves to bookworm; check fails, scan alerts, history shows both."""
    say(f"4/7 upstream rebuilds {IMAGE} on Debian 12 (bookworm) under the same tag")
    push_index(registry, REPO, TAG, debian_index("bookworm", seed="2023-06-13"))
    say("5/7 driftwatch check: CI fails because the OS release moved")
    check = run_driftwatch(project, env, "check", ".")
    text = check.stdout + check.stderr
    expect(check.returncode == 1, "check should exit 1 on the release change")
    expect("bullseye" in text and "bookworm" in text, "check should name both releases")
    say("6/7 driftwatch scan --notify: the nightly job alerts the team")
    scan = run_driftwatch(project, env, "scan", ".", "--notify", hook.url)
    expect(scan.returncode == 1, "scan should exit 1 on the release change")
    expect(len(hook.posts) >= 1, "the webhook receiver should have got an alert")
    for post in hook.posts:
        show(f"receiver got: {post.get('title', '')}\n{post.get('message', '')}")
    expect(any("bookworm" in json.dumps(post) for post in hook.posts), "alert names bookworm")
    say(f"7/7 driftwatch history {IMAGE}: both digests and their releases")
    history = run_driftwatch(project, env, "history", IMAGE)
    expect(history.returncode == 0, "history should succeed")
    expect("bullseye" in history.stdout and "bookworm" in history.stdout, "history shows both")


def main() -> int:
    """Run the replay: 0 as expected, 1 when a step misbehaved, 2 when it could not start."""
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # so the cleanup below runs
    work = Path(tempfile.mkdtemp(prefix="driftwatch-demo-"))
    registry, hook = RegistryServer("anonymous", work / "registry"), Receiver()
    try:
        registry.start()
        hook.start()
        project, env = prepare(work, registry)
        before(project, env, registry)
        after(project, env, registry, hook)
    except RuntimeError as exc:
        print(f"demo: cannot start: {exc}", file=sys.stderr)
        return 2
    except DemoFailed as exc:
        print(f"demo: FAILED: {exc}", file=sys.stderr)
        return 1
    finally:
        hook.stop()
        registry.stop()
        shutil.rmtree(work, ignore_errors=True)
    say("the incident replayed as expected; registry stopped, temporary files removed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
