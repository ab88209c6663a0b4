"""Benchmark `driftwatch report --html` over a large history: time to render and file size.

    .venv/bin/python benchmarks/report.py [--refs 200] [--years 3] [--every 7] [--db FILE]

Fills a SQLite history (or reuses --db) with N references, each on two platforms, rebuilt on
average every `--every` days (a random 1..2*every-1 day gap) for `--years` years of nightly runs;
a third of them move bullseye -> bookworm and later bookworm -> trixie, like the official images.
Then runs the real CLI (`driftwatch report --html`) in a subprocess three times and reports the
wall time of each, the file size, and the split of one in-process run into read, build and render.
Targets (issue 18): under 2 s and under 2 MB for 200 references over three years.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from driftwatch.history import HistoryStore  # noqa: E402
from driftwatch.models import Observation, OsRelease, Platform, PlatformImage  # noqa: E402
from driftwatch.reference import parse_reference  # noqa: E402

START = datetime(2023, 1, 1, 3, 17, tzinfo=timezone.utc)
PLATFORMS = (Platform("linux", "amd64"), Platform("linux", "arm64", "v8"))
INDEX = "application/vnd.oci.image.index.v1+json"
MANIFEST = "application/vnd.oci.image.manifest.v1+json"
RELEASES = {"bullseye": "11", "bookworm": "12", "trixie": "13"}


def _digest(text: str) -> str:
    return "sha256:" + hashlib.sha256(text.encode()).hexdigest()


def _release(ref_no: int, day: int) -> str:
    """The Debian release a reference's build on `day` is on (a third of them move twice)."""
    if ref_no % 3 == 0:
        return "bullseye" if day < 160 else ("bookworm" if day < 950 else "trixie")
    return "bookworm" if ref_no % 3 == 1 or day < 950 else "trixie"


def _observation(ref_no: int, day: int, build: int) -> Observation:
    ref = parse_reference(f"bench/image{ref_no:04d}:tag-{ref_no % 7}")
    codename = _release(ref_no, day)
    os = OsRelease("debian", RELEASES[codename], codename, source="bench")
    images = tuple(
        PlatformImage(p, _digest(f"{ref_no}|{build}|{p}"), MANIFEST, os=os) for p in PLATFORMS
    )
    return Observation(
        ref, START + timedelta(days=day), _digest(f"{ref_no}|{build}"), INDEX, images
    )


def fill(url: str, refs: int, years: int, every: int) -> int:
    """Record the rebuilds day by day (one transaction per day); returns observations stored."""
    rng = random.Random(18)
    days = 365 * years
    next_build = dict.fromkeys(range(refs), 0)
    builds = dict.fromkeys(range(refs), 0)
    store = HistoryStore.open(url)
    for day in range(days):
        due = [n for n in range(refs) if next_build[n] == day or day == days - 1]
        if not due:
            continue
        run = store.start_run("cron")
        batch = []
        for n in due:
            if next_build[n] == day:
                builds[n] += 1
                next_build[n] = day + rng.randint(1, 2 * every - 1)
            batch.append(_observation(n, day, builds[n]))
        store.record_many(run, batch)
        store.finish_run(run, checked=len(batch), drifts=0, errors=0)
    count = store.observation_count()
    store.close()
    return count


def in_process(url: str) -> tuple[float, float, float, int]:
    """CPU seconds to read, build and render once, and the page size in bytes."""
    from driftwatch.timeline.build import build_report
    from driftwatch.timeline.html import render_html

    store = HistoryStore.open(url)
    began = time.process_time()
    histories = store.histories(store.watched())
    read = time.process_time()
    model = build_report(histories, now=datetime.now(timezone.utc), source=store.url)
    built = time.process_time()
    page = render_html(model)
    rendered = time.process_time()
    store.close()
    return read - began, built - read, rendered - built, len(page.encode())


def _child_cpu() -> float:
    """User + system CPU seconds of finished child processes (robust on a shared machine)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--refs", type=int, default=200)
    parser.add_argument("--years", type=int, default=3)
    parser.add_argument("--every", type=int, default=7, help="mean days between rebuilds")
    parser.add_argument("--db", type=Path, help="SQLite file to fill (or reuse when it exists)")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="dw-report-bench-"))
    db = args.db or folder / "history.db"
    url = f"sqlite:///{db}"
    if not db.exists():
        began = time.perf_counter()
        count = fill(url, args.refs, args.years, args.every)
        print(f"filled {db}: {count} observations in {time.perf_counter() - began:.1f} s")
    page = folder / "report.html"
    print(f"load average before: {os.getloadavg()[0]:.1f} (2 cores)")
    for attempt in range(3):
        began, cpu = time.perf_counter(), _child_cpu()
        subprocess.run(
            [sys.executable, "-m", "driftwatch", "report", "--db", url, "--html", str(page)],
            check=True,
            capture_output=True,
            cwd=folder,
        )
        wall, used = time.perf_counter() - began, _child_cpu() - cpu
        print(f"CLI run {attempt + 1}: {wall:.2f} s wall, {used:.2f} s CPU")
    print(f"file: {page.stat().st_size / 1e6:.2f} MB ({page})")
    read, built, rendered, size = in_process(url)
    print(f"in process (CPU): read {read:.2f} s, build {built:.2f} s, render {rendered:.2f} s")
    print(f"targets: < 2 s and < 2 MB: size {'ok' if size < 2_000_000 else 'OVER'}")


if __name__ == "__main__":
    main()
