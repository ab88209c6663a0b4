"""`driftwatch report`: the history as one self-contained HTML page, or a Markdown overview."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from driftwatch.cli._common import config_from, emit, repo_root, take_inventory, write_text
from driftwatch.cli._history_output import parse_since
from driftwatch.cli._options import format_option, output_option
from driftwatch.cli._timeline import build, lock_at_root, render
from driftwatch.errors import UsageError
from driftwatch.reference import ImageReference, parse_reference

if TYPE_CHECKING:  # the history package (sqlalchemy) loads only when the command runs
    from driftwatch.lockfile import LockFile
    from driftwatch.models import BaseImageUse

FORMATS = ("html", "markdown")


@click.command("report")
@click.argument("references", nargs=-1, metavar="[REF]...")
@click.option(
    "--html", "html_path", type=click.Path(dir_okay=False), help="Write the HTML report here."
)
@format_option(FORMATS, default=None, note=" to print (markdown: the overview table)")
@output_option
@click.option(
    "--since", metavar="DATE", help="Start of the period (ISO 8601; default: the oldest record)."
)
@click.option("--db", "db_url", metavar="URL", help="Database URL or SQLite file.")
@click.option(
    "--lockfile",
    metavar="FILE",
    help="Lock file to compare with (default: driftwatch.lock at the repository root, if any).",
)
@click.pass_context
def report(
    ctx: click.Context,
    references: tuple[str, ...],
    html_path: str | None,
    fmt: str | None,
    output: str | None,
    since: str | None,
    db_url: str | None,
    lockfile: str | None,
) -> None:
    """Draw the history of every watched REF (default: all): release bands, moves, end of life."""
    from driftwatch.cli._history_output import open_store

    if html_path is None and fmt is None:
        raise UsageError("say what to write: --html FILE and/or --format html|markdown")
    refs = [parse_reference(text) for text in references]
    moment = parse_since(since) if since else None
    lock, uses = _repository(ctx, lockfile)
    store = open_store(config_from(ctx), db_url)
    try:
        model = build(store, refs, since=moment, lock=lock, uses=uses, lockfile=lockfile)
    finally:
        store.close()
    if html_path is not None:
        write_text(Path(html_path), render(model, "html"))
        click.echo(f"{html_path}: {len(model.references)} reference(s)", err=True)
    if fmt is not None:
        emit(render(model, fmt), output)


def _repository(
    ctx: click.Context, lockfile: str | None
) -> tuple[LockFile | None, dict[ImageReference, tuple[BaseImageUse, ...]]]:
    """The lock file and, when there is one, the lines of the repository using each image."""
    lock, root = lock_at_root(ctx, lockfile)
    if lock is None or root is None:
        return None, {}
    from driftwatch.usecases.check import group_uses

    _, inventory = take_inventory(ctx, [], [], root=repo_root)
    return lock, group_uses(inventory.resolvable)
