"""`scripts/demo` replays the incident offline: every step as narrated, and nothing left behind."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DEMO = ROOT / "scripts" / "demo"
STEPS = [
    "1/7 local registry on 127.0.0.1:",
    "2/7 driftwatch lock",
    "3/7 driftwatch scan",
    "4/7 upstream rebuilds python:3.12-slim on Debian 12 (bookworm)",
    "5/7 driftwatch check",
    "6/7 driftwatch scan --notify",
    "7/7 driftwatch history python:3.12-slim",
]


def environment(tmp_path: Path) -> dict[str, str]:
    (tmp_path / "tmp").mkdir()
    return {**os.environ, "TMPDIR": str(tmp_path / "tmp")}


def port_closed(host_port: str) -> bool:
    host, port = host_port.rsplit(":", 1)
    with socket.socket() as sock:
        return sock.connect_ex((host, int(port))) != 0


def test_demo_replays_the_incident_and_cleans_up(tmp_path: Path) -> None:
    started = time.monotonic()
    done = subprocess.run(
        [str(DEMO)], env=environment(tmp_path), capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert time.monotonic() - started < 60
    out = done.stdout
    positions = [out.index(step) for step in STEPS]
    assert positions == sorted(positions)
    check = out[out.index(STEPS[4]) : out.index(STEPS[5])]
    assert "moved from Debian 11 (bullseye) to Debian 12 (bookworm)" in check
    assert "FROM python:3.12-slim@sha256:" in check and "(exit code 1)" in check
    alert = out[out.index(STEPS[5]) : out.index(STEPS[6])]
    assert "receiver got: 1 base image moved to a new OS release" in alert
    assert "linux/amd64: Debian 11 (bullseye) -> Debian 12 (bookworm)" in alert
    history = out[out.index(STEPS[6]) :].splitlines()
    assert sum("Debian 11 (bullseye)" in line for line in history) == 2
    assert sum("Debian 12 (bookworm)" in line and "os-release" in line for line in history) == 2
    assert out.rstrip().endswith(
        "the incident replayed as expected; registry stopped, temporary files removed"
    )
    registry = re.search(r"registry on (127\.0\.0\.1:\d+)", out)
    assert registry and port_closed(registry.group(1))
    assert list((tmp_path / "tmp").iterdir()) == []


def test_demo_stopped_midway_still_removes_registry_and_files(tmp_path: Path) -> None:
    demo = subprocess.Popen(
        [str(DEMO)], env=environment(tmp_path), stdout=subprocess.PIPE, text=True
    )
    assert demo.stdout is not None
    seen = ""
    for line in demo.stdout:
        seen += line
        if STEPS[2] in line:
            break
    demo.send_signal(signal.SIGTERM)
    demo.wait(timeout=60)
    demo.stdout.close()
    assert demo.returncode == 143
    registry = re.search(r"registry on (127\.0\.0\.1:\d+)", seen)
    assert registry and port_closed(registry.group(1))
    assert list((tmp_path / "tmp").iterdir()) == []


def test_demo_without_a_virtualenv_says_how_to_get_one(tmp_path: Path) -> None:
    copy = tmp_path / "clone" / "scripts"
    copy.mkdir(parents=True)
    (copy / "demo").write_bytes(DEMO.read_bytes())
    (copy / "demo").chmod(0o755)
    done = subprocess.run([str(copy / "demo")], capture_output=True, text=True, timeout=30)
    assert done.returncode == 2
    assert "run 'bash ci/setup-test.sh' first" in done.stderr
