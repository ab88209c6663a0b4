"""Text from images and registries cannot drive the terminal; an OS cut short says why.

An image whose os-release codename carries ESC/BEL (an OSC title sequence) is pushed to the bench
registry; every output of driftwatch shows it escaped. An OS left undetermined because a bound was
hit reads `undetermined (why)`, never `unknown` (the word for scratch images).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from driftwatch.models import OsRelease
from tests.clirun import run_driftwatch
from tests.testbed.distros import app_files, os_release
from tests.testbed.images import build_image, build_index
from tests.testbed.registry import RegistryServer, push_index

HOSTILE = "trixie\x1b]0;pwned\x07"
ESCAPED = "trixie\\x1b]0;pwned\\x07"


@pytest.fixture
def project(tmp_path: Path, registry: RegistryServer) -> Path:
    files = {
        "etc/os-release": os_release(ID="debian", VERSION_ID="13", VERSION_CODENAME=HOSTILE),
        "etc/debian_version": b"13.1\n",
    }
    image = build_image([files, app_files("term")], architecture="amd64")
    push_index(registry, "library/dw-term", "1", build_index([image]))
    (tmp_path / "driftwatch.toml").write_text(
        f'retries = 0\ntimeout = 10\n[registries."docker.io"]\nendpoint = "{registry.url}"\n'
    )
    (tmp_path / "Dockerfile").write_text("FROM dw-term:1\n")
    return tmp_path


def no_control(text: str) -> bool:
    return not any(ord(c) < 32 and c not in "\n\t" or 0x7F <= ord(c) <= 0x9F for c in text)


def test_codename_with_escape_sequences_is_shown_escaped(project: Path) -> None:
    text = run_driftwatch(project, "resolve", "--os", "dw-term:1")
    assert text.returncode == 0, text.stderr
    assert f"linux/amd64={ESCAPED}" in text.stdout
    as_json = run_driftwatch(project, "resolve", "--os", "--format", "json", "dw-term:1")
    [row] = json.loads(as_json.stdout)
    assert row["platforms"][0]["os"]["codename"] == ESCAPED
    locked = run_driftwatch(project, "lock")
    assert locked.returncode == 0, locked.stderr
    lock = json.loads((project / "driftwatch.lock").read_text())
    assert lock["images"][0]["platforms"][0]["os"]["codename"] == ESCAPED
    for done in (text, as_json, locked):
        assert no_control(done.stdout + done.stderr)


def test_a_bound_hit_says_undetermined_and_why(project: Path) -> None:
    with (project / "driftwatch.toml").open("a") as config:
        config.write("[osinfo]\nmax_seconds = 0.000001\n")
    done = run_driftwatch(project, "resolve", "--os", "dw-term:1")
    assert "linux/amd64=undetermined (time bound of" in done.stdout, done.stdout + done.stderr
    assert "unknown" not in done.stdout


def test_os_release_fields_are_escaped_and_describe_says_undetermined() -> None:
    release = OsRelease("debian", "13", HOSTILE, pretty_name="a\nb")
    assert release.codename == ESCAPED and release.pretty_name == "a\\x0ab"
    assert OsRelease(None, undetermined="byte bound reached").describe() == (
        "undetermined (byte bound reached)"
    )
    assert OsRelease(None).describe() == "unknown OS"


def test_everything_printed_passes_the_escaping_stream(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from driftwatch.cli import main

    (tmp_path / "Dockerfile").write_text("FROM alpine:3\x1b]0;pwned\x07\n")
    with pytest.raises(SystemExit):
        main(["images", "--format", "text", str(tmp_path)])
    captured = capsys.readouterr()
    assert "\\x1b]0;pwned\\x07" in captured.out + captured.err
    assert no_control(captured.out + captured.err)
