"""Fixtures the fault-matrix tests share: a recorded fault seed and a fault proxy using it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.faults.conftest import SEED_ENV, fault_seed
from tests.faults.proxy import FaultProxy
from tests.testbed.registry import RegistryServer


@pytest.fixture
def seed(request: pytest.FixtureRequest) -> int:
    """This test's fault seed, printed and recorded so a failure can be replayed."""
    value = fault_seed()
    request.node.user_properties.append(("fault_seed", value))
    print(f"fault proxy seed: {value} (replay with {SEED_ENV}={value})")
    return value


@pytest.fixture
def proxy(registry: RegistryServer, seed: int) -> Iterator[FaultProxy]:
    """A fault proxy in front of the session registry, drawing its faults from `seed`."""
    with FaultProxy(registry.url, seed=seed) as running:
        yield running
