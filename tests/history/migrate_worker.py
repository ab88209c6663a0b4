"""A separate process that opens or upgrades a database, for the migration race tests.

usage: migrate_worker.py open|upgrade URL SYNC_DIR WORKER
Writes SYNC_DIR/calling-WORKER just before the call; prints `opened` or the version it upgraded
from (`None` when it created the schema).
"""

from __future__ import annotations

import sys
from pathlib import Path

from driftwatch.history import HistoryStore


def main(mode: str, url: str, sync: Path, worker: str) -> None:
    (sync / f"calling-{worker}").touch()
    if mode == "open":
        HistoryStore.open(url).close()
        print("opened")
    else:
        before, _after = HistoryStore.upgrade(url)
        print(before)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], Path(sys.argv[3]), sys.argv[4])
