"""Hostile Dockerfiles end fast in bounded memory: linear lexing, bounded ARG/ENV expansion."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Callable

import pytest

from driftwatch.sources.dockerfile import parse_dockerfile
from driftwatch.sources.substitute import MAX_EXPANSION, expand
from tests.peakrss import PEAK_MIB


def cost(function: Callable[[], object]) -> float:
    """The best of three CPU times (the machine is shared: the minimum is the least noisy)."""
    best = float("inf")
    for _ in range(3):
        start = time.process_time()
        function()
        best = min(best, time.process_time() - start)
    return max(best, 1e-4)


def ratio(make: Callable[[int], str], small: int) -> float:
    """How much longer ten times the input takes: about 10 when linear, 100 when quadratic."""
    little, big = make(small), make(small * 10)
    return cost(lambda: parse_dockerfile(big, "Dockerfile")) / cost(
        lambda: parse_dockerfile(little, "Dockerfile")
    )


def test_comment_lines_are_linear() -> None:
    assert ratio(lambda n: "# comment line\n" * n + "FROM alpine:3.19\n", 10_000) < 35


@pytest.mark.slow
def test_from_lines_are_linear() -> None:
    assert ratio(lambda n: "".join(f"FROM alpine:3.19 AS s{i}\n" for i in range(n)), 4_000) < 35


def test_hundred_thousand_comment_lines_parse() -> None:
    uses, problems = parse_dockerfile("#\n" * 100_000 + "FROM alpine:3.19\n", "Dockerfile")
    assert [u.line for u in uses] == [100_001] and problems == []


BOMB_SCRIPT = f"""
import sys
from driftwatch.sources.dockerfile import parse_dockerfile
uses, problems = parse_dockerfile(sys.stdin.read(), "Dockerfile")
print({PEAK_MIB})
for p in problems:
    print(p.line, p.reason)
for u in uses:
    print(u.line, u.problem)
"""


def run_bomb(text: str) -> list[str]:
    """Parse in a child limited to 1 GiB of address space; its peak RSS is the first line."""
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            "import resource; resource.setrlimit(resource.RLIMIT_AS, (1 << 30, 1 << 30))\n"
            + BOMB_SCRIPT,
        ],
        input=text,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    lines = done.stdout.splitlines()
    assert int(lines[0]) < 200, f"peak RSS {lines[0]} MiB"
    return lines[1:]


def test_arg_doubling_bomb_is_an_error_in_bounded_memory() -> None:
    """28 lines under 1 KB doubled to 2^28 characters: 112 s and 3.1 GB before the bound."""
    text = "ARG A0=xxxxxxxx\n" + "".join(
        f"ARG A{i}=${{A{i - 1}}}${{A{i - 1}}}\n" for i in range(1, 28)
    )
    text += "FROM alpine:${A27}\n"
    assert len(text) < 1024
    out = run_bomb(text)
    assert "15 ARG A14 expands beyond 64 KiB" in out  # 8 * 2^14 = 128 KiB: the first too long
    assert "29 ARG A27 expands beyond 64 KiB" in out


def test_env_doubling_bomb_is_an_error_in_bounded_memory() -> None:
    text = "FROM alpine:3.19\nENV E0=xxxxxxxx\n"
    text += "".join(f"ENV E{i}=${{E{i - 1}}}${{E{i - 1}}}\n" for i in range(1, 28))
    text += "COPY --from=ghcr.io/o/x:${E27} / /\n"
    out = run_bomb(text)
    assert "16 ENV E14 expands beyond 64 KiB" in out
    assert "30 ENV E27 expands beyond 64 KiB" in out


def test_expansion_stops_at_the_bound() -> None:
    result = expand("$A$A$A", {"A": "x" * 30_000})
    assert result.too_long and len(result.text) <= MAX_EXPANSION


def test_devcontainer_json_is_linear() -> None:
    from driftwatch.sources.devcontainer import parse_devcontainer

    def make(n: int) -> str:
        items = "".join(f'  /* {i} */ "k{i}": ["a", 1, {{"b": null}}], // c\n' for i in range(n))
        return '{\n  "image": "alpine:3.20",\n' + items + "}\n"

    little, big = make(2_000), make(20_000)
    small = cost(lambda: parse_devcontainer(little, ".devcontainer.json"))
    large = cost(lambda: parse_devcontainer(big, ".devcontainer.json"))
    assert large / small < 35
    assert len(parse_devcontainer(big, ".devcontainer.json").uses) == 1


def test_an_unclosed_comment_in_a_large_file_ends_fast() -> None:
    from driftwatch.sources.devcontainer import parse_devcontainer

    text = '{"image": "alpine:3.20", ' + "/* " + "x * / " * 500_000
    start = time.process_time()
    result = parse_devcontainer(text, ".devcontainer.json")
    assert time.process_time() - start < 5
    assert [p.reason for p in result.problems] == ["invalid JSON: unclosed /* comment"]
