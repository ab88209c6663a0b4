"""Revision 0002: Alembic owns the schema version; `driftwatch_schema` is frozen at 2.

Releases before Alembic read only `driftwatch_schema.version` and accept 1: at 2 they refuse the
database ("newer than this driftwatch understands") instead of writing to a schema that later
revisions change under them. No table changes.
"""

from __future__ import annotations

from datetime import datetime, timezone

from alembic import op
from sqlalchemy import text

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | None = None
depends_on: str | None = None

_SET = "UPDATE driftwatch_schema SET version = :version, upgraded_at = :at WHERE id = 1"


def upgrade() -> None:
    """Mark the database as Alembic-managed for older driftwatch releases."""
    op.get_bind().execute(text(_SET), {"version": 2, "at": datetime.now(timezone.utc)})


def downgrade() -> None:
    """Hand the database back to the hand-made runner's v1."""
    op.get_bind().execute(text(_SET), {"version": 1, "at": datetime.now(timezone.utc)})
