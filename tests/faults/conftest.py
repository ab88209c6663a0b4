"""Fixtures: a real registry with two tiny images, and a fault proxy in front of it."""

from __future__ import annotations

import os
import random
from collections.abc import Generator, Iterator

import httpx
import pytest

from tests.testbed.registry import RegistryServer

from .proxy import FaultProxy
from .registry import Pushed, client, push_pushed

SEED_ENV = "FAULT_SEED"


@pytest.fixture(scope="session")
def fault_registry(registry: RegistryServer) -> RegistryServer:
    """The suite's shared registry (Debian's docker-registry on loopback)."""
    return registry


@pytest.fixture(scope="session")
def pushed(fault_registry: RegistryServer) -> dict[str, Pushed]:
    """Two images in the registry (under faults/, which no other test uses), by tag name."""
    return {
        "debian": push_pushed(fault_registry, "faults/debian", "bookworm"),
        "python": push_pushed(fault_registry, "faults/python", "3.12-slim"),
    }


def fault_seed() -> int:
    """The seed from $FAULT_SEED (to replay a failure), else a fresh random one."""
    value = os.environ.get(SEED_ENV)
    return int(value) if value else random.SystemRandom().randrange(2**32)


@pytest.fixture
def fault_proxy(
    fault_registry: RegistryServer, pushed: dict[str, Pushed], request: pytest.FixtureRequest
) -> Iterator[FaultProxy]:
    """A FaultProxy in front of the registry, no rules yet; its seed is printed and recorded."""
    seed = fault_seed()
    request.node.user_properties.append(("fault_seed", seed))
    print(f"fault proxy seed: {seed} (replay with {SEED_ENV}={seed})")
    with FaultProxy(fault_registry.url, seed=seed) as proxy:
        yield proxy


@pytest.fixture
def http(fault_proxy: FaultProxy) -> Iterator[httpx.Client]:
    """A client talking to the registry through the proxy."""
    with client(fault_proxy.url) as session:
        yield session


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item,
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    """On a failed test, add the proxy's seed and request log to the report."""
    report: pytest.TestReport = yield
    proxy = getattr(item, "funcargs", {}).get("fault_proxy")
    if report.when == "call" and report.failed and isinstance(proxy, FaultProxy):
        lines = [f"seed {proxy.seed} (replay with {SEED_ENV}={proxy.seed})"]
        lines += [str(event) for event in proxy.events]
        report.sections.append(("fault proxy", "\n".join(lines)))
    return report
