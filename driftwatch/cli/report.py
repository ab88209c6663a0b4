"""`driftwatch report`: the history as one self-contained HTML page, or a Markdown overview."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING

import click

from driftwatch import __version__
from driftwatch.cli._common import config_from, warn
from driftwatch.cli.events import parse_since
from driftwatch.errors import InputError, UsageError
from driftwatch.reference import ImageReference, parse_reference

if TYPE_CHECKING:  # the history package (sqlalchemy) loads only when the command runs
    from driftwatch.history import HistoryStore
    from driftwatch.lockfile import LockFile
    from driftwatch.models import BaseImageUse
    from driftwatch.timeline.model import Report

FORMATS = ("html", "markdown")


@click.command("report")
@click.argument("references", nargs=-1, metavar="[REF]...")
@click.option(
    "--html", "html_path", type=click.Path(dir_okay=False), help="Write the HTML report here."
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(FORMATS),
    help="Print the report in this format (markdown: the overview table).",
)
@click.option(
    "--output", type=click.Path(dir_okay=False), help="Write the --format output here, not stdout."
)
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
        text = render(model, fmt)
        if output:
            write_text(Path(output), text)
        else:
            click.echo(text, nl=False)


def build(
    store: HistoryStore,
    references: Sequence[ImageReference],
    *,
    since: datetime | None = None,
    lock: LockFile | None = None,
    uses: Mapping[ImageReference, Sequence[BaseImageUse]] | None = None,
    lockfile: str | None = None,
    strict: bool = True,
) -> Report:
    """The report model over `references` (default: every watched one, and the locked ones).

    `strict`: a named reference the history never saw is an input error (else a warning).
    """
    from driftwatch.timeline.build import build_report

    wanted = list(references) or _everything(store, lock)
    found = store.histories(wanted)
    missing = {str(r) for r in wanted} - {str(h.reference) for h in found}
    if strict and references and missing:
        names = ", ".join(sorted(missing))
        raise InputError(f"no history for {names}: run `driftwatch scan` with it first")
    for name in sorted(missing):
        warn(f"{name} has no history yet: not in the report")
    return build_report(
        found,
        now=datetime.now(timezone.utc),
        since=since,
        source=store.url,
        lock=lock,
        lockfile=(lockfile or "driftwatch.lock") if lock is not None else None,
        uses=uses,
    )


def render(model: Report, fmt: str) -> str:
    """The report as `html` or `markdown`."""
    if fmt == "markdown":
        from driftwatch.timeline.markdown import render_markdown

        return render_markdown(model)
    from driftwatch.timeline.html import render_html

    return render_html(model, version=__version__)


def write_text(path: Path, text: str) -> None:
    """Write a report file; an unwritable path is an input error (exit 2)."""
    try:
        path.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise InputError(f"cannot write {path}: {exc.strerror}") from None


def lock_at_root(ctx: click.Context, lockfile: str | None) -> tuple[LockFile | None, Path | None]:
    """The lock file named, else driftwatch.lock at the repository root when there is one."""
    from driftwatch.cli.lock import lock_path, repo_root
    from driftwatch.lockfile import read_lock

    root = repo_root(config_from(ctx))
    path = lock_path(lockfile, root)
    if lockfile is None and not path.is_file():
        return None, None
    return read_lock(path), root


def _repository(
    ctx: click.Context, lockfile: str | None
) -> tuple[LockFile | None, dict[ImageReference, tuple[BaseImageUse, ...]]]:
    """The lock file and, when there is one, the lines of the repository using each image."""
    lock, root = lock_at_root(ctx, lockfile)
    if lock is None or root is None:
        return None, {}
    from driftwatch.cli.images import take_inventory
    from driftwatch.cli.lock import repo_root
    from driftwatch.usecases.check import group_uses

    _, inventory = take_inventory(ctx, [], [], root=repo_root)
    return lock, group_uses(inventory.resolvable)


def _everything(store: HistoryStore, lock: LockFile | None) -> list[ImageReference]:
    """Every watched reference, then the locked ones the history never saw."""
    watched = store.watched()
    known = {str(r) for r in watched}
    extra = [r for r in (lock.entries if lock else {}) if str(r) not in known]
    return watched + sorted(extra, key=str)
