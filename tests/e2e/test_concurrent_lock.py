"""Concurrent `driftwatch lock` runs in one repository: each exits 0, one complete file remains."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

from driftwatch.atomic import write_atomic
from driftwatch.lockfile import read_lock
from tests.e2e.guard import make_project
from tests.testbed.distros import debian_index
from tests.testbed.registry import RegistryServer, push_index

RUNS = 6


def test_concurrent_lock_runs_leave_one_complete_file(
    tmp_path: Path, registry: RegistryServer
) -> None:
    root = make_project(
        tmp_path / "repo",
        registry,
        {"Dockerfile": "FROM dw-conc:a\nFROM dw-conc:b\n", "svc/Dockerfile": "FROM dw-conc:a\n"},
    )
    (root / ".git").mkdir()
    push_index(registry, "library/dw-conc", "a", debian_index("bookworm", seed="c1"))
    push_index(registry, "library/dw-conc", "b", debian_index("trixie", seed="c2"))
    processes = [
        subprocess.Popen(
            [sys.executable, "-m", "driftwatch", "lock"],
            cwd=root,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=os.environ.copy(),
        )
        for _ in range(RUNS)
    ]
    results = [(process.wait(timeout=300), *process.communicate()) for process in processes]
    for code, _, err in results:
        assert code == 0, err
        assert "Traceback" not in err
    lock = read_lock(root / "driftwatch.lock")
    assert len(lock.entries) == 2
    assert sorted(path.name for path in root.iterdir()) == [
        ".git",
        "Dockerfile",
        "driftwatch.lock",
        "driftwatch.toml",
        "svc",
    ]


def test_write_atomic_keeps_the_mode_and_leaves_no_temporary(tmp_path: Path) -> None:
    folder = tmp_path / "folder"
    folder.mkdir()
    target = folder / "file"
    write_atomic(target, b"one")
    assert stat.S_IMODE(target.stat().st_mode) == 0o666 & ~_umask()
    target.chmod(0o640)
    write_atomic(target, b"two")
    assert target.read_bytes() == b"two"
    assert stat.S_IMODE(target.stat().st_mode) == 0o640
    assert [path.name for path in folder.iterdir()] == ["file"]


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def test_writers_racing_on_one_lock_never_fail_or_tear(tmp_path: Path) -> None:
    from concurrent.futures import ThreadPoolExecutor

    from driftwatch.lockfile import LockEntry, render_lock, write_lock
    from driftwatch.reference import parse_reference

    def entries(n: int) -> list[LockEntry]:
        reference = parse_reference(f"dw-race:{n}")
        return [LockEntry(reference, "sha256:" + f"{n:x}".rjust(64, "0"), "", (), ())]

    target = tmp_path / "race" / "driftwatch.lock"
    target.parent.mkdir()

    def writer(n: int) -> None:
        for round_ in range(40):
            write_lock(target, entries(n * 100 + round_))

    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(writer, range(8)))  # re-raises the first failure
    final = target.read_text()
    assert any(final == render_lock(entries(n * 100 + 39)) for n in range(8))
    assert [path.name for path in target.parent.iterdir()] == ["driftwatch.lock"]
