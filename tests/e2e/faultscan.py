"""Helpers for scans through the fault proxy: a fleet of images, a project, the CLI, the database."""

from __future__ import annotations

import contextlib
import io
import itertools
import json
import os
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from driftwatch.history import HistoryStore
from driftwatch.reference import parse_reference
from tests.testbed.distros import debian_index
from tests.testbed.registry import RegistryServer, push_index

_FLEETS = itertools.count()
CACHE_ENV = "DRIFTWATCH_CACHE_DIR"


@dataclass
class Fleet:
    """Images pushed under `faultscan<n>/app<i>:1`, and the digest each tag points to now."""

    registry: RegistryServer
    number: int
    digests: dict[str, str] = field(default_factory=dict)

    @classmethod
    def push(cls, registry: RegistryServer, size: int) -> Fleet:
        """A new fleet of `size` bookworm images (names unique within the test session)."""
        fleet = cls(registry, next(_FLEETS))
        for i in range(size):
            fleet.move(i, "bookworm", "v1")
        return fleet

    def name(self, i: int) -> str:
        return f"faultscan{self.number}/app{i}:1"

    def move(self, i: int, codename: str, seed: str) -> str:
        """Push a new build for image `i` (a real change); its new digest."""
        repo = f"faultscan{self.number}/app{i}"
        index = debian_index(codename, seed=f"{self.number}-{i}-{seed}")
        self.digests[self.name(i)] = push_index(self.registry, repo, "1", index)
        return self.digests[self.name(i)]

    @property
    def names(self) -> list[str]:
        return list(self.digests)


def project(
    root: Path, fleet: Fleet, endpoint: str, concurrency: int | None = None, **settings: object
) -> Path:
    """A project watching the fleet, with docker.io sent to `endpoint` (the proxy)."""
    root.mkdir(parents=True, exist_ok=True)
    lines = [f"images = {json.dumps(fleet.names)}", 'db = "history.db"']
    lines += [f"{key} = {json.dumps(value)}" for key, value in settings.items()]
    lines += ['[registries."docker.io"]', f'endpoint = "{endpoint}"']
    lines += [f"concurrency = {concurrency}"] if concurrency else []
    (root / "driftwatch.toml").write_text("\n".join(lines) + "\n")
    return root


def run_cli(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """`driftwatch ARGS` in `root`, in this process (the CLI's own entry point, exit code and
    output, the cache under `root`): saves an interpreter start per run of a fault matrix."""
    from driftwatch.cli import main

    out, err = io.StringIO(), io.StringIO()
    before, cache = os.getcwd(), os.environ.get(CACHE_ENV)
    os.chdir(root)
    os.environ[CACHE_ENV] = str(root / "cache")
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                main(list(args))
                code = 0
            except SystemExit as exc:
                code = exc.code if isinstance(exc.code, int) else 1
    finally:
        os.chdir(before)
        if cache is None:
            os.environ.pop(CACHE_ENV, None)
        else:
            os.environ[CACHE_ENV] = cache
    return subprocess.CompletedProcess(list(args), code, out.getvalue(), err.getvalue())


def run(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """`driftwatch scan ARGS` in `root`, in this process. `start()` runs a real subprocess."""
    return run_cli(root, "scan", *args)


def start(root: Path, *args: str) -> subprocess.Popen[str]:
    """`driftwatch scan ARGS` in the background."""
    return subprocess.Popen(
        [sys.executable, "-m", "driftwatch", "scan", *args],
        cwd=root,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        text=True,
        env={**os.environ, "DRIFTWATCH_CACHE_DIR": str(root / "cache")},
    )


def rows(result: subprocess.CompletedProcess[str]) -> dict[str, dict[str, Any]]:
    """The JSON output of `scan --format json`, by familiar reference."""
    return {row["reference"]: row for row in json.loads(result.stdout)["images"]}


def store(root: Path) -> HistoryStore:
    return HistoryStore.open(f"sqlite:///{root / 'history.db'}")


def recorded(root: Path, fleet: Fleet) -> dict[str, str | None]:
    """The top digest the history holds for each image of the fleet now."""
    db = store(root)
    try:
        found = {}
        for name in fleet.names:
            latest = db.latest(parse_reference(name))
            found[name] = latest.digest if latest else None
        return found
    finally:
        db.close()


def drift_events(root: Path) -> list[tuple[str, str, str | None]]:
    """(reference, kind, new digest) of every drift event recorded, oldest first."""
    db = store(root)
    try:
        return [
            (
                e.drift.reference.familiar,
                e.drift.kind.value,
                e.drift.new.digest if e.drift.new else None,
            )
            for e in db.events()
        ]
    finally:
        db.close()


def event_kinds(root: Path) -> list[str]:
    """The kind of every drift event recorded in the project's history, oldest first."""
    db = store(root)
    try:
        return [stored.drift.kind.value for stored in db.events()]
    finally:
        db.close()
