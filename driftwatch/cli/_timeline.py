"""The history report model, built for `report` and `scan --report` (shared, so neither imports
the other)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING

import click

from driftwatch import __version__
from driftwatch.cli._common import config_from, lock_path, repo_root, warn
from driftwatch.errors import InputError

if TYPE_CHECKING:  # the history package (sqlalchemy) loads only when the command runs
    from driftwatch.history import HistoryStore
    from driftwatch.lockfile import LockFile
    from driftwatch.models import BaseImageUse
    from driftwatch.reference import ImageReference
    from driftwatch.timeline.model import Report


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


def lock_at_root(ctx: click.Context, lockfile: str | None) -> tuple[LockFile | None, Path | None]:
    """The lock file named, else driftwatch.lock at the repository root when there is one."""
    from driftwatch.lockfile import read_lock

    root = repo_root(config_from(ctx))
    path = lock_path(lockfile, root)
    if lockfile is None and not path.is_file():
        return None, None
    return read_lock(path), root


def _everything(store: HistoryStore, lock: LockFile | None) -> list[ImageReference]:
    """Every watched reference, then the locked ones the history never saw."""
    watched = store.watched()
    known = {str(r) for r in watched}
    extra = [r for r in (lock.entries if lock else {}) if str(r) not in known]
    return watched + sorted(extra, key=str)
