"""`driftwatch diff REF`: packages and libraries that changed between two digests of REF."""

from __future__ import annotations

import json
import sys
from typing import TYPE_CHECKING

import click

from driftwatch.cli._common import EXIT_OK, EXIT_REGISTRY, config_from

if TYPE_CHECKING:  # typing only: keeps `driftwatch --help` light
    from driftwatch.config import Config
    from driftwatch.reference import ImageReference

FORMATS = ("text", "json", "markdown")


@click.command("diff")
@click.argument("reference")
@click.option("--from", "old", metavar="DIGEST", help="The earlier digest (index or manifest).")
@click.option("--to", "new", metavar="DIGEST", help="The later digest (default: live).")
@click.option("--lockfile", help="Lock file (default: driftwatch.lock at the repository root).")
@click.option("--db", "db_url", metavar="URL", help="History database (for the last two digests).")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="text", show_default=True)
@click.pass_context
def diff(
    ctx: click.Context,
    reference: str,
    old: str | None,
    new: str | None,
    lockfile: str | None,
    db_url: str | None,
    fmt: str,
) -> None:
    """Show packages added, removed, upgraded and downgraded and the shared libraries that
    disappeared between two digests of REFERENCE, per platform. Default: the locked and the live
    digest in a repository with a lock file, else the last two digests in the history."""
    from driftwatch.reference import parse_reference
    from driftwatch.report.diffs import render_diff_markdown, render_diff_text
    from driftwatch.usecases.diffs import diff_digests

    config = config_from(ctx)
    ref = parse_reference(reference)
    old, new = _digests(config, ref, old, new, lockfile, db_url)
    result = diff_digests(ref, old, new, config)
    if fmt == "json":
        click.echo(json.dumps(result.to_json(), indent=2))
    elif fmt == "markdown":
        click.echo(render_diff_markdown(result), nl=False)
    else:
        click.echo(render_diff_text(result), nl=False)
    sys.exit(EXIT_REGISTRY if result.unknown else EXIT_OK)


def _digests(
    config: Config,
    ref: ImageReference,
    old: str | None,
    new: str | None,
    lockfile: str | None,
    db_url: str | None,
) -> tuple[str, str]:
    """--from/--to; else the lock entry and the live digest; else the history's last two."""
    from driftwatch.cli._common import lock_path, repo_root
    from driftwatch.lockfile import read_lock

    if old and new:
        return old, new
    path = lock_path(lockfile, repo_root(config))
    entry = read_lock(path).get(ref) if old is None and path.exists() else None
    if old is None and entry is not None:
        old = entry.digest
    if old is None:
        from driftwatch.cli._history_output import open_store
        from driftwatch.usecases.diffs import history_digests

        return history_digests(open_store(config, db_url), ref)
    return old, new or _live(config, ref)


def _live(config: Config, ref: ImageReference) -> str:
    """The digest the reference points to now (one resolve)."""
    from driftwatch.models import ResolveFailure
    from driftwatch.usecases.online import resolve_online

    result = resolve_online([ref], config, strict=True)[0]
    if isinstance(result, ResolveFailure):
        from driftwatch.errors import RegistryError

        raise RegistryError(f"could not resolve {ref}: {result.reason}")
    return result.digest
