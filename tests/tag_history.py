"""The official-images tag history (tests/assets) and the release moves it must produce."""

from __future__ import annotations

import csv
from pathlib import Path

CSV = Path(__file__).parent / "assets" / "official-images-tag-history.csv"
Move = tuple[str, str, str, str]  # (image:tag, timestamp, old codename, new codename)


def history_rows() -> list[dict[str, str]]:
    """Every re-pointing, oldest first (a stable sort: ties keep file order)."""
    with CSV.open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    return sorted(rows, key=lambda row: row["oi_commit_date_utc"])


def names_a_release(row: dict[str, str]) -> bool:
    """Rows naming a codename (not `(absent)`, not `(suite alias: ...)`)."""
    suite = row["codename_from_directory"]
    return bool(suite) and not suite.startswith("(")


def expected_release_moves(rows: list[dict[str, str]]) -> set[Move]:
    """Each row whose named codename differs from the tag's last named one (aliases name none)."""
    last: dict[str, str] = {}
    moves = set()
    for row in rows:
        if not names_a_release(row):
            continue
        name, suite = f"{row['image']}:{row['tag']}", row["codename_from_directory"]
        if last.get(name, suite) != suite:
            moves.add((name, row["oi_commit_date_utc"], last[name], suite))
        last[name] = suite
    return moves
