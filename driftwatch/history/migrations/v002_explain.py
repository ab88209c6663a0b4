"""Schema v2: drift events carry their move class and package diff (issue 17, "explain every
move"): `drift_event.move` and `drift_event.changes` (the explanation as JSON), both nullable.

Frozen: this file describes the step as v2 made it and never changes.
"""

from __future__ import annotations

from sqlalchemy import Connection, text

VERSION = 2


def upgrade(connection: Connection) -> None:
    """Add the two nullable columns (old events keep NULL: not explained)."""
    connection.execute(text("ALTER TABLE drift_event ADD COLUMN move VARCHAR(32)"))
    connection.execute(text("ALTER TABLE drift_event ADD COLUMN changes TEXT"))
