"""Revision 0003: drift events carry their move class and package diff ("explain every move").

`drift_event.move` (platform-only, metadata-only, packages, os-point-release, os-release) and
`drift_event.changes` (the explanation as JSON), both nullable: old events keep NULL, "not
explained", never "no changes".
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    """Add the two nullable columns."""
    op.add_column("drift_event", sa.Column("move", sa.String(32), nullable=True))
    op.add_column("drift_event", sa.Column("changes", sa.Text(), nullable=True))


def downgrade() -> None:
    """Drop them again (batch mode: SQLite rebuilds the table)."""
    with op.batch_alter_table("drift_event") as batch:
        batch.drop_column("changes")
        batch.drop_column("move")
