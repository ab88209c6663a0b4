"""Options several commands share, declared once so they read the same everywhere."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, TypeVar

import click

from driftwatch.config import FAIL_ON_LEVELS, OS_DETECT_MODES
from driftwatch.errors import UsageError
from driftwatch.models import Platform

F = TypeVar("F", bound=Callable[..., Any])


def platform_option(function: F) -> F:
    """`--platform os/arch[/variant]`, repeatable."""
    return click.option(
        "--platform",
        "platforms",
        multiple=True,
        metavar="OS/ARCH[/VARIANT]",
        help="Only these platforms (repeatable; default: every platform of the image); they also "
        "give BuildKit's TARGETARCH, TARGETOS, ... their values.",
    )(function)


def fail_on_option(function: F) -> F:
    """`--fail-on never|digest|os|release`."""
    return click.option(
        "--fail-on",
        type=click.Choice(FAIL_ON_LEVELS),
        default=None,
        help="Exit 1 on changes at or above this level (default: config, else `release`).",
    )(function)


def os_detect_option(function: F) -> F:
    """`--os-detect fast|full|off`."""
    return click.option(
        "--os-detect",
        type=click.Choice(OS_DETECT_MODES),
        default=None,
        help="fast: hints then layers; full: always read the filesystem; off: digests only.",
    )(function)


def explain_option(function: F) -> F:
    """`--explain on|off`: read the package databases of images that moved."""
    return click.option(
        "--explain",
        type=click.Choice(("on", "off")),
        default=None,
        help="on: say which packages and libraries changed when an image moved (reads its "
        "layers); off: skip the reads (default: config, else on).",
    )(function)


def notify_option(function: F) -> F:
    """`--notify URL`, repeatable apprise URLs."""
    return click.option(
        "--notify",
        "notify_urls",
        multiple=True,
        metavar="URL",
        help="Apprise URL to alert (repeatable; adds to config and DRIFTWATCH_NOTIFY). A command "
        "line is visible to other users: pass secret URLs in DRIFTWATCH_NOTIFY instead.",
    )(function)


def parse_platforms(values: Sequence[str]) -> list[Platform]:
    """`--platform` values (or config `platforms`) as Platforms; a bad one is a usage error."""
    try:
        return [Platform.parse(value) for value in values]
    except ValueError as exc:
        raise UsageError(f"--platform: {exc}") from None
