"""`python -m driftwatch` runs the CLI."""

from driftwatch.cli import main

main()
