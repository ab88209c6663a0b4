"""`scan` options and output for big watch lists: --shard, --deadline, progress, skip lines."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from typing import Any, TypeVar

import click

from driftwatch.models import ResolveFailure
from driftwatch.reference import ImageReference
from driftwatch.usecases.fleet import Shard, skipped

F = TypeVar("F", bound=Callable[..., Any])
EXAMPLES = 3


def fleet_options(func: F) -> F:
    """--shard, --deadline and --progress/--no-progress."""
    func = click.option(
        "--progress/--no-progress",
        default=None,
        help="Progress on stderr (default: only when stderr is a terminal).",
    )(func)
    func = click.option(
        "--deadline",
        type=click.FloatRange(min=0, min_open=True),
        metavar="SECONDS",
        help="Stop after SECONDS; what is left is reported as 'could not check: deadline'.",
    )(func)
    return click.option(
        "--shard",
        metavar="I/N",
        callback=_shard,
        help="Check only shard I of N of the watch list (stable split for CI matrices).",
    )(func)


def _shard(ctx: click.Context, param: click.Parameter, value: str | None) -> Shard | None:
    from driftwatch.errors import UsageError

    try:
        return None if value is None else Shard.parse(value)
    except UsageError as exc:
        raise click.BadParameter(exc.message.split(": ", 1)[-1]) from None


def deadline_at(seconds: float | None) -> float | None:
    """The time.monotonic() value `seconds` from now."""
    return None if seconds is None else time.monotonic() + seconds


class Progress:
    """`scan: 1234/10000 references` on stderr, redrawn at most ten times a second."""

    def __init__(self, total: int) -> None:
        self.total = total
        self.done = 0
        self._drawn = 0.0

    def __call__(self, reference: ImageReference) -> None:
        self.done += 1
        now = time.monotonic()
        if now - self._drawn >= 0.1 or self.done == self.total:
            self._drawn = now
            click.echo(f"\rscan: {self.done}/{self.total} references", nl=False, err=True)

    def close(self) -> None:
        """End the progress line."""
        if self.done:
            click.echo("", err=True)


def progress_for(flag: bool | None, total: int) -> Progress | None:
    """A Progress when asked, or by default when stderr is a terminal."""
    wanted = sys.stderr.isatty() if flag is None else flag
    return Progress(total) if wanted else None


def skip_lines(failures: tuple[ResolveFailure, ...]) -> list[str]:
    """One summary line per skip reason, instead of one line per reference."""
    lines = []
    for reason, items in skipped(failures).items():
        names = ", ".join(f.reference.familiar for f in items[:EXAMPLES])
        more = f", and {len(items) - EXAMPLES} more" if len(items) > EXAMPLES else ""
        lines.append(f"could not check {len(items)} reference(s): {reason} ({names}{more})")
    return lines


def reported_one_by_one(failure: ResolveFailure) -> bool:
    """True for failures listed individually (skips are summarised)."""
    return not skipped((failure,))
