"""The fenced code blocks of the docs (docs/*.md), so the snippets users copy can be tested."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

DOCS = Path(__file__).parents[1] / "docs"
FENCE = re.compile(r"^```(\w+)[^\n]*\n(.*?)^```$", re.MULTILINE | re.DOTALL)


@dataclass(frozen=True)
class Snippet:
    """One fenced block: its page, its place on the page, its language and its text."""

    page: str
    number: int
    language: str
    text: str

    @property
    def name(self) -> str:
        """`page.md-N`, unique across the docs."""
        return f"{self.page}-{self.number}"


def snippets(language: str, page: str | None = None) -> list[Snippet]:
    """Every block fenced as `language` (on one page, or on all of them)."""
    pages = [DOCS / page] if page else sorted(DOCS.glob("*.md"))
    found = []
    for path in pages:
        for number, match in enumerate(FENCE.finditer(path.read_text()), start=1):
            if match.group(1) == language:
                found.append(Snippet(path.name, number, language, match.group(2)))
    return found
