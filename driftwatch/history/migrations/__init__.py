"""Schema migrations with Alembic: the environment (env.py) and the revisions (versions/) ship here.

Alembic is configured in code: no alembic.ini, nothing read from the working directory. Upgrades run
inside the caller's write transaction under a lock (SQLite BEGIN IMMEDIATE, a PostgreSQL advisory
lock), so concurrent first uses apply each revision once. A database made by the hand-made runner of
earlier releases (`driftwatch_schema` version 1, no `alembic_version`) is stamped at revision 0001,
which is that schema, then upgraded. A database at a revision this driftwatch does not know is
refused, never touched. Opening a database reads the revision without importing Alembic.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Connection, inspect, text

from driftwatch.errors import StoreError

if TYPE_CHECKING:
    from alembic.config import Config

__all__ = [
    "HEAD",
    "check_version",
    "current_version",
    "describe",
    "is_empty",
    "is_upgradable",
    "known_revisions",
    "upgrade",
]

HEAD = "0004"  # the newest revision in versions/ (a test checks it)
FIRST = "0001"  # equal to the hand-made runner's v1
LEGACY_TABLE = "driftwatch_schema"
LEGACY_LATEST = 1  # the last version the hand-made runner wrote
VERSION_TABLE = "alembic_version"
HERE = Path(__file__).resolve().parent
VERSION_DIRS: tuple[Path, ...] = (HERE / "versions",)
PG_LOCK_KEY = 0x44726966  # "Drif": advisory lock held while migrating (same key as before Alembic)


def is_empty(connection: Connection) -> bool:
    """True when the database holds no tables at all (a brand-new file)."""
    return not inspect(connection).get_table_names()


def current_version(connection: Connection) -> str | None:
    """The Alembic revision; `vN` for a database of the hand-made runner; None with no schema."""
    tables = set(inspect(connection).get_table_names())
    if VERSION_TABLE in tables:
        rows = connection.execute(text(f"SELECT version_num FROM {VERSION_TABLE}")).scalars().all()
        if len(rows) > 1:
            raise StoreError(f"the database schema has several heads ({', '.join(rows)})")
        if rows:
            return str(rows[0])
    if LEGACY_TABLE in tables:
        sql = f"SELECT version FROM {LEGACY_TABLE} WHERE id = 1"
        value = connection.execute(text(sql)).scalar()
        return None if value is None else f"v{int(value)}"
    return None


def describe(version: str | None) -> str:
    """How messages name a version: `revision 0002`, `v1 (before Alembic)`, `none`."""
    if version is None:
        return "none"
    return f"{version} (before Alembic)" if _legacy(version) else f"revision {version}"


def _legacy(version: str) -> bool:
    return version.startswith("v")


def is_upgradable(version: str | None) -> bool:
    """True for an older schema this driftwatch knows how to upgrade (not None, not HEAD)."""
    return version is not None and version != HEAD and _is_older(version)


def _is_older(version: str) -> bool:
    """True for a version this driftwatch can upgrade from; False for one it does not know."""
    if _legacy(version):
        return int(version[1:]) <= LEGACY_LATEST
    return version in known_revisions()


def check_version(version: str | None) -> None:
    """Raise StoreError unless `version` is exactly the schema this driftwatch uses."""
    if version == HEAD:
        return
    if version is None:
        raise StoreError("the database has no driftwatch schema: run `driftwatch db upgrade`")
    if not _is_older(version):
        raise StoreError(
            f"the database schema is {describe(version)}, newer than this driftwatch "
            f"understands ({describe(HEAD)}): upgrade driftwatch"
        )
    raise StoreError(
        f"the database schema is {describe(version)}, this driftwatch needs {describe(HEAD)}: "
        "run `driftwatch db upgrade`"
    )


def upgrade(connection: Connection, where: str = "the database") -> tuple[str | None, str]:
    """Apply every pending revision inside the caller's write transaction; (from, to). A database
    that holds other tables and no driftwatch schema is refused, never written into."""
    if connection.dialect.name == "postgresql":
        connection.execute(text(f"SELECT pg_advisory_xact_lock({PG_LOCK_KEY})"))
    before = current_version(connection)
    if before == HEAD:
        return before, HEAD
    if before is None and not is_empty(connection):
        raise StoreError(f"{where} holds other tables, not a driftwatch history")
    if before is not None and not _is_older(before):
        check_version(before)  # refuses a schema newer than this driftwatch
    from alembic import command

    config = _config(connection)
    if before is not None and _legacy(before):
        command.stamp(config, FIRST)
    command.upgrade(config, "head")
    return before, HEAD


def known_revisions() -> set[str]:
    """Every revision id in the version directories."""
    from alembic.script import ScriptDirectory

    script = ScriptDirectory.from_config(_config(None))
    return {rev.revision for rev in script.walk_revisions()}


def _config(connection: Connection | None) -> Config:
    """An Alembic Config built in code: this directory, its versions, the caller's connection."""
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", _escape(str(HERE)))
    config.set_main_option("path_separator", "os")
    locations = os.pathsep.join(str(folder) for folder in VERSION_DIRS)
    config.set_main_option("version_locations", _escape(locations))
    config.attributes["connection"] = connection
    return config


def _escape(value: str) -> str:
    """Protect `%` from the ConfigParser interpolation Alembic options go through."""
    return value.replace("%", "%%")
