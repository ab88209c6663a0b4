"""Revision 0004: end-of-life news is told once per state, and a move's tag advice is kept.

`drift_event.eol_state` (`ending`, `ended`; empty for every other kind and for os-eol events
recorded before this revision) joins the unique key, so an unchanged image can carry both its
"ends soon" and its "has ended" event. `drift_event.aliases` (JSON, nullable) keeps the tags a
run found for what an OS-moved reference had, so a retried delivery gives the same advice.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | None = None
depends_on: str | None = None

_OLD_KEY = ("new_observation_id", "kind", "platform")


def upgrade() -> None:
    """Add the two columns and widen the unique key (SQLite rebuilds the table)."""
    with _deliveries_aside(), op.batch_alter_table("drift_event") as batch:
        batch.add_column(sa.Column("eol_state", sa.String(16), nullable=False, server_default=""))
        batch.add_column(sa.Column("aliases", sa.Text(), nullable=True))
        batch.drop_constraint("uq_drift_event", type_="unique")
        batch.create_unique_constraint("uq_drift_event", [*_OLD_KEY, "eol_state"])


def downgrade() -> None:
    """Back to one event per key without the state: where an unchanged image has both, its
    "has ended" event goes (with its deliveries)."""
    twin = (
        "SELECT id FROM drift_event AS e WHERE e.eol_state = 'ended' AND EXISTS (SELECT 1 FROM"
        " drift_event AS o WHERE o.new_observation_id = e.new_observation_id AND o.kind = e.kind"
        " AND o.platform = e.platform AND o.eol_state <> 'ended')"
    )
    op.execute(f"DELETE FROM delivery WHERE event_id IN ({twin})")
    op.execute(f"DELETE FROM drift_event WHERE id IN (SELECT id FROM ({twin}) AS doomed)")
    with _deliveries_aside(), op.batch_alter_table("drift_event") as batch:
        batch.drop_constraint("uq_drift_event", type_="unique")
        batch.create_unique_constraint("uq_drift_event", list(_OLD_KEY))
        batch.drop_column("aliases")
        batch.drop_column("eol_state")


@contextmanager
def _deliveries_aside() -> Iterator[None]:
    """SQLite rebuilds drift_event by dropping it, which enforced foreign keys refuse while
    delivery rows point at it (and PRAGMA foreign_keys cannot change inside the migration's
    transaction): keep those rows in a temporary table meanwhile, then put them back."""
    if op.get_bind().dialect.name != "sqlite":
        yield
        return
    op.execute("CREATE TEMPORARY TABLE delivery_aside AS SELECT * FROM delivery")
    op.execute("DELETE FROM delivery")
    yield
    op.execute("INSERT INTO delivery SELECT * FROM delivery_aside")
    op.execute("DROP TABLE delivery_aside")
