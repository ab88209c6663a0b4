"""Issue 12, history side: a release move first seen while the new OS could not be read is
recorded as a `digest` event; when a later scan learns the OS, the `os-release` event is recorded
and alerted then, once. Before the fix it stayed a `digest` event for ever, with no alert."""

from __future__ import annotations

import json
from pathlib import Path

from tests.e2e.faultscan import event_kinds, run_cli
from tests.receivers import HttpReceiver
from tests.testbed.distros import debian_image
from tests.testbed.registry import RegistryServer, push_image


def test_undetermined_then_learned_records_and_alerts_the_release_move_once(
    tmp_path: Path, registry: RegistryServer
) -> None:
    repo = "library/dw-catchup"
    push_image(registry, repo, "1", debian_image("bookworm", seed="c1"))
    with HttpReceiver() as hook:
        notify = f'notify = [{{ url = "{hook.url()}", on = ["release"] }}]\n'
        base = f'images = ["dw-catchup:1"]\ndb = "history.db"\nretries = 0\n{notify}'
        endpoint = f'[registries."docker.io"]\nendpoint = "{registry.url}"\n'
        config = tmp_path / "driftwatch.toml"
        config.write_text(base + endpoint)
        first = run_cli(tmp_path, "scan")
        assert first.returncode == 0, first.stdout + first.stderr

        push_image(registry, repo, "1", debian_image("trixie", seed="c2"))
        config.write_text(base + "[osinfo]\nmax_seconds = 0.000001\n" + endpoint)
        bounded = run_cli(tmp_path, "scan", "--format", "json")
        assert bounded.returncode == 3, bounded.stdout + bounded.stderr
        [row] = json.loads(bounded.stdout)["images"]
        [drift] = row["drifts"]
        assert drift["kind"] == "digest" and "time bound" in drift["undetermined"]
        assert event_kinds(tmp_path) == ["digest"]
        assert hook.posts == []

        config.write_text(base + endpoint)
        learned = run_cli(tmp_path, "scan")
        assert learned.returncode == 1, learned.stdout + learned.stderr
        assert "moved from Debian 12 (bookworm) to Debian 13 (trixie)" in learned.stdout
        assert event_kinds(tmp_path) == ["digest", "os-release"]
        assert len(hook.posts) == 1
        assert "Debian 13 (trixie)" in hook.posts[0].json["message"]

        again = run_cli(tmp_path, "scan")
        assert again.returncode == 0, again.stdout + again.stderr
        assert event_kinds(tmp_path) == ["digest", "os-release"]
        assert len(hook.posts) == 1
