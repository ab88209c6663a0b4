"""The tags worth suggesting in a fix, looked up online (bounded, advice only, never fails).

`aliases_online` asks the registry which tags of each written tag's line serve a digest (the one
the fix would pin), within ALIAS_SECONDS: `check`'s fix, `pin --suggest` and `resolve --aliases`
use it. Whatever goes wrong comes back as an Aliases that says so; no exit code depends on it.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from driftwatch.aliases import Aliases
from driftwatch.errors import DriftwatchError
from driftwatch.models import Drift, DriftKind
from driftwatch.reference import ImageReference

if TYPE_CHECKING:
    from driftwatch.config import Config

__all__ = ["ALIAS_SECONDS", "AliasQuery", "aliases_online", "os_move_queries"]

ALIAS_SECONDS = 20.0  # the whole lookup, every reference together


@dataclass(frozen=True)
class AliasQuery:
    """Which tags of `reference`'s line serve `digest` (built on OS release `release`)?"""

    reference: ImageReference  # the tag as written (its digest, if any, is ignored)
    digest: str
    release: str | None = None


def aliases_online(
    config: Config, queries: Sequence[AliasQuery], *, seconds: float = ALIAS_SECONDS
) -> dict[AliasQuery, Aliases]:
    """Every query answered (or said to be incomplete), in one event loop and `seconds`."""
    if not queries:
        return {}
    try:
        return asyncio.run(_run(config, list(dict.fromkeys(queries)), seconds))
    except (DriftwatchError, OSError) as exc:  # advice only: say so, never fail
        reason = exc.message if isinstance(exc, DriftwatchError) else str(exc)
        note = f"the tag lookup could not complete ({reason})"
        return {query: Aliases(query.digest, incomplete=note) for query in queries}


async def _run(
    config: Config, queries: list[AliasQuery], seconds: float
) -> dict[AliasQuery, Aliases]:
    from driftwatch.registry.tags import find_aliases
    from driftwatch.usecases.online import _client, _store

    async with _client(config, _store()) as client:
        limit = min(seconds, config.deadline) if config.deadline else seconds
        client.deadline = time.monotonic() + limit
        answers = await asyncio.gather(
            *(
                find_aliases(client, q.reference.without_digest(), q.digest, q.release)
                for q in queries
            )
        )
    return dict(zip(queries, answers, strict=True))


def os_move_queries(
    drifts: Mapping[ImageReference, Sequence[Drift]],
    pins: Mapping[ImageReference, str],
    gone: frozenset[ImageReference] = frozenset(),
) -> list[AliasQuery]:
    """One query per reference that moved to another OS release: the tags of what it had."""
    from driftwatch.aliases import release_token

    queries = []
    for reference, found in drifts.items():
        moved = [d for d in found if d.kind is DriftKind.OS_RELEASE and d.undetermined is None]
        if not moved or reference in gone or reference not in pins or reference.tag is None:
            continue
        release = next((release_token(d.old.os) for d in moved if d.old), None)
        queries.append(AliasQuery(reference, pins[reference], release))
    return queries
