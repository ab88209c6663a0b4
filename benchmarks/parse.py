"""Benchmark: `driftwatch images` (in-process) against dockerfile-parse on a generated monorepo.

Generates N Dockerfiles (default 10,000) in a temporary tree, then times, in one run:
  1. `driftwatch images --format json ROOT` through the click command, in this process;
  2. dockerfile-parse reading the same files (`structure` and `parent_images` of each).
Prints files per second for both and the ratio. Usage: python benchmarks/parse.py [N]
"""

from __future__ import annotations

import random
import sys
import tempfile
import time
from pathlib import Path

from click.testing import CliRunner
from dockerfile_parse import DockerfileParser

from driftwatch.cli import cli

IMAGES = [
    "python:3.12-slim",
    "node:20-bookworm",
    "golang:1.22",
    "alpine:3.19",
    "debian:bookworm",
    "ghcr.io/org/base:1.4",
    "gcr.io/distroless/static-debian12:nonroot",
    "ubuntu:22.04",
]


def dockerfile(rng: random.Random) -> str:
    """A plausible multi-stage Dockerfile of 20-40 lines."""
    base, final = rng.choice(IMAGES), rng.choice(IMAGES)
    lines = [
        "# syntax=docker/dockerfile:1.7",
        f"ARG BASE={base}",
        "ARG VERSION=1.0",
        "FROM ${BASE} AS build",
        "WORKDIR /src",
        "COPY . .",
        "RUN apt-get update && \\",
        "    apt-get install -y --no-install-recommends \\",
        "      curl ca-certificates \\",
        "    && rm -rf /var/lib/apt/lists/*",
    ]
    lines.extend(f"RUN echo step {i} && make target-{i}" for i in range(rng.randint(3, 12)))
    lines += [
        "RUN <<EOF",
        "set -e",
        "FROM not-an-instruction",
        "EOF",
        f"FROM {final} AS runtime",
        "COPY --from=build /src/app /app",
        "RUN --mount=type=cache,target=/root/.cache true",
        f"COPY --from={rng.choice(IMAGES)} /etc/ssl /etc/ssl",
        "ENV PATH=/app:$PATH",
        'CMD ["/app"]',
    ]
    return "\n".join(lines) + "\n"


def generate(root: Path, count: int) -> list[Path]:
    """Write `count` Dockerfiles in service folders, 50 per team folder."""
    rng = random.Random(42)
    paths = []
    for index in range(count):
        folder = root / f"team{index // 50:03d}" / f"svc{index:05d}"
        folder.mkdir(parents=True)
        path = folder / ("Dockerfile" if index % 3 else "api.Dockerfile")
        path.write_text(dockerfile(rng))
        paths.append(path)
    return paths


def time_driftwatch(root: Path) -> tuple[float, int]:
    """Seconds for `driftwatch images --format json ROOT`, and the references it listed."""
    runner = CliRunner()
    start = time.perf_counter()
    result = runner.invoke(cli, ["images", "--format", "json", str(root)], catch_exceptions=False)
    elapsed = time.perf_counter() - start
    assert result.exit_code == 0, result.output
    return elapsed, result.output.count('"kind"')


def time_dockerfile_parse(paths: list[Path]) -> tuple[float, int]:
    """Seconds for dockerfile-parse to read every file's structure and parent images."""
    start = time.perf_counter()
    found = 0
    for path in paths:
        parser = DockerfileParser(path=str(path), cache_content=True)
        _ = parser.structure
        found += len(parser.parent_images)
    return time.perf_counter() - start, found


def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000
    with tempfile.TemporaryDirectory(prefix="driftwatch-bench-") as tmp:
        root = Path(tmp)
        paths = generate(root, count)
        ours, refs = time_driftwatch(root)
        theirs, parents = time_dockerfile_parse(paths)
    print(f"files: {count}")
    print(f"driftwatch images: {count / ours:,.0f} files/s ({ours:.2f} s, {refs} references)")
    print(
        f"dockerfile-parse:  {count / theirs:,.0f} files/s ({theirs:.2f} s, {parents} parent images)"
    )
    print(f"ratio (driftwatch / dockerfile-parse, files/s): {theirs / ours:.2f}x")


if __name__ == "__main__":
    main()
