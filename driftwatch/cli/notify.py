"""`driftwatch notify`: send a test alert to every destination, or flush the alert outbox."""

from __future__ import annotations

import sys

import click

from driftwatch.cli._common import EXIT_OK, EXIT_REGISTRY, config_from
from driftwatch.errors import ConfigError, UsageError
from driftwatch.notify import (
    Destination,
    deliver,
    load_destinations,
    renders_markdown,
    test_message,
)


@click.command("notify")
@click.option("--test", "send_test", is_flag=True, help="Send a test message to every destination.")
@click.option(
    "--retry", is_flag=True, help="Deliver the alerts still pending in the outbox (needs history)."
)
@click.option(
    "--notify",
    "extra_urls",
    multiple=True,
    metavar="URL",
    help="Extra apprise URL or apprise config file (repeatable).",
)
@click.option("--db", "db_url", metavar="URL", help="History database (for --retry).")
@click.pass_context
def notify(
    ctx: click.Context,
    send_test: bool,
    retry: bool,
    extra_urls: tuple[str, ...],
    db_url: str | None,
) -> None:
    """Check alert destinations: one masked line per destination, exit 3 if any send failed."""
    if send_test == retry:
        raise UsageError("say what to do: notify --test (send a test message) or notify --retry")
    destinations = load_destinations(config_from(ctx), extra_urls)
    if not destinations:
        raise ConfigError(
            "no notification destinations: set notify in the config, DRIFTWATCH_NOTIFY or --notify"
        )
    if retry:
        sys.exit(_retry(ctx, destinations, db_url))
    failed = 0
    for destination in destinations:
        message = test_message(destination, markdown=renders_markdown(destination))
        result = deliver(destination, message)
        if result.ok:
            click.echo(f"ok      {destination.display}")
        else:
            failed += 1
            click.echo(f"failed  {destination.display}: {result.error}")
    # sys.exit, not ctx.exit: main() runs click with standalone_mode=False, which drops Exit codes.
    sys.exit(EXIT_REGISTRY if failed else EXIT_OK)


def _retry(ctx: click.Context, destinations: list[Destination], db_url: str | None) -> int:
    """Flush the outbox: deliver every pending alert that is due, one line per destination."""
    from driftwatch.cli._history_output import open_store
    from driftwatch.notify.outbox import RetryPolicy, flush_outbox

    retry = RetryPolicy.from_env()
    store = open_store(config_from(ctx), db_url)
    try:
        deliveries = flush_outbox(store, destinations, retry=retry)
    finally:
        store.close()
    for delivery in deliveries:
        state = "ok     " if delivery.result.ok else "failed "
        fate = "" if delivery.result.ok else f", {delivery.fate}"
        reason = f": {delivery.result.error}" if delivery.result.error else ""
        click.echo(
            f"{state} {delivery.destination.display} ({delivery.events} event(s){fate}){reason}"
        )
    if not deliveries:
        click.echo("nothing pending", err=True)
    return EXIT_REGISTRY if any(not d.result.ok for d in deliveries) else EXIT_OK
