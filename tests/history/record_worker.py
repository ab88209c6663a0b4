"""A separate process that records observations, for the concurrency and kill -9 tests.

usage: record_worker.py URL WORKER PHASE SYNC_DIR   (phase 0 = record forever, to be killed)
Waits for SYNC_DIR/go after writing SYNC_DIR/ready-WORKER so every worker starts at once.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from helpers import AMD, ARM, debian, observe  # noqa: E402

from driftwatch.history import HistoryStore  # noqa: E402
from driftwatch.models import Platform  # noqa: E402

SHARED = [f"example.test/shared/app{i}:1" for i in range(25)]
PRIVATE_BUILDS = 10
MANY = (AMD, ARM, *(Platform("linux", arch) for arch in ("s390x", "ppc64le", "386", "riscv64")))


def main(url: str, worker: int, phase: int, sync: Path) -> None:
    store = HistoryStore.open(url)
    (sync / f"ready-{worker}").touch()
    while not (sync / "go").exists():
        time.sleep(0.01)
    if phase == 0:
        record_forever(store, worker)
    run = store.start_run("ci")
    os = debian("bullseye" if phase == 1 else "bookworm")
    for ref in SHARED:
        store.record(run, observe(ref, phase, f"b{phase}", os))
    private = f"example.test/private/w{worker}:1"
    for k in range(PRIVATE_BUILDS):
        store.record(run, observe(private, phase * 100 + k, f"p{phase}-{k}", debian("bookworm")))
    store.finish_run(run, checked=len(SHARED) + PRIVATE_BUILDS, drifts=0, errors=0)


def record_forever(store: HistoryStore, worker: int) -> None:
    run = store.start_run("cron")
    k = 0
    while True:
        k += 1
        obs = observe(f"example.test/killed/w{worker}:1", k, f"k{k}", debian("bookworm"), MANY)
        store.record(run, obs)


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), Path(sys.argv[4]))
