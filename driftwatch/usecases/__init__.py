"""The use cases behind the commands: scan, check, pin, and the one online observe path.

Each module here composes the layers below it (sources, registry, osinfo, history, drift) into
one job and returns plain data; only `driftwatch.cli` prints or exits.
"""
