"""Where image references come from: Dockerfiles and compose files (pure parsing plus one walk).

`find_image_uses(paths, config)` returns an `Inventory`; see docs/sources.md for the rules.
"""

from __future__ import annotations

from driftwatch.sources.discovery import find_image_uses
from driftwatch.sources.inventory import FileProblem, Inventory

__all__ = ["FileProblem", "Inventory", "find_image_uses"]
