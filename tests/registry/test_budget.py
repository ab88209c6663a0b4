"""The pull budget: learn `ratelimit-remaining`, refuse GETs before it would be spent."""

from __future__ import annotations

import httpx
import pytest

from driftwatch.errors import BudgetExhausted, RateLimited
from driftwatch.registry.budget import PullBudget, parse_remaining


@pytest.mark.parametrize(
    ("value", "expected"),
    [("100;w=21600", 100), ("0;w=21600", 0), ("57", 57), ("", None), ("x;w=1", None)],
)
def test_parse_remaining(value: str, expected: int | None) -> None:
    headers = httpx.Headers({"ratelimit-remaining": value} if value else {})
    assert parse_remaining(headers) == expected


def test_no_header_means_no_limit() -> None:
    budget = PullBudget()
    for _ in range(1000):
        budget.take("docker.io", "x")
    assert budget.left("docker.io") is None


def test_gets_stop_at_keep_and_stale_answers_do_not_raise_the_estimate() -> None:
    budget = PullBudget(keep=1)
    budget.heard("docker.io", httpx.Headers({"ratelimit-remaining": "3;w=21600"}))
    budget.take("docker.io", "a")
    budget.heard("docker.io", httpx.Headers({"ratelimit-remaining": "3;w=21600"}))  # stale
    budget.take("docker.io", "b")
    with pytest.raises(BudgetExhausted, match="could not check: rate limit budget") as caught:
        budget.take("docker.io", "c")
    assert isinstance(caught.value, RateLimited) and caught.value.exit_code == 3
    assert budget.left("docker.io") == 1 and budget.skipped == {"docker.io": 1}
    budget.take("ghcr.io", "other registries are not affected")
