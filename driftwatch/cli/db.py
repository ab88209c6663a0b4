"""`driftwatch db upgrade`: create or migrate the history database schema."""

from __future__ import annotations

import click

from driftwatch.cli._common import config_from


@click.group("db")
def db() -> None:
    """Manage the history database."""


@db.command("upgrade")
@click.option(
    "--db",
    "db_url",
    metavar="URL",
    help="Database URL or SQLite file (default: DRIFTWATCH_DB, config db, user data dir).",
)
@click.pass_context
def upgrade(ctx: click.Context, db_url: str | None) -> None:
    """Create the schema or apply pending migrations."""
    from driftwatch.history import HistoryStore
    from driftwatch.history.engine import display_url, resolve_url
    from driftwatch.history.migrations import describe

    url = resolve_url(db_url, config_from(ctx).db)
    before, after = HistoryStore.upgrade(url)
    where = display_url(url)
    if before == after:
        click.echo(f"{where}: schema already at {describe(after)}")
    else:
        click.echo(f"{where}: schema {describe(before)} -> {describe(after)}")
