"""Make docs/report.png: the history report of the real tag history, as a person sees it.

    .venv/bin/python scripts/report_screenshot.py [--out docs/report.png] [--dark]

Replays tests/assets/official-images-tag-history.csv into a fresh SQLite history, makes a small
repository whose driftwatch.lock still holds python:3.12-slim on bookworm, runs the real
`driftwatch report --html` there for five of the tags, opens the page in headless Chromium
(Debian's `chromium` and `chromium-driver`, as in the tests), focuses the bookworm -> trixie mark
of python:3.12-slim and writes a PNG of the page.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from driftwatch.history import HistoryStore  # noqa: E402
from driftwatch.lockfile import LockEntry, LockUse, write_lock  # noqa: E402
from driftwatch.models import Platform, PlatformImage  # noqa: E402
from driftwatch.reference import parse_reference  # noqa: E402
from tests.timeline.browser import chromium, full_page_png  # noqa: E402
from tests.timeline.replay import replay  # noqa: E402

TAGS = ("python:3.12-slim", "python:3.9-slim", "node:lts-slim", "postgres:16", "debian:latest")


def _repository(root: Path, store: HistoryStore) -> None:
    """Dockerfiles naming two tags, and a lock taken before python:3.12-slim moved to trixie."""
    (root / ".git").mkdir()
    (root / "Dockerfile").write_text("FROM python:3.12-slim\nCOPY . /app\n")
    (root / "worker").mkdir()
    (root / "worker" / "Dockerfile").write_text("FROM node:lts-slim AS build\nFROM build\n")
    entries = []
    for name, codename in (("python:3.12-slim", "bookworm"), ("node:lts-slim", None)):
        ref = parse_reference(name)
        timeline = store.timeline(ref)
        entry = next(e for e in reversed(timeline) if codename in (None, e.os and e.os.codename))
        platform = Platform.parse(entry.platform or "linux/amd64")
        image = PlatformImage(platform, entry.digest or "", "", os=entry.os)
        uses = (LockUse("Dockerfile" if "python" in name else "worker/Dockerfile", name),)
        entries.append(LockEntry(ref, entry.index_digest or "", "", (image,), uses))
    write_lock(root / "driftwatch.lock", entries)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "report.png")
    parser.add_argument("--dark", action="store_true", help="prefers-color-scheme: dark")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="dw-report-shot-"))
    url = f"sqlite:///{folder / 'history.db'}"
    store = HistoryStore.open(url)
    replay(store)
    _repository(folder, store)
    store.close()
    page = folder / "report.html"
    command = [sys.executable, "-m", "driftwatch", "report", *TAGS, "--db", "history.db"]
    subprocess.run([*command, "--html", str(page)], check=True, cwd=folder)
    with chromium(1200, 900) as driver:
        scheme = "dark" if args.dark else "light"
        driver.execute_cdp_cmd(
            "Emulation.setEmulatedMedia",
            {"features": [{"name": "prefers-color-scheme", "value": scheme}]},
        )
        driver.get(page.as_uri())
        driver.execute_script(
            "const t = [...document.querySelectorAll('section.ref h2')]"
            ".find(h => h.textContent === 'python:3.12-slim');"
            "t.closest('section').querySelector('.mark.os-release').focus();"
            "window.scrollTo(0, 0);"
        )
        args.out.write_bytes(full_page_png(driver))
    print(f"{args.out} ({page})")


if __name__ == "__main__":
    main()
