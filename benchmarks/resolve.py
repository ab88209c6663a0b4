"""Benchmark `driftwatch resolve --from-file` as whole processes against curl, on loopback and
behind a latency proxy.

    .venv/bin/python benchmarks/resolve.py                     # 2,000 tags / 200 repos, 3 rounds
    .venv/bin/python benchmarks/resolve.py --tags 200 --repos 20 --latency-tags 100 --rounds 3
    .venv/bin/python benchmarks/resolve.py --profile warm.prof # plus one warm run under cProfile

Pushes N tags (each an index of 2 platforms + attestations, like official images) to a fresh
Debian docker-registry on loopback, then times, interleaved over the rounds (order reversed every
other round), medians:

- driftwatch cold: empty cache (one GET per tag, body hashed) vs `curl --parallel` GETs;
- driftwatch warm: cache kept (one HEAD per tag) vs `curl --parallel --head`;

with the same concurrency (`--parallel-max N`) and the same Accept / Accept-Encoding headers. Twice:
on loopback (CPU-bound on this machine), and through tests/netproxy.py adding 10 ms each way to every
chunk and one round trip to every new connection (`--latency-tags` tags). Connections are those the
proxy accepted (on loopback, from one extra untimed pass through a proxy without delay). A third
run puts the same registry behind TLS (tests/tlsregistry.py) and the latency proxy: driftwatch and
curl both negotiate HTTP/2.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from wire import (  # noqa: E402
    Series,
    curl_command,
    curl_config,
    driftwatch_command,
    env_with,
    fresh,
    interleave,
    load,
    push_all,
    timed,
    write_config,
    write_refs,
)

from tests.netproxy import NetProxy  # noqa: E402
from tests.testbed.registry import RegistryServer  # noqa: E402
from tests.tlsregistry import TlsRegistry  # noqa: E402


class Bench:
    """The four contenders against one address (the registry, or a proxy in front of it)."""

    def __init__(
        self,
        work: Path,
        host: str,
        refs: list[str],
        concurrency: int,
        proxy: NetProxy | None,
        ca: Path | None = None,
    ) -> None:
        self.work = work
        self.proxy = proxy
        self.refs_file = write_refs(work / "refs.txt", host, refs)
        scheme = "https" if ca else "http"
        self.curl_urls = curl_config(work / "curl.txt", f"{scheme}://{host}", refs)
        self.curl_extra = ["--cacert", str(ca)] if ca else []  # curl speaks HTTP/2 where offered
        self.env = {"SSL_CERT_FILE": str(ca)} if ca else {}
        self.concurrency = concurrency
        write_config(work / "project", concurrency)
        self.series = {
            name: Series(name)
            for name in ("driftwatch cold", "curl GET", "driftwatch warm", "curl HEAD")
        }

    def _resolve(self, cache: Path) -> float:
        command = driftwatch_command("resolve", "--from-file", str(self.refs_file))
        env = env_with(DRIFTWATCH_CACHE_DIR=str(cache), **self.env)
        return timed(command, env, self.work / "project")

    def _record(self, name: str, work: Callable[[], float]) -> None:
        if self.proxy is not None:
            self.proxy.reset()
        self.series[name].seconds.append(work())
        if self.proxy is not None:
            self.series[name].connections.append(self.proxy.accepted)

    def warm_up(self) -> None:
        """Fill the warm cache (untimed)."""
        self._resolve(fresh(self.work / "warm-cache"))

    def contenders(self) -> list[Callable[[], None]]:
        n = self.concurrency
        return [
            lambda: self._record(
                "driftwatch cold", lambda: self._resolve(fresh(self.work / "cold-cache"))
            ),
            lambda: self._record(
                "curl GET", lambda: timed(curl_command(self.curl_urls, n, False) + self.curl_extra)
            ),
            lambda: self._record(
                "driftwatch warm", lambda: self._resolve(self.work / "warm-cache")
            ),
            lambda: self._record(
                "curl HEAD", lambda: timed(curl_command(self.curl_urls, n, True) + self.curl_extra)
            ),
        ]

    def profile(self, output: Path) -> None:
        """One warm run under cProfile."""
        profiler = ["-m", "cProfile", "-o", str(output)]
        command = driftwatch_command("resolve", "--from-file", str(self.refs_file), python=profiler)
        env = env_with(DRIFTWATCH_CACHE_DIR=str(self.work / "warm-cache"))
        subprocess.run(command, env=env, cwd=self.work / "project", check=True, capture_output=True)


def report(title: str, bench: Bench, tags: int, connections: Bench | None = None) -> None:
    s = bench.series
    counts = connections.series if connections is not None else s
    print(f"\n{title}: {tags} tags, concurrency {bench.concurrency}, load {load()}")
    print("| measure | driftwatch | curl | ratio | connections (driftwatch / curl) |")
    print("| --- | --- | --- | --- | --- |")
    for label, ours, theirs in (
        ("warm (cache kept, HEADs)", "driftwatch warm", "curl HEAD"),
        ("cold (fresh cache, bodies read)", "driftwatch cold", "curl GET"),
    ):
        mine, floor = s[ours], s[theirs]
        print(
            f"| {label} | {mine.median:.2f} s | {floor.median:.2f} s | "
            f"{mine.median / floor.median:.2f}x | {counts[ours].connection_text()} / "
            f"{counts[theirs].connection_text()} |"
        )
    for series in s.values():
        print(f"  {series.name}: " + ", ".join(f"{t:.2f}" for t in series.seconds))


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--tags", type=int, default=2000)
    parser.add_argument("--repos", type=int, default=200)
    parser.add_argument("--latency-tags", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--delay", type=float, default=0.010, help="seconds each way (proxy)")
    parser.add_argument(
        "--skip", choices=("loopback", "latency", "tls"), action="append", default=[]
    )
    parser.add_argument("--profile", type=Path, help="write a cProfile of one warm loopback run")
    shm = "/dev/shm" if Path("/dev/shm").is_dir() else None
    parser.add_argument("--storage", default=shm, help="parent dir of the registry storage")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="driftwatch-bench-", dir=args.storage))
    server = RegistryServer("anonymous", work / "registry").start()
    try:
        refs = push_all(server, args.tags, min(args.repos, args.tags))
        print(f"pushed {len(refs)} tags; load {load()}")
        if "loopback" not in args.skip:
            loopback(server, work, refs, args)
        if "latency" not in args.skip:
            with NetProxy(server.host, delay=args.delay) as proxy:
                bench = Bench(
                    fresh(work / "latency"),
                    proxy.address,
                    refs[: args.latency_tags],
                    args.concurrency,
                    proxy,
                )
                bench.warm_up()
                interleave(args.rounds, bench.contenders())
            title = f"behind the latency proxy ({args.delay * 1000:g} ms each way)"
            report(title, bench, min(args.latency_tags, len(refs)))
        if "tls" not in args.skip:
            tls_latency(server, work, refs[: args.latency_tags], args)
    finally:
        server.stop()
        shutil.rmtree(work, ignore_errors=True)


def loopback(server: RegistryServer, work: Path, refs: list[str], args: argparse.Namespace) -> None:
    bench = Bench(fresh(work / "loopback"), server.host, refs, args.concurrency, None)
    bench.warm_up()
    interleave(args.rounds, bench.contenders())
    with NetProxy(server.host) as proxy:  # connections, from one untimed pass through a relay
        counted = Bench(fresh(work / "counted"), proxy.address, refs, args.concurrency, proxy)
        counted.warm_up()
        interleave(1, counted.contenders())
    report("loopback", bench, len(refs), counted)
    if args.profile:
        bench.profile(args.profile)
        print(f"profile of one warm run: {args.profile}")


def tls_latency(
    server: RegistryServer, work: Path, refs: list[str], args: argparse.Namespace
) -> None:
    """The latency run against the registry over TLS: driftwatch (HTTP/2 by ALPN) vs curl."""
    with TlsRegistry(server, work / "tls") as tls, NetProxy(tls.host, delay=args.delay) as proxy:
        bench = Bench(fresh(work / "tls-run"), proxy.address, refs, args.concurrency, proxy, tls.ca)
        bench.warm_up()
        interleave(args.rounds, bench.contenders())
    title = f"TLS (HTTP/2 both) behind the latency proxy ({args.delay * 1000:g} ms each way)"
    report(title, bench, len(refs))


if __name__ == "__main__":
    main()
