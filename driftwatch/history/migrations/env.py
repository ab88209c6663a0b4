"""The Alembic environment: run the revisions on the connection driftwatch hands over.

driftwatch configures Alembic in code (`driftwatch.history.migrations`) and opens the connection
itself, inside its write transaction and lock, so this runs no engine, reads no alembic.ini and
does not depend on the working directory.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection

from driftwatch.errors import StoreError


def run() -> None:
    """Run the requested upgrade or stamp inside the caller's transaction."""
    connection = context.config.attributes.get("connection")
    if not isinstance(connection, Connection):
        raise StoreError("driftwatch's migrations run through `driftwatch db upgrade`")
    context.configure(connection=connection, transactional_ddl=True)
    with context.begin_transaction():
        context.run_migrations()


run()
