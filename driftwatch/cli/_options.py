"""Options several commands share, declared once so they read the same everywhere."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TypeVar

import click

from driftwatch.config import FAIL_ON_LEVELS, OS_DETECT_MODES, SOURCE_NAMES, parse_source_names
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


# Every `--format`: findings commands (check, lint, scan) share the report formats; listing
# commands (images, resolve) print text or JSON; history and events add CSV.
FINDINGS_FORMATS = ("text", "json", "github", "sarif", "markdown", "gitlab")  # report.FORMATS
LIST_FORMATS = ("text", "json")
TABLE_FORMATS = ("table", "json", "csv")


def format_option(
    formats: Sequence[str],
    *,
    schema: str | None = None,
    default: str | None = "text",
    note: str = "",
) -> Callable[[F], F]:
    """`--format`, declared once: the choices, the default, and where its JSON is described."""
    described = (
        f" `json` follows driftwatch/schemas/{schema}.schema.json (see the JSON output docs)."
        if schema
        else ""
    )
    return click.option(
        "--format",
        "fmt",
        type=click.Choice(formats),
        default=default,
        show_default=default is not None,
        help=f"Output format{note}.{described}",
    )


def output_option(function: F) -> F:
    """`--output FILE`: the chosen format goes to FILE (replaced atomically), not stdout."""
    return click.option(
        "--output",
        type=click.Path(dir_okay=False),
        metavar="FILE",
        help="Write the output to FILE instead of stdout (replaced whole, atomically).",
    )(function)


def sarif_option(function: F) -> F:
    """`--sarif FILE`: a SARIF copy of the findings beside the chosen format."""
    return click.option(
        "--sarif",
        type=click.Path(dir_okay=False),
        metavar="FILE",
        help="Also write the findings as SARIF to FILE (for code scanning).",
    )(function)


def _remember_sources(ctx: click.Context, _: click.Parameter, value: str | None) -> None:
    """`--sources a,b`: kept in the context for take_inventory (no command signature changes)."""
    if value is not None:
        ctx.meta[SOURCES_KEY] = parse_source_names(value, "--sources")


SOURCES_KEY = "driftwatch.sources"


def inventory_options(function: F) -> F:
    """PATH..., --build-arg and --sources, shared by every command that reads the repository."""
    function = click.option(
        "--sources",
        metavar="NAMES",
        expose_value=False,
        callback=_remember_sources,
        help=f"Only these sources, comma-separated ({', '.join(SOURCE_NAMES)}); "
        "default: config `sources.enabled`, else all.",
    )(function)
    function = click.option(
        "--build-arg",
        "build_args",
        multiple=True,
        metavar="KEY=VALUE",
        help="Override a Dockerfile ARG (repeatable); wins over `build_args` in the config.",
    )(function)
    return click.argument("paths", nargs=-1, type=click.Path(exists=True, path_type=Path))(function)
